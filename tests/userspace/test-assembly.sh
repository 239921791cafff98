#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-assembly.sh - host checks for the audit userspace (3.0.9 or 4.2.1) built by
# scripts/build-audit-userspace (contid patch series in userspace/).
#
# Prints TAP.  Exits non-zero if any check fails.
#
#   tests/userspace/test-assembly.sh [PREFIX]
#
# PREFIX defaults to $AUDIT_PREFIX, else the prefix of $AUDIT_USERSPACE
# (3.0.9 or 4.2.1; scripts/audit-userspace.sh).
# Needs no root and no audit-capable kernel: it works on a generated log
# file, and checks libaudit's netlink reply handling by interposing
# recvfrom() in a small C helper (built with cc, if there is one).
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
AUSEARCH=$P/sbin/ausearch
AUDITCTL=$P/sbin/auditctl

# check DESCRIPTION OUTPUT-FILE COMMAND...: the command's status is the
# verdict; the file is shown when it fails
check() {
	local d=$1 o=$2; shift 2
	if "$@"; then ok "$d"; else not_ok "$d" "$(cat "$o" 2>/dev/null)"; fi
}

# ---------------------------------------------------------------------------
# Sample log, raw format as auditd writes it.  Serial 42 is what the kernel
# logs for "echo 123456 > /proc/100/audit_containerid": the CONTAINER_OP
# comes first (logged by the write itself), SYSCALL/PROCTITLE at exit.
LOG=$T/sample.log
cat >"$LOG" <<'EOF'
type=CONTAINER_OP msg=audit(1700000000.123:42): op=set opid=100 contid=123456 old-contid=-1 res=1
type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=1 success=yes exit=7 a0=3 a1=55d0c0a3e2a0 a2=7 a3=0 items=0 ppid=90 pid=99 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)
type=PROCTITLE msg=audit(1700000000.123:42): proctitle=2F62696E2F62617368
type=CONTAINER_ID msg=audit(1700000001.000:43): record=1 contid=123456
type=SYSCALL msg=audit(1700000001.000:43): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c0a3e2a0 a1=55d0c0a3e300 a2=55d0c0a3e310 a3=0 items=2 ppid=99 pid=100 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="true" exe="/usr/bin/true" subj=unconfined key=(null) record=1
type=SET_CAPCONTID msg=audit(1700000002.500:44): opid=100 capcontid=1 old-capcontid=0
type=SYSCALL msg=audit(1700000002.500:44): arch=c000003e syscall=1 success=yes exit=2 a0=3 a1=55d0c0a3e2a0 a2=2 a3=0 items=0 ppid=90 pid=99 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)
type=PROCTITLE msg=audit(1700000002.500:44): proctitle=2F62696E2F62617368
type=LOGIN msg=audit(1700000010.000:45): pid=200 uid=0 subj=unconfined old-auid=4294967295 auid=0 tty=(none) old-ses=4294967295 ses=2 res=1
type=TRUSTED_APP msg=audit(1700000011.000:46): pid=100 uid=0 auid=0 ses=1 subj=unconfined msg='op=container-create oci-id="c1" engine="crun" res=success' record=1
type=CONTAINER_ID msg=audit(1700000011.000:46): record=1 contid=123456
type=CONTAINER_ID msg=audit(1700000012.000:47): record=1 contid=123456
type=USER_AVC msg=audit(1700000012.000:47): pid=100 uid=0 auid=0 ses=1 subj=unconfined msg='avc:  denied  { status } for auid=0 uid=0 gid=0 cmdline="x" scontext=a tcontext=b tclass=system' record=1
EOF

# count_events FILE: number of events ausearch printed
count_events() { grep -c '^----$' "$1" || true; }
# has_records FILE SERIAL TYPE...: every TYPE appears with that serial
has_records() {
	local f=$1 s=$2 t; shift 2
	for t in "$@"; do
		grep -q "^type=$t msg=audit([0-9.]*:$s)" "$f" || return 1
	done
}

# 1: libraries resolved from the prefix through RUNPATH --------------------
o=$T/ldd.out
: >"$o"
libs_ok=1
if [ ! -x "$AUSEARCH" ]; then
	echo "$AUSEARCH missing: run scripts/build-audit-userspace" >"$o"
	libs_ok=0
