#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-aureport.sh - host checks of "aureport --contid", the report of the
# events per audit container id, in the audit userspace (3.0.9 or 4.2.1) built by
# scripts/build-audit-userspace (patch 0009 in userspace/audit-3.0.9).
#
# Prints TAP.  Exits non-zero if any check fails.
#
#   tests/userspace/test-aureport.sh [PREFIX]
#
# PREFIX defaults to $AUDIT_PREFIX, else the prefix of $AUDIT_USERSPACE
# (3.0.9 or 4.2.1; scripts/audit-userspace.sh).
# Needs no root and no audit-capable kernel: it reports on generated logs
# in the raw format auditd writes, with the records our kernel emits.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
AUREPORT=$P/sbin/aureport
AUSEARCH=$P/sbin/ausearch

# ---------------------------------------------------------------------------
# The log (times are 11/14/23 22:13:SS UTC, SS = 20 + the stamp's last
# digit before the dot).  Serials:
#  201 :20  a shell without a contid sets 123456 on pid 1234
#  202 :21  an open by a task of 123456 that fails (success=no)
#  203 :22  an open by a task of 123456
#  204 :23  the runtime's mapping record of 123456 (TRUSTED_APP, quoted
#           names) and its CONTAINER_ID
#  205 :24  set of 654321
#  206 :25  an open in 654321
#  207 :26  the mapping record of 654321, its name in hex: web "1"
#  208 :27  a failed open by a task of 4 nested in 2 in 1: 4,^2,^1
#  209 :28  a packet that went to containers 12 and 13, both nested in 11
#  210 :29  an open by a task without a contid
#  211 :30  a refused set (res=0) of 777
#  212 :40  the drop record of 123456, alone
LOG=$T/audit.log
S='ppid=1100 pid=1200 auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1'
W='arch=c000003e syscall=1 success=yes exit=7 a0=1 a1=55d0c0a3e2a0 a2=7 a3=0 items=0'
O='arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1c2e4f10 a2=241 a3=1b6 items=0'
F='arch=c000003e syscall=257 success=no exit=-13 a0=ffffff9c a1=7ffd1c2e4f10 a2=241 a3=1b6 items=0'
CAT='comm="cat" exe="/usr/bin/cat" subj=unconfined key="k"'
BASH='comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)'
# event NODE STAMP SYSCALL-FIELDS CONTID: a syscall event of a task in
# CONTID ("" for none), node= prefixed if NODE is set
event() {
	local pre=${1:+node=$1 } a=$2 sc=$3 id=$4
	echo "${pre}type=SYSCALL msg=audit($a): $sc $S $CAT${id:+ record=1}"
	[ -z "$id" ] || echo "${pre}type=CONTAINER_ID msg=audit($a): record=1 contid=$id"
	echo "${pre}type=PROCTITLE msg=audit($a): proctitle=\"cat\""
	echo "${pre}type=EOE msg=audit($a): "
}
# mapping STAMP CONTID NAMES: a runtime's mapping record
mapping() {
	echo "type=TRUSTED_APP msg=audit($1): pid=812 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=container-create oci-id=\"3f9ce1\" $3 res=success' record=1"
	echo "type=CONTAINER_ID msg=audit($1): record=1 contid=$2"
}
{
	a=1700000000.100:201
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=1234 contid=123456 old-contid=-1 res=1"
	echo "type=SYSCALL msg=audit($a): $W $S $BASH"
	echo "type=EOE msg=audit($a): "
	event "" 1700000001.200:202 "$F" 123456
	event "" 1700000002.300:203 "$O" 123456
	mapping 1700000003.400:204 123456 'engine="docker" container-name="web-94" image="busybox-static:1"'
	a=1700000004.500:205
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=2000 contid=654321 old-contid=-1 res=1"
	echo "type=SYSCALL msg=audit($a): $W $S $BASH"
	echo "type=EOE msg=audit($a): "
	event "" 1700000005.600:206 "$O" 654321
	mapping 1700000006.700:207 654321 'engine="containerd" container-name=77656220223122 image="bb:1"'
	event "" 1700000007.800:208 "$F" '4,^2,^1'
	a=1700000008.900:209
	echo "type=NETFILTER_PKT msg=audit($a): mark=0x12345555 saddr=127.0.0.1 daddr=127.0.0.1 proto=1 record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=12,^11,13,^11"
	event "" 1700000009.000:210 "$O" ""
	a=1700000010.000:211
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=3000 contid=777 old-contid=-1 res=0"
	echo "type=SYSCALL msg=audit($a): ${W/success=yes exit=7/success=no exit=-17} $S $BASH"
	echo "type=EOE msg=audit($a): "
	echo "type=CONTAINER_OP msg=audit(1700000020.000:212): op=drop opid=1234 contid=-1 old-contid=123456 res=1"
} >"$LOG"

