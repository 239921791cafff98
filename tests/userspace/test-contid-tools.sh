#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-contid-tools.sh - host checks of the contid rule field and search
# in the audit 3.0.9 userspace built by scripts/build-audit-userspace:
# libaudit's parsing of "-F contid=" (what auditctl sends the kernel, and
# each refusal), and ausearch --contid / -i on a generated log.
#
# Prints TAP.  Exits non-zero if any check fails.  Needs no root and no
# audit-capable kernel: the kernel's feature bitmap is faked by defining
# audit_get_features() in the test program, which libaudit calls through
# its PLT.  The guest tests run the same tools against the real kernel.
#
#   tests/userspace/test-contid-tools.sh [PREFIX]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
P=${1:-${AUDIT_PREFIX:-$REPO/.cache/audit-userspace}}
T=$(mktemp -d "${TMPDIR:-/tmp}/audit-contid-tools.XXXXXX")
trap 'rm -rf "$T"' EXIT
unset LD_LIBRARY_PATH
AUSEARCH=$P/sbin/ausearch

n=0
fails=0
ok()     { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
	n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $1"
	if [ -n "${2:-}" ]; then printf '%s\n' "$2" | sed 's/^/#   /'; fi
}
# is GOT WANT DESCRIPTION
is() { if [ "$1" = "$2" ]; then ok "$3"; else not_ok "$3" "got:  $1"$'\n'"want: $2"; fi; }

# ---------------------------------------------------------------------------
# libaudit: audit_rule_fieldpair_data() with "contid..."
cat >"$T/rule.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libaudit.h>

/* The kernel's feature bitmap, as the test says (interposes libaudit's). */
uint32_t audit_get_features(void)
{
	return strtoul(getenv("FAKE_FEATURES"), NULL, 0);
}

/*
 * rule LIST PAIR...: adds each field to one rule; prints, for the last,
 * the return code and the rule's state (and the 8 bytes it stored).
 */
int main(int argc, char **argv)
{
	struct audit_rule_data *rule = audit_rule_create_data();
	int flags = audit_name_to_flag(argv[1]), rc = 0, i;
	unsigned int count = 0, buflen = 0;

	/* A dir field first, so the value lands after other buffer data. */
	char dir[] = "dir=/tmp";

	if (flags == AUDIT_FILTER_EXIT &&
	    audit_rule_fieldpair_data(&rule, dir, flags))
		return 2;
	for (i = 2; i < argc; i++) {
		char *pair = strdup(argv[i]);

		count = rule->field_count;
		buflen = rule->buflen;
		rc = audit_rule_fieldpair_data(&rule, pair, flags);
		free(pair);
	}
	printf("rc=%d", rc);
	if (rc == 0) {
		unsigned int k = rule->field_count - 1;
		unsigned long long v;

		memcpy(&v, rule->buf + rule->buflen - 8, 8);
		printf(" field=%u op=%s len=%u buflen+%u value=%llu", rule->fields[k],
		       audit_operator_to_symbol(rule->fieldflags[k]),
		       rule->values[k], rule->buflen - buflen, v);
	} else {
		printf(" unchanged=%s", rule->field_count == count &&
		       rule->buflen == buflen ? "yes" : "no");
	}
	printf("\n");
	audit_rule_free_data(rule);
	return 0;
}
EOF
if ! cc -Wall -rdynamic -o "$T/rule" "$T/rule.c" -I"$P/include" -L"$P/lib" \
	-Wl,-rpath,"$P/lib" -laudit >"$T/cc.out" 2>&1; then
	not_ok "the rule test program builds against $P" "$(cat "$T/cc.out")"
else
	rule() { FAKE_FEATURES=${FEATURES:-0xff} "$T/rule" "$@"; }
	U=18446744073709551615
	is "$(rule exit contid=123459)" "rc=0 field=27 op== len=8 buflen+8 value=123459" \
		"contid=123459 on exit: 8 bytes in the buffer, after the dir"
	is "$(rule exit 'contid!=123459')" "rc=0 field=27 op=!= len=8 buflen+8 value=123459" \
		"contid!=123459"
	is "$(rule exit contid=0x1E240)" "rc=0 field=27 op== len=8 buflen+8 value=123456" \
		"hex value"
	is "$(rule exit contid=18446744073709551614)" \
		"rc=0 field=27 op== len=8 buflen+8 value=18446744073709551614" "largest settable value"
	is "$(rule exit contid=unset)" "rc=0 field=27 op== len=8 buflen+8 value=$U" "unset"
	is "$(rule exit contid=-1)" "rc=0 field=27 op== len=8 buflen+8 value=$U" "-1 is unset"
	is "$(rule user contid=7)" "rc=0 field=27 op== len=8 buflen+8 value=7" "user list"
	is "$(rule exclude msgtype=USER contid=7)" "rc=0 field=27 op== len=8 buflen+8 value=7" \
		"exclude list, after msgtype"
	# Refusals: the code auditctl turns into its message, and no change.
	is "$(FEATURES=0x7f rule exit contid=5)" "rc=-30 unchanged=yes" \
		"kernel without feature 0x80: EAU_FIELDNOSUPPORT"
	is "$(rule task contid=5)" "rc=-31 unchanged=yes" "task list: EAU_FIELDNOFILTER"
	is "$(rule filesystem contid=5)" "rc=-31 unchanged=yes" "filesystem list: EAU_FIELDNOFILTER"
	for op in '<' '>' '<=' '>=' '&' '&='; do
		is "$(rule exit "contid${op}5")" "rc=-13 unchanged=yes" "operator $op: EAU_OPEQNOTEQ"
	done
	for v in abc 12x ' 5' -2 +5 1.5; do
		is "$(rule exit "contid=$v")" "rc=-21 unchanged=yes" "value '$v': EAU_FIELDVALNUM"
	done
	is "$(rule exit contid=18446744073709551616)" "rc=-37 unchanged=yes" \
		"2^64: EAU_FIELDVALTOOBIG"
	is "$(rule exit contid=)" "rc=-20 unchanged=yes" "no value: EAU_FIELDVALMISSING"
