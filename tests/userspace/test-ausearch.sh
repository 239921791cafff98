#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-ausearch.sh - host checks of "ausearch --contid", of the
# interpretation of the contid fields ("ausearch -i") and of the
# normalizer ("ausearch --format text/csv") in the audit userspace (3.0.9 or 4.2.1)
# built by scripts/build-audit-userspace (patches 0005 and 0006 in
# userspace/audit-3.0.9).
#
# Prints TAP.  Exits non-zero if any check fails.
#
#   tests/userspace/test-ausearch.sh [PREFIX]
#
# PREFIX defaults to $AUDIT_PREFIX, else the prefix of $AUDIT_USERSPACE
# (3.0.9 or 4.2.1; scripts/audit-userspace.sh).
# Needs no root and no audit-capable kernel: it searches a generated log
# in the raw format auditd writes, with the records our kernel emits.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
AUSEARCH=$P/sbin/ausearch

# ---------------------------------------------------------------------------
# The log.  Serials:
#  201  "echo 123456 > /proc/1234/audit_containerid" by a shell without a
#       contid: CONTAINER_OP (logged by the write itself), SYSCALL,
#       PROCTITLE, EOE; old-contid=-1
#  202  an open by a task of container 123456: SYSCALL record=1,
#       CONTAINER_ID record=1, CWD, PATH, PATH, PROCTITLE, EOE
#  203  set of a second container, 654321; old-contid in its other unset
#       form 18446744073709551615
#  204  an open in container 654321, CONTAINER_ID first as v11 logged it
#  205  the same open by a task without a contid: no record=, no CONTAINER_ID
#  206  runc, in container 200 nested in 100, sets 300 on its child: the
#       writer's own CONTAINER_ID (record=1) and old-contid=200,^100
#  207  an open by the child: contid=300,^200,100
#  208  the drop record (death certificate) of 123456, alone: contid=-1
#  209  a refused set (res=0, EEXIST) of 777 on the child: old-contid is the
#       child's chain 300,^200,^100
#  210  the drop of 654321 with contid=18446744073709551615
#  211  a set in the v11 format, without res=: old-contid is the last field
#       and its last element (1) ends the line
LOG=$T/audit.log
S='ppid=1100 pid=1200 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1'
W='arch=c000003e syscall=1 success=yes exit=7 a0=1 a1=55d0c0a3e2a0 a2=7 a3=0 items=0'
O='arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1c2e4f10 a2=241 a3=1b6 items=2'
PERL='comm="perl" exe="/usr/bin/perl" subj=unconfined key="tmpcontainerid"'
BASH='comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)'
RUNC='comm="runc" exe="/usr/sbin/runc" subj=unconfined key=(null)'
P0='item=0 name="/tmp/" inode=2 dev=00:1f mode=041777 ouid=0 ogid=0 rdev=00:00 nametype=PARENT cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0'
P1='item=1 name="/tmp/tmpcontainerid" inode=17 dev=00:1f mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL cap_fp=0 cap_fi=0 cap_fe=0 cap_fver=0 cap_frootid=0'
PT='proctitle=7065726C002D65006F70656E'
# open_event STAMP PID RECORD CONTID [v11]: the records of an open(2) in
# /tmp; RECORD ("record=1" or "") ends the SYSCALL record, a CONTAINER_ID
# record follows it if CONTID is not empty (precedes it with "v11", the
# order v11 kernels logged them in)
open_event() {
	local a=$1 pid=$2 rec=$3 id=$4 v11=${5:-}
	local cid="type=CONTAINER_ID msg=audit($a): record=1 contid=$id"
	[ -z "$v11" ] || echo "$cid"
	echo "type=SYSCALL msg=audit($a): $O ${S/pid=1200/pid=$pid} $PERL${rec:+ $rec}"
	[ -z "$id" ] || [ -n "$v11" ] || echo "$cid"
	echo "type=CWD msg=audit($a): cwd=\"/root\""
	echo "type=PATH msg=audit($a): $P0"
	echo "type=PATH msg=audit($a): $P1"
	echo "type=PROCTITLE msg=audit($a): $PT"
	echo "type=EOE msg=audit($a): "
}
{
	a=1700000000.100:201
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=1234 contid=123456 old-contid=-1 res=1"
	echo "type=SYSCALL msg=audit($a): $W $S $BASH"
	echo "type=PROCTITLE msg=audit($a): proctitle=\"-bash\""
	echo "type=EOE msg=audit($a): "
	open_event 1700000001.200:202 1234 record=1 123456
	a=1700000002.300:203
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=2000 contid=654321 old-contid=18446744073709551615 res=1"
	echo "type=SYSCALL msg=audit($a): $W $S $BASH"
	echo "type=PROCTITLE msg=audit($a): proctitle=\"-bash\""
	echo "type=EOE msg=audit($a): "
	open_event 1700000003.400:204 2000 record=1 654321 v11
	open_event 1700000004.500:205 2500 "" ""
	a=1700000005.600:206
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=3000 contid=300 old-contid=200,^100 res=1"
	echo "type=SYSCALL msg=audit($a): $W ${S/pid=1200/pid=2950} $RUNC record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=200,^100"
	echo "type=PROCTITLE msg=audit($a): proctitle=\"runc\""
	echo "type=EOE msg=audit($a): "
	open_event 1700000006.700:207 3000 record=1 '300,^200,100'
	echo "type=CONTAINER_OP msg=audit(1700000010.000:208): op=drop opid=1234 contid=-1 old-contid=123456 res=1"
	a=1700000011.100:209
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=3000 contid=777 old-contid=300,^200,^100 res=0"
	echo "type=SYSCALL msg=audit($a): ${W/success=yes exit=7/success=no exit=-17} ${S/pid=1200/pid=2950} $RUNC record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=200,^100"
	echo "type=PROCTITLE msg=audit($a): proctitle=\"runc\""
	echo "type=EOE msg=audit($a): "
	echo "type=CONTAINER_OP msg=audit(1700000020.000:210): op=drop opid=2000 contid=18446744073709551615 old-contid=654321 res=1"
	a=1700000030.000:211
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=4000 contid=888 old-contid=4,^2,^1"
	echo "type=SYSCALL msg=audit($a): $W $S $BASH"
	echo "type=EOE msg=audit($a): "
	# audit-contid-runtime's mapping record, sent once its process is in
	# container 555: the name 'web 1"-\u00e9' and the pod in hex
	a=1700000040.000:212
	echo "type=TRUSTED_APP msg=audit($a): pid=1300 uid=0 auid=1000 ses=3 subj=unconfined msg='op=container-create oci-id=\"c555\" engine=\"containerd\" container-name=7765622031222DC3A9 image=\"bb:1\" pod=6D7920706F64 pod-namespace=\"shop\" pod-uid=\"0b1c\" res=success' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=555"
} >"$LOG"

