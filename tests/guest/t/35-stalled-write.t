#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A write whose bytes are slow to come (a userfaultfd page: the kernel has
# looked the target up and waits in copy_from_user()) while the target is
# reaped and its parent exits and is freed (tests/guest/uffd-write.c).
# When the bytes arrive, the target is gone: the write fails with ESRCH
# and logs nothing, for capcontid as for the contid.  The capcontid grant
# used to walk the target's freed parent to decide "descendant" (a
# use-after-free that SLUB poisoning and KASAN report) and then grant.
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

work = tempfile.mkdtemp(prefix="contid-uffd-")
HELPER = os.path.join(work, "uffd-write")
subprocess.run(["gcc", "-O2", "-pthread", "-o", HELPER,
                os.path.join(os.path.dirname(__file__), "..", "uffd-write.c")],
               check=True)


def stalled_write(name, text):
    """Runs the helper on /proc/TARGET/`name`; returns (target, result)."""
    out = subprocess.run([HELPER, f"/proc/%d/{name}", text], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.split("\n")
    return int(out[0].split()[1]), out[1].split()[1]


def logged_for(rtype, target):
    log_barrier()
    return records(rtype, rf"opid={target} ")


for round_no in range(3):
    target, result = stalled_write("audit_capcontainerid", "1")
    eq(result, "ESRCH", f"round {round_no}: a capcontid grant to a target reaped "
                        "during the write is ESRCH")
    eq(logged_for("SET_CAPCONTID", target), [], "... and logs no SET_CAPCONTID record")

    value = unique_value()
    target, result = stalled_write("audit_containerid", str(value))
    eq(result, "ESRCH", f"round {round_no}: a set of a target reaped during the write is ESRCH")
    eq(logged_for("CONTAINER_OP", target), [], "... and logs no CONTAINER_OP record")
    with Child() as c:
        eq(set_contid(c.pid, value), "OK", "... and leaves its value free")
done()
