#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Every step of the permission ladder (spec 2.1), with the state after.
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

WRITER = r"""
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
try:
    os.write(fd, sys.argv[2].encode()); print("OK")
except OSError as e:
    import errno; print(errno.errorcode[e.errno])
"""


def foreign_write(target_pid, value, prefix=()):
    """A write by a process that is not an ancestor of the target."""
    r = subprocess.run([*prefix, sys.executable, "-c", WRITER, path(target_pid), str(value)],
                       capture_output=True, text=True)
    return r.stdout.strip() or r.stderr.strip()


ORCHESTRATOR = r"""
import os, subprocess, sys
child = subprocess.Popen(["sleep", "1000"])
fd = os.open(f"/proc/{child.pid}/audit_containerid", os.O_WRONLY)
try:
    os.write(fd, sys.argv[1].encode()); print("OK", child.pid, flush=True)
except OSError as e:
    import errno; print(errno.errorcode[e.errno], child.pid, flush=True)
sys.stdin.read()
child.kill(); child.wait()
"""


def is_free(value):
    """True if no live container uses value: another orchestrator (a fresh
    process, so never the owner) can take it for its own child."""
    orch = Child([sys.executable, "-c", ORCHESTRATOR, str(value)],
                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    verdict = orch.proc.stdout.readline().split()[0]
    orch.proc.stdin.close()
    orch.proc.wait()
    return verdict == "OK"


# Step 2: the unset value.
with Child() as t:
    eq(set_contid(t.pid, UNSET), "EINVAL", "writing the unset value: EINVAL")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    wait_record("CONTAINER_OP", rf"op=set opid={t.pid} contid={UNSET} old-contid=-1 res=0$")
    ok(True, "... and logged with the requested number, res=0")

# Step 3: no CAP_AUDIT_CONTROL.
with Child() as t:
    v = unique_value()
    got = foreign_write(t.pid, v, ["setpriv", "--bounding-set=-audit_control",
                                   "--inh-caps=-audit_control"])
    eq(got, "EPERM", "writer without CAP_AUDIT_CONTROL: EPERM")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    ok(is_free(v), "... value not registered")
    wait_record("CONTAINER_OP", rf"op=set opid={t.pid} contid={v} old-contid=-1 res=0$")
    ok(True, "... refused attempt logged")

# Step 4: children, threads.
with Child(["sh", "-c", "sleep 1000 & wait"]) as t:
    wait_until(lambda: children_of(t.pid), "the shell's child")
    v = unique_value()
    eq(set_contid(t.pid, v), "EBUSY", "target with a child: EBUSY")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    ok(is_free(v), "... value not registered")
with py_child("import threading,time\n"
              "threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()\n"
              "print('ready', flush=True); time.sleep(1000)") as t:
    t.proc.stdout.readline()
    tids = os.listdir(f"/proc/{t.pid}/task")
    eq(len(tids), 2, "helper has two threads")
    other = [int(x) for x in tids if int(x) != t.pid][0]
    v = unique_value()
    eq(set_contid(t.pid, v), "EBUSY", "multi-threaded target (leader): EBUSY")
    eq(set_contid(t.pid, v, tid=other), "EBUSY", "multi-threaded target (other thread): EBUSY")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    eq(get_contid(t.pid, other), str(UNSET), "... other thread unchanged")
    ok(is_free(v), "... value not registered")

# Step 5: self, not a descendant.
v = unique_value()
eq(write_raw("/proc/self/audit_containerid", str(v)), "EXDEV", "writing one's own contid: EXDEV")
eq(get_contid(os.getpid()), str(UNSET), "... writer unchanged")
with Child() as t:
    v = unique_value()
    eq(foreign_write(t.pid, v), "EXDEV", "target not a descendant of the writer (sibling): EXDEV")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    ok(is_free(v), "... value not registered")

# Step 6: already set, by us or by inheritance.
v = unique_value()
with py_child("import os,time,sys\nsys.stdin.readline()\n"
              "pid = os.fork()\n"
              "if pid == 0:\n    time.sleep(1000)\n"
              "print(pid, flush=True); time.sleep(1000)") as parent:
    eq(set_contid(parent.pid, v), "OK", "label a task")
    parent.proc.stdin.write("go\n"); parent.proc.stdin.flush()
    grandchild = int(parent.proc.stdout.readline())
    eq(get_contid(grandchild), str(v), "its new child inherits the contid")
    eq(set_contid(grandchild, unique_value()), "EEXIST", "inherited contid, new value: EEXIST")
    eq(set_contid(grandchild, v), "EEXIST", "inherited contid, same value: EEXIST")
    eq(get_contid(grandchild), str(v), "... unchanged")
    os.kill(grandchild, signal.SIGKILL)

# Step 7: live and owned by another orchestrator; injection by the owner.
v = unique_value()
orch = Child([sys.executable, "-c", ORCHESTRATOR, str(v)],
             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
verdict, their = orch.proc.stdout.readline().split()
eq(verdict, "OK", "another orchestrator labels its child")
with Child() as t:
    eq(set_contid(t.pid, v), "ENOTUNIQ", "a live value owned by someone else: ENOTUNIQ")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    eq(get_contid(int(their)), str(v), "... their task unchanged")
orch.proc.stdin.close()
orch.proc.wait()

v = unique_value()
with Child() as a, Child() as b:
    eq(set_contid(a.pid, v), "OK", "owner labels a first task")
    eq(set_contid(b.pid, v), "OK", "owner injects a second task into the same container")
    eq((get_contid(a.pid), get_contid(b.pid)), (str(v), str(v)), "both read the same contid")
    wait_record("CONTAINER_OP", rf"op=set opid={b.pid} contid={v} old-contid=-1 res=1$")
    ok(True, "injection logged as a successful set")

# Step 0: gone and exiting targets.
t = Child()
fd = os.open(path(t.pid), os.O_WRONLY)
kill_and_reap(t)
eq(write_fd(fd, "42"), "ESRCH", "target gone (reaped) after open: ESRCH")
eq(write_fd(fd, "4x2"), "EINVAL", "... a malformed write to it is still EINVAL")
os.close(fd)
t = Child()
fd = os.open(path(t.pid), os.O_WRONLY)
os.kill(t.pid, signal.SIGKILL)
wait_until(lambda: open(f"/proc/{t.pid}/stat").read().rsplit(")", 1)[1].split()[0] == "Z",
           "zombie")
v = unique_value()
eq(write_fd(fd, str(v)), "ESRCH", "zombie target: ESRCH")
os.close(fd)
t.proc.wait()
ok(is_free(v), "... value not registered")
done()
