#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Records a container's task causes outside a syscall event (issue 27):
# a crash (ANOM_ABEND), a seccomp action (SECCOMP, logged before the
# syscall's event begins), and the records of a task with no audit context,
# each come in an event of their own with the task's CONTAINER_ID record,
# tied by record=1.  Records inside a syscall (an AppArmor AVC, BPF,
# KERN_MODULE, ANOM_LINK) name it through the syscall's.  For a labelled
# task, a nested one (the chain) and an unlabelled one (none, no record=).
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

HELPER = "/tmp/contid-standalone"
subprocess.run(["gcc", "-O2", "-Wall", "-o", HELPER,
                os.path.join(os.path.dirname(__file__), "..", "standalone.c")],
               check=True)
work = tempfile.mkdtemp(prefix="contid-standalone-", dir="/tmp")
CID = r"type=(?:CONTAINER_ID|UNKNOWN\[1340\])"


def run(*action, label=None, nest=None, rc=0):
    """Runs the helper's action; labels it first (label), and has it label
    a child that acts (nest).  Returns the acting task's pid and output."""
    argv = [HELPER] + (["nest", str(nest)] if nest else []) + list(action)
    p = Child(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    actor = int(p.proc.stdout.readline().split()[1])
    if label is not None:
        eq(set_contid(p.pid, label), "OK", f"label the task that runs {action[0]}")
    p.proc.stdin.write("go\n")
    p.proc.stdin.close()
    out = p.proc.stdout.read()
    code = p.proc.wait()
    # Killed by signal N: -N from Popen, 128 + N from the nest parent.
    eq(128 - code if code < 0 else code, rc, f"{action[0]} exits with {rc}")
    if nest:
        nested = re.search(r"^nested (\d+) (\S+)$", out, re.M)
        eq(nested and nested.group(2), "OK", "it labels its child (nested)")
        actor = int(nested.group(1))
    return actor, out


used = []


def whose(who):
    """(label, nest, the CONTAINER_ID chain text) for each kind of task."""
    if who == "labelled":
        v = unique_value()
        used.append(v)
        return v, None, str(v)
    if who == "nested":
        outer, inner = unique_value(), unique_value()
        used.extend((outer, inner))
        return outer, inner, f"{inner},^{outer}"
    return None, None, None


def own_event(line, chain, what):
    """The record is an event of its own: with its container, record=1 and
    one CONTAINER_ID; without, a record alone."""
    ev = event(serial(line))
    if chain is None:
        ok("record=" not in line, f"{what}: no record= without a container", line)
        eq(len(ev), 1, f"{what}: ... and a record on its own")
        return
    ok(line.endswith(" record=1"), f"{what}: the record ends in record=1", line)
    eq([r for r in ev if re.search(CID, r)],
       [r for r in ev if re.search(rf"{CID} msg=audit\([0-9.]+:\d+\): record=1 contid={re.escape(chain)}$", r)],
       f"{what}: its event's CONTAINER_ID records are record=1 contid={chain}")
    eq(len(ev), 2, f"{what}: ... exactly one, in an event of two records")


def in_syscall_event(line, chain, what):
    """The record is in a syscall's event, which names the container once."""
    ev = event(serial(line))
    ok(any("type=SYSCALL" in r for r in ev), f"{what}: in a syscall's event", "\n".join(ev))
    eq(event_contids(line), [] if chain is None else [chain],
       f"{what}: the event names {chain or 'no container'}")
    ok("record=" not in line, f"{what}: the record itself has no record=", line)


# Any exit rule: without one syscall contexts are dummies, and
# audit_log_path_denied() logs no ANOM_LINK.
auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "acct", "-F", "key=contid-standalone-any")

# --- a crash ------------------------------------------------------------
for who in ("labelled", "nested", "unlabelled"):
    label, nest, chain = whose(who)
    actor, _ = run("segv", label=label, nest=nest, rc=128 + 11)
    line = wait_record("ANOM_ABEND", rf" pid={actor} .*sig=11 res=1")
    own_event(line, chain, f"ANOM_ABEND of a {who} task")