else
	for b in sbin/auditd sbin/auditctl sbin/ausearch sbin/aureport; do
		ldd "$P/$b" >>"$o" 2>&1 || libs_ok=0
		if grep -q 'not found' "$o" ||
		   grep -E 'lib(audit|auparse)\.so' "$o" | grep -vq "=> $P/lib/"; then
			libs_ok=0
		fi
	done
fi
check "tools load libaudit/libauparse from $P/lib without LD_LIBRARY_PATH" \
	"$o" test "$libs_ok" = 1

# 2: auditctl runs --------------------------------------------------------
o=$T/auditctl.out
"$AUDITCTL" -h >"$o" 2>&1 || true
check "auditctl -h runs" "$o" grep -q '^usage: auditctl' "$o"

# 3, 4: CONTAINER_OP event is one event with all three records -------------
o=$T/op.out
rc=0
"$AUSEARCH" -m CONTAINER_OP --input "$LOG" >"$o" 2>&1 || rc=$?
check "ausearch -m CONTAINER_OP is accepted and finds the event" "$o" \
	test "$rc" = 0 -a "$(count_events "$o")" -ge 1
check "CONTAINER_OP, SYSCALL and PROCTITLE of serial 42 form ONE event" "$o" \
	eval 'test "$(count_events "$o")" = 1 && test "$(grep -c "^type=" "$o")" = 3 &&
	      has_records "$o" 42 CONTAINER_OP SYSCALL PROCTITLE'

# 5: CONTAINER_ID ------------------------------------------------------------
o=$T/id.out
rc=0
"$AUSEARCH" -m CONTAINER_ID -a 43 --input "$LOG" >"$o" 2>&1 || rc=$?
check "ausearch -m CONTAINER_ID finds the event of serial 43 with its SYSCALL" "$o" \
	eval 'test "$rc" = 0 && test "$(count_events "$o")" = 1 &&
	      has_records "$o" 43 CONTAINER_ID SYSCALL'

# 6: SET_CAPCONTID also starts a syscall event -------------------------------
o=$T/cap.out
rc=0
"$AUSEARCH" -m SET_CAPCONTID --input "$LOG" >"$o" 2>&1 || rc=$?
check "SET_CAPCONTID, SYSCALL and PROCTITLE of serial 44 form ONE event" "$o" \
	eval 'test "$rc" = 0 && test "$(count_events "$o")" = 1 &&
	      test "$(grep -c "^type=" "$o")" = 3 &&
	      has_records "$o" 44 SET_CAPCONTID SYSCALL PROCTITLE'

# 7: other records below 1300 are still single-record events ---------------
o=$T/login.out
rc=0
"$AUSEARCH" -m LOGIN --input "$LOG" >"$o" 2>&1 || rc=$?
check "LOGIN (type < 1300) is still a single-record event" "$o" \
	eval 'test "$rc" = 0 && test "$(count_events "$o")" = 1 &&
	      test "$(grep -c "^type=" "$o")" = 1'

# 8: interpreted output goes through libauparse's feed ----------------------
o=$T/interp.out
rc=0
"$AUSEARCH" -i -m CONTAINER_OP --input "$LOG" >"$o" 2>&1 || rc=$?
check "ausearch -i -m CONTAINER_OP prints one event with 3 records" "$o" \
	eval 'test "$rc" = 0 && test "$(count_events "$o")" = 1 &&
	      test "$(grep -c "^type=" "$o")" = 3 && grep -q "^type=CONTAINER_OP " "$o"'

# 9-12: library-level checks through a small C helper ----------------------
CC=${CC:-cc}
if ! command -v "$CC" >/dev/null 2>&1 || [ ! -f "$P/include/libaudit.h" ]; then
	for d in "libaudit names the contid/DM record types" \
		 "libaudit delivers CONTAINER_OP/SET_CAPCONTID payloads (adjust_reply)" \
		 "libauparse (file source) assembles serial 42 as one event" \
		 "libauparse (feed source) assembles serial 42 as one event" \
		 "libauparse (buffer source, as auditd uses it) returns a lone CONTAINER_OP" \
		 "libauparse (file source) keeps a user record with its CONTAINER_ID" \
		 "libauparse (feed source) keeps a user record with its CONTAINER_ID"; do
		skip "$d" "no C compiler or no headers in $P/include"
	done
