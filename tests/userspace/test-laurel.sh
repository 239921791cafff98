#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-laurel.sh - host checks of laurel 0.8.2 with the contid patch
# series (userspace/laurel-0.8.2, userspace/linux-audit-parser-0.2.7),
# built by scripts/build-laurel: the JSON it makes of our kernel's
# CONTAINER_OP, SET_CAPCONTID and CONTAINER_ID records and of the
# container runtimes' mapping records.
#
# Prints TAP.  Exits non-zero if any check fails.
#
#   tests/userspace/test-laurel.sh [LAUREL]
#
# LAUREL defaults to $LAUREL or $REPO/.cache/laurel/bin/laurel.  Needs jq
# and no audit-capable kernel: laurel reads a recorded trail on stdin, as
# auditd's plugin interface feeds it, and writes its JSON log to a scratch
# directory.  As root it also checks the cgroup-based fallback, with a
# process in a cgroup named like a docker container's; without root that
# check is skipped.
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh" "${1:-${AUDIT_PREFIX:-}}"
LAUREL=${1:-${LAUREL:-$REPO/.cache/laurel/bin/laurel}}

command -v jq >/dev/null || bail "jq is installed" "apt-get install jq"
[ -x "$LAUREL" ] || bail "laurel is built" "$LAUREL missing: run scripts/build-laurel"

# ---------------------------------------------------------------------------
# A process in a cgroup whose name holds a 64-digit container id, for the
# fallback (laurel reads the first line of /proc/PID/cgroup).
CG_ID=$(printf 'c0ffee%.0s' {1..10})abcd
CG_DIR=
SLEEPER=
cleanup_cg() {
	[ -z "$SLEEPER" ] || kill "$SLEEPER" 2>/dev/null || true
	[ -z "$SLEEPER" ] || wait "$SLEEPER" 2>/dev/null || true
	[ -z "$CG_DIR" ] || rmdir "$CG_DIR" 2>/dev/null || true
}
trap 'cleanup_cg; rm -rf "$T"' EXIT
cgroup_mount() {	# CONTROLLERS: the mount point of that hierarchy
	local c=$1
	if [ -z "$c" ]; then
		awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts
	else
		c=${c#name=}
		awk -v c="$c" '$3 == "cgroup" {
			n = split($4, o, ","); for (i = 1; i <= n; i++)
				if (o[i] == c || o[i] == "name=" c) { print $2; exit } }' /proc/self/mounts
	fi
}
if [ "$(id -u)" = 0 ]; then
	IFS=: read -r _ ctl path < <(head -n 1 /proc/self/cgroup)
	mnt=$(cgroup_mount "$ctl")
	if [ -n "$mnt" ] && mkdir "$mnt${path%/}/docker-$CG_ID.scope" 2>/dev/null; then
		CG_DIR=$mnt${path%/}/docker-$CG_ID.scope
		sleep 300 &
		SLEEPER=$!
		echo "$SLEEPER" >"$CG_DIR/cgroup.procs" 2>/dev/null || { kill "$SLEEPER"; SLEEPER=; }
	fi
fi
if [ -n "$SLEEPER" ] && head -n 1 "/proc/$SLEEPER/cgroup" | grep -q "$CG_ID"; then
	CG_PID=$SLEEPER
	CG_PPID=$(awk '{ print $4 }' "/proc/$SLEEPER/stat")
else
	CG_PID=
fi

