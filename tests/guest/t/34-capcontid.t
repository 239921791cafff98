#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# capcontid (spec 1.5, 2.2): a privileged parent delegates the right to
# manage contids to an engine, which may then run in a user namespace.  The
# matrix: granter privileged or not, target a descendant or not, writer in
# or out of a user namespace, the last C series' bypass, read permission,
# and procfs DAC in a user namespace.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# An engine that runs commands from stdin, one reply line each.  A command
# starting with depth N > 0 goes to the sub-engine it forked last (which
# replies on the same stdout).  Files are opened per command, so privilege
# is the engine's at that moment.
ENGINE = r"""
import ctypes, errno, os, signal, sys
libc = ctypes.CDLL(None, use_errno=True)
def say(*a): print(*a, flush=True)
def name(e): return errno.errorcode[e.errno]
def write(path, v):
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError as e:
        return "open:" + name(e)
    try:
        os.write(fd, v.encode()); return "OK"
    except OSError as e:
        return name(e)
    finally:
        os.close(fd)
def read(path):
    try:
        with open(path, "rb") as f: return f.read().decode()
    except OSError as e:
        return ("open:" if e.filename else "") + name(e)
inp, sub = sys.stdin, None
say("ready", os.getpid())
while True:
    line = inp.readline()
    if not line:
        break
    depth, cmd, *args = line.split()
    if int(depth) > 0:
        os.write(sub, f"{int(depth) - 1} {cmd} {' '.join(args)}\n".encode())
        continue
    if cmd == "unshare-user":
        say("OK" if libc.unshare(0x10000000) == 0 else errno.errorcode[ctypes.get_errno()])
    elif cmd == "sleeper":
        pid = os.fork()
        if pid == 0:
            while True: signal.pause()
        say(pid)
    elif cmd == "engine":
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(w); inp, sub = os.fdopen(r), None
            say("ready", os.getpid())
        else:
            os.close(r); sub = w
    elif cmd == "label":
        say(write(f"/proc/{args[0]}/audit_containerid", args[1]))
    elif cmd == "read":
        say(read(f"/proc/{args[0]}/audit_containerid"))
    elif cmd == "grant":
        say(write(f"/proc/{args[0]}/audit_capcontainerid", args[1]))
    elif cmd == "readcap":
        say(read(f"/proc/{args[0]}/audit_capcontainerid"))
    elif cmd == "exec-sleep":
        os.execv("/bin/sh", ["sh", "-c", "echo ready $$; exec sleep 1000"])
    elif cmd == "setuid":
        os.setresuid(int(args[0]), int(args[0]), int(args[0])); say("OK")
"""

NO_AUDIT_CONTROL = ["setpriv", "--bounding-set=-audit_control", "--inh-caps=-audit_control"]
UID_1000 = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]


