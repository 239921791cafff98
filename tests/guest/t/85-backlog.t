#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A full audit backlog (auditd stopped, a small backlog_limit, a long
# backlog_wait_time) makes every logger wait, for up to backlog_wait_time
# each.  Nobody may wait for anyone else's logger: while unprivileged
# writers and another orchestrator are stuck logging, an orchestrator's
# set takes effect at once and a container's last task exits within its
# own wait.  Afterwards every record is in the log or counted in `lost`.
import os
import select
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from backlog import get_stuck, status, stuck  # noqa: E402
from backlog import writers as backlog_writers, stop as stop_writers  # noqa: E402

WAIT_S = 6  # backlog_wait_time, in seconds
PROMPT_S = 3.0  # "at once", with TCG's slowness to spare
# kauditd, unable to reach the stopped auditd, moves the backlog aside and
# wakes one waiting logger about twice a second; with this many writers
# queued, a newcomer waits for most of backlog_wait_time.
WRITERS = 20


def answered(child):
    """Whether child has printed its verdict: its write has returned."""
    return bool(select.select([child.proc.stdout], [], [], 0)[0])


def came_first(trail):
    """Whether trail, True for the first record and False for the second in
    log order, has the first before the second as far as the log has them:
    either may have been lost (counted below)."""
    return trail in ([True, False], [True], [False], [])


def timed(fn):
    """Runs fn in a thread; returns a dict that gets its result and time."""
    out = {}

    def run():
        start = time.monotonic()
        out["result"] = fn()
        out["seconds"] = time.monotonic() - start

    out["thread"] = threading.Thread(target=run)
    out["thread"].start()
    return out


# Labels its own child once told to, reporting the time the write took.
ORCHESTRATOR = r"""
import errno, os, subprocess, sys, time
child = subprocess.Popen(["sleep", "1000"])
print(child.pid, flush=True)
sys.stdin.readline()
fd = os.open(f"/proc/{child.pid}/audit_containerid", os.O_WRONLY)
start = time.monotonic()
try:
    os.write(fd, sys.argv[1].encode()); verdict = "OK"
except OSError as e:
    verdict = errno.errorcode[e.errno]
print(verdict, time.monotonic() - start, flush=True)
sys.stdin.read()
child.kill(); child.wait()
"""


saved = status()
default_wait = saved["backlog_wait_time"]
ok(default_wait % 60 == 0, f"backlog_wait_time is the default 60*HZ ({default_wait})")
hz = default_wait // 60
auditd = saved["pid"]
ok(auditd > 0, f"auditd runs (pid {auditd})")

# Ready before the stall: a labelled container with one task, and the two
# orchestrators with their children.
container = Child()
v_container = unique_value()
eq(set_contid(container.pid, v_container), "OK", "a container with one task")
v_a, v_b, v_writers = unique_value(), unique_value(), unique_value()
orch_a = Child([sys.executable, "-c", ORCHESTRATOR, str(v_a)], stdin=subprocess.PIPE,
               stdout=subprocess.PIPE, text=True)
orch_b = Child([sys.executable, "-c", ORCHESTRATOR, str(v_b)], stdin=subprocess.PIPE,
               stdout=subprocess.PIPE, text=True)
target_a = int(orch_a.proc.stdout.readline())
target_b = int(orch_b.proc.stdout.readline())
log_barrier()
lost_before = status()["lost"]
auditctl("-b", "4", "--backlog_wait_time", str(WAIT_S * hz))

results = {}
# They write until stopped below (at most 10 minutes).
writers = backlog_writers(v_writers, 600, WRITERS, stdout=subprocess.PIPE)
try:
    os.kill(auditd, signal.SIGSTOP)
    # Unprivileged writers fill the backlog and get stuck logging.
    get_stuck(writers)

    # Orchestrator A labels its child and gets stuck logging the record.
    start = time.monotonic()
    orch_a.proc.stdin.write("go\n")
    orch_a.proc.stdin.flush()
    wait_until(lambda: get_contid(target_a) == str(v_a), "A's label")
    results["a_label"] = time.monotonic() - start
    # kauditd wakes one stuck logger at a time: A may be woken, or find a
    # free slot, before we look; then its op=set is out and the write below
    # finds the target labelled (EEXIST, checked against the log below).
    wait_until(lambda: stuck(orch_a.pid) or answered(orch_a),
               "A to be stuck logging its op=set, or done")
    # Until A's op=set record is out, its target is busy for other writers
    # (root is an ancestor of A's child); the write is logged, so it waits
    # too: in a thread.
    v_other = unique_value()
    results["busy"] = timed(lambda: set_contid(target_a, v_other))

    # Orchestrator B: its label takes effect at once.
    start = time.monotonic()
    orch_b.proc.stdin.write("go\n")
    orch_b.proc.stdin.flush()
    wait_until(lambda: get_contid(target_b) == str(v_b), "B's label")
    results["b_label"] = time.monotonic() - start

    # The container's last task exits: it waits only for its own drop
    # record.  Until that is out, the id stays taken, even for its owner.
    os.kill(container.pid, signal.SIGKILL)
    results["exit"] = timed(lambda: container.proc.wait())
    wait_until(lambda: stuck(container.pid) or "seconds" in results["exit"],
               "the last task to be stuck logging op=drop, or gone")
    again = Child()
    results["reuse"] = timed(lambda: set_contid(again.pid, v_container))
    results["exit"]["thread"].join()
