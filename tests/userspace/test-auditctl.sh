#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-auditctl.sh - host checks of "auditctl -F contid=" in the audit
# userspace (3.0.9 or 4.2.1) built by scripts/build-audit-userspace: the real auditctl
# binary, run against a fake kernel, for what it sends, what it prints
# back (-l, -l -k), that the listed text deletes the rule (-d, -D), and the
# message it prints for each rule it refuses.
#
# Prints TAP.  Exits non-zero if any check fails.  Needs no audit-capable
# kernel: an LD_PRELOAD library (built with cc) takes over the audit
# netlink socket and answers like the kernel does: AUDIT_GET with a feature
# bitmap of the test's choice, and a rule list kept in a file, where a
# delete must match an added rule byte for byte.  Before anything else the
# test makes sure the fake kernel answers (auditctl -s), so that it never
# changes the host's real audit rules.  The guest tests run the same
# commands against the real kernel.
#
#   tests/userspace/test-auditctl.sh [PREFIX]
#
# PREFIX defaults to $AUDIT_PREFIX, else the prefix of $AUDIT_USERSPACE
# (3.0.9 or 4.2.1; scripts/audit-userspace.sh).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
AUDITCTL=$P/sbin/auditctl

[ -x "$AUDITCTL" ] || bail "$AUDITCTL exists" "run scripts/build-audit-userspace"
CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || bail "a C compiler for the fake kernel" "no $CC"

# ---------------------------------------------------------------------------
# The fake kernel.  FAKE_KERNEL_DIR holds "rules" (the rule list: records of
# a u32 length and the struct audit_rule_data with its buffer) and "log"
# (one line per rule request, decoded the way the kernel's
# audit_data_to_entry() reads it).  FAKE_FEATURES is the feature bitmap
# (default 0xff: 6.12's 0x7f and contid's 0x80); FAKE_CONTID_LEN, if set,
# replaces values[i] of contid fields in the rule list sent back.
cat >"$T/fakek.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/audit.h>

#define MAXFD 1024
#define MAXQ 512
#define MAXRULES 64
#define CONTID 27

static char fake[MAXFD];
static struct { int fd; size_t len; char *data; } q[MAXQ];
static int nq;

static const char *dir(void)
{
	const char *d = getenv("FAKE_KERNEL_DIR");

	if (!d) {
		fprintf(stderr, "fakek: FAKE_KERNEL_DIR unset\n");
		exit(99);
	}
	return d;
}

