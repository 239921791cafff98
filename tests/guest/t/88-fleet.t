#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# A fleet in one trail (issue 29): audit's own remote logging.  Node
# "alpha" is this guest: its auditd names its records (name_format = user)
# and forwards them with audisp-remote over TCP to a collecting auditd
# (local_events = no, tcp_listen_port) in a network namespace of its own,
# reached over a veth pair.  Node "beta" is a trail recorded on another
# boot (tests/guest/fleet-beta.log, made by this test with
# FLEET_RECORD=PATH), replayed through a second audisp-remote that names
# it.  Both ran a crun container with the OCI id "fleet-web", so both
# carry the same container id N: on the collector `ausearch --node`
# keeps them apart, the mapping records' boot-id tell the two lives
# apart, and `aureport --contid` has a row per node.
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIX = os.environ["AUDIT_PREFIX"]
SBIN = os.path.join(PREFIX, "sbin")
RECORD = os.environ.get("FLEET_RECORD")
NODE = "beta" if RECORD else "alpha"
OCI_ID = "fleet-web"
N = fnv1a64(OCI_ID)
BETA_TRAIL = os.path.join(HERE, "..", "fleet-beta.log")
COLLECTOR_IP, NODE_IP, PORT = "10.77.0.2", "10.77.0.1", 60
RULE = ("always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat", "-F", "key=fleet")
work = scratch("fleet")
COMMON = """write_logs = yes
log_format = RAW
log_group = root
flush = INCREMENTAL_ASYNC
freq = 1
max_log_file = 64
num_logs = 2
max_log_file_action = IGNORE
space_left = 2
space_left_action = IGNORE
admin_space_left = 1
admin_space_left_action = IGNORE
disk_full_action = IGNORE
disk_error_action = SYSLOG
end_of_event_timeout = 2
"""
REMOTE_CONF = f"""remote_server = {COLLECTOR_IP}
port = {PORT}
transport = tcp
mode = immediate
queue_depth = 2048
format = managed
network_retry_time = 1
max_tries_per_record = 30
network_failure_action = syslog
heartbeat_timeout = 0
"""


def daemon_dir(name, conf):
    d = os.path.join(work, name)
    os.makedirs(os.path.join(d, "plugins.d"), exist_ok=True)
    with open(os.path.join(d, "auditd.conf"), "w") as f:
        f.write(COMMON + f"log_file = {d}/audit.log\nplugin_dir = {d}/plugins.d\n" + conf)
    os.chmod(os.path.join(d, "auditd.conf"), 0o640)
    return d


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, text=True, capture_output=True, **kw)


def with_remote_conf(cmd):
    """cmd in a mount namespace of its own whose /etc/audit holds only our
    audisp-remote.conf: the tools read it from that fixed path."""
    conf = os.path.join(work, "audisp-remote.conf")
    return (f"unshare --mount --propagation private sh -c "
            f"'mount -t tmpfs tmpfs /etc/audit && cp {conf} /etc/audit/ && exec {cmd}'")


def tool(name, *args):
    r = subprocess.run([os.path.join(SBIN, name), *args], text=True, capture_output=True)
    return r.stdout + r.stderr


with open(os.path.join(work, "audisp-remote.conf"), "w") as f:
    f.write(REMOTE_CONF)
os.chmod(os.path.join(work, "audisp-remote.conf"), 0o640)