# --- seccomp ------------------------------------------------------------
for who in ("labelled", "nested", "unlabelled"):
    label, nest, chain = whose(who)
    actor, _ = run("seccomp-log", label=label, nest=nest)
    line = wait_record("SECCOMP", rf" pid={actor} .*syscall=110 .*code=0x7ffc0000")
    own_event(line, chain, f"SECCOMP_RET_LOG of a {who} task")

for who in ("labelled", "nested", "unlabelled"):
    label, nest, chain = whose(who)
    actor, _ = run("seccomp-kill", label=label, nest=nest, rc=128 + 31)
    line = wait_record("SECCOMP", rf" pid={actor} .*syscall=110 .*code=0x80000000")
    own_event(line, chain, f"SECCOMP_RET_KILL_PROCESS of a {who} task")
    line = wait_record("ANOM_ABEND", rf" pid={actor} .*sig=31 res=1")
    own_event(line, chain, "... and the ANOM_ABEND of its SIGSYS")

# Under an audited syscall: the SECCOMP record comes before the syscall's
# event begins, so each event names the container once.
key = "contid-standalone-getppid"
auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "getppid", "-F", f"key={key}")
try:
    label, nest, chain = whose("nested")
    actor, _ = run("seccomp-log", label=label, nest=nest)
    seccomp = wait_record("SECCOMP", rf" pid={actor} .*syscall=110 .*code=0x7ffc0000")
    own_event(seccomp, chain, "SECCOMP_RET_LOG under an audited getppid")
    call = wait_record("SYSCALL", rf"syscall=110 .* pid={actor} .*key=\"{key}\"")
    ok(serial(call) != serial(seccomp), "... the syscall is an event of its own", call)
    eq(event_contids(call), [chain], "... which names the container once")
finally:
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "getppid", "-F", f"key={key}")

# --- a task with no audit context (a never,task rule) ---------------------
# Its records join no event; each gets one of its own.
auditctl("-A", "task,never")
try:
    label, nest, chain = whose("labelled")
    actor, out = run("bpf", label=label)
finally:
    auditctl("-d", "task,never")
prog = re.search(r"^prog-id (\d+)$", out, re.M).group(1)
for op in ("LOAD", "UNLOAD"):
    line = wait_record("BPF", rf"prog-id={prog} op={op}")
    own_event(line, chain, f"BPF op={op} of a labelled task with no audit context")

# --- BPF in a syscall -----------------------------------------------------
for who in ("labelled", "nested", "unlabelled"):
    label, nest, chain = whose(who)
    actor, out = run("bpf", label=label, nest=nest)
    prog = re.search(r"^prog-id (\d+)$", out, re.M).group(1)
    for op in ("LOAD", "UNLOAD"):
        line = wait_record("BPF", rf"prog-id={prog} op={op}")
        in_syscall_event(line, chain, f"BPF op={op} of a {who} task")

# --- AppArmor -------------------------------------------------------------
secret = os.path.join(work, "secret")
with open(secret, "w") as f:
    f.write("secret\n")
profile = os.path.join(work, "profile")
with open(profile, "w") as f:
    f.write("profile contid-standalone {\n  /** rwmix,\n"
            f"  audit deny {secret} r,\n}}\n")
