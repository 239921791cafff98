#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-signal-info.sh - host checks of how libaudit (patch 0008) formats
# the answer to "who signalled auditd": audit_format_signal_info() on
# AUDIT_SIGNAL_INFO2 replies as the kernel sends them (spec 3.4), built by
# hand, and on an old AUDIT_SIGNAL_INFO reply.  The in-guest test
# 39-auditd-signal.t checks the real kernel and auditd; this one covers the
# corner cases a kernel here does not produce: a long chain, an LSM
# context after the contid text, and a cid_len that lies.
#
# Prints TAP.  Exits non-zero if any check fails.  Needs a C compiler.
#
#   tests/userspace/test-signal-info.sh [PREFIX]
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/tap.sh"
CC=${CC:-cc}
[ -f "$P/include/libaudit.h" ] ||
	bail "$P/include/libaudit.h exists" "run scripts/build-audit-userspace"
command -v "$CC" >/dev/null 2>&1 || bail "a C compiler for the helper" "no $CC"

# helper TYPE CID_LEN CID CTX [EXTRA]: formats a reply of TYPE (1010 or
# 1021) from pid 999999 (no such process) with uid 1000, the contid text
# CID claimed to be CID_LEN bytes long, and the context CTX, with EXTRA
# bytes more or fewer (negative) in the netlink length.
cat >"$T/helper.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libaudit.h>

int main(int argc, char **argv)
{
	static struct audit_reply rep;
	char out[MAX_AUDIT_MESSAGE_LENGTH];
	int type = atoi(argv[1]), extra = argc > 5 ? atoi(argv[5]) : 0;
	size_t cid = strlen(argv[3]), ctx = strlen(argv[4]), size;

	rep.nlh = &rep.msg.nlh;
	rep.type = type;
	if (type == AUDIT_SIGNAL_INFO2) {
		struct audit_sig_info2 *info = (void *)rep.msg.data;

		info->uid = 1000;
		info->pid = 999999;
		info->cid_len = atoi(argv[2]);
		memcpy(info->data, argv[3], cid);
		memcpy(info->data + cid, argv[4], ctx);
		size = sizeof(*info) + cid + ctx;
		rep.signal_info2 = info;
	} else {
		struct audit_sig_info *info = (void *)rep.msg.data;

		info->uid = 1000;
		info->pid = 999999;
		memcpy(info->ctx, argv[4], ctx);
		size = sizeof(*info) + ctx;
		rep.signal_info = info;
	}
	rep.len = NLMSG_LENGTH(size) + extra;
	puts(audit_format_signal_info(out, sizeof(out), "resume-logging",
				      &rep, "success"));
	return 0;
}
EOF
if ! "$CC" -Wall -o "$T/helper" "$T/helper.c" -I"$P/include" -L"$P/lib" \
	-Wl,-rpath,"$P/lib" -laudit >"$T/cc.out" 2>&1; then
	bail "the helper builds against the patched libaudit.h" "$(cat "$T/cc.out")"
fi
h() { "$T/helper" "$@"; }
head='op=resume-logging auid=1000 uid=4294967295 ses=4294967295 pid=999999'

chain="1844674407370955$(printf %04d 1)" # 20 digits each (not bash math)
for i in $(seq 2 20); do chain="$chain,^1844674407370955$(printf %04d "$i")"; done
is "$(h 1021 ${#chain} "$chain" "")" "$head contid=$chain res=success" \
	"SIGNAL_INFO2: a 20-level chain of 20-digit ids comes out whole (${#chain} bytes)"
is "$(h 1021 7 "123,^45" "system_u:system_r:kernel_t:s0")" \
	"$head subj=system_u:system_r:kernel_t:s0 contid=123,^45 res=success" \
	"SIGNAL_INFO2: the LSM context after the contid text is the subject"
is "$(h 1021 0 "" "")" "$head res=success" \
	"SIGNAL_INFO2: a sender with no contid (cid_len 0) is logged as before"
is "$(h 1021 40 "123" "")" "$head res=success" \
	"SIGNAL_INFO2: a cid_len past the end of the reply names nothing"
is "$(h 1021 3 "123" "" -1)" "$head res=success" \
	"SIGNAL_INFO2: nor does a reply one byte short of its cid_len"
is "$(h 1010 0 "" "")" "$head res=success" \
	"SIGNAL_INFO (old kernels): uid and pid, no contid"
is "$(h 1010 0 "" "unconfined_t")" "$head subj=unconfined_t res=success" \
	"SIGNAL_INFO: with a context, as before"
tap_done 7
