# SPDX-License-Identifier: GPL-2.0
"""Network namespaces for the in-guest tests: tasks moved between them by
tests/guest/netns-helper.c, and packets audited in them, whose events list
the containers with tasks there (tests/guest/t/45-netns.t and the fault
injection of 64-failslab.t)."""

import os
import re
import signal
import subprocess
import tempfile

from contid import Child, eq, event, serial, set_contid, wait_record, wait_until

_work = tempfile.mkdtemp(prefix="contid-netns-")
HELPER = os.path.join(_work, "netns-helper")
subprocess.run(["gcc", "-O2", "-o", HELPER,
                os.path.join(os.path.dirname(__file__), "netns-helper.c")],
               check=True)


def helper(*steps, label=None):
    """Runs the helper with `steps`; with `label`, labels it at its
    "ready" step.  Returns the Child; its lines are read with line()."""
    h = Child([HELPER, *map(str, steps)], stdin=subprocess.PIPE,
              stdout=subprocess.PIPE, text=True)
    if "ready" in steps:
        eq(line(h), "ready", "the helper is ready")
        if label is not None:
            eq(set_contid(h.pid, label), "OK", f"label it {label}")
        h.proc.stdin.write("go\n")
        h.proc.stdin.flush()
    return h


def line(h):
    return h.proc.stdout.readline().strip()


def pid_after(h, word):
    """The pid of the helper's next line "WORD PID"."""
    got = line(h).split()
    if len(got) != 2 or got[0] != word:
        raise RuntimeError(f"helper said {got!r}, not {word} PID")
    return int(got[1])


def pids_said(h, n):
    """The helper's next `n` lines "WORD PID" (its children's and its own
    come in any order), as {word: [pid, ...]}."""
    said = {}
    for _ in range(n):
        word, pid = line(h).split()
        said.setdefault(word, []).append(int(pid))
    return said


def anchor():
    """An unlabelled task parked in a new network namespace; returns it
    and the namespace's path."""
    a = helper("unshare", "park")
    return a, f"/proc/{pid_after(a, 'parked')}/ns/net"


def kill_one(pid):
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not os.path.exists(f"/proc/{pid}/ns/net"), f"{pid} to go")


# Marks of this process: its pid in the high bits, a count in the low
# ones, so that two test files in one boot (45-netns.t and 64-failslab.t
# both probe) never wait for each other's packets in the shared log.
_mark = 0x40000000 | (os.getpid() & 0x3ffff) << 12


def new_mark():
    """A packet mark no other packet of this boot has, for telling its
    NETFILTER_PKT records apart."""
    global _mark
    _mark += 1
    return f"{_mark:#x}"


def probe(ns="/proc/self/ns/net"):
    """Sends one ping over lo in the namespace `ns`, audited there by nft
    with a mark of its own.  Returns the NETFILTER_PKT record and the list
    of contid chains its event's CONTAINER_ID records name, in order."""
    mark = new_mark()
    rules = f"""table ip contid_probe {{
        chain input {{
            type filter hook input priority 0; policy accept;
            iif lo icmp type echo-request meta mark set {mark} log level audit
        }}
    }}"""
    script = (f"ip link set lo up && nft -f - <<'EOF'\n{rules}\nEOF\n"
              "ping -q -c 1 -W 5 127.0.0.1 >/dev/null; s=$?; "
              "nft delete table ip contid_probe; exit $s")
    subprocess.run(["nsenter", f"--net={ns}", "bash", "-c", script], check=True)
    pkt = wait_record("NETFILTER_PKT", f"mark={mark} ")
    return pkt, chains_of(pkt)


def container_ids(pkt):
    return [r for r in event(serial(pkt))
            if re.search(r"type=(CONTAINER_ID|UNKNOWN\[1340\])", r)]


def chains_of(pkt):
    """The chains the CONTAINER_ID records of pkt's event list, in part
    order: "4,^2,^1,3" reads ["4,^2,^1", "3"]."""
    return chains_in(container_ids(pkt))


def chains_in(recs):
    """The chains CONTAINER_ID records `recs` list, in order."""
    chains = []
    for rec in recs:
        for item in re.search(r" contid=(\S+)$", rec).group(1).split(","):
            if item.startswith("^"):
                chains[-1] += "," + item
            else:
                chains.append(item)
    return chains
