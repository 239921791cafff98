# SPDX-License-Identifier: GPL-2.0
"""Side-by-side timings for tests/bench/run (in the VM)."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "guest"))
from contid import auditctl, set_contid, unique_value  # noqa: E402

BENCH = "/tmp/contid-bench"


def measure(what, n, contid):
    """ns/op of `contid-bench what n`, run by a task labelled with contid
    (None: no contid).  The task is a shell that waits to be labelled
    before it execs the benchmark, so it has no children when labelled."""
    p = subprocess.Popen(["sh", "-c", f'read go; exec {BENCH} {what} {n}'],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if contid is not None:
        result = set_contid(p.pid, contid)
        if result != "OK":
            sys.exit(f"bench: labelling failed: {result}")
    out, _ = p.communicate("go\n")
    if p.returncode:
        sys.exit(f"bench: {what} failed")
    return float(out)


def pair(what, n, alternations=5, label=True):
    """(without, with) contid, alternating; the fastest of each, so that a
    burst of load on the host does not land on one side only.  With
    label=False both sides run without a contid: the ratio is the noise."""
    a, b = [], []
    for _ in range(alternations):
        a.append(measure(what, n, None))
        b.append(measure(what, n, unique_value() if label else None))
    return min(a), min(b)


rows = []
B64 = ["-F", "arch=b64", "-S", "getppid"]

auditctl("-D")
rows.append(("noise: getppid, no contid on either side", *pair("syscall", 20000, label=False)))
rows.append(("fork + exit + wait, no rules", *pair("fork", 300)))
rows.append(("getppid, no rules", *pair("syscall", 20000)))
auditctl("-a", "always,exit", *B64, "-F", "sessionid=123")
ses = pair("syscall", 20000)
rows.append(("getppid, exit rule sessionid=123 (no match)", *ses))
auditctl("-D")
auditctl("-a", "always,exit", *B64, "-F", "contid=123")
cid = pair("syscall", 20000)
rows.append(("getppid, exit rule contid=123 (no match)", *cid))
auditctl("-D")
auditctl("-a", "always,exit", *B64, "-F", "key=bench")
rows.append(("getppid, every call logged (+CONTAINER_ID)", *pair("syscall", 1000, 3)))
auditctl("-D")

print(f"{'operation (ns/op, TCG)':46} {'no contid':>10} {'contid':>10} {'ratio':>6}")
for name, without, with_ in rows:
    print(f"{name:46} {without:10.0f} {with_:10.0f} {with_ / without:6.2f}")
print()
print("contid rule / sessionid rule, same task:"
      f" no contid {cid[0] / ses[0]:.2f}, with contid {cid[1] / ses[1]:.2f}")
