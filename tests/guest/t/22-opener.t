#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Privilege is judged on the credentials of whoever opened
# /proc/PID/audit_containerid, not of whoever reads or writes it: a
# descriptor handed to another process keeps its opener's privilege, in
# both directions.
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# A process like root but without CAP_AUDIT_CONTROL.
UNPRIVILEGED = ["setpriv", "--bounding-set=-audit_control", "--inh-caps=-audit_control"]

# An unprivileged orchestrator: starts its own target, gets descriptors
# for it over the socket whose fd is argv[2], and reports what its writes and reads
# gave.  Its own open comes first, as the control.
ORCHESTRATOR = r"""
import errno, os, socket, subprocess, sys
sock = socket.socket(fileno=int(sys.argv[2]))
def result(fn):
    try:
        return "OK:" + str(fn())
    except OSError as e:
        return errno.errorcode[e.errno]
child = subprocess.Popen(["sleep", "1000"])
path = f"/proc/{child.pid}/audit_containerid"
sock.sendall(f"{child.pid}\n".encode())
value = sys.argv[1].encode()
own = os.open(path, os.O_RDWR)
report = [result(lambda: os.write(own, value)), result(lambda: os.pread(own, 32, 0))]
_, fds, _, _ = socket.recv_fds(sock, 16, 1)
report += [result(lambda: os.write(fds[0], value)), result(lambda: os.pread(fds[0], 32, 0).decode())]
sock.sendall((" ".join(report) + "\n").encode())
sock.recv(1)
child.kill(); child.wait()
"""

# 1. Root opens the file of an unprivileged orchestrator's child and hands
# it over: the orchestrator's writes and reads through it are allowed.
ours, theirs = socket.socketpair()
v = unique_value()
orch = subprocess.Popen([*UNPRIVILEGED, sys.executable, "-c", ORCHESTRATOR, str(v),
                         str(theirs.fileno())],
                        pass_fds=[theirs.fileno()], stdout=subprocess.DEVNULL)
theirs.close()
reader = ours.makefile("r")
target = int(reader.readline())
fd = os.open(path(target), os.O_RDWR)
socket.send_fds(ours, [b"x"], [fd])
os.close(fd)
own_write, own_read, handed_write, handed_read = reader.readline().split()
eq(own_write, "EPERM", "unprivileged opener: its own write is EPERM")
eq(own_read, "EPERM", "... and its own read is EPERM")
eq(handed_write, f"OK:{len(str(v))}", "a root-opened descriptor lets the unprivileged writer label its child")
eq(handed_read, f"OK:{v}", "... and read the contid back")
eq(get_contid(target), str(v), "the child is labelled")
wait_record("CONTAINER_OP", rf"op=set opid={target} contid={v} old-contid=-1 res=1$")
ok(True, "... and the set is logged with res=1")
ours.sendall(b"x")
orch.wait()
reader.close()
ours.close()

# 2. An unprivileged process opens the file of root's child and hands it
# to root: root's write and read through it are refused.
OPENER = r"""
import os, socket, sys
sock = socket.socket(fileno=int(sys.argv[2]))
fd = os.open(sys.argv[1], os.O_RDWR)
socket.send_fds(sock, [b"x"], [fd])
sock.recv(1)
"""
with Child() as t:
    ours, theirs = socket.socketpair()
    opener = subprocess.Popen([*UNPRIVILEGED, sys.executable, "-c", OPENER, path(t.pid),
                               str(theirs.fileno())],
                              pass_fds=[theirs.fileno()])
    theirs.close()
    _, fds, _, _ = socket.recv_fds(ours, 16, 1)
    v = unique_value()
    eq(write_fd(fds[0], str(v)), "EPERM", "root writing through an unprivileged opener's descriptor: EPERM")
    try:
        os.pread(fds[0], 32, 0)
        got = "OK"
    except OSError as e:
        got = errname(e.errno)
    eq(got, "EPERM", "... and reading through it: EPERM")
    eq(get_contid(t.pid), str(UNSET), "... target unchanged")
    wait_record("CONTAINER_OP", rf"op=set opid={t.pid} contid={v} old-contid=-1 res=0$")
    ok(True, "... and the refused write is logged with res=0")
    eq(set_contid(t.pid, v), "OK", "root's own descriptor labels the same child")
    os.close(fds[0])
    ours.sendall(b"x")
    opener.wait()
    ours.close()

# 3. Refused writes are not rate limited by the subsystem: each is
# evidence, logged with res=0 like a refused /proc/self/loginuid write.
# Audit's own rate limit (auditctl -r) bounds them as it does every
# record, and counts what it drops in `lost`.
REFUSED = r"""
import os, sys
fd = os.open("/proc/self/audit_containerid", os.O_WRONLY)
sys.stdin.readline()
for _ in range(int(sys.argv[1])):
    try:
        os.pwrite(fd, sys.argv[2].encode(), 0)
    except OSError:
        pass
print(os.getpid(), flush=True)
"""


def refused_writes(n, value):
    """An unprivileged opener writes `value` to its own file `n` times;
    returns its pid and its contid once done."""
    w = Child([*UNPRIVILEGED, sys.executable, "-c", REFUSED, str(n), str(value)],
              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    with w:
        w.proc.stdin.write("go\n")
        w.proc.stdin.flush()
        pid = int(w.proc.stdout.readline())
        return pid, get_contid(pid)


def lost():
    return int(re.search(r"^lost (\d+)$", auditctl("-s"), re.M).group(1))


v = unique_value()
pid, state = refused_writes(25, v)
log_barrier()
eq(len(records("CONTAINER_OP", rf"op=set opid={pid} contid={v} old-contid=-1 res=0$")), 25,
   "25 refused writes by an unprivileged opener: 25 res=0 records")
eq(state, str(UNSET), "... and the writer stays unlabelled")

v = unique_value()
lost_before = lost()
auditctl("-r", "5")
try:
    pid, _ = refused_writes(50, v)
finally:
    auditctl("-r", "0")
log_barrier()
logged = len(records("CONTAINER_OP", rf"op=set opid={pid} contid={v} old-contid=-1 res=0$"))
ok(logged < 50, f"with auditctl -r 5, audit's rate limit drops some ({logged} of 50 logged)")
ok(lost() > lost_before, "... and counts them in lost", (lost_before, lost()))
done()