except BaseException:
    # All of them: one left running would hold prove's pipe (stderr).
    for child in [*writers, orch_a, orch_b, container]:
        child.kill()
    raise
finally:
    os.kill(auditd, signal.SIGCONT)
    auditctl("-b", str(saved["backlog_limit"]), "--backlog_wait_time", str(default_wait))

stop_writers(writers)
writes = sum(int(w.proc.stdout.read()) for w in writers)
for w in writers:
    w.proc.wait()
results["busy"]["thread"].join()
results["reuse"]["thread"].join()
again.kill()
a_verdict, a_seconds = orch_a.proc.stdout.readline().split()
b_verdict, b_seconds = orch_b.proc.stdout.readline().split()

ok(results["a_label"] < PROMPT_S,
   f"A's set takes effect at once while unprivileged writers are stuck ({results['a_label']:.2f}s)")
busy = results["busy"]["result"]
if busy != "EEXIST":
    eq(busy, "EBUSY", "until A's op=set is logged, its target is busy (EBUSY)")
eq(get_contid(target_a), str(v_a), "... and keeps A's contid")
ok(results["b_label"] < PROMPT_S,
   f"B's set takes effect at once while A is stuck too ({results['b_label']:.2f}s)")
exit_seconds = results["exit"]["seconds"]
ok(exit_seconds < WAIT_S + PROMPT_S,
   f"the container's last task exits within its own wait ({exit_seconds:.2f}s, "
   f"backlog_wait_time {WAIT_S}s)")
reuse = results["reuse"]["result"]
if reuse != "OK":
    eq(reuse, "ENOTUNIQ", "until its drop record is out, its id is taken, even for its owner")
eq((a_verdict, b_verdict), ("OK", "OK"), "both orchestrators' writes succeed")
ok(float(a_seconds) < 2 * WAIT_S + PROMPT_S and float(b_seconds) < 2 * WAIT_S + PROMPT_S,
   f"each write waits at most for its own two records ({float(a_seconds):.2f}s, "
   f"{float(b_seconds):.2f}s)")
ok(writes >= WRITERS, f"the unprivileged writers made {writes} refused writes")

# Nothing lost without being counted.
log_barrier()
if busy == "EEXIST":
    # kauditd wakes one stuck logger about twice a second: if it woke A
    # between our look at A and root's write, A's op=set was out first,
    # the target was labelled and no longer busy, and EEXIST is right.
    # Only that order of the two records makes it so.
    trail = [bool(re.search(rf"contid={v_a} .*res=1$", r))
             for r in records("CONTAINER_OP", rf"op=set opid={target_a} ")]
    ok(came_first(trail),
       f"root's write found A's label already logged: EEXIST (A's op=set, then the refusal, "
       f"as far as the log has them: {trail})")
if reuse == "OK":
    # The last task was woken before the owner's write: its drop record
    # was out first, and the id free.  Only that order makes OK right.
    trail = [("op=drop" in r) for r in records(
        "CONTAINER_OP", rf"(op=drop opid={container.pid} .*old-contid={v_container} "
                        rf"|op=set opid={again.pid} contid={v_container} .*res=1$)")]
    ok(came_first(trail),
       f"the owner's write found the id free: the drop record came first "
       f"(as far as the log has them: {trail})")
lost = status()["lost"] - lost_before
expected = {
    "writers' refusals": (rf"op=set opid=\d+ contid={v_writers} old-contid=-1 res=0$", writes),
    "A's set": (rf"op=set opid={target_a} contid={v_a} old-contid=-1 res=1$", 1),
    # Refused while busy, the target has no contid yet; refused as
    # EEXIST, it reads A's.
    f"the {busy} refusal": (rf"op=set opid={target_a} contid={v_other} "
                            rf"old-contid={-1 if busy == 'EBUSY' else v_a} res=0$", 1),
    "B's set": (rf"op=set opid={target_b} contid={v_b} old-contid=-1 res=1$", 1),
    "the container's drop": (rf"op=drop opid={container.pid} contid=-1 old-contid={v_container} res=1$", 1),
    "the ENOTUNIQ refusal": (rf"contid={v_container} old-contid=-1 res=0$",
                             int(reuse == "ENOTUNIQ")),
}
missing = {}
for what, (pattern, count) in expected.items():
    found = len(records("CONTAINER_OP", pattern))
    ok(found <= count, f"{what}: at most {count} records ({found})")
    if found < count:
        missing[what] = count - found
ok(sum(missing.values()) <= lost,
   f"records not in the log ({missing or 'none'}) are counted in lost ({lost})")

# Once the drop is done, the id is free again.
with Child() as again:
    eq(set_contid(again.pid, v_container), "OK", "after the drop, the owner may use the id again")
for orch in (orch_a, orch_b):
    orch.proc.stdin.close()
    orch.proc.wait()
done()
