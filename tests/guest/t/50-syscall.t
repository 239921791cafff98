#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# CONTAINER_ID aux records: audited syscalls of a task with a contid carry
# one with a matching record=; tasks without one get none.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

KEY = f"contid-sys-{os.getpid()}"
CALLER = "import os,sys\nsys.stdin.readline()\nos.getppid()\nprint('done', flush=True)\nsys.stdin.readline()\n"

auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "getppid", "-F", f"key={KEY}")
v = unique_value()
with py_child(CALLER) as labelled, py_child(CALLER) as plain:
    eq(set_contid(labelled.pid, v), "OK", "label one of two tasks")
    for c in (labelled, plain):
        c.proc.stdin.write("go\n")
        c.proc.stdin.flush()
        c.proc.stdout.readline()

    sysrec = wait_record("SYSCALL", rf" pid={labelled.pid} .*key=\"{KEY}\" record=1$")
    ok(True, "the labelled task's SYSCALL record ends with record=1")
    ev = event(serial(sysrec))
    cid = [r for r in ev if re.search(r"type=(CONTAINER_ID|UNKNOWN\[1340\])", r)]
    eq(len(cid), 1, "its event has one CONTAINER_ID record")
    ok(bool(cid) and cid[0].endswith(f"): record=1 contid={v}"),
       "CONTAINER_ID says record=1 contid=<its contid>", cid)

    # The last C series logged a drop at every audited syscall of a
    # container's only task; this one is alive: no drop.
    log_barrier()
    eq(records("CONTAINER_OP", rf"op=drop .* old-contid={v} "), [],
       "an audited syscall of a container's only task logs no drop")

    sysrec = wait_record("SYSCALL", rf" pid={plain.pid} .*key=\"{KEY}\"")
    ok(" record=" not in sysrec, "a task without contid: no record= on SYSCALL", sysrec)
    ev = event(serial(sysrec))
    eq([r for r in ev if re.search(r"CONTAINER_ID|UNKNOWN\[1340\]", r)], [],
       "... and no CONTAINER_ID record in its event")

# CONTAINER_ID records excluded by a rule: nothing may point at one.
with container_id_excluded(), py_child(CALLER) as labelled:
    eq(set_contid(labelled.pid, unique_value()), "OK", "label a task")
    labelled.proc.stdin.write("go\n")
    labelled.proc.stdin.flush()
    labelled.proc.stdout.readline()
    sysrec = wait_record("SYSCALL", rf" pid={labelled.pid} .*key=\"{KEY}\"")
    ok(" record=" not in sysrec, "with CONTAINER_ID excluded, its SYSCALL has no record=", sysrec)
    eq(event_contids(sysrec), [], "... and its event no CONTAINER_ID")
auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "getppid", "-F", f"key={KEY}")

# A `never` exit rule drops a syscall's own records, but not a record that
# joined its event before the rule was applied (at the exit): here the
# CONTAINER_OP res=0 of a labelled task's write to its own /proc file.
# That record still names the task's container, in its event.
SELF_WRITER = r"""
import errno, os, sys
fd = os.open("/proc/self/audit_containerid", os.O_WRONLY)
sys.stdin.readline()
try:
    os.write(fd, sys.argv[1].encode()); print("OK", flush=True)
except OSError as e:
    print(errno.errorcode[e.errno], flush=True)
sys.stdin.readline()
"""
v, asked = unique_value(), unique_value()
w = Child([sys.executable, "-c", SELF_WRITER, str(asked)], stdin=subprocess.PIPE,
          stdout=subprocess.PIPE, text=True)
with w:
    eq(set_contid(w.pid, v), "OK", "label a task")
    rule = ("never,exit", "-F", "arch=b64", "-S", "write", "-F", f"pid={w.pid}")
    auditctl("-a", *rule)
    try:
        w.proc.stdin.write("go\n")
        w.proc.stdin.flush()
        eq(w.proc.stdout.readline().strip(), "EXDEV", "its write to its own file is refused")
    finally:
        auditctl("-d", *rule)
    rec = wait_record("CONTAINER_OP", rf"op=set opid={w.pid} contid={asked} old-contid={v} res=0$")
    log_barrier()
    ev = event(serial(rec))
    eq([r for r in ev if "type=SYSCALL" in r], [], "the never rule drops its SYSCALL record")
    eq(event_contids(rec), [str(v)], "... but the refusal's event still names its container")
done()