# ---------------------------------------------------------------------------
# The trail, raw records as auditd hands them to its plugins.  Pids of the
# labelled tasks are above any pid_max, so that laurel's cgroup guess
# finds nothing for them.  Serials:
#  201  echo 123456 > /proc/.../audit_containerid by a shell without a
#       contid: CONTAINER_OP, SYSCALL, PROCTITLE, EOE
#  202  a task in container 4 nested in 2 nested in 1
#  203  a capcontid delegation
#  204  runc, in container 200 in 100, is refused a set (res=0, EEXIST):
#       old-contid is the target's chain
#   18  the mapping record of container 123456 (hex-encoded name), the
#       kernel's CONTAINER_ID after it
#   19  the mapping record of 654321 (a pod), the CONTAINER_ID before it
#   21  a packet whose netns list is split over two CONTAINER_ID records
#  205  an open in container 123456
#  206  an open in container 654321
#  207  a USER_AVC of a task in 654321 (user record, CONTAINER_ID after)
#  208  the drop of 123456, an event of its own
#  209  an open in 123456 after its drop (the id reused, not yet named)
#  210  an open with the long id of the brief's mapping example
#  211  an open by the process in the docker-named cgroup (no record=)
#  212  the same process, labelled by the kernel: the kernel wins
TRAIL=$T/trail.log
S='auid=0 uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=pts0 ses=1'
W='arch=c000003e syscall=1 success=yes exit=7 a0=1 a1=55d0c0a3e2a0 a2=7 a3=0 items=0'
O='arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=7ffd1c2e4f10 a2=241 a3=1b6 items=0'
BASH='comm="bash" exe="/usr/bin/bash" subj=unconfined key=(null)'
PERL='comm="perl" exe="/usr/bin/perl" subj=unconfined key="k"'
# open_event STAMP PID CONTID: an open(2) by a task of container CONTID
open_event() {
	echo "type=SYSCALL msg=audit($1): $O ppid=4999990 pid=$2 $S $PERL record=1"
	echo "type=CONTAINER_ID msg=audit($1): record=1 contid=$3"
	echo "type=PROCTITLE msg=audit($1): proctitle=\"perl\""
	echo "type=EOE msg=audit($1): "
}
{
	a=1700000000.100:201
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=4999991 contid=123456 old-contid=-1 res=1"
	echo "type=SYSCALL msg=audit($a): $W ppid=4999990 pid=4999992 $S $BASH"
	echo "type=PROCTITLE msg=audit($a): proctitle=\"-bash\""
	echo "type=EOE msg=audit($a): "
	open_event 1700000001.200:202 4999993 '4,^2,^1'
	a=1700000001.300:203
	echo "type=SET_CAPCONTID msg=audit($a): opid=4999994 capcontid=1 old-capcontid=0"
	echo "type=SYSCALL msg=audit($a): $W ppid=4999990 pid=4999992 $S $BASH"
	echo "type=EOE msg=audit($a): "
	a=1700000002.300:204
	echo "type=CONTAINER_OP msg=audit($a): op=set opid=4999995 contid=777 old-contid=300,^200,^100 res=0"
	echo "type=SYSCALL msg=audit($a): ${W/success=yes exit=7/success=no exit=-17} ppid=4999990 pid=4999996 $S comm=\"runc\" exe=\"/usr/sbin/runc\" subj=unconfined key=(null) record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=200,^100"
	echo "type=EOE msg=audit($a): "
	a=1700000002.400:18
	echo "type=TRUSTED_APP msg=audit($a): pid=4999997 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=container-create oci-id=\"3f9ce1\" engine=\"docker\" container-name=77656220223122 image=\"busybox-static:1\" res=success' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=123456"
	a=1700000002.500:19
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=654321"
	echo "type=TRUSTED_APP msg=audit($a): pid=4999997 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='op=container-create oci-id=\"9d0e2a\" engine=\"cri-o\" container-name=\"db\" image=\"postgres:16\" pod=\"shop-0\" pod-namespace=\"shop\" pod-uid=\"7a1b\" res=success' record=1"
	a=1700000002.502:21
	echo "type=NETFILTER_PKT msg=audit($a): mark=0x12345555 saddr=127.0.0.1 daddr=127.0.0.1 proto=1 record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 part=1 contid=2,^1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 part=2 contid=3,^1"
	open_event 1700000003.000:205 4999993 123456
	open_event 1700000003.100:206 4999998 654321
	a=1700000003.200:207
	echo "type=USER_AVC msg=audit($a): pid=4999998 uid=0 auid=0 ses=1 subj=unconfined msg='avc:  denied  { status } for auid=0 uid=0 gid=0 cmdline=\"x\" scontext=a tcontext=b tclass=system' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=654321"
	echo "type=CONTAINER_OP msg=audit(1700000003.400:208): op=drop opid=4999993 contid=-1 old-contid=123456 res=1"
	open_event 1700000003.500:209 4999993 123456
	open_event 1700000003.600:210 4999993 1208379423617412806
	if [ -n "$CG_PID" ]; then
		a=1700000003.700:211
		echo "type=SYSCALL msg=audit($a): $O ppid=$CG_PPID pid=$CG_PID $S comm=\"sleep\" exe=\"/usr/bin/sleep\" subj=unconfined key=(null)"
		echo "type=EOE msg=audit($a): "
		a=1700000003.800:212
		echo "type=SYSCALL msg=audit($a): $O ppid=$CG_PPID pid=$CG_PID $S comm=\"sleep\" exe=\"/usr/bin/sleep\" subj=unconfined key=(null) record=1"
		echo "type=CONTAINER_ID msg=audit($a): record=1 contid=654321"
		echo "type=EOE msg=audit($a): "
	fi
} >"$TRAIL"

