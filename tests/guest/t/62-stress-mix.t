#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Mixed load: several workers (tests/guest/stress-worker.c) at once, each
# a random mix of set, injection, fork, exit, unshare, setns, kill of
# labelled groups, capcontid grants and UDP packets that an iptables AUDIT
# rule logs (in the initial namespace and in a named one), some of them
# racing each other on purpose, while a thread adds and deletes contid
# rules over netlink.  CONTID_STRESS_OPS operations in all (default 2000;
# `make stress` sets 10000), then a quarter as many again with auditd
# stopped (a backlog of 32, no wait) until records are lost.
# After each run:
#
# - the errno of every failed write is one the ladder allows for that race;
# - every count is back where it started (/proc/audit_contid_stats, from
#   CONFIG_AUDIT_CONTID_BENCH): no contid object, no namespace member, no
#   live id but the synthetic ones;
# - the log has one `op=set res=1` per successful write, one `res=0` per
#   refusal, one `op=drop` per id created (and each created id dropped
#   exactly once), one SET_CAPCONTID per grant, one NETFILTER_PKT per
#   audited packet, and every record naming a contid lies between its
#   op=set and its op=drop; where auditd's `lost` rose during the run
#   (the second), each count may fall short by no more than it, and the
#   order is not checked;
# - no contid rule is left.
#
# The rule thread also puts exclude-list rules for the workers' ids on
# CONTAINER_OP and NETFILTER_PKT records: the drop record comes from a task
# that has left its container, and a packet in softirq from no task, so
# neither may ever match (the counts above would fall short).
import collections
import os
import random
import signal
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from auditnl import (ALWAYS, EQUAL, NOT_EQUAL, F_CONTID, F_MSGTYPE,  # noqa: E402
                     FILTER_EXCLUDE, FILTER_EXIT, AuditSocket, Field)

TOTAL = int(os.environ.get("CONTID_STRESS_OPS", "2000"))
# auditd stopped in the second run: at least this long, and until a record
# is lost; at most PAUSE_MAX_S.
PAUSE_S = 3.0
PAUSE_MAX_S = 120.0
# How long the workers of a phase may take, per operation of the phase:
# they share the guest's CPU, so the bound grows with all their work.
# The KASAN kernel beside another KASAN guest ran 10,000 operations in
# more than 540 s (0.054 s each); beside two other guests and a build,
# more than 1,000 s.  A bound ends a hang, it does not time the work:
# 0.3 s each.
WORKER_S_PER_OP = 0.3
WORKER_MIN_S = 540.0
W = 4
STATS = "/proc/audit_contid_stats"
PORT = 40000 + os.getpid() % 20000
MARK = 0x5c000000 + os.getpid() % 0x10000
NETNS = f"contid-stress-{os.getpid()}"
KEY = f"contid-stress-mix-{os.getpid()}"
# Each worker's ids: its IDBASE and up; far from unique_value()'s.
BASE = 7 * 10**12 + (os.getpid() % 10**4) * 10**7
PER_WORKER = 10**6
T0 = time.monotonic()


def note(text):
    print(f"# [{time.monotonic() - T0:6.1f}s] {text}", flush=True)

# What a failed write may say, by operation (see stress-worker.c).  A
# failed open is "open_NAME".
EXPECTED = {
    "set": set(),                       # an idle childless child
    "set_fork": {"EBUSY"},              # it may have a child just then
    "set_exit": {"ESRCH", "open_ESRCH"},  # it may be exiting
    "set_kill": {"ESRCH", "open_ESRCH"},
    "set_netns": set(),                 # a namespace move changes nothing
    "inject": set(),                    # the id is live and ours
    "inject_fork": {"EBUSY"},
    "reset": {"EEXIST"},                # always refused
    "fork": set(), "exit": set(), "unshare": set(), "setns": set(),
    "kill": set(), "fork_kill": set(), "capcontid": set(), "packet": set(),
}
# Refusals that log an op=set res=0 record (ESRCH and failed opens do not).
UNLOGGED = {"ESRCH"}
WRITES = ("set", "set_fork", "set_exit", "set_kill", "set_netns",
          "inject", "inject_fork", "reset")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw).stdout