static void enqueue(int fd, int type, int flags, int seq, const void *p, size_t len)
{
	struct nlmsghdr *nlh = calloc(1, NLMSG_SPACE(len));

	if (!nlh || nq == MAXQ)
		abort();
	nlh->nlmsg_len = NLMSG_LENGTH(len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	if (len)
		memcpy(NLMSG_DATA(nlh), p, len);
	q[nq].fd = fd;
	q[nq].len = NLMSG_SPACE(len);
	q[nq].data = (char *)nlh;
	nq++;
}

static void ack(int fd, const struct nlmsghdr *req, int err)
{
	struct nlmsgerr e;

	memset(&e, 0, sizeof(e));
	e.error = err;
	e.msg = *req;
	enqueue(fd, NLMSG_ERROR, 0, req->nlmsg_seq, &e, sizeof(e));
}

/* The rule list, kept in a file across auditctl runs. */
static struct { uint32_t len; char *r; } rules[MAXRULES];
static int nrules;

static void load(void)
{
	char path[4096];
	FILE *f;
	uint32_t len;

	nrules = 0;
	snprintf(path, sizeof(path), "%s/rules", dir());
	f = fopen(path, "r");
	if (!f)
		return;
	while (nrules < MAXRULES && fread(&len, 4, 1, f) == 1) {
		rules[nrules].len = len;
		rules[nrules].r = malloc(len);
		if (!rules[nrules].r || fread(rules[nrules].r, len, 1, f) != 1)
			abort();
		nrules++;
	}
	fclose(f);
}

static void save(void)
{
	char path[4096];
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/rules", dir());
	f = fopen(path, "w");
	if (!f)
		abort();
	for (i = 0; i < nrules; i++) {
		fwrite(&rules[i].len, 4, 1, f);
		fwrite(rules[i].r, rules[i].len, 1, f);
	}
	fclose(f);
}

static const char *opname(uint32_t op)
{
	switch (op) {
	case AUDIT_EQUAL: return "=";
	case AUDIT_NOT_EQUAL: return "!=";
	case AUDIT_LESS_THAN: return "<";
	case AUDIT_GREATER_THAN: return ">";
	case AUDIT_LESS_THAN_OR_EQUAL: return "<=";
	case AUDIT_GREATER_THAN_OR_EQUAL: return ">=";
	case AUDIT_BIT_MASK: return "&";
	case AUDIT_BIT_TEST: return "&=";
	}
	return "?";
}

/* Does the kernel take this field's value from the buffer? */
static int in_buf(uint32_t f)
{
	return (f >= AUDIT_SUBJ_USER && f <= AUDIT_OBJ_LEV_HIGH &&
		f != AUDIT_PPID) || f == AUDIT_WATCH || f == AUDIT_DIR ||
	       f == AUDIT_FILTERKEY || f == AUDIT_EXE || f == CONTID;
}

/* One log line: "add|del LIST,ACTION FIELD<op>VALUE... buflen=N ok|BAD" */
static void log_rule(const char *what, const struct audit_rule_data *r, size_t size)
{
	char path[4096];
	FILE *f;
	uint32_t i, off = 0;
	/* the payload is the rule and its buffer, padded to NLMSG_ALIGNTO */
	int bad = size < sizeof(*r) + r->buflen ||
		  size > NLMSG_ALIGN(sizeof(*r) + r->buflen);

	snprintf(path, sizeof(path), "%s/log", dir());
	f = fopen(path, "a");
	if (!f)
		abort();
	fprintf(f, "%s %u,%u", what, r->flags, r->action);
	for (i = 0; i < r->field_count && i < AUDIT_MAX_FIELDS; i++) {
		uint32_t fl = r->fields[i], v = r->values[i];
		const char *op = opname(r->fieldflags[i]);

		if (fl == CONTID) {
			uint64_t c;

			if (v != 8 || off + 8 > r->buflen) {
				fprintf(f, " contid%slen%u", op, v);
				bad = 1;
			} else {
				memcpy(&c, r->buf + off, 8);
				fprintf(f, " contid%s%llu", op, (unsigned long long)c);
			}
		} else if (in_buf(fl)) {
			if (off + v > r->buflen)
				bad = 1;
			else
				fprintf(f, " %u%s%.*s", fl, op, (int)v, r->buf + off);
		} else {
			fprintf(f, " %u%s%u", fl, op, v);
		}
		if (in_buf(fl))
			off += v;
	}
	if (off != r->buflen)
		bad = 1;
	fprintf(f, " buflen=%u %s\n", r->buflen, bad ? "BAD" : "ok");
	fclose(f);
}

static void handle(int fd, const struct nlmsghdr *nlh)
{
	const void *p = NLMSG_DATA(nlh);
	size_t len = nlh->nlmsg_len - NLMSG_HDRLEN;
	int i;

	switch (nlh->nlmsg_type) {
	case AUDIT_GET: {
		struct audit_status s;
		const char *feat = getenv("FAKE_FEATURES");

		memset(&s, 0, sizeof(s));
		s.enabled = 1;
		s.backlog_limit = 4242;	/* how the test recognises us */
		s.feature_bitmap = feat ? strtoul(feat, NULL, 0) : 0xff;
		ack(fd, nlh, 0);
		enqueue(fd, AUDIT_GET, 0, nlh->nlmsg_seq, &s, sizeof(s));
		return;
	}
	case AUDIT_ADD_RULE:
	case AUDIT_DEL_RULE: {
		int add = nlh->nlmsg_type == AUDIT_ADD_RULE, found = -1;

		log_rule(add ? "add" : "del", p, len);
		load();
		for (i = 0; i < nrules; i++)
			if (rules[i].len == len && !memcmp(rules[i].r, p, len))
				found = i;
		if (add && found >= 0) {
			ack(fd, nlh, -EEXIST);
		} else if (add) {
			rules[nrules].len = len;
			rules[nrules].r = malloc(len);
			memcpy(rules[nrules].r, p, len);
			nrules++;
			save();
			ack(fd, nlh, 0);
		} else if (found < 0) {
			ack(fd, nlh, -ENOENT);
		} else {
			free(rules[found].r);
			rules[found] = rules[--nrules];
			save();
			ack(fd, nlh, 0);
		}
		return;
	}
	case AUDIT_LIST_RULES: {
		const char *cl = getenv("FAKE_CONTID_LEN");

		load();
		ack(fd, nlh, 0);
		for (i = 0; i < nrules; i++) {
			struct audit_rule_data *r = (void *)rules[i].r;
			uint32_t k;

			for (k = 0; cl && k < r->field_count; k++)
				if (r->fields[k] == CONTID)
					r->values[k] = strtoul(cl, NULL, 0);
			enqueue(fd, AUDIT_LIST_RULES, NLM_F_MULTI, nlh->nlmsg_seq,
				r, rules[i].len);
		}
		enqueue(fd, NLMSG_DONE, NLM_F_MULTI, nlh->nlmsg_seq, NULL, 0);
		return;
	}
	default:
		ack(fd, nlh, 0);
	}
}

int socket(int domain, int type, int protocol)
{
	static int (*real)(int, int, int);
	int fd;

	if (domain == AF_NETLINK && protocol == NETLINK_AUDIT) {
		fd = open("/dev/null", O_RDWR);	/* always "readable" */
		if (fd >= 0 && fd < MAXFD)
			fake[fd] = 1;
		return fd;
	}
	if (!real)
		real = (int (*)(int, int, int))dlsym(RTLD_NEXT, "socket");
	return real(domain, type, protocol);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags,
	       const struct sockaddr *to, socklen_t tolen)
{
	static ssize_t (*real)(int, const void *, size_t, int,
			       const struct sockaddr *, socklen_t);

	if (fd >= 0 && fd < MAXFD && fake[fd]) {
		if (len >= NLMSG_HDRLEN)
			handle(fd, buf);
		return len;
	}
	if (!real)
		real = (ssize_t (*)(int, const void *, size_t, int,
			const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "sendto");
	return real(fd, buf, len, flags, to, tolen);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *src, socklen_t *alen)
{
	static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *,
			       socklen_t *);
	int i;

	if (fd >= 0 && fd < MAXFD && fake[fd]) {
		size_t n;

		for (i = 0; i < nq && q[i].fd != fd; i++)
			;
		if (i == nq) {
			errno = EAGAIN;
			return -1;
		}
		n = q[i].len < len ? q[i].len : len;
		memcpy(buf, q[i].data, n);
		if (src && alen) {
			struct sockaddr_nl nl;

			memset(&nl, 0, sizeof(nl));
			nl.nl_family = AF_NETLINK;	/* nl_pid 0: the kernel */
			memcpy(src, &nl, sizeof(nl));
			*alen = sizeof(nl);
		}
		if (!(flags & MSG_PEEK)) {
			free(q[i].data);
			memmove(&q[i], &q[i + 1], (nq - i - 1) * sizeof(q[0]));
			nq--;
		}
		return n;
	}
	if (!real)
		real = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *,
			socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
	return real(fd, buf, len, flags, src, alen);
}

int close(int fd)
{
	static int (*real)(int);

	if (fd >= 0 && fd < MAXFD)
		fake[fd] = 0;
	if (!real)
		real = (int (*)(int))dlsym(RTLD_NEXT, "close");
	return real(fd);
}

/* auditctl asks this before anything: the fake kernel says yes. */
int audit_can_control(void)
{
	return 1;
}
EOF
if ! "$CC" -Wall -shared -fPIC -o "$T/fakek.so" "$T/fakek.c" -ldl >"$T/cc.out" 2>&1; then
	bail "the fake kernel builds" "$(cat "$T/cc.out")"
fi
K=$T/k
mkdir -p "$K"

# actl ARG...: auditctl against the fake kernel; stdout and stderr together
# audit 4.x ends a refusal with a line of its own that 3.0.9 does not
# print; it is left out so that both versions give the same text.
actl() {
	local out rc=0
	out=$(LD_PRELOAD=$T/fakek.so FAKE_KERNEL_DIR=$K FAKE_FEATURES=${FEATURES:-0xff} \
		"$AUDITCTL" "$@" 2>&1) || rc=$?
	grep -vx 'There was an error while processing parameters' <<<"$out" || true
	return "$rc"
}
# requests: the rule requests the fake kernel received since the last call
requests() { cat "$K/log" 2>/dev/null || true; : >"$K/log"; }
listing() { actl -l || true; }

# The guard: with the library loaded, auditctl talks to the fake kernel.
out=$(actl -s || true)
if ! grep -qx 'backlog_limit 4242' <<<"$out"; then
	bail "auditctl talks to the fake kernel (auditctl -s)" "$out"
fi
ok "auditctl talks to the fake kernel (auditctl -s)"

# ---------------------------------------------------------------------------
# What auditctl -a sends: the value as 8 bytes in the buffer, in field order.
U=18446744073709551615
EXIT=$(printf '%u,%u' 4 2)	# AUDIT_FILTER_EXIT, AUDIT_ALWAYS
add() {	# DESCRIPTION WANT-LOG-LINE AUDITCTL-ARG...
	local d=$1 want=$2 out; shift 2
	out=$(actl -a "$@") || { not_ok "$d" "$out"; requests >/dev/null; return; }
	is "$out$(requests)" "$want" "$d"
}
add "the example: dir, perm, contid=123459 and key, in that order in the buffer" \
	"add $EXIT 107=/tmp 106=10 contid=123459 210=tmpcontainerid buflen=26 ok" \
	exit,always -F dir=/tmp -F perm=wa -F contid=123459 -F key=tmpcontainerid
add "contid!=5 sends op != and value 5" \
	"add $EXIT 11=3221225534 contid!=5 210=ne buflen=10 ok" \
	exit,always -F arch=b64 -S all -F 'contid!=5' -F key=ne
add "contid=unset sends 2^64-1" "add $EXIT contid=$U 210=un buflen=10 ok" \
	exit,always -S all -F contid=unset -F key=un
add "contid=0x1E240 (hex) sends 123456" "add $EXIT contid=123456 buflen=8 ok" \
	exit,always -F contid=0x1E240
add "contid=18446744073709551614 (largest settable)" \
	"add $EXIT contid=18446744073709551614 210=big buflen=11 ok" \
	exit,always -S all -F contid=18446744073709551614 -F key=big
add "the user list" "add 0,0 contid=7 buflen=8 ok" user,never -F contid=7
add "the exclude list, after msgtype" "add 5,0 12=1107 contid=7 buflen=8 ok" \
	exclude,never -F msgtype=USER_AVC -F contid=7
out=$(actl -a exit,always -S all -F contid=-1 -F key=un 2>&1 || true)
is "$out$(requests)" "Error sending add rule data request (Rule exists)add $EXIT contid=$U 210=un buflen=10 ok" \
	"contid=-1 is the same rule as contid=unset (the kernel says it exists)"

# ---------------------------------------------------------------------------
# auditctl -l prints the rules back; each printed line, given to -d, deletes
# its rule (the fake kernel deletes only a byte-identical rule).
want_list="-a always,exit -S all -F dir=/tmp -F perm=wa -F contid=123459 -F key=tmpcontainerid
-a always,exit -F arch=b64 -S all -F contid!=5 -F key=ne
-a always,exit -S all -F contid=unset -F key=un
-a always,exit -S all -F contid=123456
-a always,exit -S all -F contid=18446744073709551614 -F key=big
-a never,user -F contid=7
-a never,exclude -F msgtype=USER_AVC -F contid=7"
is "$(listing)" "$want_list" "auditctl -l prints -F contid=N, contid!=N and contid=unset"
is "$(actl -l -k tmpcontainerid || true)" \
	"-a always,exit -S all -F dir=/tmp -F perm=wa -F contid=123459 -F key=tmpcontainerid" \
	"auditctl -l -k KEY finds a rule whose key comes after contid"
is "$(actl -l -k big || true)" "-a always,exit -S all -F contid=18446744073709551614 -F key=big" \
	"auditctl -l -k big: only that rule"
# The rule with no field after contid; the others list garbage after it.
is "$(FAKE_CONTID_LEN=4 actl -l | grep -a -x -F -- '-a always,exit -S all -F contid=inval' || true)" \
	"-a always,exit -S all -F contid=inval" \
	"a contid whose length is not 8 is listed as inval"
requests >/dev/null
while IFS= read -r line; do
	# shellcheck disable=SC2086 # the listed text is split like a shell would
	out=$(actl ${line/#-a /-d }) && rc=0 || rc=$?
	is "$rc:$out" "0:" "auditctl ${line/#-a /-d } deletes the rule"
done <<<"$want_list"
is "$(listing)" "No rules" "... and then auditctl -l shows none"
is "$(requests | grep -c ' ok$')" "7" "each delete sent a well-formed rule"

actl -a exit,always -S all -F contid=42 -F key=d1 >/dev/null
actl -a exit,always -S all -F 'contid!=unset' -F key=d2 >/dev/null
out=$(actl -D) && rc=0 || rc=$?
is "$rc:$out:$(listing)" "0:No rules:No rules" "auditctl -D deletes contid rules (the listed bytes)"
requests >/dev/null

# ---------------------------------------------------------------------------
# Rules auditctl refuses: the message, a failure status, and nothing sent.
refused() {	# DESCRIPTION MESSAGE AUDITCTL-ARG...
	local d=$1 m=$2 out rc; shift 2
	out=$(actl "$@") && rc=0 || rc=$?
	is "$((rc != 0)):$out:$(requests)" "1:$m:" "$d"
}
NOSUP="Field option not supported by kernel: contid"
LISTS="contid must be used with exclude, user, or exit filter"
OPS="contid only takes = or != operators"
NUMBER="-F value should be number for contid"
FEATURES=0x7f refused "kernel without feature 0x80: $NOSUP" "$NOSUP" \
	-a exit,always -F contid=5
refused "task list: $LISTS" "$LISTS" -a task,always -F contid=5
refused "filesystem list: $LISTS" "$LISTS" -a filesystem,always -F contid=5
for op in '<' '>' '<=' '>=' '&' '&='; do
	refused "operator $op: $OPS" "$OPS" -a exit,always -F "contid${op}5"
done
for v in abc 12x -2 +5 ' 5' 1.5 0x; do
	refused "value '$v': $NUMBER" "$NUMBER" -a exit,always -F "contid=$v"
done
refused "2^64: value is too large" "value is too large for field: contid" \
	-a exit,always -F contid=18446744073709551616
refused "no value: missing value" "-F missing value after operation for contid" \
	-a exit,always -F contid=
refused "-d is checked the same way: $OPS" "$OPS" -d exit,always -F 'contid>5'
is "$(listing)" "No rules" "the refused rules left the list empty"

tap_done
