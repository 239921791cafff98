#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Packets and network namespaces (spec 1.6, 3.3, 6): a NETFILTER_PKT event
# lists, in CONTAINER_ID records, exactly the containers with a task in the
# packet's namespace, each with its nesting chain, newest first; the count
# follows tasks through fork, clone(CLONE_NEWNET), unshare, setns, a set
# and exit (a test for each of the last posted series' counting bugs),
# returns to zero after churn, and a list too long for one record goes on
# in numbered parts of the same event, which ausearch finds.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

from netprobe import *  # noqa: E402,F403


def listed(pkt, want, name):
    """pkt's event names exactly `want` (in order), tied by record=1."""
    got = chains_of(pkt)
    eq(got, want, name)
    if want:
        ok(pkt.endswith(" record=1"), "... and NETFILTER_PKT ends in record=1", pkt)
        ok(all(" record=1 " in r for r in container_ids(pkt)),
           "... as do its CONTAINER_ID records", "\n".join(container_ids(pkt)))
    else:
        ok("record=" not in pkt, "... and NETFILTER_PKT has no record=", pkt)


def mine(pkt, values):
    """The chains of pkt's event that name one of `values`."""
    return [c for c in chains_of(pkt) if int(c.split(",")[0]) in values]


# --- the seed's example ---------------------------------------------------
# Typed as the seed has it, but for the sleeps: `sleep 5` outlived two
# iptables runs and a ping until a KASAN kernel beside two other guests on
# two cores took longer, and the ping found both containers gone.  The
# sleepers now outlive the ping by construction: they are killed after it.
SEED = """
sleep 600 & child1=$!; echo 123451 > /proc/$child1/audit_containerid
sleep 600 & child2=$!; echo 123452 > /proc/$child2/audit_containerid
iptables -I INPUT -i lo -p icmp --icmp-type echo-request -j AUDIT --type accept
iptables -I INPUT -t mangle -i lo -p icmp --icmp-type echo-request -j MARK --set-mark 0x12345555
ping -q -c 1 127.0.0.1
kill $child1 $child2
"""
try:
    subprocess.run(["bash", "-c", SEED], check=True, stdout=subprocess.DEVNULL)
    pkt = wait_record("NETFILTER_PKT", "mark=0x12345555 ")
    listed(pkt, ["123452", "123451"],
           "seed: the ping lists 123452,123451 (newest first)")
    found = wait_until(lambda: [
        ev for ev in subprocess.run(
            ["ausearch", "-if", AUDIT_LOG, "-i", "-m", "NETFILTER_PKT", "-ts", "boot"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout.split("----")
        if "mark=0x12345555" in ev], "ausearch to show the seed's packet")
    ok(re.search(r"^type=CONTAINER_ID .* record=1 contid=123452,123451 ?$", found[0], re.M),
       "seed: ausearch -i -m NETFILTER_PKT shows CONTAINER_ID record=1 contid=123452,123451",
       found[0])
finally:
    subprocess.run("iptables -D INPUT -i lo -p icmp --icmp-type echo-request -j AUDIT --type accept;"
                   "iptables -D INPUT -t mangle -i lo -p icmp --icmp-type echo-request "
                   "-j MARK --set-mark 0x12345555", shell=True)
# The sleeps end by themselves; wait for their drop records.
wait_record("CONTAINER_OP", r"op=drop .* old-contid=123451 ", 30)
wait_record("CONTAINER_OP", r"op=drop .* old-contid=123452 ", 30)

# --- the same with nft 'log level audit' -----------------------------------
v1, v2 = unique_value(), unique_value()
with helper("ready", "park", label=v1) as a, helper("ready", "park", label=v2) as b:
    pid_after(a, "parked"), pid_after(b, "parked")
    pkt, _ = probe()
    listed(pkt, [str(v2), str(v1)], "nft: the ping lists both containers, newest first")
pkt, _ = probe()
eq(mine(pkt, {v1, v2}), [], "nft: once their tasks are gone, neither is listed")

# --- CONTAINER_ID records excluded by a rule: the packet names none --------
with container_id_excluded(), helper("ready", "park", label=unique_value()) as a:
    pid_after(a, "parked")
    pkt, _ = probe()
    ok(not re.search(r" record=\d+$", pkt),
       "with CONTAINER_ID excluded, NETFILTER_PKT has no record=", pkt)
    eq(container_ids(pkt), [], "... and its event no CONTAINER_ID")

# --- veth: each namespace lists its own containers -------------------------
(a1, ns1), (a2, ns2) = anchor(), anchor()
va, vb, vc = unique_value(), unique_value(), unique_value()
tasks = [helper("ready", "setns", ns1, "park", label=va),
         helper("ready", "setns", ns2, "park", label=vb),
         helper("ready", "setns", ns2, "park", label=vc)]
try:
    for t in tasks:
        pid_after(t, "parked")
    p1, p2 = (int(p.split("/")[2]) for p in (ns1, ns2))
    subprocess.run(f"ip link add ctA type veth peer name ctB && "
                   f"ip link set ctA netns {p1} && ip link set ctB netns {p2}",
                   shell=True, check=True)
    subprocess.run(["nsenter", f"--net={ns1}", "sh", "-c",
                    "ip addr add 10.77.0.1/24 dev ctA && ip link set ctA up"], check=True)
    subprocess.run(["nsenter", f"--net={ns2}", "sh", "-c",
                    "ip addr add 10.77.0.2/24 dev ctB && ip link set ctB up"], check=True)
    marks = {"out": new_mark(), "in": new_mark()}
    for ns, hook, match, mark in ((ns1, "output", "daddr", marks["out"]),
                                  (ns2, "input", "saddr", marks["in"])):
        peer = "10.77.0.2" if match == "daddr" else "10.77.0.1"
        rules = (f"table ip contid_veth {{\n chain c {{\n type filter hook {hook} priority 0;\n"
                 f" ip {match} {peer} icmp type echo-request meta mark set {mark} log level audit\n"
                 " }\n}\n")
        subprocess.run(["nsenter", f"--net={ns}", "nft", "-f", "-"], input=rules, text=True,
                       check=True)
    subprocess.run(["nsenter", f"--net={ns1}", "ping", "-q", "-c", "1", "-W", "5", "10.77.0.2"],
                   check=True, stdout=subprocess.DEVNULL)
    listed(wait_record("NETFILTER_PKT", f"mark={marks['out']} "), [str(va)],
           "veth: sent in namespace 1, the packet lists its one container")
    listed(wait_record("NETFILTER_PKT", f"mark={marks['in']} "), [str(vc), str(vb)],
           "veth: received in namespace 2, it lists that one's two")
finally:
    for t in tasks + [a1, a2]:
        t.kill()

# --- membership, move by move ------------------------------------------------
(a1, ns1) = anchor()
try:
    # A plain fork is counted (the last posted series did not, and its
    # exit uncounted the parent's entry early).
    v = unique_value()
    with helper("ready", "setns", ns1, "fork", "park", label=v) as h:
        child = pids_said(h, 2)["child"][0]
        listed(probe(ns1)[0], [str(v)], "set, then setns: the namespace lists the container")
        kill_one(h.pid)
        listed(probe(ns1)[0], [str(v)], "plain fork: with the parent gone, its child keeps it listed")
        kill_one(child)
        listed(probe(ns1)[0], [], "exit: with both gone, it is not listed (each exit counted once)")

    # A set on a task already in the namespace counts it there.
    v = unique_value()
    with helper("setns", ns1, "ready", "park", label=v) as h:
        pid_after(h, "parked")
        listed(probe(ns1)[0], [str(v)], "a set counts the task in the namespace it is in")
        eq(mine(probe()[0], {v}), [], "... and not in the one it came from")

    # unshare moves the count to the new namespace.
    v = unique_value()
    with helper("ready", "unshare", "park", label=v) as h:
        own = f"/proc/{pid_after(h, 'parked')}/ns/net"
        listed(probe(own)[0], [str(v)], "unshare: the new namespace lists the container")
        eq(mine(probe()[0], {v}), [], "... and the old one no longer does")

    # clone(CLONE_NEWNET) counts the child in its new namespace, and the
    # parent where it stays.
    v = unique_value()
    with helper("ready", "clone-newnet", "park", label=v) as h:
        child = pids_said(h, 2)["child"][0]
        listed(probe(f"/proc/{child}/ns/net")[0], [str(v)],
               "clone(CLONE_NEWNET): the child's new namespace lists the container")
        eq(mine(probe()[0], {v}), [str(v)], "... and the parent's still does")
        kill_one(h.pid)
        eq(mine(probe()[0], {v}), [], "... until the parent exits")

    # setns out and back.
    v = unique_value()
    with helper("ready", "setns", ns1, "setns", "/proc/1/ns/net", "park", label=v) as h:
        pid_after(h, "parked")
        listed(probe(ns1)[0], [], "setns out again: the namespace it left lists nothing")
        eq(mine(probe()[0], {v}), [str(v)], "... and the one it came back to lists it")

    # A nested container is listed with its chain.
    ENGINE = r"""
import os, sys
print("ready", flush=True); sys.stdin.readline()
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.read(r, 1)
    os.execv(sys.argv[1], [sys.argv[1], "setns", sys.argv[2], "park"])
fd = os.open(f"/proc/{pid}/audit_containerid", os.O_WRONLY)
os.write(fd, sys.argv[3].encode()); os.close(fd)
os.write(w, b"x")
os.waitpid(pid, 0)
"""
    outer, inner = unique_value(), unique_value()
    with Child([sys.executable, "-c", ENGINE, HELPER, ns1, str(inner)],
               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as e:
        eq(line(e), "ready", "an engine is ready")
        eq(set_contid(e.pid, outer), "OK", "label the engine")
        e.proc.stdin.write("go\n")
        e.proc.stdin.flush()
        pid_after(e, "parked")
        listed(probe(ns1)[0], [f"{inner},^{outer}"],
               "nesting: the engine's container in the namespace is listed with its chain")
finally:
    a1.kill()

# --- churn: 1,000 tasks over 10 namespaces ---------------------------------
anchors = [anchor() for _ in range(10)]
paths = [p for _, p in anchors]
churners, values = [], [unique_value() for _ in range(3)]
try:
    for seed, v in enumerate(values):
        churners.append(helper("ready", "churn", 340, seed + 1, *paths, label=v))
    for c in churners:
        eq(line(c), "churned 340", "a churner ran 340 tasks (and their children)")
        eq(c.proc.wait(timeout=POLL_SECONDS), 0, "... and exited")
    for v in values:
        wait_record("CONTAINER_OP", rf"op=drop .* old-contid={v} ")
    ok(True, "every churned container was dropped")
    left = {p: mine(probe(p)[0], set(values)) for p in paths}
    eq({p: c for p, c in left.items() if c}, {},
       "after churn no namespace lists a churned container: every count is back to zero")
    eq(mine(probe()[0], set(values)), [], "... nor does the initial namespace")
    eq(subprocess.run("dmesg | grep -c -e 'not counted in' -e 'went away with containers'", shell=True, stdout=subprocess.PIPE,
                      text=True).stdout.strip(), "0",
       "no task left a namespace it was not counted in (dmesg)")
finally:
    for c in churners:
        c.kill()
    for a, _ in anchors:
        a.kill()

# --- 500 containers in one namespace ---------------------------------------
a, ns = anchor()
N = 500
# 20-digit ids: 500 of them do not fit one record.
base = 18446744073700000000 + (os.getpid() % 1000) * 1000
ids = [base + i for i in range(N)]
spawner = helper("spawn", N, ns, "park")
try:
    pids = pids_said(spawner, N + 1)["child"]
    eq([p for p, v in zip(pids, ids) if set_contid(p, v) != "OK"], [],
       f"label {N} tasks in the namespace, one container each")
    pkt, chains = probe(ns)
    eq(sorted(map(int, chains)), ids, f"the packet's event names all {N} containers, once each")
    recs = container_ids(pkt)
    ok(len(recs) >= 2, f"... in {len(recs)} CONTAINER_ID records", len(recs))
    eq([re.search(r" part=(\d+) ", r).group(1) for r in recs],
       [str(i + 1) for i in range(len(recs))], "... numbered part=1, part=2, ...")
    ok(all(len(r) < 8970 for r in recs), "... each shorter than auditd's 8970 bytes",
       max(map(len, recs)))
    ok(pkt.endswith(" record=1"), "... tied to NETFILTER_PKT by record=1", pkt)
    last = ids[0]  # the first labelled is listed last: in the last part
    out = subprocess.run(["ausearch", "-if", AUDIT_LOG, "--contid", str(last), "-m", "NETFILTER_PKT"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    ok(f"mark={pkt.split('mark=')[1].split()[0]}" in out,
       "ausearch --contid finds the packet by an id in the last part")
finally:
    spawner.kill()
    a.kill()

# --- a list on the edge of one record, while a container comes and goes ----
# 381 containers with 20-digit ids fill one record's 8,000 bytes exactly; a
# task of a 382nd one moves in and out of the namespace all the time.  Each
# packet's list is one snapshot: one record without part=, or part=1..n
# with n >= 2, and it names the 381 and maybe the 382nd, never fewer.
a, ns = anchor()
N = 381
base = 18446744073700000000 + (os.getpid() % 1000) * 1000 + 500
ids = [base + i for i in range(N)]
spawner = helper("spawn", N, ns, "park")
mover_id = base + N
mover = None
try:
    pids = pids_said(spawner, N + 1)["child"]
    eq([p for p, v in zip(pids, ids) if set_contid(p, v) != "OK"], [],
       f"label {N} tasks in the namespace, one container each")
    mark = new_mark()
    rules = (f"table ip contid_edge {{\n chain input {{\n type filter hook input priority 0;\n"
             f" iif lo icmp type echo-request meta mark set {mark} log level audit\n }}\n}}\n")
    subprocess.run(["nsenter", f"--net={ns}", "bash", "-c",
                    f"ip link set lo up && nft -f - <<'EOF'\n{rules}EOF"], check=True)
    mover = helper("ready", "flip", 10**9, ns, label=mover_id)
    rounds = int(os.environ.get("CONTID_NETNS_EDGE_ROUNDS", "20"))
    subprocess.run(["nsenter", f"--net={ns}", "bash", "-c",
                    f"for i in $(seq {rounds}); do "
                    "ping -q -c 10 -i 0.01 -W 5 127.0.0.1 >/dev/null; done"], check=True)
    log_barrier()
    pkts = records("NETFILTER_PKT", f"mark={mark} ")
    # The log is large by now: read it once, not once per packet.
    cid_records = {}
    for r in records("CONTAINER_ID"):
        cid_records.setdefault(serial(r), []).append(r)
    bad, sizes = [], set()
    for pkt in pkts:
        recs = cid_records.get(serial(pkt), [])
        parts = [re.search(r" part=(\d+) ", r) for r in recs]
        if len(recs) == 1:
            good = parts[0] is None
        else:
            good = [p and p.group(1) for p in parts] == [str(i + 1) for i in range(len(recs))]
        chains = chains_in(recs)
        good = good and set(map(int, chains)) - {mover_id} == set(ids)
        sizes.add(len(chains))
        if not good:
            bad.append((pkt, [r[:120] for r in recs]))
    ok(len(pkts) >= 50, f"{len(pkts)} packets logged while the mover moved", len(pkts))
    ok(sizes == {N, N + 1}, "packets listed both the 381 and the 382", sizes)
    eq(bad[:3], [], "every packet's list is whole and numbered as one snapshot")
finally:
    if mover:
        mover.kill()
    spawner.kill()
    a.kill()
done()