else
cat >"$T/helper.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libaudit.h>
#include <auparse.h>

/*
 * Interpose recvfrom() so that audit_get_reply() "receives" a message
 * from the kernel (nl_pid 0) of type fake_type: this runs libaudit's
 * adjust_reply() without needing a kernel that emits the record.
 */
static int fake_type;
static const char *fake_text;

ssize_t recvfrom(int fd, void *buf, size_t len, int flags,
		 struct sockaddr *src, socklen_t *alen)
{
	struct nlmsghdr *nlh = buf;
	size_t tl = strlen(fake_text) + 1;

	(void)fd; (void)flags;
	if (NLMSG_SPACE(tl) > len)
		return -1;
	memset(buf, 0, NLMSG_SPACE(tl));
	nlh->nlmsg_len = NLMSG_LENGTH(tl);
	nlh->nlmsg_type = fake_type;
	memcpy(NLMSG_DATA(nlh), fake_text, tl);
	if (src && alen) {
		struct sockaddr_nl *nl = (struct sockaddr_nl *)src;
		memset(nl, 0, sizeof(*nl));
		nl->nl_family = AF_NETLINK;
		*alen = sizeof(*nl);
	}
	return NLMSG_SPACE(tl);
}

static int names(void)
{
	static const struct { int t; const char *n; } tab[] = {
		{ 1020, "CONTAINER_OP" }, { 1022, "SET_CAPCONTID" },
		{ 1338, "DM_CTRL" }, { 1339, "DM_EVENT" },
		{ 1340, "CONTAINER_ID" }, { 1336, "URINGOP" },
	};
	int bad = 0;
	unsigned i;

	for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		const char *n = audit_msg_type_to_name(tab[i].t);
		int t = audit_name_to_msg_type(tab[i].n);

		printf("%d -> %s, %s -> %d\n", tab[i].t, n ? n : "(null)",
		       tab[i].n, t);
		if (!n || strcmp(n, tab[i].n) || t != tab[i].t)
			bad = 1;
	}
	/* SIGNAL_INFO2 is a control message: no name, like SIGNAL_INFO */
	if (audit_msg_type_to_name(1021)) {
		printf("1021 unexpectedly has a name\n");
		bad = 1;
	}
	if (AUDIT_CONTAINER_OP != 1020 || AUDIT_SIGNAL_INFO2 != 1021 ||
	    AUDIT_SET_CAPCONTID != 1022 || AUDIT_CONTAINER_ID != 1340 ||
	    AUDIT_CONTID != 27 || AUDIT_FEATURE_BITMAP_CONTAINERID != 0x80) {
		printf("libaudit.h constants wrong\n");
		bad = 1;
	}
	return bad;
}

static int netlink(void)
{
	static const int types[] = { 1020, 1022 };
	struct audit_reply rep;
	int bad = 0;
	unsigned i;

	fake_text = "audit(1700000000.123:42): op=set opid=100 contid=123456 old-contid=-1";
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int rc;

		fake_type = types[i];
		memset(&rep, 0, sizeof(rep));
		rc = audit_get_reply(0, &rep, GET_REPLY_BLOCKING, 0);
		printf("type %d: rc=%d rep.type=%d message=%s\n", types[i], rc,
		       rep.type, rep.message ? rep.message : "(null)");
		if (rc <= 0 || rep.type != types[i] || rep.message == NULL ||
		    strncmp(rep.message, "audit(", 6))
			bad = 1;
	}
	return bad;
}

static void print_event(auparse_state_t *au)
{
	const au_event_t *e = auparse_get_timestamp(au);
	unsigned n = auparse_get_num_records(au);
	const char *sep = "";

	printf("serial=%lu records=%u types=", e ? e->serial : 0UL, n);
	if (auparse_first_record(au) > 0) {
		do {
			printf("%s%s", sep, auparse_get_type_name(au));
			sep = ",";
		} while (auparse_next_record(au) > 0);
	}
	printf("\n");
}

static void feed_cb(auparse_state_t *au, auparse_cb_event_t t, void *d)
{
	(void)d;
	if (t == AUPARSE_CB_EVENT_READY)
		print_event(au);
}

