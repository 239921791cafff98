#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The death certificate: exactly one op=drop when the last task of a
# container exits, none while one lives; the value is free afterwards.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

v = unique_value()
DROP = rf"op=drop opid=\d+ contid=-1 old-contid={v} res=1$"
with py_child("import os,sys,time\nsys.stdin.readline()\n"
              "pid = os.fork()\n"
              "if pid == 0:\n    time.sleep(1000)\n"
              "print(pid, flush=True); time.sleep(1000)") as parent:
    eq(set_contid(parent.pid, v), "OK", "label a task")
    parent.proc.stdin.write("go\n")
    parent.proc.stdin.flush()
    child = int(parent.proc.stdout.readline())
    eq(get_contid(child), str(v), "its child inherits")
    kill_and_reap(parent)
    log_barrier()
    eq(len(records("CONTAINER_OP", DROP)), 0, "no drop while one task of the container lives")
    os.kill(child, signal.SIGKILL)
    line = wait_record("CONTAINER_OP", rf"op=drop opid={child} contid=-1 old-contid={v} res=1$")
    ok(True, "the last task's exit logs op=drop with its pid")
    log_barrier()
    eq(len(records("CONTAINER_OP", DROP)), 1, "exactly one drop record")

# Injected tasks count too: the drop waits for the last of them.
v = unique_value()
DROP = rf"op=drop opid=\d+ contid=-1 old-contid={v} res=1$"
a, b = Child(), Child()
eq((set_contid(a.pid, v), set_contid(b.pid, v)), ("OK", "OK"), "two tasks in one container")
kill_and_reap(a)
log_barrier()
eq(len(records("CONTAINER_OP", DROP)), 0, "no drop after the first exits")
kill_and_reap(b)
wait_record("CONTAINER_OP", rf"op=drop opid={b.pid} contid=-1 old-contid={v} res=1$")
log_barrier()
eq(len(records("CONTAINER_OP", DROP)), 1, "exactly one drop after the last exits")

# After the drop the value can be used again, by anyone.
with Child() as c:
    eq(set_contid(c.pid, v), "OK", "a dropped value can be reused")
done()