subprocess.run([os.path.join(HERE, "..", "auditd"), "stop"], check=True)
holder = alpha = collector = broker = None
rule_added = False
try:
    # The collector: its own network namespace, reached over a veth pair.
    holder = subprocess.Popen(["unshare", "--net", "sleep", "1000"])
    ns = f"/proc/{holder.pid}/ns/net"
    wait_until(lambda: os.readlink(ns) != os.readlink("/proc/self/ns/net"),
               "the collector's network namespace")
    r = sh(f"ip link add fleet-node type veth peer name fleet-coll netns {holder.pid} && "
           f"ip addr add {NODE_IP}/24 dev fleet-node && ip link set fleet-node up && "
           f"nsenter --net={ns} sh -c 'ip link set lo up && "
           f"ip addr add {COLLECTOR_IP}/24 dev fleet-coll && ip link set fleet-coll up'")
    ok(r.returncode == 0, "a veth pair joins this node to the collector's namespace", r.stderr)
    coll = daemon_dir("collector", f"local_events = no\nname_format = none\n"
                      f"tcp_listen_port = {PORT}\ntcp_listen_queue = 5\n"
                      "tcp_max_per_addr = 4\ntcp_client_ports = 1-65535\n"
                      "tcp_client_max_idle = 0\n")
    collector = subprocess.Popen(["nsenter", f"--net={ns}", "setsid",
                                  os.path.join(SBIN, "auditd"), "-n", "-c", coll],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=open(os.path.join(coll, "auditd.err"), "w"))
    wait_until(lambda: f":{PORT} " in sh(f"nsenter --net={ns} ss -ltnH").stdout,
               f"the collector to listen on port {PORT}")
    ok(f":{PORT} " not in sh("ss -ltnH").stdout,
       "the collector listens in its own namespace only (not on this node)")

    # Node alpha: this guest's auditd, naming its records, forwarding them.
    alpha_dir = daemon_dir(NODE, f"local_events = yes\nname_format = user\nname = {NODE}\n")
    with open(os.path.join(alpha_dir, "plugins.d", "au-remote.conf"), "w") as f:
        f.write(f"active = yes\ndirection = out\npath = {SBIN}/audisp-remote\n"
                "type = always\nformat = string\n")
    alpha = subprocess.Popen(with_remote_conf(f"setsid {SBIN}/auditd -n -s enable -c {alpha_dir}"),
                             shell=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(alpha_dir, "auditd.err"), "w"))
    alpha_log = os.path.join(alpha_dir, "audit.log")
    wait_until(lambda: any("DAEMON_START" in x for x in log_lines(alpha_log)),
               f"{NODE}'s auditd to start")
    auditctl("-a", *RULE)
    rule_added = True

    # The container: the same OCI id, so the same contid, on every node.
    broker = Broker(os.path.join(work, "broker.sock"))
    crun = [CRUN, "--root", os.path.join(work, "state")]
    marker = f"/dev/shm/fleet-{NODE}-{os.getpid()}"
    bundle = make_bundle(os.path.join(work, "bundle"), ["/bin/sh", "-c", f"mkdir {marker}"])
    rc, out, err = broker.run([RUNTIME, *crun[1:], "run", "--bundle", bundle, OCI_ID])
    ok(rc == 0, f"crun run {OCI_ID} on {NODE}, labelled by the wrapper", err)
    broker.run([RUNTIME, *crun[1:], "delete", "--force", OCI_ID])
    mine = wait_until(lambda: [x for x in log_lines(alpha_log) if marker in x],
                      f"{NODE}'s log to hold the container's mkdir")
    ok(mine[0].startswith(f"node={NODE} type=PATH"),
       f"{NODE}'s own log names the node: node={NODE}", mine[0])

    if RECORD:
        trail = tool("ausearch", "--input", alpha_log, "--contid", str(N), "--raw")
        with open(RECORD, "w") as f:
            f.write("".join(x.split(" ", 1)[1] + "\n" for x in trail.splitlines()
                            if x.startswith(f"node={NODE} ")))
        ok(os.path.getsize(RECORD) > 0, f"recorded {NODE}'s trail of {OCI_ID} into {RECORD}")
        done()

    # Node beta: its trail from another boot, through a second audisp-remote.
    ok(os.path.exists(BETA_TRAIL), "the trail recorded on another boot is there", BETA_TRAIL)
    beta_lines = log_lines(BETA_TRAIL)
    with open(os.path.join(work, "beta.in"), "w") as f:
        f.write("".join(f"node=beta {x}\n" for x in beta_lines))
    r = sh(with_remote_conf(f"{SBIN}/audisp-remote") + f" < {work}/beta.in", timeout=120)
    ok(r.returncode == 0, "audisp-remote replayed beta's trail and exited", r.stderr)

    coll_log = os.path.join(coll, "audit.log")
    wait_until(lambda: any(x.startswith("node=beta ") and "op=container-create" in x
                           for x in log_lines(coll_log)),
               "beta's mapping record at the collector")
    wait_until(lambda: any(x.startswith("node=alpha ") and marker in x for x in log_lines(coll_log)),
               "alpha's mkdir at the collector")
    collected = log_lines(coll_log)
    ok(not any("node=alpha" in x and "fleet-beta-" in x for x in collected) and
       any(x.startswith("node=alpha ") for x in collected),
       "the collector keeps each node's records under its own name")

    def search(node):
        out = tool("ausearch", "--input", coll_log, "--node", node, "--contid", str(N), "--raw")
        return [x for x in out.splitlines() if x.startswith("node=")]

    a, b = search("alpha"), search("beta")
    ok(a and all(x.startswith("node=alpha ") for x in a),
       f"ausearch --node alpha --contid {N}: only alpha's records", a[:3])
    ok(any(marker in x for x in a) and not any("fleet-beta-" in x for x in a),
       "... alpha's container, not beta's with the same id")
    ok(b and all(x.startswith("node=beta ") for x in b),
       f"ausearch --node beta --contid {N}: only beta's records", b[:3])
    ok(any("fleet-beta-" in x for x in b) and not any(marker in x for x in b),
       "... beta's container, not alpha's")

    def boot_ids(found):
        return {x.split('boot-id="')[1].split('"')[0] for x in found if 'boot-id="' in x}

    with open("/proc/sys/kernel/random/boot_id") as f:
        here_boot = f.read().strip()
    eq(boot_ids(a), {here_boot}, "alpha's mapping record carries this boot's id")
    ok(len(boot_ids(b)) == 1 and boot_ids(b) != {here_boot},
       "beta's carries another boot's: node, boot and contid tell the lives apart", boot_ids(b))

    report = tool("aureport", "--input", coll_log, "--contid")
    print("".join(f"# {x}\n" for x in report.splitlines()), end="")
    rows = [x.split() for x in report.splitlines() if x[:1].isdigit()]
    by_node = {r[2]: r for r in rows if len(r) > 2 and r[1] == str(N)}
    eq(sorted(by_node), ["alpha", "beta"], "aureport --contid: one row per node for the same id")
    # "1. contid node events failed first(date time) last(date time) engine ..."
    ok(all(len(r) > 9 and r[9] == "crun" for r in by_node.values()),
       "... each named by its node's mapping record (engine crun)", report)
finally:
    if rule_added:
        auditctl("-d", *RULE)
    if broker:
        broker.stop(5)
    # Both auditds (the collector's and alpha's) run with configs in work.
    sh(f"pkill -TERM -f 'auditd -n.*{work}'")
    for p in (alpha, collector):
        if p:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
    if holder:
        holder.kill()
        holder.wait()
    subprocess.run([os.path.join(HERE, "..", "auditd"), "start"], check=True)
done()
