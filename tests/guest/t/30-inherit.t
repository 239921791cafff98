#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Inheritance across fork, clone (posix_spawn: CLONE_VM|CLONE_VFORK),
# threads and generations; tasks created before the label keep none.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

CONTAINER_INIT = r"""
import os, sys, threading, time
sys.stdin.readline()                   # wait until labelled
out = []
pid = os.fork()
if pid == 0:
    g = os.fork()
    if g == 0:
        time.sleep(1000)
    print(g, flush=True)
    time.sleep(1000)
out.append(pid)
out.append(os.posix_spawn("/bin/sleep", ["sleep", "1000"], os.environ))
t = threading.Thread(target=time.sleep, args=(1000,), daemon=True)
t.start()
out.append(t.native_id)
print(*out, flush=True)
time.sleep(1000)
"""

v = unique_value()
with py_child(CONTAINER_INIT) as init:
    eq(set_contid(init.pid, v), "OK", "label the container's first task")
    init.proc.stdin.write("go\n")
    init.proc.stdin.flush()
    first = init.proc.stdout.readline().split()
    second = init.proc.stdout.readline().split()
    lines = first + second
    grandchild = int(min((x for x in (first, second) if len(x) == 1), key=len)[0])
    forked, spawned, thread = [int(x) for x in max((first, second), key=len)]
    eq(get_contid(forked), str(v), "fork()ed child inherits")
    eq(get_contid(grandchild), str(v), "grandchild inherits")
    eq(get_contid(spawned), str(v), "posix_spawn()ed (clone CLONE_VM|CLONE_VFORK) child inherits")
    eq(get_contid(init.pid, thread), str(v), "a new thread inherits (/proc/PID/task/TID)")
    eq(get_contid(thread), str(v), "... also read as /proc/TID")
    for pid in (grandchild, spawned, forked):
        os.kill(pid, signal.SIGKILL)

with py_child("import os,sys,time\n"
              "pid = os.fork()\n"
              "if pid == 0:\n    time.sleep(1000)\n"
              "print(pid, flush=True); time.sleep(1000)") as p:
    early = int(p.proc.stdout.readline())
    v = unique_value()
    eq(set_contid(p.pid, v), "EBUSY", "a task with an earlier child cannot be labelled")
    eq(get_contid(early), str(UNSET), "... and the earlier child stays unlabelled")
    os.kill(early, signal.SIGKILL)
done()