OUT=$T/out
cat >"$T/laurel.toml" <<EOF
directory = "$OUT"
input = "stdin"
[auditlog]
file = "audit.log"
[state]
file = ""
EOF
chmod 0600 "$T/laurel.toml"
status=0
"$LAUREL" -c "$T/laurel.toml" <"$TRAIL" >"$T/laurel.out" 2>&1 || status=$?
LOGJ=$OUT/audit.log

# ev SERIAL: the event's JSON line (compact); "" if there is none
ev() { jq -c --arg s ":$1" 'select(.ID | endswith($s))' "$LOGJ" 2>/dev/null || true; }
# q SERIAL FILTER: jq FILTER on the event, compact
q() { ev "$1" | jq -c "$2" 2>&1 || true; }

# 1-3: laurel ran and read the whole trail -----------------------------------
is "$status" 0 "laurel exits 0 at the end of its input"
want="18 19 21 201 202 203 204 205 206 207 208 209 210"
[ -z "$CG_PID" ] || want="$want 211 212"
got=$(jq -r '.ID | sub(".*:"; "")' "$LOGJ" 2>/dev/null | sort | tr '\n' ' ' | sed 's/ $//')
is "$got" "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"every serial is one event: container records join their events"
errs=$(grep -E 'ERROR|WARN.*rror' "$T/laurel.out" || true)
is "$errs" "" "laurel logs no parse or coalesce error"

# 4-6: known types ----------------------------------------------------------
is "$(grep -c 'UNKNOWN\[' "$LOGJ" || true)" 0 "no UNKNOWN[...] record type in the output"
is "$(q 201 '[keys[] | select(. == "CONTAINER_OP" or . == "SYSCALL")]')" '["CONTAINER_OP","SYSCALL"]' \
	"CONTAINER_OP op=set is in its SYSCALL's event"
is "$(q 203 '.SET_CAPCONTID | map({opid, capcontid, "old-capcontid"})')" \
	'[{"opid":4999994,"capcontid":1,"old-capcontid":0}]' \
	"SET_CAPCONTID: numbers, in its SYSCALL's event"

# 7-11: contid lists: chains, nesting kept, unset as null ---------------------
is "$(q 202 '.CONTAINER_ID')" '[{"record":1,"contid":[[4,2,1]]}]' \
	"CONTAINER_ID 4,^2,^1 is one chain [[4,2,1]], record a number"
is "$(q 201 '.CONTAINER_OP | map({op, contid, "old-contid", res})')" \
	'[{"op":"set","contid":[[123456]],"old-contid":null,"res":1}]' \
	"op=set: contid a list of chains, old-contid=-1 is null"
is "$(q 204 '[.CONTAINER_OP[0].res, .CONTAINER_OP[0]["old-contid"], .SYSCALL.exit]')" \
	'[0,[[300,200,100]],-17]' \
	"a refused set: res=0, old-contid the target's chain, exit -17"
is "$(q 21 '.CONTAINER_ID')" '[{"record":1,"contid":[[2,1],[3,1]]}]' \
	"a packet's split list: two parts merged into one list, record kept"
is "$(q 208 '[keys[], .CONTAINER_OP[0].op, .CONTAINER_OP[0].contid, .CONTAINER_OP[0]["old-contid"]]')" \
	'["CONTAINER_OP","ID","drop",null,[[123456]]]' \
	"the drop is an event of its own, contid=-1 null"

# 12-17: the event's container from the kernel's record -----------------------
is "$(q 202 '.CONTAINER')" '{"contid":4,"chain":[4,2,1],"source":"kernel"}' \
	"an event in a nested container: CONTAINER contid 4, chain [4,2,1]"
is "$(q 204 '.CONTAINER | [.contid, .chain, .source]')" '[200,[200,100],"kernel"]' \
	"the refused set's writer (runc) is in 200 in 100"