fi

# ---------------------------------------------------------------------------
# ausearch --contid and -i
LOG=$T/audit.log
cat >"$LOG" <<'EOF'
type=CONTAINER_OP msg=audit(1700000000.100:101): op=set opid=1234 contid=123456 old-contid=-1 res=1
type=SYSCALL msg=audit(1700000000.100:101): arch=c000003e syscall=1 success=yes exit=7 a0=1 a1=55d0 a2=7 a3=0 items=0 ppid=1100 pid=1200 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)
type=PROCTITLE msg=audit(1700000000.100:101): proctitle="bash"
type=SYSCALL msg=audit(1700000001.200:102): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=1200 pid=1234 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="perl" exe="/usr/bin/perl" subj=unconfined key="tmpcontainerid" record=1
type=CONTAINER_ID msg=audit(1700000001.200:102): record=1 contid=123456
type=SYSCALL msg=audit(1700000002.000:103): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=1200 pid=1300 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="perl" exe="/usr/bin/perl" subj=unconfined key="tmpcontainerid" record=1
type=CONTAINER_ID msg=audit(1700000002.000:103): record=1 contid=300,^200,100
type=SYSCALL msg=audit(1700000003.000:104): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd a2=241 a3=1b6 items=2 ppid=1200 pid=1400 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1 comm="perl" exe="/usr/bin/perl" subj=unconfined key="tmpcontainerid"
type=CONTAINER_OP msg=audit(1700000004.000:105): op=drop opid=1234 contid=-1 old-contid=123456 res=1
type=CONTAINER_OP msg=audit(1700000005.000:106): op=set opid=1500 contid=777 old-contid=300,^200,100 res=0
EOF
# serials: the serials of the events ausearch prints for its arguments
serials() {
	"$AUSEARCH" --input "$LOG" "$@" 2>&1 | grep -o 'msg=audit([0-9.]*:[0-9]*)' |
		sed 's/.*://; s/)//' | sort -un | tr '\n' ' ' | sed 's/ $//'
}
is "$(serials --contid 123456)" "101 102 105" \
	"--contid 123456: the set, the labelled write and the drop"
is "$(serials --contid 300)" "103 106" "--contid 300: first element of a list"
is "$(serials --contid 200)" "103 106" "--contid 200: a ^-marked middle element"
is "$(serials --contid 100)" "103 106" "--contid 100: the last element of a list"
is "$(serials --contid 777)" "106" "--contid 777: the new contid of a refused set"
is "$(serials --contid 123456 --contid 100)" "101 102 103 105 106" \
	"two --contid options: the union"
is "$(serials --contid unset)" "101 105" "--contid unset: old-contid/contid -1"
out=$("$AUSEARCH" --input "$LOG" --contid 424242 2>&1) && rc=0 || rc=$?
is "$rc:$out" "1:<no matches>" "an id no event names: <no matches>, exit 1"
out=$("$AUSEARCH" --input "$LOG" --contid abc 2>&1) && rc=0 || rc=$?
is "$rc:$out" "1:Container id must be a number below 2^64 or unset, was abc" \
	"--contid abc: refused with a message"
out=$("$AUSEARCH" --input "$LOG" --contid 18446744073709551616 2>&1) && rc=0 || rc=$?
is "$rc:$out" "1:Container id must be a number below 2^64 or unset, was 18446744073709551616" \
	"--contid 2^64: refused with a message"
interp=$("$AUSEARCH" --input "$LOG" -i -m CONTAINER_OP,CONTAINER_ID 2>&1)
if grep -q 'op=set opid=1234 contid=123456 old-contid=unset res=yes' <<<"$interp"; then
	ok "-i: old-contid=-1 shows as unset"
else
	not_ok "-i: old-contid=-1 shows as unset" "$interp"
fi
if grep -q ': record=1 contid=300,^200,100 $' <<<"$interp" &&
   grep -q 'op=set opid=1500 contid=777 old-contid=300,^200,100 res=no' <<<"$interp"; then
	ok "-i: a nested list stays whole"
else
	not_ok "-i: a nested list stays whole" "$interp"
fi
if grep -q 'op=drop opid=1234 contid=unset old-contid=123456 res=yes' <<<"$interp"; then
	ok "-i: the drop record's contid=-1 shows as unset"
else
	not_ok "-i: the drop record's contid=-1 shows as unset" "$interp"
fi
text=$("$AUSEARCH" --input "$LOG" --format text -m CONTAINER_OP 2>&1)
if grep -q 'changed-container-id-to' <<<"$text"; then
	ok "--format text names the CONTAINER_OP action (normalizer)"
else
	not_ok "--format text names the CONTAINER_OP action (normalizer)" "$text"
fi

echo "1..$n"
[ "$fails" = 0 ]