loaded = subprocess.run(["apparmor_parser", "-r", "-K", profile],
                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
eq(loaded.returncode, 0, f"apparmor_parser loads a profile that denies {secret}")
if loaded.returncode:
    print("#", loaded.stdout.replace("\n", "\n# "))
for who in ("labelled", "nested", "unlabelled"):
    label, nest, chain = whose(who)
    actor, out = run("confine", "contid-standalone", "open", secret, label=label, nest=nest)
    ok("open EACCES" in out, f"the confined {who} task is denied {secret}", out)
    line = wait_record("AVC", rf'apparmor="DENIED" operation="open" .*name="{re.escape(secret)}" pid={actor} ')
    in_syscall_event(line, chain, f"AppArmor AVC of a {who} task")
# With no audit context (a never,task rule) the denial joins no event.
auditctl("-A", "task,never")
try:
    label, nest, chain = whose("nested")
    actor, out = run("confine", "contid-standalone", "open", secret, label=label, nest=nest)
finally:
    auditctl("-d", "task,never")
ok("open EACCES" in out, "the confined task with no audit context is denied too", out)
line = wait_record("AVC", rf'apparmor="DENIED" operation="open" .*name="{re.escape(secret)}" pid={actor} ')
own_event(line, chain, "AppArmor AVC of a nested task with no audit context")

# --- ANOM_LINK --------------------------------------------------------------
with open("/proc/sys/fs/protected_symlinks") as f:
    protected = f.read().strip()
sticky = os.path.join(work, "sticky")
os.mkdir(sticky)
os.chmod(sticky, 0o1777)
link = os.path.join(sticky, "link")
os.symlink(secret, link)
os.lchown(link, 1000, 1000)
with open("/proc/sys/fs/protected_symlinks", "w") as f:
    f.write("1")
try:
    for who in ("labelled", "nested", "unlabelled"):
        label, nest, chain = whose(who)
        actor, out = run("open", link, label=label, nest=nest)
        ok("open EACCES" in out, f"a {who} task may not follow another user's symlink", out)
        line = wait_record("ANOM_LINK", rf"op=follow_link .* pid={actor} ")
        in_syscall_event(line, chain, f"ANOM_LINK of a {who} task")
finally:
    with open("/proc/sys/fs/protected_symlinks", "w") as f:
        f.write(protected)

# --- a module load ------------------------------------------------------------
module = "arp_tables"
if subprocess.run(["modinfo", module], stdout=subprocess.DEVNULL,
                  stderr=subprocess.DEVNULL).returncode:
    ok(True, f"a module load # SKIP no {module} module for this kernel")
else:
    if os.path.exists(f"/sys/module/{module}"):
        subprocess.run(["modprobe", "-r", module], check=True)
    rule = ("always,exit", "-F", "arch=b64", "-S", "finit_module", "-S", "init_module",
            "-F", "key=contid-standalone-module")
    auditctl("-a", *rule)
    try:
        for who in ("labelled", "nested", "unlabelled"):
            label, nest, chain = whose(who)
            actor, _ = run("exec", "modprobe", module, label=label, nest=nest)
            calls = wait_record("SYSCALL", rf" pid={actor} .*key=\"contid-standalone-module\"")
            ev = event(serial(calls))
            ok(any('type=KERN_MODULE msg=audit' in r and f'name="{module}"' in r for r in ev),
               f"KERN_MODULE {module} in the {who} modprobe's syscall event", "\n".join(ev))
            eq(event_contids(calls), [] if chain is None else [chain],
               f"KERN_MODULE: the event names {chain or 'no container'}")
            subprocess.run(["modprobe", "-r", module], check=True)
    finally:
        auditctl("-d", *rule)
        subprocess.run(["modprobe", "-r", module])

auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "acct", "-F", "key=contid-standalone-any")

# The drop record keeps its place: every record naming one of these
# containers (a crash's, as its last task dies, included) comes after its
# op=set and before its op=drop, and each was dropped.
log_barrier()
problems, live = trail_problems(used)
eq(problems, [], f"the {len(used)} containers' records all come between their op=set and op=drop")
eq(live, set(), "... and every one of them was dropped")
subprocess.run(["apparmor_parser", "-R", "-K", profile], stdout=subprocess.DEVNULL,
               stderr=subprocess.DEVNULL)
shutil.rmtree(work)
done()
