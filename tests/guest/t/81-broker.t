#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# contid-broker's defects a review found (issue 28), each failing on the
# broker before its fix: clients that connect and send nothing leaked a
# pidfd each until accept() failed and the broker spun on its queue; a
# requester reaped before the broker served it was labelled by its bare
# pid, which another process may have by then; a name could be made at
# most 64 times; a container the broker could not record (out of memory)
# was labelled all the same, and the next create of its name joined it;
# a late forget forgot the name's next life, and an exec into a container
# whose tasks had all exited made a second container of its id.  The runtime runs below the broker with a crun that does
# nothing (/bin/true): only the broker's labels are under test.
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

work = scratch("broker")
NO_CRUN = {"AUDIT_CONTID_CRUN": "/bin/true", "AUDIT_CONTID_BROKER_TIMEOUT": "10"}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def silent_client(path, seconds):
    """Connects and sends nothing; True if the broker closes the
    connection within `seconds` (its request timeout)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(seconds)
    try:
        s.connect(path)
        return s.recv(16) == b""
    except OSError:
        return False
    finally:
        s.close()


# --- silent clients ------------------------------------------------------
# 32 fds for the broker, 100 ms to send a request: 60 silent clients
# would leak more pidfds than it has.
sock = os.path.join(work, "silent.sock")
broker = Broker(sock, wrapper=["prlimit", "--nofile=32:32", "--"],
                options=["--request-timeout", "100"])
try:
    served = 0
    for _ in range(60):
        if not silent_client(sock, 3):
            break
        served += 1
    eq(served, 60, "60 clients that send nothing are each timed out and closed")
    rc, out, err = broker.run([RUNTIME, "create", f"after-silent-{os.getpid()}"], env=NO_CRUN,
                              timeout=30)
    ok(rc == 0, "... and the broker still labels a container after them", err)
    before = cpu_seconds(broker.proc.pid)
    time.sleep(1)
    spent = cpu_seconds(broker.proc.pid) - before
    ok(spent < 0.3, f"... and idles (used {spent:.2f} s of CPU in 1 s)")
finally:
    broker.stop()

# --- a requester reaped before it is served --------------------------------
# With the broker stopped, a child sends "new" and is reaped; another
# process takes its pid (clone3 with set_tid).  The broker, resumed, must not label
# that process: the requester's pidfd cannot be had, so it refuses.
RECYCLE = r"""
import ctypes, os, signal, socket, struct, sys
broker, path, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
libc = ctypes.CDLL(None, use_errno=True)


def fork_as(pid):
    # clone3() with set_tid: the child gets `pid` (root may ask for it).
    tid = (ctypes.c_int * 1)(pid)
    args = ctypes.create_string_buffer(struct.pack(
        "11Q", 0, 0, 0, 0, signal.SIGCHLD, 0, 0, 0, ctypes.addressof(tid), 1, 0), 88)
    got = libc.syscall(435, args, 88)
    if got < 0:
        raise OSError(ctypes.get_errno(), "clone3 with set_tid")
    return got


os.kill(broker, signal.SIGSTOP)
try:
    child = os.fork()
    if child == 0:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(path)
        s.send(("new " + name).encode())
        os._exit(0)
    os.waitpid(child, 0)
    r, w = os.pipe()
    heir = fork_as(child)
    if heir == 0:
        os.read(r, 1)
        os._exit(0)
finally:
    os.kill(broker, signal.SIGCONT)
# Requests are served in order: once this one is answered, the dead
# child's has been handled.
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(path)
s.send(b"forget no-such-container")
s.recv(1024)
with open(f"/proc/{heir}/audit_containerid") as f:
    label = f.read().strip()
os.write(w, b"x")
os.waitpid(heir, 0)
print("recycled" if heir == child else "not recycled", heir, label)
"""
sock = os.path.join(work, "recycle.sock")
broker = Broker(sock)
try:
    name = f"recycled-{os.getpid()}"
    rc, out, err = broker.run([sys.executable, "-c", RECYCLE, str(broker.proc.pid), sock, name],
                              timeout=120)
    got = re.search(r"^recycled (\d+) (\d+)$", out, re.M)
    ok(rc == 0 and got, "a reaped requester's pid is taken by another process below the broker",
       out + err)
    eq(got and got.group(2), str(UNSET), "... which the broker does not label")
finally:
    broker.stop()

# --- many lives of one name -------------------------------------------------
sock = os.path.join(work, "lives.sock")
broker = Broker(sock)
try:
    name = f"web-{os.getpid()}"
    failures = []
    for life in range(70):
        rc, out, err = broker.run([RUNTIME, "create", name], env=NO_CRUN, timeout=30)
        if rc:
            failures.append(f"life {life + 1}: {err.strip()}")
    eq(failures, [], "one name made 70 times (each life gone before the next) is labelled each time")
finally:
    broker.stop()

# --- requests that name the life they mean ---------------------------------
def ask(path, text):
    """One request to the broker from the test (root, not below it: forget
    and lookup do not label); the reply."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(10)
    s.connect(path)
    s.send(text.encode())
    try:
        return s.recv(1024).decode()
    finally:
        s.close()


