#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Races: the setter against fork and exit of its target, and orchestrators
# contending for a small pool of ids.  Every successful set must end in
# exactly one drop record; nothing else may show.  The targets' exits are
# audited, so their last CONTAINER_ID records race with the set too, and
# the trail must still name each contid only between its op=set and its
# op=drop.  Run it under the debug kernel (make check-debug) for lockdep,
# KFENCE, SLUB debugging and kmemleak.
import collections
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

ROUNDS = int(os.environ.get("CONTID_STRESS_ROUNDS", "150"))


def drops(v):
    return len(records("CONTAINER_OP", rf"op=drop opid=\d+ contid=-1 old-contid={v} res=1$"))


# Every exit is audited: a labelled target's last event carries its
# CONTAINER_ID, logged from do_exit() while a set may be taking it back.
auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "exit_group", "-k", "contid-stress")

# 1. The target forks and exits while we label it.
TARGET = ["sh", "-c", "for i in 1 2 3 4 5 6; do /bin/true & wait; done"]
# How long a target lives here, unlabelled: on a slow kernel (KASAN, with
# other VMs beside it) its start alone outlasted a fixed 90 ms of jitter,
# every write landed before the first fork and no round saw EBUSY.
start = time.monotonic()
Child(TARGET).proc.wait()
life = time.monotonic() - start
results = collections.Counter()
labelled = []
for i in range(ROUNDS):
    target = Child(TARGET)
    # Jitter, not a wait for anything: it spreads the write over the
    # target's start, forks and exit so that every outcome occurs.
    time.sleep((i % 10) * max(0.01, life / 10))
    v = unique_value()
    got = set_contid(target.pid, v)
    results[got] += 1
    target.proc.wait()
    if got == "OK":
        labelled.append(v)
ok(set(results) <= {"OK", "EBUSY", "ESRCH", "open:ENOENT"},
   f"racing fork/exit: only OK, EBUSY, ESRCH or gone ({dict(results)})")
ok(results["OK"] > 0 and results["EBUSY"] > 0,
   f"the race hit both outcomes (set before and during forks; a target lives {life:.2f}s)")
log_barrier()
wrong = [v for v in labelled if drops(v) != 1]
eq(wrong, [], f"each of the {len(labelled)} labelled targets dropped exactly once")

# 2. Four orchestrators label and kill their own children, drawing ids
# from a pool of five: each set either creates the id or is ENOTUNIQ.
ORCH = r"""
import errno, os, subprocess, sys
pool, rounds = [int(x) for x in sys.argv[1].split(",")], int(sys.argv[2])
for i in range(rounds):
    v = pool[(i * 7 + os.getpid()) % len(pool)]
    c = subprocess.Popen(["sleep", "1000"])
    fd = os.open(f"/proc/{c.pid}/audit_containerid", os.O_WRONLY)
    try:
        os.write(fd, str(v).encode()); print("OK", v)
    except OSError as e:
        print(errno.errorcode[e.errno], v)
    os.close(fd)
    c.kill(); c.wait()
"""
pool = [unique_value() for _ in range(5)]
procs = [subprocess.Popen([sys.executable, "-c", ORCH, ",".join(map(str, pool)), str(ROUNDS // 3)],
                          stdout=subprocess.PIPE, text=True) for _ in range(4)]
outcomes = collections.Counter()
created = collections.Counter()
for p in procs:
    out, _ = p.communicate()
    for verdict, v in (line.split() for line in out.splitlines()):
        outcomes[verdict] += 1
        if verdict == "OK":
            created[int(v)] += 1
ok(set(outcomes) <= {"OK", "ENOTUNIQ"}, f"contending orchestrators: only OK or ENOTUNIQ ({dict(outcomes)})")
ok(outcomes["OK"] > 0, "some sets succeeded")
log_barrier()
eq({v: drops(v) for v in pool}, {v: created[v] for v in pool},
   "drops per id == successful sets per id")

auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "exit_group", "-k", "contid-stress")
log_barrier()
ok(records("CONTAINER_ID", r"contid=(%s)$" % "|".join(map(str, labelled))),
   "the labelled targets' exits logged CONTAINER_ID records")
problems, still_live = trail_problems(labelled + pool)
eq(problems, [], "no record names a contid before its op=set res=1 or after its op=drop")
eq(still_live, set(), "every contid set in the races was dropped")
done()