is "$(q 201 '.CONTAINER // "none"')" '"none"' \
	"an event without a container has no CONTAINER"
is "$(q 21 '.CONTAINER // "none"')" '"none"' \
	"a packet's netns list is not a task's container: no CONTAINER"
is "$(q 207 '[.USER_AVC.record, .CONTAINER.contid, .CONTAINER.source]')" '[1,654321,"kernel"]' \
	"a user record's event gets its CONTAINER_ID's container"
line=$(grep -F '"ID":"1700000003.600:210"' "$LOGJ" || true)   # raw: jq 1.6 rounds to doubles
if grep -qF '"CONTAINER":{"contid":1208379423617412806,"chain":[1208379423617412806],' <<<"$line"; then
	ok "a contid beyond 2^53 is written exactly (u64 JSON number)"
else
	not_ok "a contid beyond 2^53 is written exactly (u64 JSON number)" "$line"
fi

# 18-23: the runtimes' names --------------------------------------------------
is "$(q 18 '.TRUSTED_APP.msg["container-name"]')" '"web \"1\""' \
	"a hex-encoded container-name is decoded"
is "$(q 205 '.CONTAINER | [.contid, .["oci-id"], .engine, .["container-name"], .image]')" \
	'[123456,"3f9ce1","docker","web \"1\"","busybox-static:1"]' \
	"the mapping names are attached to a later event of the container"
is "$(q 206 '.CONTAINER | [.contid, .["container-name"], .pod, .["pod-namespace"], .["pod-uid"]]')" \
	'[654321,"db","shop-0","shop","7a1b"]' \
	"pod names too, the mapping's CONTAINER_ID logged before its record"
a_bad=$(jq -c 'select(.CONTAINER.contid == 123456) | select(.CONTAINER["container-name"] == "db" or .CONTAINER.pod != null) | .ID' "$LOGJ")
b_bad=$(jq -c 'select(.CONTAINER.contid == 654321) | select(.CONTAINER["container-name"] != "db" or .CONTAINER.engine != "cri-o") | .ID' "$LOGJ")
is "$a_bad$b_bad" "" "events of container A carry A's names, never B's (and B's never A's)"
is "$(jq -c 'select(.CONTAINER.contid == 123456) | .ID | sub(".*:"; "")' "$LOGJ" | tr -d '"' | tr '\n' ' ')" \
	"18 205 209 " "container 123456 is on its own events only"
is "$(q 209 '.CONTAINER')" '{"contid":123456,"chain":[123456],"source":"kernel"}' \
	"after the drop record, the names are forgotten"

# 24-26: the cgroup fallback --------------------------------------------------
if [ -n "$CG_PID" ]; then
	is "$(q 211 '[.CONTAINER, .SYSCALL.PID.container.source]')" \
		"[{\"id\":\"$CG_ID\",\"source\":\"cgroup\"},\"cgroup\"]" \
		"without the kernel's record, the cgroup guess is the fallback, marked cgroup"
	is "$(q 212 '[.CONTAINER.source, .CONTAINER.contid, (.SYSCALL.PID | has("container"))]')" \
		'["kernel",654321,false]' \
		"with the kernel's record, the same process's cgroup guess is dropped"
	is "$(jq -c 'select(.CONTAINER.source == "cgroup") | .ID | sub(".*:"; "")' "$LOGJ" | tr -d '"\n')" \
		"211" "no other event has a cgroup-sourced CONTAINER"
else
	skip "the cgroup guess is the fallback, marked cgroup" "needs root and a writable cgroup hierarchy"
	skip "with the kernel's record, the cgroup guess is dropped" "needs root"
	skip "no other event has a cgroup-sourced CONTAINER" "needs root"
fi