int main(int argc, char **argv)
{
	auparse_state_t *au;

	if (argc == 2 && !strcmp(argv[1], "names"))
		return names();
	if (argc == 2 && !strcmp(argv[1], "netlink"))
		return netlink();
	if (argc == 3 && !strcmp(argv[1], "file")) {
		au = auparse_init(AUSOURCE_FILE, argv[2]);
		if (!au)
			return 2;
		while (auparse_next_event(au) > 0)
			print_event(au);
		auparse_destroy(au);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "feed")) {
		char line[8192];
		FILE *f = fopen(argv[2], "r");

		au = auparse_init(AUSOURCE_FEED, NULL);
		if (!f || !au)
			return 2;
		auparse_add_callback(au, feed_cb, NULL, NULL);
		while (fgets(line, sizeof(line), f))
			auparse_feed(au, line, strlen(line));
		auparse_flush_feed(au);
		auparse_destroy(au);
		fclose(f);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "buffer")) {
		/* what auditd's ENRICHED log format does with each record
		 * (it appends the newline, as the caller must here) */
		au = auparse_init(AUSOURCE_BUFFER, argv[2]);
		if (!au)
			return 2;
		if (auparse_first_record(au) <= 0)
			return 1;
		print_event(au);
		auparse_destroy(au);
		return 0;
	}
	fprintf(stderr, "usage: helper names|netlink|file LOG|feed LOG|buffer TEXT\n");
	return 2;
}
EOF
	o=$T/cc.out
	if ! "$CC" -Wall -o "$T/helper" "$T/helper.c" -I"$P/include" \
		-L"$P/lib" -Wl,-rpath,"$P/lib" -lauparse -laudit >"$o" 2>&1; then
		for d in names netlink file feed user-file user-feed buffer; do
			not_ok "C helper ($d) builds against $P" "$(cat "$o")"
		done
	else
		o=$T/names.out
		check "libaudit names the contid/DM record types" "$o" \
			eval '"$T/helper" names >"$o" 2>&1'
		o=$T/netlink.out
		check "libaudit delivers CONTAINER_OP/SET_CAPCONTID payloads (adjust_reply)" "$o" \
			eval '"$T/helper" netlink >"$o" 2>&1'
		want="serial=42 records=3 types=CONTAINER_OP,SYSCALL,PROCTITLE"
		o=$T/file.out
		"$T/helper" file "$LOG" >"$o" 2>&1 || true
		check "libauparse (file source) assembles serial 42 as one event" "$o" \
			eval 'grep -qx "$want" "$o" && test "$(grep -c "^serial=42 " "$o")" = 1 &&
			      grep -qx "serial=44 records=3 types=SET_CAPCONTID,SYSCALL,PROCTITLE" "$o"'
		o=$T/feed.out
		"$T/helper" feed "$LOG" >"$o" 2>&1 || true
		check "libauparse (feed source) assembles serial 42 as one event" "$o" \
			eval 'grep -qx "$want" "$o" && test "$(grep -c "^serial=42 " "$o")" = 1 &&
			      grep -qx "serial=44 records=3 types=SET_CAPCONTID,SYSCALL,PROCTITLE" "$o"'
		# A labelled task's user record and its CONTAINER_ID, in either
		# order (the kernel logs it after; v11 logged it before).
		for src in file feed; do
			o=$T/user-$src.out
			"$T/helper" "$src" "$LOG" >"$o" 2>&1 || true
			check "libauparse ($src source) keeps a user record with its CONTAINER_ID" "$o" \
				eval 'grep -qx "serial=46 records=2 types=TRUSTED_APP,CONTAINER_ID" "$o" &&
				      grep -qx "serial=47 records=2 types=CONTAINER_ID,USER_AVC" "$o"'
		done
		o=$T/buffer.out
		"$T/helper" buffer "$(head -n 1 "$LOG")"$'\n' >"$o" 2>&1 || true
		check "libauparse (buffer source, as auditd uses it) returns a lone CONTAINER_OP" "$o" \
			grep -qx "serial=42 records=1 types=CONTAINER_OP" "$o"
	fi
fi

tap_done 15
