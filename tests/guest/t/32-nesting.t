#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Nested orchestrators (spec 1.4): an engine in container 1 labels its own
# container 2, and an engine in 2 labels 4.  Records carry the chain, the
# rule field matches a container and everything nested in it, and ausearch
# finds them all; a nested label is refused to anyone but a nested engine.
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# Each level waits to be labelled, forks the next level, labels it with the
# next value (nesting), and lets it go on; the last level is the leaf.
# Every process answers SIGUSR1 with one getppid() (the probe the rules
# below catch) and "probed PID".
ENGINE = r"""
import errno, os, signal, sys, time
def say(*a): print(*a, flush=True)
def probe(*_):
    os.getppid(); say("probed", os.getpid())
signal.signal(signal.SIGUSR1, probe)
def label(pid, v):
    try:
        fd = os.open(f"/proc/{pid}/audit_containerid", os.O_WRONLY)
        os.write(fd, str(v).encode()); os.close(fd); return "OK"
    except OSError as e:
        return errno.errorcode[e.errno]
say("ready", os.getpid())
sys.stdin.readline()
for depth, v in enumerate(int(x) for x in sys.argv[1:]):
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        say("label", depth, pid, label(pid, v))
        os.write(w, b"x")
        while True:
            time.sleep(1000)
    os.read(r, 1)
say("leaf", os.getpid())
while True:
    time.sleep(1000)
"""

PROBE_ONLY = r"""
import os, signal, time
def probe(*_):
    os.getppid(); print("probed", os.getpid(), flush=True)
signal.signal(signal.SIGUSR1, probe)
print("ready", os.getpid(), flush=True)
while True:
    time.sleep(1000)
"""

v1, v2, v4 = unique_value(), unique_value(), unique_value()
engine = Child([sys.executable, "-c", ENGINE, str(v2), str(v4)],
               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
plain = Child([sys.executable, "-c", PROBE_ONLY], stdout=subprocess.PIPE, text=True)
try:
    e1 = int(engine.proc.stdout.readline().split()[1])
    plain.proc.stdout.readline()
    eq(set_contid(e1, v1), "OK", "host engine labels engine 1 with container 1")
    engine.proc.stdin.write("go\n")
    engine.proc.stdin.flush()
    lines = [engine.proc.stdout.readline().split() for _ in range(3)]
    labels = {int(line[1]): line for line in lines if line[0] == "label"}
    t2, t4 = int(labels[0][2]), int(labels[1][2])
    eq(labels[0][3], "OK", "engine in container 1 labels its child 2 (nested)")
    eq(labels[1][3], "OK", "engine in container 2 labels its child 4 (nested)")
    eq([line for line in lines if line[0] == "leaf"], [["leaf", str(t4)]], "leaf is task 4")
    eq([get_contid(p) for p in (e1, t2, t4)], [str(v1), str(v2), str(v4)],
       "/proc shows each task's own id only")

    wait_record("CONTAINER_OP", rf"op=set opid={t2} contid={v2} old-contid={v1} res=1$")
    ok(True, "op=set of 2 names its old contid 1")
    wait_record("CONTAINER_OP", rf"op=set opid={t4} contid={v4} old-contid={v2},\^{v1} res=1$")
    ok(True, "op=set of 4 names its old chain 2,^1")

    # Layer rules: only a nested engine may relabel.
    eq(set_contid(t4, unique_value()), "EEXIST",
       "host engine reaching into container 4 (owner of 1, not nested in 2): EEXIST")
    eq(get_contid(t4), str(v4), "... task 4 unchanged")

    # Probe each task under one rule at a time (the first matching exit
    # rule wins), and see whose probe the rule caught.
    tasks = {"1": e1, "2": t2, "4": t4, "none": plain.pid}
    procs = {e1: engine, t2: engine, t4: engine, plain.pid: plain}

    def caught(rule, key):
        auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "getppid", *rule, "-k", key)
        try:
            for pid in tasks.values():
                os.kill(pid, signal.SIGUSR1)
                wait_until(lambda: procs[pid].proc.stdout.readline().split() == ["probed", str(pid)],
                           f"probe of {pid}")
            log_barrier()
        finally:
            auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "getppid", *rule, "-k", key)
        return sorted(name for name, pid in tasks.items()
                      if records("SYSCALL", rf" pid={pid} .*key=\"{key}\""))

    n = os.getpid()
    for name, value, eq_want, ne_want in [
            ("1", v1, ["1", "2", "4"], []),
            ("2", v2, ["2", "4"], ["1"]),
            ("4", v4, ["4"], ["1", "2"])]:
        eq(caught(["-F", f"contid={value}"], f"nest-eq{name}-{n}"), eq_want,
           f"contid={name} matches container {name} and what is nested in it")
        eq(caught(["-F", f"contid!={value}", "-F", "contid!=unset"], f"nest-ne{name}-{n}"),
           ne_want, f"contid!={name} (and labelled) matches the others")
    eq(caught(["-F", "contid=unset"], f"nest-unset-{n}"), ["none"],
       "contid=unset matches only the unlabelled task")

    # The chain in the CONTAINER_ID record of task 4's event.
    line = wait_record("SYSCALL", rf" pid={t4} .*key=\"nest-eq4-{n}\" record=1$")
    ev = event(serial(line))
    ok(any(re.search(rf"record=1 contid={v4},\^{v2},\^{v1}$", r) for r in ev),
       "task 4's event: CONTAINER_ID record=1 contid=4,^2,^1", "\n".join(ev))

    # ausearch --contid 2 finds the events of 2 and 4 (any element of a
    # chain), not those of 1 alone.
    r = subprocess.run(["ausearch", "-if", AUDIT_LOG, "--contid", str(v2),
                        "-k", f"nest-eq1-{n}"], capture_output=True, text=True)
    found = sorted(name for name, pid in tasks.items() if f" pid={pid} " in r.stdout)
    eq(found, ["2", "4"], "ausearch --contid 2 finds the probes of 2 and 4 only")

    # Drops: leaving 4 drops 4 alone; 2 and 1 wait for what is nested in them.
    os.kill(t4, signal.SIGKILL)
    wait_record("CONTAINER_OP", rf"op=drop opid={t4} contid=-1 old-contid={v4},\^{v2},\^{v1} res=1$")
    ok(True, "the leaf's exit drops 4, printed with its chain")
    os.kill(t2, signal.SIGKILL)
    wait_record("CONTAINER_OP", rf"op=drop opid={t2} contid=-1 old-contid={v2},\^{v1} res=1$")
    ok(True, "then 2")
    problems, live = trail_problems([v1, v2, v4])
    eq(problems, [], "no record names 1, 2 or 4 outside its set..drop span")
    eq(live, {v1}, "1 still live: engine 1 runs")