# Two nodes (auditd's name_format): 123456 on alpha and on beta
NLOG=$T/nodes.log
{
	event alpha 1700000100.000:301 "$O" 123456
	event beta 1700000101.000:301 "$F" 123456
	event beta 1700000102.000:302 "$O" 123456
} >"$NLOG"

# No contid anywhere
PLOG=$T/plain.log
event "" 1700000000.000:100 "$O" "" >"$PLOG"

# report [-if FILE] ARGS...: "RC:OUTPUT" of aureport (LOG by default)
report() {
	local f=$LOG out rc=0
	if [ "$1" = -if ]; then f=$2; shift 2; fi
	out=$("$AUREPORT" -if "$f" "$@" 2>&1) || rc=$?
	printf '%s:%s' "$rc" "$out"
}
# rows OUTPUT: the report's numbered (or, for summaries, counted) lines
rows() { grep -E '^[0-9]' <<<"${1#*:}" || true; }

D='11/14/23 22:13'
HDR='# contid node events failed first last engine name image'
SHDR='total  contid  node  name'

# 1-9: the report ------------------------------------------------------------
ROWS="1. 123456 ? 5 1 $D:20 $D:40 docker web-94 busybox-static:1
2. 654321 ? 3 0 $D:24 $D:26 containerd web \"1\" bb:1
3. 4 ? 1 1 $D:27 $D:27 ? ? ?
4. 12 ? 1 0 $D:28 $D:28 ? ? ?
5. 13 ? 1 0 $D:28 $D:28 ? ? ?
6. 777 ? 1 1 $D:30 $D:30 ? ? ?"
SUMROWS="5  123456  ?  web-94
3  654321  ?  web \"1\"
1  4  ?  ?
1  12  ?  ?
1  13  ?  ?
1  777  ?  ?"

out=$(report --contid)
is "${out%%:*}" 0 "aureport --contid exits 0"
has "$out" "Container ID Report" "title"
has "$out" "$HDR" "column header"
is "$(rows "$out")" "$ROWS" "the whole table, rows by first event"
has "$out" "1. 123456 ? 5 1 $D:20 $D:40 docker web-94 busybox-static:1" \
	"123456: set, 2 opens (1 failed), mapping and drop; first and last time; quoted names"
has "$out" "2. 654321 ? 3 0 $D:24 $D:26 containerd web \"1\" bb:1" \
	"654321: a hex container-name reads decoded"
has "$out" "3. 4 ? 1 1 $D:27 $D:27 ? ? ?" \
	"a nested chain 4,^2,^1 counts for 4, failed, no names known"
if [ -z "$(rows "$out")" ] || rows "$out" | grep -qE '^[0-9]+\. (2|1|11) '; then
	not_ok "the containers a task or packet is nested in (^) get no row" "$out"
else
	ok "the containers a task or packet is nested in (^) get no row"
fi
has "$out" "6. 777 ? 1 1 $D:30 $D:30 ? ? ?" \
	"a refused set (res=0) counts, failed, for the contid it sets"

# 10-11: a packet, and an event without a contid -----------------------------
is "$(rows "$out" | grep -cE '^[45]\. 1[23] \? 1 0 ')" 2 \
	"a packet listing 12 and 13 counts once for each"
is "$(rows "$out" | awk '{ n += $4 } END { print n }')" 12 \
	"the events of the rows add up (the contid-less open 210 is in none)"

# 12-15: --summary ------------------------------------------------------------
out=$(report --contid --summary)
has "$out" "Container ID Summary Report" "--summary: title"
has "$out" "$SHDR" "--summary: column header"
is "$(rows "$out")" "$SUMROWS" \
	"--summary: sorted by events, then by first event; the name if known"
is "$(rows "$(report --summary --contid)")" "$SUMROWS" \
	"--summary before --contid: the same"