def stats():
    """The counts of /proc/audit_contid_stats, or None without the file."""
    try:
        with open(STATS) as f:
            return {k: int(v) for k, v in (line.split() for line in f if line.strip())}
    except FileNotFoundError:
        return None


# --- the worker, the namespace and the AUDIT rules ------------------------
work = tempfile.mkdtemp(prefix="contid-stress-mix-")
WORKER = os.path.join(work, "stress-worker")
# -O1: under TCG it compiles in a quarter of -O2's time, and the worker's
# time goes to its system calls anyway.
subprocess.run(["cc", "-O1", "-Wall", "-o", WORKER,
                os.path.join(os.path.dirname(__file__), "..", "stress-worker.c")],
               check=True)

IPT_RULES = [f"INPUT -t mangle -i lo -p udp --dport {PORT} -j MARK --set-mark {MARK:#x}",
             f"INPUT -i lo -p udp --dport {PORT} -j AUDIT --type accept"]
# Every exit_group and kill is audited: a labelled task's last event, and
# the signal targets' contids (OBJ_PID), race with the sets and the drops.
FIXED = ["exit,always", "-F", "arch=b64", "-S", "exit_group", "-S", "kill", "-F", f"key={KEY}-fixed"]


def clean_up():
    for rule in IPT_RULES:
        subprocess.run(f"iptables -D {rule}", shell=True, stderr=subprocess.DEVNULL)
    subprocess.run(["ip", "netns", "del", NETNS], stderr=subprocess.DEVNULL)
    subprocess.run([AUDITCTL, "-d", *FIXED], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


note("worker compiled")
sh(f"ip netns add {NETNS} && ip -n {NETNS} link set lo up")
for rule in IPT_RULES:
    sh(f"iptables -I {rule} && ip netns exec {NETNS} iptables -I {rule}")
note(f"namespace {NETNS} and the AUDIT rules set up")

# --- the rule thread ------------------------------------------------------
SYSCALLS = (44, 56, 57, 61, 62, 231, 272, 308)  # sendto clone fork wait4 kill exit_group unshare setns


def mask_of(nrs):
    mask = [0] * 64
    for nr in nrs:
        mask[nr // 32] |= 1 << (nr % 32)
    return mask


class RuleChurn(threading.Thread):
    """Adds and deletes contid rules, at most a few at a time, until
    stopped; then deletes what it left.  The ids are drawn from the
    workers' ranges, where they have been or will be in use."""

    def __init__(self, base, ids_per_worker, seed):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.results = collections.Counter()
        self.error = None
        self.rnd = random.Random(os.getpid() * 10 + seed)
        self.base = base
        self.span = max(1, ids_per_worker)

    def draw(self):
        """A rule: (what and which id, add_rule arguments)."""
        v = self.base + self.rnd.randrange(W) * PER_WORKER + self.rnd.randrange(self.span)
        kind = self.rnd.randrange(10)
        if kind < 6:
            return ("exit", v), (FILTER_EXIT, ALWAYS, [Field.contid(v), Field.key(KEY)],
                                 mask_of(SYSCALLS))
        if kind < 7:
            return ("exit!=", v), (FILTER_EXIT, ALWAYS, [Field.contid(v, NOT_EQUAL), Field.key(KEY)],
                                   mask_of((62, 272, 308)))
        # Never matches: the drop record's task has left its container,
        # a packet in softirq has no task.
        msgtype = 1020 if kind < 9 else 1324
        return (f"exclude-{msgtype}", v), (FILTER_EXCLUDE, ALWAYS,
                                           [Field.contid(v), Field(F_MSGTYPE, EQUAL, msgtype)])

    def run(self):
        try:
            live = {}
            with AuditSocket() as nl:
                while not self.stop.is_set():
                    if len(live) < 6 and (not live or self.rnd.random() < 0.55):
                        what, rule = self.draw()
                        if what in live:  # the same rule again would be EEXIST
                            continue
                        got = nl.add_rule(*rule)
                        self.results[f"add {got}"] += 1
                        if got == "OK":
                            live[what] = rule
                    else:
                        rule = live.pop(self.rnd.choice(list(live)))
                        self.results[f"del {nl.del_rule(*rule)}"] += 1
                    self.stop.wait(0.01)
                for rule in live.values():
                    self.results[f"del {nl.del_rule(*rule)}"] += 1
        except Exception as e:  # reported by the test
            self.error = repr(e)


# --- a run ---------------------------------------------------------------
def status():
    """auditctl -s, as numbers."""
    fields = (line.split() for line in auditctl("-s").splitlines())
    return {f[0]: int(f[1]) for f in fields if len(f) >= 2 and f[1].isdigit()}


def run_workers(phase, total, base, pause):
    """Runs W workers for `total` operations with ids from `base`, and the
    rule thread; with `pause`, auditd is stopped from 0.2 s in, with a
    backlog of 32 and no wait, for at least that many seconds and until
    the kernel has lost a record (or the workers are done).  Returns the
    workers' counts."""
    ops = [total // W + (1 if i < total % W else 0) for i in range(W)]
    churn = RuleChurn(base, max(ops) // 3, seed=phase)
    saved = status()
    if pause:
        auditctl("-b", "32", "--backlog_wait_time", "0")
    t0 = time.monotonic()
    churn.start()
    workers = [subprocess.Popen([WORKER, str(1000 * phase + i), str(ops[i]),
                                 str(base + i * PER_WORKER), f"/run/netns/{NETNS}", str(PORT)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for i in range(W)]
    paused = 0.0
    try:
        if pause:
            time.sleep(0.2)
            os.kill(saved["pid"], signal.SIGSTOP)
            stopped = time.monotonic()
            try:
                # The socket to auditd and kauditd's retry queue take a
                # few hundred records before one is lost: a slow kernel's
                # workers took longer than `pause` to make them.
                with AuditSocket() as nl:
                    while (any(w.poll() is None for w in workers) and
                           time.monotonic() < stopped + PAUSE_MAX_S and
                           (time.monotonic() < stopped + pause or
                            nl.lost() == saved["lost"])):
                        time.sleep(0.1)
            finally:
                os.kill(saved["pid"], signal.SIGCONT)
                paused = time.monotonic() - stopped
                auditctl("-b", str(saved["backlog_limit"]),
                         "--backlog_wait_time", str(saved["backlog_wait_time"]))
        deadline = time.monotonic() + max(WORKER_MIN_S, WORKER_S_PER_OP * total)
        outputs = [w.communicate(timeout=max(1.0, deadline - time.monotonic()))
                   for w in workers]
    except BaseException:
        for w in workers:
            w.kill()
        churn.stop.set()
        clean_up()
        raise
    elapsed = time.monotonic() - t0
    churn.stop.set()
    churn.join(60)
    note(f"{phase_name(phase)}{total} operations by {W} workers in {elapsed:.1f}s" +
         (f", auditd stopped for {paused:.1f}s of it" if pause else ""))

    counts = []
    for i, (w, (out, err)) in enumerate(zip(workers, outputs)):
        words = out.split()
        ok(w.returncode == 0 and len(words) % 2 == 0 and "ops" in words,
           f"{phase_name(phase)}worker {i} ran {ops[i]} operations",
           f"exit {w.returncode}\n{out}\n{err}")
        print(f"# worker {i}: {out.strip()}", flush=True)
        counts.append(collections.Counter({k: int(v) for k, v in zip(words[::2], words[1::2])}))
    ok(not churn.is_alive() and churn.error is None and
       set(churn.results) <= {"add OK", "del OK"},
       f"{phase_name(phase)}rule thread: {dict(churn.results)}", churn.error)
    return counts


def phase_name(phase):
    return "" if phase == 1 else "[auditd paused] "


def check_errnos(phase, total):
    pre = phase_name(phase)
    eq(total["unexpected"], 0, f"{pre}no child died on its own, every ack came")
    for op, allowed in EXPECTED.items():
        errs = {k[len(op) + 5:]: v for k, v in total.items() if k.startswith(f"{op}_err_")}
        ok(set(errs) <= allowed,
           f"{pre}{op}: {total[op + '_ok']} ok, {total[op + '_failed']} failed {errs or ''}"
           f" (allowed: {sorted(allowed) or 'none'})",
           f"errnos outside the ladder's for this race: {set(errs) - allowed}")
    eq(total["reset_ok"], 0, f"{pre}a labelled child is never labelled again (reset: all EEXIST)")
    print(f"# races hit: set_fork EBUSY {total['set_fork_err_EBUSY']}, "
          f"inject_fork EBUSY {total['inject_fork_err_EBUSY']}, "
          f"set_exit ESRCH {total['set_exit_err_ESRCH']}, "
          f"set_kill ESRCH {total['set_kill_err_ESRCH']}", flush=True)


def check_counts(phase, start):
    """Every count back where it started, and zero."""
    pre = phase_name(phase)
    if start is None:
        ok(False, f"{pre}{STATS} exists (kernel built with CONFIG_AUDIT_CONTID_BENCH)",
           f"{STATS} is missing: this kernel was built without CONFIG_AUDIT_CONTID_BENCH, "
           "so the counts cannot be checked")
        return
    try:
        end = wait_until(lambda: stats() if stats() == start else None,
                         "the counts to return", 60)
    except TimeoutError:
        end = stats()
    note(f"{STATS} after: {end}")
    eq(end, start, f"{pre}every count is back where it started")
    eq((end["contids"] - end["synthetic"], end["netns_members"],
        end["live_ids"] - end["synthetic"]), (0, 0, 0),
       f"{pre}... which is zero: no contid object, no namespace member, "
       "no live id but the synthetic ones")


SET_RX = re.compile(r"type=(?:CONTAINER_OP|UNKNOWN\[1020\]) msg=audit\([0-9.]+:\d+\): "
                    r"op=set opid=\d+ contid=(\d+) old-contid=(\S+) res=([01])$")
DROP_RX = re.compile(r"type=(?:CONTAINER_OP|UNKNOWN\[1020\]) msg=audit\([0-9.]+:\d+\): "
                     r"op=drop opid=\d+ contid=-1 old-contid=(\d+)(?:,\S+)? res=1$")
CAP_RX = re.compile(r"type=(?:SET_CAPCONTID|UNKNOWN\[1022\]) msg=audit\([0-9.]+:\d+\): "
                    r"opid=\d+ capcontid=([01]) old-capcontid=([01]) res=([01])$")


def check_log(phase, counts, total, base, log_start, lost_delta):
    """The records of the run against what the workers did."""
    pre = phase_name(phase)
    lines = log_lines()[log_start:]
    ranges = [(base + i * PER_WORKER, base + i * PER_WORKER + counts[i]["ids_used"])
              for i in range(W)]

    def ours(v):
        return any(lo <= v < hi for lo, hi in ranges)

    sets_ok, sets_refused = collections.Counter(), 0
    drops, caps, packets = collections.Counter(), collections.Counter(), 0
    for line in lines:
        if m := SET_RX.search(line):
            if ours(int(m[1])):
                if m[3] == "1":
                    sets_ok[int(m[1])] += 1
                else:
                    sets_refused += 1
        elif m := DROP_RX.search(line):
            if ours(int(m[1])):
                drops[int(m[1])] += 1
        elif m := CAP_RX.search(line):
            caps[m.groups()] += 1
        elif "type=NETFILTER_PKT" in line and f"mark={MARK:#x} " in line:
            packets += 1

    short = []

    def matches(got, want, name):
        """got == want, or, with records lost, short by no more than lost."""
        short.append(max(0, want - got))
        if lost_delta and got <= want:
            return ok(want - got <= lost_delta,
                      f"{pre}{name}: {got} of {want} ({want - got} short, "
                      f"within the {lost_delta} lost)",
                      f"got {got}, want {want}, lost {lost_delta}")
        return eq(got, want, f"{pre}{name}")

    print(f"# auditd lost {lost_delta} records during the run" +
          ("" if lost_delta else ": every count below must be exact"), flush=True)
    logged_refusals = sum(v for k, v in total.items()
                          if any(k.startswith(f"{op}_err_") for op in WRITES)
                          and not k.split("_err_")[1].startswith("open_")
                          and k.split("_err_")[1] not in UNLOGGED)
    matches(sum(sets_ok.values()), total["writes_ok"],
            f"one op=set res=1 per successful write ({total['writes_ok']})")
    matches(sets_refused, logged_refusals,
            f"one op=set res=0 per logged refusal ({logged_refusals})")
    matches(len(sets_ok), total["ids_created"],
            f"the ids set are the {total['ids_created']} the workers created")
    matches(sum(drops.values()), total["ids_created"], "one op=drop per id created")
    eq(sorted(v for v, n in drops.items() if n != 1 or (not lost_delta and v not in sets_ok)),
       [], f"{pre}no id dropped twice{'' if lost_delta else ', or without its op=set'}")
    matches(caps[("1", "0", "1")], total["capcontid_ok"],
            "one SET_CAPCONTID capcontid=1 res=1 per grant")
    matches(caps[("0", "1", "1")], total["capcontid_ok"],
            "... and one capcontid=0 res=1 per withdrawal")
    eq(sum(v for k, v in caps.items() if k[2] == "0"), 0, f"{pre}no SET_CAPCONTID refused")
    matches(packets, total["packets_audited"],
            f"one NETFILTER_PKT per packet sent where the AUDIT rule is "
            f"({total['packets_audited']})")
    if lost_delta:
        # Each shortfall above is records of its own kind.
        missing = sum(short) - short[2]  # the ids set: op=set records again
        ok(missing <= lost_delta, f"{pre}all the records missing ({missing}) are counted "
           f"in lost ({lost_delta})")
    churned_key = f'key="{KEY}"'
    print(f"# {sum(churned_key in ln for ln in lines)} syscall events matched the "
          "churned contid rules", flush=True)
    if lost_delta:
        print("# records were lost: the order of the trail is not checked", flush=True)
        return
    problems, still_live = trail_problems(sets_ok)
    eq(problems[:20], [], f"{pre}no record names a worker's contid before its op=set res=1 "
       "or after its op=drop")
    eq(still_live, set(), f"{pre}... and each ends with its op=drop")


def phase(number, total, pause=0):
    base = BASE + (number - 1) * W * PER_WORKER
    start = stats()
    if start is not None:
        note(f"{STATS} before: {start}")
    log_barrier()
    log_start = len(log_lines())
    lost_before = status()["lost"]
    counts = run_workers(number, total, base, pause)
    total_counts = sum(counts, collections.Counter())
    eq(total_counts["ops"], total, f"{phase_name(number)}the workers did every operation")
    check_errnos(number, total_counts)
    check_counts(number, start)
    log_barrier()
    lost_delta = status()["lost"] - lost_before
    check_log(number, counts, total_counts, base, log_start, lost_delta)
    note("log checked")
    return lost_delta


auditctl("-a", *FIXED)
try:
    phase(1, TOTAL)
    # The same with auditd stopped for a while: records are lost, and
    # `lost` must account for every one missing; the counts must still
    # come back to zero.
    lost = phase(2, max(W, TOTAL // 4), pause=PAUSE_S)
    ok(lost > 0, f"[auditd paused] records were lost ({lost}): the phase tested what it should")
finally:
    subprocess.run([AUDITCTL, "-d", *FIXED], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

# --- clean up: no contid rule left ------------------------------------------
with AuditSocket() as nl:
    left = [r for r in nl.list_rules() if any(f[0] == F_CONTID for f in r[2])]
eq(left, [], "no contid rule is left (netlink list)")
ok("contid" not in auditctl("-l"), "auditctl -l shows no contid rule")
clean_up()
done()