finally:
    engine.kill()
    plain.kill()

wait_record("CONTAINER_OP", rf"op=drop opid={e1} contid=-1 old-contid={v1} res=1$")
ok(True, "engine 1's exit drops 1")

# --- how deep a chain may go -----------------------------------------------
# A chain is at most 64 containers deep, so that it fits one record and
# its cost is bounded whoever builds it (a capcontid holder is not root).
# The 65th level is refused with EMLINK, logged with res=0, and its task
# keeps the 64-deep chain it inherited.
work = tempfile.mkdtemp(prefix="contid-nest-")
CHAIN = os.path.join(work, "nest-chain")
subprocess.run(["gcc", "-O2", "-o", CHAIN,
                os.path.join(os.path.dirname(__file__), "..", "nest-chain.c")], check=True)
MAX_DEPTH = 64
base = 10**12 + unique_value() * 100
chain = Child([CHAIN, str(base), str(MAX_DEPTH + 1)], stdout=subprocess.PIPE, text=True)
try:
    levels = []
    for line in chain.proc.stdout:
        if line.strip() == "done":
            break
        _, level, pid, result = line.split()
        levels.append((int(level), int(pid), result))
    eq([r for _, _, r in levels], ["OK"] * MAX_DEPTH + ["EMLINK"],
       f"{MAX_DEPTH} nested levels are labelled, the next is EMLINK")
    deepest, refused = levels[MAX_DEPTH - 1][1], levels[MAX_DEPTH][1]
    eq(get_contid(refused), str(base + MAX_DEPTH), "the refused task keeps the contid it inherited")
    want = ",".join(f"{'^' if i else ''}{base + MAX_DEPTH - i}" for i in range(MAX_DEPTH))
    log_barrier()
    recs = records("CONTAINER_OP", rf"op=set opid={refused} contid={base + MAX_DEPTH + 1} ")
    eq([re.search(r"old-contid=(\S+) res=(\d)$", r).groups() for r in recs], [(want, "0")],
       "... and its refusal is logged with res=0 and the whole 64-deep chain")
    eq(get_contid(deepest), str(base + MAX_DEPTH), "the 64th level is labelled")
finally:
    chain.kill()
done()