LINGER_LIVES = "987653"
lingering = os.path.join(work, "crun-that-lingers-too")
with open(lingering, "w") as f:
    f.write(f"#!/bin/sh\ncat /proc/$$/audit_containerid\n(exec sleep {LINGER_LIVES} &)\n")
os.chmod(lingering, 0o755)
sock = os.path.join(work, "life.sock")
broker = Broker(sock)
try:
    env = {"AUDIT_CONTID_CRUN": lingering, "AUDIT_CONTID_BROKER_TIMEOUT": "10"}
    name = f"twice-{os.getpid()}"
    rc, out, err = broker.run([RUNTIME, "create", name], env=env, timeout=30)
    first = out.split()[0] if rc == 0 and out.split() else None
    ok(first, "a container runs, a task of it left behind", err)
    eq(ask(sock, f"lookup {name}"), f"ok {first}", "lookup names its life's id")
    # A delete looked it up; the container ends, and its name is made
    # again before that delete's forget arrives.
    subprocess.run(["pkill", "-f", f"sleep {LINGER_LIVES}"])
    wait_until(lambda: subprocess.run(["pgrep", "-f", f"sleep {LINGER_LIVES}"],
                                      stdout=subprocess.DEVNULL).returncode,
               "the first life's last task to exit")
    rc, out, err = broker.run([RUNTIME, "create", name], env=env, timeout=30)
    second = out.split()[0] if rc == 0 and out.split() else None
    ok(second and second != first, "the name made again is a new life with a new id", err)
    reply = ask(sock, f"forget {name} {first}")
    ok(reply.startswith(f"error {116} ") and "another life now" in reply,
       "a late forget of the first life is refused (ESTALE)", reply)
    eq(ask(sock, f"lookup {name}"), f"ok {second}", "... and the second life is still known")
    rc, out, err = broker.run([RUNTIME, "exec", name, "true"], env=env, timeout=30)
    ok(rc == 0 and out.split()[:1] == [second], "an exec joins the second life", err)

    # An exec after the container's last task exited: no second life of
    # its id.
    subprocess.run(["pkill", "-f", f"sleep {LINGER_LIVES}"])
    wait_until(lambda: subprocess.run(["pgrep", "-f", f"sleep {LINGER_LIVES}"],
                                      stdout=subprocess.DEVNULL).returncode,
               "the second life's last task to exit")
    rc, out, err = broker.run([RUNTIME, "exec", name, "true"], env=env, timeout=30)
    ok(rc == 1 and "has no task left" in err,
       "an exec into a container whose tasks have all exited is refused", f"{rc}: {out} {err}")
    eq(ask(sock, f"forget {name} {second}"), f"ok {second}", "the delete's forget of its life works")
finally:
    subprocess.run(["pkill", "-f", f"sleep {LINGER_LIVES}"])
    broker.stop()

# --- out of memory recording a container -----------------------------------
# The broker's copy of a container's name fails once (an LD_PRELOAD
# shim).  It must not label a process it cannot record: the next create
# of the name would join the container still running.  The crun here
# prints the id it runs with and leaves a task of the container behind.
SHIM = os.path.join(work, "failstrdup.so")
subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", SHIM,
                os.path.join(os.path.dirname(__file__), "..", "failstrdup.c"), "-ldl"],
               check=True)
LINGER = "987654"
fake_crun = os.path.join(work, "crun-that-lingers")
with open(fake_crun, "w") as f:
    f.write(f"#!/bin/sh\ncat /proc/$$/audit_containerid\n(exec sleep {LINGER} &)\n")
os.chmod(fake_crun, 0o755)
name = f"oom-{os.getpid()}"
sock = os.path.join(work, "oom.sock")
broker = Broker(sock, wrapper=["env", f"LD_PRELOAD={SHIM}", f"FAIL_STRDUP_ONCE={name}"])
try:
    env = {"AUDIT_CONTID_CRUN": fake_crun, "AUDIT_CONTID_BROKER_TIMEOUT": "10"}
    rc1, out1, err1 = broker.run([RUNTIME, "create", name], env=env, timeout=30)
    rc2, out2, err2 = broker.run([RUNTIME, "create", name], env=env, timeout=30)
    ok(rc1 == 1 and "out of memory recording container" in err1,
       "a create the broker cannot record is refused, not labelled", f"{rc1}: {out1} {err1}")
    ok(rc2 == 0, "the next create of the name is labelled", err2)
    ok(rc1 != 0 or out1.split() != out2.split(),
       "... as a new container, not the one still running", f"{out1!r} {out2!r}")
finally:
    subprocess.run(["pkill", "-f", f"sleep {LINGER}"])
    broker.stop()

shutil.rmtree(work)
done()
