#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Who signalled auditd (spec 1.7, 3.4): AUDIT_SIGNAL_INFO2 names the
# sender's container by its whole chain, with no truncation; the ids of
# that chain stay reserved (ENOTUNIQ) until auditd has fetched them, with
# SIGNAL_INFO2 or the old SIGNAL_INFO, a later signal has replaced them,
# or auditd has gone away, though their drop records come on time; and
# the real auditd logs " contid=<chain>" in its DAEMON_* records.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from auditnl import AuditSocket  # noqa: E402

# Waits for a line on stdin, then signals auditd (argv[1]) with argv[2];
# with argv[3], it first forks a child, labels it argv[3] (a nested
# container, as it does not own its own), and lets the child send it.
# Prints "sent PID" (the sender) and exits once the sender has.
SENDER = r"""
import os, sys
auditd, sig = int(sys.argv[1]), int(sys.argv[2])
sys.stdin.readline()
if len(sys.argv) > 3:
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.read(r, 1)
        os.kill(auditd, sig)
        os._exit(0)
    fd = os.open(f"/proc/{pid}/audit_containerid", os.O_WRONLY)
    os.write(fd, sys.argv[3].encode())
    os.close(fd)
    os.write(w, b"x")
    os.waitpid(pid, 0)
else:
    os.kill(auditd, sig)
    pid = os.getpid()
print("sent", pid, flush=True)
"""


def auditd_pid():
    pid = int(re.search(r"^pid (\d+)$", auditctl("-s"), re.M).group(1))
    assert pid, "auditd is not running"
    return pid


def big_value():
    """A unique 20-digit contid, to show that nothing truncates it."""
    return 10**19 + unique_value()