# serials ARGS...: the serials of the events "ausearch --input LOG ARGS"
# prints, sorted, on one line
serials() {
	"$AUSEARCH" --input "$LOG" "$@" 2>&1 | grep -o 'msg=audit([0-9.]*:[0-9]*)' |
		sed 's/.*://; s/)//' | sort -un | tr '\n' ' ' | sed 's/ $//'
}
# run ARGS...: "RC:OUTPUT" of ausearch on the log
run() {
	local out rc=0
	out=$("$AUSEARCH" --input "$LOG" "$@" 2>&1) || rc=$?
	printf '%s:%s' "$rc" "$out"
}

# 1: the log is read whole ------------------------------------------------
is "$(serials)" "201 202 203 204 205 206 207 208 209 210 211 212" \
	"ausearch reads all 12 events of the log"

# 2-3: by record type name ----------------------------------------------------
is "$(serials -m CONTAINER_OP)" "201 203 206 208 209 210 211" \
	"-m CONTAINER_OP: the sets and the drops"
is "$(serials -m CONTAINER_ID)" "202 204 206 207 209 212" \
	"-m CONTAINER_ID: the events of labelled tasks"

# 4-18: --contid ---------------------------------------------------------------
is "$(serials --contid 123456)" "201 202 208" \
	"--contid 123456: its set (contid), its task's open (CONTAINER_ID), its drop (old-contid)"
is "$(serials --contid 654321)" "203 204 210" \
	"--contid 654321: the second container's set, open and drop"
is "$(serials --contid 300)" "206 207 209" \
	"--contid 300: contid of a set, first element of a CONTAINER_ID and an old-contid list"
is "$(serials --contid 200)" "206 207 209" \
	"--contid 200: first element of a list and ^-marked middle element"
is "$(serials --contid 100)" "206 207 209" \
	"--contid 100: the LAST element of lists, marked (^100) or not (,100)"
is "$(serials --contid 1)" "211" \
	"--contid 1: last element of an old-contid list that ends the record"
is "$(serials --contid 2)" "211" "--contid 2: middle element of that list"
is "$(serials --contid 777)" "209" "--contid 777: the contid of a refused set"
is "$(serials --contid 123456 --contid 300)" "201 202 206 207 208 209" \
	"two --contid options: the union of their events"
is "$(serials --contid 654321 --contid 777 --contid 424242)" "203 204 209 210" \
	"three --contid options, one of them naming no event"
is "$(serials --contid unset)" "201 203 208 210" \
	"--contid unset: old-contid/contid -1 and 18446744073709551615"
is "$(serials --contid -1)" "201 203 208 210" "--contid -1 is unset"
is "$(serials --contid 18446744073709551615)" "201 203 208 210" \
	"--contid 18446744073709551615 is unset"
is "$(serials --contid 123456 -m CONTAINER_OP)" "201 208" \
	"--contid with -m CONTAINER_OP: only its set and drop"
is "$(serials --contid 0123456)" "201 202 208" "--contid with leading zeros"

# 19-20: no match ------------------------------------------------------------
is "$(run --contid 424242)" "1:<no matches>" \
	"an id no event names: <no matches>, exit 1"
