#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# laurel (userspace/laurel-0.8.2, built by scripts/build-laurel) as
# auditd's plugin (issue 29): two crun containers live and die, and
# laurel's JSON of their lives is read back with jq.  Every event the
# kernel tied to a container (its CONTAINER_ID, in auditd's own log) has
# that container in laurel's CONTAINER, with the runtime's names; none has
# another's.
import json
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

LAUREL = os.path.join(REPO, ".cache", "laurel", "bin", "laurel")
PLUGINS = "/tmp/audit-contid/plugins.d"
AUDITD = os.path.join(os.path.dirname(__file__), "..", "auditd")
work = scratch("laurel")
out_dir = os.path.join(work, "laurel")
laurel_log = os.path.join(out_dir, "audit.log")
key = f"contid-laurel-{os.getpid()}"
names = [f"laurel-{n}-{os.getpid()}" for n in ("a", "b")]

if not os.access(LAUREL, os.X_OK):
    ok(False, f"{LAUREL} is built (scripts/build-laurel)")
    done()

config = os.path.join(work, "laurel.toml")
with open(config, "w") as f:
    f.write(f'directory = "{out_dir}"\ninput = "stdin"\n'
            '[auditlog]\nfile = "audit.log"\n[state]\nfile = ""\n')
os.chmod(config, 0o600)
with open(os.path.join(PLUGINS, "laurel.conf"), "w") as f:
    f.write(f"active = yes\ndirection = out\ntype = always\nformat = string\n"
            f"path = {LAUREL}\nargs = -c {config}\n")


def laurel_events():
    try:
        with open(laurel_log) as f:
            return [json.loads(x) for x in f if x.strip()]
    except FileNotFoundError:
        return []


def jq(expr):
    """jq -c over laurel's log: one compact line per result."""
    r = subprocess.run(["jq", "-c", expr, laurel_log], capture_output=True, text=True)
    return r.stdout.splitlines() if r.returncode == 0 else [f"jq failed: {r.stderr}"]


broker = None
try:
    subprocess.run([AUDITD, "restart"], check=True)
    wait_until(lambda: os.path.exists(laurel_log), "laurel, auditd's plugin, to start its log")
    # The containers' own file syscalls (the ids are known beforehand:
    # the broker derives them from the OCI ids).
    rules = [("always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat", "-S", "openat",
              "-F", f"contid={fnv1a64(name)}", "-F", f"key={key}") for name in names]
    for rule in rules:
        auditctl("-a", *rule)
    broker = Broker(os.path.join(work, "broker.sock"))
    crun = [CRUN, "--root", os.path.join(work, "state")]
    contids = {}
    for name in names:
        script = f"mkdir /dev/shm/{name}; echo x > /dev/shm/{name}/f; cat /dev/shm/{name}/f"
        bundle = make_bundle(os.path.join(work, name), ["/bin/sh", "-c", script])
        rc, out, err = broker.run([RUNTIME, *crun[1:], "run", "--bundle", bundle, name])
        ok(rc == 0, f"crun run {name} below the broker, auditd's plugin laurel running", err)
        broker.run([RUNTIME, *crun[1:], "delete", "--force", name])
        contids[name] = fnv1a64(name)
        wait_record("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={contids[name]} ",
                    ENGINE_TIMEOUT)
    for rule in rules:
        auditctl("-d", *rule)
    log_barrier()

    # auditd's raw log says which events each container's tasks made.
    kernel_says = {}
    for line in records("CONTAINER_ID", ""):
        m = re.search(r"msg=audit\(([0-9.]+:\d+)\): record=\d+ contid=(\d+)$", line)
        if m and int(m[2]) in contids.values():
            kernel_says[m[1]] = int(m[2])
    ok(len(kernel_says) >= 6, "auditd's log has the containers' events", len(kernel_says))

    def missing():
        return sorted(kernel_says.keys() - {e["ID"] for e in laurel_events()})

    # laurel writes an event once it is complete: at its EOE, or when later
    # records show it is over; user messages give it later records.
    for _ in range(60):
        if not missing():
            break
        log_barrier()
        time.sleep(0.5)
    gone = missing()
    ok(not gone, "laurel wrote every one of them",
       "\n".join(x for s in gone[:3] for x in event(s.split(":")[1])))

    events = {e["ID"]: e for e in laurel_events()}
    for name in names:
        mine = {s for s, c in kernel_says.items() if c == contids[name]}
        wrong = {s: events[s].get("CONTAINER") for s in mine
                 if events[s].get("CONTAINER", {}).get("contid") != contids[name]}
        ok(mine and not wrong, f"every event of {name} ({len(mine)}) has its contid in "
           "laurel's CONTAINER, from the kernel", wrong)
        claimed = {s for s, e in events.items()
                   if e.get("CONTAINER", {}).get("contid") == contids[name]}
        ok(claimed <= mine, f"no other event claims {name}'s contid", claimed - mine)
        # jq: the names (strings; jq 1.6 would round a 64-bit contid)
        got = jq(f'select(.CONTAINER."oci-id" == "{name}") | '
                 f'[.CONTAINER.source, .CONTAINER.engine, (.PATH // [] | '
                 f'map(.name // "" | tostring) | any(test("/dev/shm/{name}")))]')
        ok(got and all(x.startswith('["kernel","crun",') for x in got)
           and any(x.endswith("true]") for x in got),
           f"jq: {name}'s events name it (oci-id, engine crun, from the kernel), "
           "its own /dev/shm files among them", got[:5])
        other = [n for n in names if n != name][0]
        leaked = jq(f'select(.CONTAINER."oci-id" == "{name}") | .PATH // [] '
                    f'| map(.name // "" | tostring) | map(select(test("/dev/shm/{other}"))) '
                    '| select(length > 0)')
        eq(leaked, [], f"jq: none of {name}'s events touches {other}'s files")
    # One line for the README, as laurel wrote it (jq 1.6 would round the
    # contid): the first container's mkdir of its own directory.
    with open(laurel_log) as f:
        shown = [x.strip() for x in f
                 if f'"name":"/dev/shm/{names[0]}"' in x and '"syscall":83,' in x]
    print(f"# {shown[0] if shown else None}")
    sets = jq('select(.CONTAINER_OP) | .CONTAINER_OP[0].op')
    ok(sets.count('"set"') >= 2 and sets.count('"drop"') >= 2,
       "laurel has each container's set and drop as CONTAINER_OP", sets)
    ok(not jq('select(tostring | test("UNKNOWN\\\\[1340\\\\]"))'),
       "no UNKNOWN[1340] in laurel's output")
finally:
    if broker:
        broker.stop(5)
    os.unlink(os.path.join(PLUGINS, "laurel.conf"))
    subprocess.run([AUDITD, "restart"], check=True)
done()
