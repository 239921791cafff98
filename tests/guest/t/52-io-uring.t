#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# io_uring operations (spec 4, the URINGOP row): an audited operation of a
# labelled task, done by io_uring on its behalf, comes in an event with its
# CONTAINER_ID, tied by record=1; an unlabelled task's is unchanged.  The
# rule goes on the io_uring list over netlink: auditctl 3.0.9 has no
# "-a io_uring,always".
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from auditnl import ALWAYS, FILTER_URING_EXIT, MAX_FIELDS, AuditSocket, Field  # noqa: E402

IORING_OP_OPENAT = 18

# Opens argv[1] with an io_uring OPENAT once a line comes on stdin: the
# ring is set up only then, after the label, as io_uring's worker threads
# would make the task multi-threaded (EBUSY).
HELPER = r"""
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	char line[8];

	puts("ready");
	fflush(stdout);
	if (argc != 2 || !fgets(line, sizeof(line), stdin))
		return 2;
	if (io_uring_queue_init(4, &ring, 0))
		return 3;
	io_uring_prep_openat(io_uring_get_sqe(&ring), AT_FDCWD, argv[1],
			     O_RDONLY, 0);
	if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe))
		return 4;
	printf("res %d\n", cqe->res);
	return cqe->res < 0;
}
"""

work = tempfile.mkdtemp(prefix="contid-uring-")
src, exe, target = (os.path.join(work, n) for n in ("helper.c", "helper", "target"))
with open(src, "w") as f:
    f.write(HELPER)
with open(target, "w") as f:
    f.write("x")
subprocess.run(["gcc", "-o", exe, src, "-luring"], check=True)

KEY = f"contid-uring-{os.getpid()}"
mask = [0] * MAX_FIELDS
mask[IORING_OP_OPENAT // 32] = 1 << (IORING_OP_OPENAT % 32)
rule = (FILTER_URING_EXIT, ALWAYS, [Field.key(KEY)], mask)


def run_helper(value=None):
    """Runs the helper (labelled `value`, if any); returns its pid."""
    h = Child([exe, target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        eq(h.proc.stdout.readline(), "ready\n", "the helper is ready")
        if value is not None:
            eq(set_contid(h.pid, value), "OK", "label it, before it sets up its ring")
        h.proc.stdin.write("go\n")
        h.proc.stdin.flush()
        ok(h.proc.stdout.readline().startswith("res "), "its io_uring OPENAT completes")
        eq(h.proc.wait(), 0, "... and succeeds")
        return h.pid
    finally:
        h.kill()


def uringop(pid):
    return wait_record("URINGOP", rf"uring_op={IORING_OP_OPENAT} .* pid={pid} .*key=\"{KEY}\"")


with AuditSocket() as nl:
    eq(nl.add_rule(*rule), "OK", "an io_uring-list rule for OPENAT (over netlink)")
    try:
        v = unique_value()
        pid = run_helper(v)
        line = uringop(pid)
        ok(line.endswith(" record=1"), "the labelled task's URINGOP record ends in record=1", line)
        ev = event(serial(line))
        cid = re.compile(r"type=(?:CONTAINER_ID|UNKNOWN\[1340\]) msg=audit\([0-9.]+:\d+\): "
                         r"record=(\d+) contid=(\S+)$")
        named = {m[1]: m[2] for m in map(cid.search, ev) if m}
        eq(named.get("1"), str(v), "its event has CONTAINER_ID record=1 contid=<its container>")
        # Issued inline, the operation is in the io_uring_enter syscall's
        # event, and an audited SYSCALL there has its own record=2.
        linked = [re.search(r" record=(\d+)$", r)[1] for r in ev
                  if not cid.search(r) and re.search(r" record=\d+$", r)]
        eq(sorted(named), sorted(linked), "... one CONTAINER_ID per record that ends in record=<n>",)
        eq(set(named.values()), {str(v)}, "... each naming its container")

        pid = run_helper()
        line = uringop(pid)
        ok("record=" not in line, "an unlabelled task's URINGOP has no record=", line)
        ok(not any("CONTAINER_ID" in r or "UNKNOWN[1340]" in r for r in event(serial(line))),
           "... and no CONTAINER_ID in its event")
    finally:
        eq(nl.del_rule(*rule), "OK", "the rule is deleted")
done()