# 16-18: time and outcome selection -------------------------------------------
out=$(report --contid --start 11/14/23 22:13:25)
is "$(rows "$out")" "1. 654321 ? 2 0 $D:25 $D:26 containerd web \"1\" bb:1
2. 4 ? 1 1 $D:27 $D:27 ? ? ?
3. 12 ? 1 0 $D:28 $D:28 ? ? ?
4. 13 ? 1 0 $D:28 $D:28 ? ? ?
5. 777 ? 1 1 $D:30 $D:30 ? ? ?
6. 123456 ? 1 0 $D:40 $D:40 ? ? ?" \
	"--start narrows the events (123456's mapping record is before it: no names)"
out=$(report --contid --end 11/14/23 22:13:22)
is "$(rows "$out")" "1. 123456 ? 3 1 $D:20 $D:22 ? ? ?" \
	"--end narrows the events (the mapping record is after it)"
out=$(report --contid --failed)
is "$(rows "$out")" "1. 123456 ? 1 1 $D:21 $D:21 docker web-94 busybox-static:1
2. 4 ? 1 1 $D:27 $D:27 ? ? ?
3. 777 ? 1 1 $D:30 $D:30 ? ? ?" "--failed: only the failed events"

# 19-21 -------------------------------------------------------------------------
out=$(report --contid --success --summary)
has "$out" "Success Container ID Summary Report" "--success --summary: title"
is "$(rows "$out")" "4  123456  ?  web-94
3  654321  ?  web \"1\"" \
	"--success --summary: only the successful events (a packet has no outcome)"
is "$(rows "$(report --contid -i)")" "$ROWS" \
	"-i: the same table (nothing in it is a number to interpret)"

# 22-25: nodes --------------------------------------------------------------------
out=$(report -if "$NLOG" --contid)
is "$(rows "$out")" "1. 123456 alpha 1 0 11/14/23 22:15:00 11/14/23 22:15:00 ? ? ?
2. 123456 beta 2 1 11/14/23 22:15:01 11/14/23 22:15:02 ? ? ?" \
	"the same contid on two nodes: two rows, the node shown"
out=$(report -if "$NLOG" --contid --summary)
is "$(rows "$out")" "2  123456  beta  ?
1  123456  alpha  ?" "--summary: one row per node, sorted"
out=$(report -if "$NLOG" --contid --node alpha)
is "$(rows "$out")" "1. 123456 alpha 1 0 11/14/23 22:15:00 11/14/23 22:15:00 ? ? ?" \
	"--node alpha: only that node's row"
is "$(report -if "$NLOG" --contid --start 11/14/23 22:16:00)" \
	"1:
Container ID Report
=====================================================================
$HDR
=====================================================================
<no events of interest were found>" \
	"no event in the time range: the empty report, exit 1"

# 26-27: no contid in the log -----------------------------------------------------
is "$(report -if "$PLOG" --contid)" "1:
Container ID Report
=====================================================================
$HDR
=====================================================================
<no events of interest were found>" \
	"a log without contid records: <no events of interest were found>, exit 1"
is "$(report -if "$PLOG" --contid --summary)" "0:
Container ID Summary Report
===================================
$SHDR
===================================
<no events of interest were found>" \
	"--summary of a log without contid records says so too (exit 0, as the other summaries)"

# 28-30: bad option combinations --------------------------------------------------
rc=0; err=$("$AUREPORT" -if "$LOG" --contid --key 2>&1 >/dev/null) || rc=$?
is "$rc:$err" "1:Error - only one report can be specified" \
	"--contid with another report (--key) is refused"
rc=0; err=$("$AUREPORT" -if "$LOG" -x --contid 2>&1 >/dev/null) || rc=$?
is "$rc:$err" "1:Error - only one report can be specified" \
	"another report (-x) with --contid is refused"
rc=0; err=$("$AUREPORT" -if "$LOG" --contid 123456 2>&1 >/dev/null) || rc=$?
is "$rc:$err" "1:Argument is NOT required for --contid" \
	"--contid takes no argument"

# 31-33: the mapping record is one event with its CONTAINER_ID; usage; man page --
is "$("$AUSEARCH" -if "$LOG" -a 204 2>&1 | grep -c '^type=')" 2 \
	"ausearch: a user record ending with record=1 and its CONTAINER_ID are one event"
usage=$("$AUREPORT" --help 2>&1 || true)
has "$usage" $'\t--contid\t\t\tContainer id report' "aureport --help lists --contid"
man=$P/share/man/man8/aureport.8
if [ -f "$man" ] && grep -q -- '^\.BR \\-\\-contid$' "$man"; then
	ok "aureport.8 documents --contid"
else
	not_ok "aureport.8 documents --contid" "$(ls -l "$man" 2>&1)"
fi

tap_done 33