# 27-30: what a review found -------------------------------------------------
# A second trail: (1) a labelled task's user message whose text forges a
# record=7 before the kernel's record=1; (2) two nodes of one collector,
# each with a container of contid 900 named differently; (3) a runtime's
# failed label (res=failed), sent from its own task in container 123456,
# must not rename 123456.
TRAIL2=$T/trail2.log
M='uid=0 auid=4294967295 ses=4294967295 subj=unconfined'
{
	a=1700000010.000:301
	echo "type=USER_AVC msg=audit($a): pid=77 $M msg='x' record=7 y='' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=555"
	for node in alpha beta; do
		a=1700000011.000:30${#node}
		echo "node=$node type=TRUSTED_APP msg=audit($a): pid=812 $M msg='op=container-create oci-id=\"web-$node\" engine=\"crun\" res=success' record=1"
		echo "node=$node type=CONTAINER_ID msg=audit($a): record=1 contid=900"
	done
	a=1700000012.000:310
	echo "node=alpha type=SYSCALL msg=audit($a): $O $S comm=\"sh\" exe=\"/bin/sh\" subj=unconfined key=(null) record=1"
	echo "node=alpha type=CONTAINER_ID msg=audit($a): record=1 contid=900"
	echo "node=alpha type=EOE msg=audit($a): "
	a=1700000012.100:311
	echo "node=beta type=SYSCALL msg=audit($a): $O $S comm=\"sh\" exe=\"/bin/sh\" subj=unconfined key=(null) record=1"
	echo "node=beta type=CONTAINER_ID msg=audit($a): record=1 contid=900"
	echo "node=beta type=EOE msg=audit($a): "
	a=1700000013.000:320
	echo "type=TRUSTED_APP msg=audit($a): pid=813 $M msg='op=container-create oci-id=\"inner\" engine=\"runc\" res=success' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=123456"
	a=1700000013.100:321
	echo "type=TRUSTED_APP msg=audit($a): pid=813 $M msg='op=container-create oci-id=\"?\" res=failed reason=\"broker-refused\"' record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=123456"
	open_event 1700000013.200:322 4999993 123456
	a=1700000014.000:330
	echo "type=DM_EVENT msg=audit($a): module=integrity op=integrity-checksum dev=254:0 sector=80 res=0 record=1"
	echo "type=CONTAINER_ID msg=audit($a): record=1 contid=888001"
} >"$TRAIL2"
OUT=$T/out2
sed -i "s#^directory = .*#directory = \"$OUT\"#" "$T/laurel.toml"
"$LAUREL" -c "$T/laurel.toml" <"$TRAIL2" >"$T/laurel2.out" 2>&1 || true
LOGJ=$OUT/audit.log
is "$(q 301 '[.CONTAINER.contid, .USER_AVC.record]')" '[555,1]' \
	"a forged record= in a user message's text does not hide the kernel's"
is "$(jq -c 'select(.ID | endswith(":310") or endswith(":311")) | [.NODE, .CONTAINER["oci-id"]]' "$LOGJ" | tr -d '\n')" \
	'["alpha","web-alpha"]["beta","web-beta"]' \
	"the same contid on two nodes keeps each node's names"
is "$(q 322 '.CONTAINER["oci-id"]')" '"inner"' \
	"a runtime's failed label (res=failed) names no container"
is "$(q 330 '[.CONTAINER // "none", .CONTAINER_ID[0].contid]')" '["none",[[888001]]]' \
	"a DM_EVENT names its mapping's maker in CONTAINER_ID, not as the event's CONTAINER"
is "$(grep -c . "$LOGJ")" 9 "the second trail is nine events"

# 31: laurel2audit, laurel's JSON back to audit records (the events
# without a user record: laurel2audit 0.8.2 writes no msg='...' map, a
# todo!() of its own)
L2A=$(dirname "$LAUREL")/laurel2audit
LOGJ=$T/out/audit.log
if [ -x "$L2A" ]; then
	jq -c 'select([keys[] | select(startswith("USER_") or . == "TRUSTED_APP")] == [])' \
		"$LOGJ" >"$T/kernel-only.json"
	back=$("$L2A" <"$T/kernel-only.json" 2>&1 || echo "exit status $?")
	if grep -qx 'type=CONTAINER_ID msg=audit(1700000001.200:202): record=1 contid=4,^2,^1' <<<"$back" &&
	   grep -q '^type=CONTAINER_OP msg=audit(1700000000.100:201): .* contid=123456 old-contid=-1 res=1$' <<<"$back" &&
	   grep -qx 'type=CONTAINER_ID msg=audit(1700000002.502:21): record=1 contid=2,^1,3,^1' <<<"$back"; then
		ok "laurel2audit writes the contid lists back as the kernel logs them"
	else
		not_ok "laurel2audit writes the contid lists back as the kernel logs them" \
			"$(grep -E 'CONTAINER|panic|exit status' <<<"$back" | head -8)"
	fi
else
	not_ok "laurel2audit is installed beside laurel" "$L2A"
fi

tap_done 32
