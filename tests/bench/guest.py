# SPDX-License-Identifier: GPL-2.0
"""One boot's figures for `make bench` (tests/bench/compare), in the VM.

Runs on the baseline kernel as on the project's.  Prints one line
`BENCH {json}`: ns per operation for the figures every kernel has, and
on the project's kernel (it has /proc/self/audit_containerid) the
figures that need contids.  Every number is the fastest of 5 rounds of
contid-bench.  Address-space randomisation is off, so that every run
maps the same pages."""

import json
import os
import re
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "guest"))
from contid import (AUDIT_LOG, auditctl, log_barrier, log_lines,  # noqa: E402
                    set_contid, unique_value)

BENCH = "/tmp/contid-bench"
HELPER = "/tmp/netns-helper"
SYNTHETIC = "/proc/audit_contid_synthetic"
PROJECT = os.path.exists("/proc/self/audit_containerid")
B64 = ["-F", "arch=b64", "-S", "getppid"]


def measure(*args, contid=None):
    """ns/op of `contid-bench args`, run by a task labelled with contid
    (None: none).  The task is a shell that waits to be labelled before it
    execs the benchmark, so it has no children when labelled."""
    argv = " ".join(str(a) for a in args)
    p = subprocess.Popen(["sh", "-c", f"read go; exec {BENCH} {argv}"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    if contid is not None and set_contid(p.pid, contid) != "OK":
        sys.exit(f"bench: labelling failed: {set_contid(p.pid, contid)}")
    out, _ = p.communicate("go\n")
    if p.returncode:
        sys.exit(f"bench: {argv} failed")
    return float(out)


def records_per_event(key):
    """The mean number of records in the events whose SYSCALL has key."""
    log_barrier()
    serials = set()
    lines = log_lines()
    for line in lines:
        if f'key="{key}"' in line and "type=SYSCALL" in line:
            serials.add(re.search(r"msg=audit\([0-9.]+:(\d+)\)", line).group(1))
    count = sum(1 for line in lines
                if (m := re.search(r"msg=audit\([0-9.]+:(\d+)\)", line)) and m.group(1) in serials)
    return count / len(serials)


def meminfo(field):
    with open("/proc/meminfo") as f:
        return int(re.search(rf"^{field}:\s+(\d+) kB", f.read(), re.M).group(1)) * 1024


def synthetic(n):
    with open(SYNTHETIC, "w") as f:
        f.write(str(n))


def synthetic_netns(n):
    with open(SYNTHETIC + "_netns", "w") as f:
        f.write(str(n))


def park_in(netns, contids):
    """One parked task per contid, labelled, in netns; returns them."""
    tasks = []
    for v in contids:
        p = subprocess.Popen([HELPER, "ready", "setns", netns, "park"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        if set_contid(p.pid, v) != "OK":
            sys.exit("bench: labelling a parked task failed")
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline().startswith("parked")
        tasks.append(p)
    return tasks


def unpark(tasks):
    for p in tasks:
        p.kill()
        p.wait()


figures = {}
auditctl("-D")
# Every kernel: a task without a contid.
figures["getppid"] = measure("syscall", 20000)
auditctl("-a", "always,exit", *B64, "-F", "sessionid=123")
figures["getppid_rule"] = measure("syscall", 20000)
auditctl("-D")
figures["fork"] = measure("fork", 200)
auditd = subprocess.run(["pgrep", "-x", "auditd"], check=True,
                        stdout=subprocess.PIPE, text=True).stdout.split()[0]


def kernel_share(*args, contid=None):
    """measure() with auditd stopped: the records wait in the kernel's
    queue (at most 5,000 here, below the backlog limit), then go."""
    os.kill(int(auditd), signal.SIGSTOP)
    try:
        return measure(*args, contid=contid)
    finally:
        os.kill(int(auditd), signal.SIGCONT)
        log_barrier()


# A record outside any syscall event (SECCOMP_RET_LOG, 5 rounds of 500)
# from a task without a contid: the kernel's share.
figures["seccomp_log"] = kernel_share("seccomp", 500)
if PROJECT:
    # In a container: an event of its own, with its CONTAINER_ID record.
    figures["seccomp_log_labelled"] = kernel_share("seccomp", 500, contid=unique_value())

if PROJECT:
    figures["fork_in"] = measure("fork", 200, contid=unique_value())
    figures["fork_out"] = measure("fork", 200)

    auditctl("-a", "always,exit", *B64, "-F", "key=bench-unlabelled")
    figures["event_unlabelled"] = measure("syscall", 500)
    auditctl("-D")
    auditctl("-a", "always,exit", *B64, "-F", "key=bench-labelled")
    figures["event_labelled"] = measure("syscall", 500, contid=unique_value())
    auditctl("-D")
    figures["records_unlabelled"] = records_per_event("bench-unlabelled")
    figures["records_labelled"] = records_per_event("bench-labelled")

    # Set latency against live ids; the memory of a live id.
    first = 3 * 10**9
    before = meminfo("SUnreclaim")
    for live in (10**3, 10**4, 10**5, 10**6):
        synthetic(live)
        if live == 10**6:
            figures["bytes_per_live_id"] = (meminfo("SUnreclaim") - before) / live
        figures[f"set_{live}"] = measure("set", 100, first)
        first += 1000
    synthetic(0)

    # Fork + exit of a container's task in a network namespace (the host's,
    # as with host networking) shared with 10,000 containers: each fork and
    # exit finds the container's count there under tasklist_lock.  The
    # container is there first, so the 10,000 come before it in the list
    # (most recent first): a walk of the list would pass them all.
    shared = unique_value()
    anchor = subprocess.Popen(["sleep", "1000000"])
    if set_contid(anchor.pid, shared) != "OK":
        sys.exit("bench: labelling the anchor failed")
    synthetic(10**4)
    synthetic_netns(10**4)
    figures["fork_in_netns_10000"] = measure("fork", 200, contid=shared)
    synthetic_netns(0)
    synthetic(0)
    anchor.kill()
    anchor.wait()

    # An audited packet in a namespace with 1 and with 100 containers.
    subprocess.run("ip netns add bench && ip -n bench link set lo up && "
                   "ip netns exec bench iptables -A OUTPUT -p udp --dport 9999 "
                   "-j AUDIT --type accept", shell=True, check=True)
    # Then again with auditd stopped, which leaves the kernel's share:
    # the records wait in its queue (well below the backlog limit).

    def packets():
        return float(subprocess.run(
            ["ip", "netns", "exec", "bench", BENCH, "packet", "200", "9999"],
            check=True, stdout=subprocess.PIPE, text=True).stdout)

    for containers in (1, 100):
        tasks = park_in("/run/netns/bench", [unique_value() for _ in range(containers)])
        figures[f"packet_{containers}"] = packets()
        os.kill(int(auditd), signal.SIGSTOP)
        figures[f"packet_{containers}_kernel"] = packets()
        os.kill(int(auditd), signal.SIGCONT)
        log_barrier()
        unpark(tasks)
    subprocess.run(["ip", "netns", "del", "bench"], check=True)

print("BENCH " + json.dumps(figures), flush=True)