is "$(run --contid 12345)" "1:<no matches>" \
	"a prefix of an id (12345 of 123456) is not a match"

# 21-26: bad values ------------------------------------------------------------
for v in abc 12x -2 '' 18446744073709551616; do
	is "$(run --contid "$v")" \
		"1:Container id must be a number below 2^64 or unset, was $v" \
		"--contid '$v' is refused with a message"
done
is "$(run --contid)" "1:Argument is required for --contid" \
	"--contid without a value is refused"

# 27-28: usage and man page ----------------------------------------------------
usage=$("$AUSEARCH" --help 2>&1 || true)
if grep -q -- '--contid <container id>' <<<"$usage"; then
	ok "ausearch --help lists --contid"
else
	not_ok "ausearch --help lists --contid" "$usage"
fi
man=$P/share/man/man8/ausearch.8
if [ -f "$man" ] && grep -q -- '^\.BR \\-\\-contid ' "$man"; then
	ok "ausearch.8 documents --contid"
else
	not_ok "ausearch.8 documents --contid" "$(ls -l "$man" 2>&1)"
fi

# 29-35: -i ----------------------------------------------------------------------
interp=$("$AUSEARCH" --input "$LOG" -i -m CONTAINER_OP,CONTAINER_ID 2>&1 || true)
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:20.100:201) : op=set opid=1234 contid=123456 old-contid=unset res=yes " \
	"-i: old-contid=-1 reads old-contid=unset"
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:22.300:203) : op=set opid=2000 contid=654321 old-contid=unset res=yes " \
	"-i: old-contid=18446744073709551615 reads old-contid=unset"
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:30.000:208) : op=drop opid=1234 contid=unset old-contid=123456 res=yes " \
	"-i: the drop record's contid=-1 reads contid=unset"
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:40.000:210) : op=drop opid=2000 contid=unset old-contid=654321 res=yes " \
	"-i: contid=18446744073709551615 reads contid=unset"
has "$interp" "type=CONTAINER_ID msg=audit(11/14/23 22:13:26.700:207) : record=1 contid=300,^200,100 " \
	"-i: CONTAINER_ID keeps contid=300,^200,100 whole"
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:31.100:209) : op=set opid=3000 contid=777 old-contid=300,^200,^100 res=no " \
	"-i: CONTAINER_OP keeps old-contid=300,^200,^100 whole, res=0 reads no"
has "$interp" "type=CONTAINER_OP msg=audit(11/14/23 22:13:50.000:211) : op=set opid=4000 contid=888 old-contid=4,^2,^1 " \
	"-i: a list at the end of the record stays whole"

# 36-38: the names of a container's mapping record -------------------------------
# auparse decodes an unquoted hex value of a field it does not know: the
# runtime's names need no patch of their own.
# The subject before msg= is left out: audit 4.x also names uid and auid.
names=$("$AUSEARCH" --input "$LOG" -i -m TRUSTED_APP 2>&1 || true)
names=$(sed "s/ : pid=1300 .* msg='/ : msg='/" <<<"$names")
has "$names" "type=TRUSTED_APP msg=audit(11/14/23 22:14:00.000:212) : msg='op=container-create oci-id=c555 engine=containerd container-name=web 1\"-é image=bb:1 pod=my pod pod-namespace=shop pod-uid=0b1c res=success' record=1 " \
	"-i: a mapping record's hex-logged names read as the names"
is "$(serials --contid 555)" "212" "--contid 555 finds the container's mapping record"
is "$(serials -m TRUSTED_APP)" "212" "-m TRUSTED_APP finds it by its type"

# 39-44: the normalizer ----------------------------------------------------------
text=$("$AUSEARCH" --input "$LOG" --format text 2>&1 || true)
has "$text" "At 22:13:20 11/14/23 root successfully changed-container-id-to 123456 using bash" \
	"--format text: a set reads changed-container-id-to <contid>"
has "$text" "At 22:13:31 11/14/23 root unsuccessfully changed-container-id-to 777 using /usr/sbin/runc" \
	"--format text: a refused set reads unsuccessfully"
has "$text" "At 22:13:30 11/14/23  successfully changed-container-id-to unset " \
	"--format text: the drop reads changed-container-id-to unset"
has "$text" "At 22:13:21 11/14/23 root successfully opened-file /tmp/tmpcontainerid using perl" \
	"--format text: a labelled task's open is still an open"
csv=$("$AUSEARCH" --input "$LOG" --format csv --extra-keys 2>&1 || true)
has "$csv" ",CONTAINER_OP,11/14/23,22:13:20,201,configuration,1,root,root,privileged-acct,changed-container-id-to,success,123456,1234,process,bash," \
	"--format csv: a set is a configuration event, object contid and opid"
has "$csv" ",CONTAINER_ID,11/14/23,22:13:23,204,audit-rule,1,root,root,privileged-acct,opened-file,success,/tmp/tmpcontainerid,17,file,perl,tmpcontainerid" \
	"--format csv: an event that starts with CONTAINER_ID keeps its syscall's kind"

tap_done 44
