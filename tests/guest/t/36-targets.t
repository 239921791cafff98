#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Signal and ptrace targets (spec 3.3, 4): a kill() into a process group
# whose members are in three containers names each target's container in
# the kill's event, tied to its OBJ_PID by record=, beyond the 16 targets
# of the first aux block; so does a ptrace attach; and the references
# taken for the targets are released at the end of the event (the
# containers are dropped when their tasks die).
import ctypes
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# A group leader that forks N sleepers in its process group, and waits.
GROUP = r"""
import os, signal, sys, time
kids = []
for _ in range(int(sys.argv[1])):
    pid = os.fork()
    if pid == 0:
        while True: signal.pause()
    kids.append(pid)
print(*kids, flush=True)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True: time.sleep(1000)
"""

n = os.getpid()
key = f"targets-kill-{n}"
values = [unique_value() for _ in range(3)]
group = Child([sys.executable, "-c", GROUP, "20"], stdout=subprocess.PIPE, text=True)
try:
    kids = [int(p) for p in group.proc.stdout.readline().split()]
    eq(len(kids), 20, "20 targets in one process group")
    # 8 in the first container, 7 in the second, 5 in the third (the first
    # label of each creates it, the others are injected by its owner, us).
    where = {}
    for i, pid in enumerate(kids):
        where[pid] = values[0 if i < 8 else 1 if i < 15 else 2]
    eq(sorted({set_contid(pid, where[pid]) for pid in kids}), ["OK"], "label them in 3 containers")
    for v in values:
        wait_record("CONTAINER_OP", rf"contid={v} old-contid=-1 res=1$")

    auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "kill", "-F", f"pid={n}", "-k", key)
    try:
        os.killpg(group.pid, signal.SIGTERM)
        line = wait_record("SYSCALL", rf'key="{key}"')
    finally:
        auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "kill", "-F", f"pid={n}", "-k", key)
    log_barrier()
    ev = event(serial(line))
    obj = {int(re.search(r" opid=(\d+)", r).group(1)): r for r in ev if "type=OBJ_PID" in r}
    cid = {}
    for r in records("CONTAINER_ID"):
        if r in ev:
            m = re.search(r"record=(\d+) contid=(\S+)$", r)
            cid[int(m.group(1))] = m.group(2)
    eq(sorted(obj), sorted(kids + [group.pid]), "one OBJ_PID per target (21, beyond 16)")
    eq("record=" in obj[group.pid], False, "the unlabelled leader's OBJ_PID has no record=")
    linked = {}
    for pid in kids:
        m = re.search(r" record=(\d+)$", obj[pid])
        linked[pid] = cid.get(int(m.group(1))) if m else None
    eq({pid: linked[pid] for pid in kids}, {pid: str(where[pid]) for pid in kids},
       "each labelled target's OBJ_PID ends in record=<n>, whose CONTAINER_ID names its container")
    eq(sorted(cid), list(range(1, 21)), "CONTAINER_ID records numbered 1..20 in the event")
    ok("record=" not in line, "the killer has no contid: its SYSCALL has no record=", line)

    # The targets die (SIGTERM); the event's references are gone, so each
    # container is dropped.
    for v in values:
        wait_record("CONTAINER_OP", rf"op=drop opid=\d+ contid=-1 old-contid={v} res=1$")
    ok(True, "all 3 containers dropped once their tasks died")
    problems, live = trail_problems(values)
    eq((problems, live), ([], set()), "the trail of the 3 containers is in order")
finally:
    group.kill()

# ptrace attach.
libc = ctypes.CDLL(None, use_errno=True)
PTRACE_ATTACH, PTRACE_DETACH = 16, 17
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]


def attach_event(v, key):
    """A task labelled `v`, ptrace-attached under an audit rule; returns
    the attach's SYSCALL record and its tracee's pid."""
    with Child() as t:
        eq(set_contid(t.pid, v), "OK", "label a task")
        wait_record("CONTAINER_OP", rf"opid={t.pid} contid={v} old-contid=-1 res=1$")
        rule = ("exit,always", "-F", "arch=b64", "-S", "ptrace", "-F", f"pid={n}", "-k", key)
        auditctl("-a", *rule)
        try:
            eq(libc.ptrace(PTRACE_ATTACH, t.pid, None, None), 0, "ptrace attach to it")
            os.waitpid(t.pid, 0)
            libc.ptrace(PTRACE_DETACH, t.pid, None, None)
            line = wait_record("SYSCALL", rf'key="{key}"')
        finally:
            auditctl("-d", *rule)
    log_barrier()
    return line, t.pid


v = unique_value()
line, tracee = attach_event(v, f"targets-ptrace-{n}")
ev = event(serial(line))
ok(any(re.search(rf"type=OBJ_PID .* opid={tracee} .* record=1$", r) for r in ev),
   "the attach's OBJ_PID ends in record=1", "\n".join(ev))
ok(any(re.search(rf"record=1 contid={v}$", r) for r in ev),
   "... and its CONTAINER_ID record=1 names the tracee's container", "\n".join(ev))
wait_record("CONTAINER_OP", rf"op=drop opid={tracee} contid=-1 old-contid={v} res=1$")
ok(True, "the tracee's container is dropped when it dies")

# CONTAINER_ID records excluded by a rule: the OBJ_PID names none.
with container_id_excluded():
    line, tracee = attach_event(unique_value(), f"targets-ptrace-excluded-{n}")
ev = event(serial(line))
obj = [r for r in ev if "type=OBJ_PID" in r]
ok(obj and "record=" not in obj[0], "with CONTAINER_ID excluded, the OBJ_PID has no record=",
   "\n".join(ev))
eq([r for r in ev if re.search(r"type=(CONTAINER_ID|UNKNOWN\[1340\])", r)], [],
   "... and its event no CONTAINER_ID")
done()