def signal_from(value, sig, nested=None):
    """A task labelled `value` (or its child, nested-labelled `nested`)
    sends auditd `sig`, and every task of the container exits. Returns
    the sender's pid."""
    sender = Child([sys.executable, "-c", SENDER, str(auditd_pid()), str(int(sig))]
                   + ([str(nested)] if nested else []),
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        eq(set_contid(sender.pid, value), "OK", f"label the sender {value}")
        sender.proc.stdin.write("go\n")
        sender.proc.stdin.flush()
        pid = int(sender.proc.stdout.readline().split()[1])
        eq(sender.proc.wait(), 0, "it signals auditd and exits")
        return pid
    finally:
        sender.kill()


def try_reuse(value):
    """Sets `value` on a fresh task; returns the errno name."""
    with Child() as c:
        return set_contid(c.pid, value)


def lsm_context():
    """The LSM context the kernel gives an unconfined task like the
    senders (AppArmor's "unconfined"), empty without such an LSM."""
    try:
        with open("/proc/self/attr/current", "rb") as f:
            return f.read().rstrip(b"\n\0")
    except OSError:
        return b""


auditd = auditd_pid()
LSM_CONTEXT = lsm_context()
# auditd's DAEMON_* records have subj= after pid= when an LSM is on.
SUBJ = r"(?:subj=\S+ )?"
os.kill(auditd, signal.SIGSTOP)
try:
    with AuditSocket() as nl:
        # Flush what the runner's own auditd signals may have left.
        nl.signal_info2()

        # A nested sender with 20-digit ids, fetched by hand with auditd
        # stopped (it fetches the same again later, and finds it empty).
        outer, inner = big_value(), big_value()
        pid = signal_from(outer, signal.SIGUSR2, nested=inner)
        eq(try_reuse(inner), "ENOTUNIQ", "the sender's id is reserved after its container is gone")
        eq(try_reuse(outer), "ENOTUNIQ", "... and so is the id of the container it is nested in")
        uid, got_pid, cid, ctx, size = nl.signal_info2()
        eq(got_pid, pid, "SIGNAL_INFO2 names the sender's pid")
        eq(uid, os.getuid(), "... and its uid (no loginuid set)")
        eq(cid, f"{inner},^{outer}", "... and its whole chain, 20 digits each, uncut")
        eq((ctx, size), (LSM_CONTEXT, 12 + len(cid) + len(LSM_CONTEXT)),
           "... in 12 + cid_len bytes and the LSM context's")
        eq(try_reuse(inner), "OK", "once fetched, the sender's id may be set again")
        eq(try_reuse(outer), "OK", "... and the id it was nested in")
        eq(nl.signal_info2()[2], "", "a second fetch names no container")

        # Old userspace: SIGNAL_INFO works as before, and releases too.
        old = unique_value()
        pid = signal_from(old, signal.SIGUSR2)
        eq(try_reuse(old), "ENOTUNIQ", "reserved until fetched ...")
        uid, got_pid, ctx, size = nl.signal_info()
        eq((got_pid, size), (pid, 8 + len(LSM_CONTEXT)),
           "... and SIGNAL_INFO still answers uid, pid and the LSM context")
        eq(try_reuse(old), "OK", "... and fetching it that way releases the id too")

        # A later signal replaces the reservation (in atomic context,
        # so the replaced id is retired by its next set).
        first, second = unique_value(), unique_value()
        signal_from(first, signal.SIGUSR2)
        eq(try_reuse(first), "ENOTUNIQ", "reserved ...")
        pid = signal_from(second, signal.SIGUSR2)
        eq(try_reuse(first), "OK", "... until a later signal replaces it")
        eq(try_reuse(second), "ENOTUNIQ", "the later sender's id is reserved")
        eq(nl.signal_info2()[1:3], (pid, str(second)), "and it is the one fetched")
        eq(try_reuse(second), "OK", "... which releases it")

        # An unlabelled sender names no container, and releases nothing
        # it does not have.
        sender = Child(["kill", "-USR2", str(auditd)])
        sender.proc.wait()
        eq(nl.signal_info2()[1:3], (sender.pid, ""), "an unlabelled sender has cid_len 0")
finally:
    os.kill(auditd, signal.SIGCONT)

# The drop records came on time: before the reuse of each id.
values = [inner, outer, old, first, second]
log_barrier()
problems, live = trail_problems(values)
eq(problems, [], "no record names a reserved id outside its life (drop before reuse)")


def life(v):
    """The op=set res=1 and op=drop records of `v`, in log order."""
    rx = re.compile(rf"op=(set) opid=\d+ contid={v} old-contid=\S+ res=1$"
                    rf"|op=(drop) opid=\d+ contid=-1 old-contid={v}(?:,\S+)? res=1$")
    return [m[1] or m[2] for m in map(rx.search, records("CONTAINER_OP")) if m]


for v in (inner, outer, old, first, second):
    eq(life(v), ["set", "drop", "set", "drop"],
       f"{v}: dropped when its tasks left, set again only after auditd fetched it")

# The real auditd names the sender's container in its DAEMON_* records.
nested, top = unique_value(), unique_value()
pid = signal_from(top, signal.SIGUSR2, nested=nested)
line = wait_record("DAEMON_RESUME", rf" pid={pid} {SUBJ}contid={nested},\^{top} res=success")
ok(line, "auditd's DAEMON_RESUME names the sender's chain")
eq(try_reuse(nested), "OK", "auditd fetched it, so the id is free again")

hup = unique_value()
pid = signal_from(hup, signal.SIGHUP)
line = wait_record("DAEMON_CONFIG", rf"op=reconfigure state=changed auid=\d+ pid={pid} "
                                    rf"subj=\S+ contid={hup} res=success")
ok(line, "a SIGHUP's DAEMON_CONFIG (reconfigure) names it too")

# Reserved until auditd fetches it: with auditd stopped, then resumed.
held = unique_value()
os.kill(auditd, signal.SIGSTOP)
try:
    pid = signal_from(held, signal.SIGUSR2)
    eq(try_reuse(held), "ENOTUNIQ", "with auditd stopped, the sender's id stays reserved")
finally:
    os.kill(auditd, signal.SIGCONT)
wait_record("DAEMON_RESUME", rf" pid={pid} {SUBJ}contid={held} res=success")
eq(try_reuse(held), "OK", "once auditd has logged it, the id is free again")

plain = Child(["kill", "-USR2", str(auditd)])
plain.proc.wait()
line = wait_record("DAEMON_RESUME", rf" pid={plain.pid} {SUBJ}res=success")
ok("contid=" not in line, "an unlabelled sender's DAEMON_RESUME has no contid=", line)

# An unprivileged labelled task whose kill(auditd, SIGTERM) fails with
# EPERM notes nothing for auditd: its ids are not reserved (settable once
# its container is dropped), and auditd's next record names the task whose
# signal it got, not the one that was refused.
DENIED = r"""
import errno, os, sys
sys.stdin.readline()
try:
    os.kill(int(sys.argv[1]), int(sys.argv[2])); print("OK", flush=True)
except OSError as e:
    print(errno.errorcode[e.errno], flush=True)
"""


def refused_signal_from(value, sig):
    """A task running as nobody, labelled `value`, tries to send auditd
    `sig` and exits; returns (its pid, the errno name of its kill)."""
    sender = Child(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                    sys.executable, "-c", DENIED, str(auditd_pid()), str(int(sig))],
                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        eq(set_contid(sender.pid, value), "OK", f"label the unprivileged sender {value}")
        sender.proc.stdin.write("go\n")
        sender.proc.stdin.flush()
        verdict = sender.proc.stdout.readline().strip()
        eq(sender.proc.wait(), 0, "it tries and exits")
        return sender.pid, verdict
    finally:
        sender.kill()


def daemon_records(rtype):
    return records(rtype, r" pid=\d+ ")


resumes_before = len(daemon_records("DAEMON_RESUME"))
real, denied = unique_value(), unique_value()
os.kill(auditd, signal.SIGSTOP)
try:
    real_pid = signal_from(real, signal.SIGUSR2)
    denied_pid, verdict = refused_signal_from(denied, signal.SIGTERM)
    eq(verdict, "EPERM", "an unprivileged task's kill(auditd, SIGTERM) is refused")
    eq(try_reuse(denied), "OK", "... reserves nothing: its id is free once its container is gone")
    eq(try_reuse(real), "ENOTUNIQ", "... and leaves the real sender's id reserved")
finally:
    os.kill(auditd, signal.SIGCONT)
resume = wait_until(lambda: daemon_records("DAEMON_RESUME")[resumes_before:],
                    "auditd's DAEMON_RESUME")[0]
ok(re.search(rf" pid={real_pid} {SUBJ}contid={real} res=success", resume),
   "auditd's record names the task whose signal it got, and its container", resume)
eq(try_reuse(real), "OK", "... and then frees its id")

# A reservation that a later signal replaces (in the signal path, atomic
# context) is given back there, and the id of a container already dropped
# is retired right after by a work item, without waiting for someone to
# set that id again: every count of /proc/audit_contid_stats comes back.
STATS = "/proc/audit_contid_stats"


def stats():
    with open(STATS) as f:
        return {k: int(v) for k, v in (line.split() for line in f if line.strip())}


def settles(want, seconds=POLL_SECONDS):
    try:
        return wait_until(lambda: stats() == want, f"stats {want}", seconds)
    except TimeoutError:
        return False


base = stats()
os.kill(auditd, signal.SIGSTOP)
try:
    parked = unique_value()
    signal_from(parked, signal.SIGUSR2)
    eq(stats()["live_ids"], base["live_ids"] + 1,
       "a dropped sender's id stays registered until auditd fetches it")
    plain = Child(["kill", "-USR2", str(auditd)])
    plain.proc.wait()
    ok(settles(base), "once a later signal replaces it, every count comes back on its own",
       f"base {base}, now {stats()}")
finally:
    os.kill(auditd, signal.SIGCONT)
log_barrier()

# SIGNAL_INFO2 is one snapshot: the pid it answers and the chain it
# answers come from the same signal, however signals from two containers
# and fetches interleave.
LOOPING = r"""
import os, sys, time
auditd, sig, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sys.stdin.readline()
end, n = time.monotonic() + seconds, 0
while time.monotonic() < end:
    os.kill(auditd, sig)
    # Lets the other sender run: signals alternate between the two.
    os.sched_yield()
    n += 1
print(n, flush=True)
"""
SECONDS = float(os.environ.get("CONTID_SIGNAL_RACE_SECONDS", "8"))
os.kill(auditd, signal.SIGSTOP)
try:
    with AuditSocket() as nl:
        chain_of = {}
        loopers = []
        for _ in range(2):
            value = unique_value()
            looper = Child([sys.executable, "-c", LOOPING, str(auditd), str(int(signal.SIGUSR2)),
                            str(SECONDS)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
            eq(set_contid(looper.pid, value), "OK", f"a looping sender labelled {value}")
            chain_of[looper.pid] = str(value)
            loopers.append(looper)
        for looper in loopers:
            looper.proc.stdin.write("go\n")
            looper.proc.stdin.flush()
        # Fetch for as long as a sender runs, not for a time of our own: on
        # a slow kernel (KASAN) the senders start seconds after the "go".
        deadline = time.monotonic() + 20 * SECONDS
        answers = []
        while (any(looper.proc.poll() is None for looper in loopers)
               and time.monotonic() < deadline):
            answers.append(nl.signal_info2()[1:3])
        sent = sum(int(looper.proc.stdout.readline()) for looper in loopers)
        for looper in loopers:
            looper.kill()
        mixed = [(pid, cid) for pid, cid in answers
                 if pid in chain_of and cid not in ("", chain_of[pid])]
        named = {pid for pid, cid in answers if cid}
        ok(named == set(chain_of), f"{len(answers)} fetches during {sent} signals "
           "named both senders", named)
        eq(mixed[:5], [], "every fetch pairs a sender's pid with that sender's own chain")
        nl.signal_info2()
finally:
    os.kill(auditd, signal.SIGCONT)
log_barrier()

# auditd goes away without fetching it: the id is released.
gone = unique_value()
os.kill(auditd, signal.SIGSTOP)
pid = signal_from(gone, signal.SIGUSR2)
eq(try_reuse(gone), "ENOTUNIQ", "reserved, with auditd stopped")
os.kill(auditd, signal.SIGKILL)


def released():
    # A record makes kauditd notice that auditd is gone (auditd_reset()).
    subprocess.run([AUDITCTL, "-m", "contid-auditd-gone"], stdout=subprocess.DEVNULL)
    return try_reuse(gone) == "OK"


ok(wait_until(released, "the reservation to go with auditd"),
   "when auditd dies without fetching it, the id is free again")
subprocess.run([os.path.join(os.path.dirname(__file__), "..", "auditd"), "start"], check=True)
ok(auditd_pid() != auditd, "auditd restarted for the tests that follow")
done()