class Engine:
    def __init__(self, prefix=()):
        self.child = Child([*prefix, sys.executable, "-c", ENGINE],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = int(self.child.proc.stdout.readline().split()[1])

    def ask(self, *words, depth=0):
        self.child.proc.stdin.write(f"{depth} {' '.join(map(str, words))}\n")
        self.child.proc.stdin.flush()
        return self.child.proc.stdout.readline().strip()

    def sub_engine(self, depth=0):
        """Forks a sub-engine; returns its pid."""
        return int(self.ask("engine", depth=depth).split()[1])

    def kill(self):
        self.child.kill()


def cap_path(pid):
    return f"/proc/{pid}/audit_capcontainerid"


def read_cap(pid):
    try:
        with open(cap_path(pid)) as f:
            return f.read()
    except OSError as e:
        return errname(e.errno)


def cap_record(opid, want, old, res):
    return wait_record("SET_CAPCONTID",
                       rf"opid={opid} capcontid={want} old-capcontid={old} res={res}$")


def cap_records(opid):
    return records("SET_CAPCONTID", rf"opid={opid} ")


# --- a privileged granter ------------------------------------------------
# The engine has no CAP_AUDIT_CONTROL: what it may do comes from the grant.
e = Engine(NO_AUDIT_CONTROL)
try:
    eq(read_cap(e.pid), "0", "a new task has no capcontid")
    eq(write_raw(cap_path(e.pid), "1"), "OK", "privileged parent grants capcontid to its child")
    eq(read_cap(e.pid), "1", "... it reads back 1")
    cap_record(e.pid, 1, 0, 1)
    ok(True, "... SET_CAPCONTID opid= capcontid=1 old-capcontid=0 res=1")

    log_barrier()
    before = len(cap_records(e.pid))
    for bad, want in [("2", "EINVAL"), ("-1", "EINVAL"), ("", "EINVAL"), ("0x1", "EINVAL"),
                      ("1 ", "EINVAL"), ("4294967295", "EINVAL"), ("4294967296", "ERANGE"),
                      ("99999999999999999999999", "ERANGE")]:
        eq(write_raw(cap_path(e.pid), bad), want, f"grant value {bad!r}: {want}")
    eq(write_raw(cap_path(e.pid), "0", offset=1), "EINVAL", "grant at offset 1: EINVAL")
    eq(read_cap(e.pid), "1", "... capcontid unchanged after every bad write")
    log_barrier()
    eq(len(cap_records(e.pid)), before, "... and no record for a write that did not parse")

    # The engine labels its own children and reads contids, with the grant.
    k = e.ask("sleeper")
    v = unique_value()
    eq(e.ask("label", k, v), "OK", "engine with capcontid (no CAP_AUDIT_CONTROL) labels its child")
    eq(e.ask("read", k), str(v), "... and reads its contid")
    eq(e.ask("readcap", k), "0", "... and reads its capcontid: 0, not inherited")
    wait_record("CONTAINER_OP", rf"op=set opid={k} contid={v} old-contid=-1 res=1$")
    ok(True, "... op=set res=1 logged")

    # Not a descendant: the granter's parent (us), and itself.
    eq(e.ask("grant", os.getpid(), 1), "EXDEV", "grant to a non-descendant: EXDEV")
    cap_record(os.getpid(), 1, 0, 0)
    ok(True, "... logged with res=0")
    eq(read_cap(os.getpid()), "0", "... its capcontid unchanged")
    eq(e.ask("grant", e.pid, 0), "EXDEV", "grant to oneself: EXDEV")
    eq(read_cap(e.pid), "1", "... unchanged")

    # A granter with capcontid may grant it on.
    s = e.ask("sleeper")
    eq(e.ask("grant", s, 1), "OK", "engine with capcontid grants it to its child")
    eq(read_cap(s), "1", "... which reads back 1")

    # Withdrawn: the next file the engine opens carries no privilege.
    eq(write_raw(cap_path(e.pid), "0"), "OK", "privileged parent withdraws capcontid")
    cap_record(e.pid, 0, 1, 1)
    ok(True, "... logged: capcontid=0 old-capcontid=1 res=1")
    k2 = e.ask("sleeper")
    eq(e.ask("label", k2, unique_value()), "EPERM", "... the engine's next label: EPERM")
    eq(e.ask("read", k), "EPERM", "... and read: EPERM")
    eq(get_contid(k2), str(UNSET), "... target unchanged")
finally:
    e.kill()

# --- an unprivileged granter ---------------------------------------------
n = Engine(NO_AUDIT_CONTROL)
try:
    s = n.ask("sleeper")
    eq(n.ask("grant", s, 1), "EPERM", "granter without CAP_AUDIT_CONTROL or capcontid: EPERM")
    eq(read_cap(s), "0", "... target unchanged")
    cap_record(s, 1, 0, 0)
    ok(True, "... logged with res=0")
    eq(n.ask("readcap", s), "EPERM", "... and it may not read capcontid: EPERM")
    eq(n.ask("read", s), "EPERM", "... nor contids: EPERM")
    eq(n.ask("label", s, unique_value()), "EPERM", "... nor label: EPERM")
    eq(get_contid(s), str(UNSET), "... target unchanged")
finally:
    n.kill()

# --- an engine in a user namespace ---------------------------------------
# uid 1000, granted by its privileged parent, then in a user namespace of
# its own, where it has every capability but none of the initial one's.
u = Engine(UID_1000)
try:
    eq(write_raw(cap_path(u.pid), "1"), "OK", "grant capcontid to an engine running as uid 1000")
    eq(u.ask("unshare-user"), "OK", "the engine enters a new user namespace")
    k = u.ask("sleeper")
    v = unique_value()
    eq(u.ask("label", k, v), "OK", "engine in a user namespace labels its child")
    eq(get_contid(k), str(v), "... the child has the contid")
    eq(u.ask("read", k), str(v), "... the engine reads it")
    wait_record("CONTAINER_OP", rf"op=set opid={k} contid={v} old-contid=-1 res=1$")
    ok(True, "... op=set res=1 logged")
    s = u.ask("sleeper")
    eq(u.ask("grant", s, 1), "OK", "engine in a user namespace grants capcontid to its child")
    # Procfs DAC still applies: the files are 0600, and uid 1000 does not
    # own a root task's files, whatever capcontid says.
    eq(u.ask("label", os.getpid(), unique_value()), "open:EACCES",
       "DAC in a user namespace: a root task's file cannot be opened (EACCES)")
    eq(get_contid(os.getpid()), str(UNSET), "... that task unchanged")
finally:
    u.kill()

# The same without the grant, and the last C series' bypass: a user
# namespace of one's own does not let one grant capcontid.
b = Engine(UID_1000)
try:
    eq(b.ask("unshare-user"), "OK", "ungranted engine (uid 1000) enters a new user namespace")
    k = b.ask("sleeper")
    eq(b.ask("label", k, unique_value()), "EPERM", "... labelling its child: EPERM")
    eq(b.ask("read", k), "EPERM", "... reading a contid: EPERM")
    sub = b.sub_engine()
    eq(b.ask("grant", sub, 1), "EPERM", "bypass: granting capcontid to its own child: EPERM")
    eq(read_cap(sub), "0", "... the child has none")
    cap_record(sub, 1, 0, 0)
    ok(True, "... refused grant logged with res=0")
    ks = b.ask("sleeper", depth=1)
    eq(b.ask("label", ks, unique_value(), depth=1), "EPERM", "... and the child cannot label")
    eq(get_contid(ks), str(UNSET), "... target unchanged")
finally:
    b.kill()

# --- not inherited ---------------------------------------------------------
g = Engine(NO_AUDIT_CONTROL)
try:
    eq(write_raw(cap_path(g.pid), "1"), "OK", "grant capcontid to an engine")
    sub = g.sub_engine()
    eq(read_cap(sub), "0", "a child forked after the grant has no capcontid")
    ks = g.ask("sleeper", depth=1)
    eq(g.ask("label", ks, unique_value(), depth=1), "EPERM", "... and cannot label")
finally:
    g.kill()

# --- not kept across execve, nor a change of credentials --------------------
# Like a capability that is not ambient: a granted helper that execs a
# program (setuid, with file capabilities, or any other) does not hand it
# the right, and neither does one that changes its uid.
x = Engine(NO_AUDIT_CONTROL)
try:
    eq(write_raw(cap_path(x.pid), "1"), "OK", "grant capcontid to an engine")
    eq(x.ask("exec-sleep"), f"ready {x.pid}", "the engine execs another program")
    eq(read_cap(x.pid), "0", "... which starts without capcontid")
finally:
    x.kill()
y = Engine(NO_AUDIT_CONTROL)
try:
    eq(write_raw(cap_path(y.pid), "1"), "OK", "grant capcontid to an engine")
    eq(y.ask("setuid", 1000), "OK", "the engine changes its uid to 1000")
    eq(read_cap(y.pid), "0", "... and has no capcontid after")
    k = y.ask("sleeper")
    # Refused either way: a task that changed its uid is not dumpable, so
    # its child's /proc files are root's (EACCES at open); were they not,
    # the write would be EPERM.
    refused = y.ask("label", k, unique_value())
    ok(refused in ("EPERM", "open:EACCES"), "... so it cannot label its new child", refused)
    eq(get_contid(k), str(UNSET), "... which stays unlabelled")
finally:
    y.kill()
done()
