#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# podman containers labelled by contid-broker (issue 11): podman runs
# audit-contid-runtime as a runtime registered in containers.conf, from
# conmon, for `podman run --rootfs` and `podman exec`.  A container's
# syscalls and its exec sessions carry the id derived from podman's
# container id, two containers get two ids, and `podman rm` ends each with
# its drop record.
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

work = scratch("podman")
# conmon runs the runtime without podman's environment: the default socket.
sock = "/run/audit-contid/broker.sock"
key = f"contid-podman-{os.getpid()}"
conf = os.path.join(work, "containers.conf")
with open(conf, "w") as f:
    # pids_limit: the test kernel has no pids controller.
    f.write(f"""[containers]
pids_limit = 0

[engine]
runtime = "contid"
runtime_supports_json = ["crun", "contid"]
events_logger = "none"
cgroup_manager = "cgroupfs"

[engine.runtimes]
contid = ["{RUNTIME}"]
""")
env = {"CONTAINERS_CONF": conf}
podman = ["podman", "--root", os.path.join(work, "root"), "--runroot", os.path.join(work, "run"),
          "--tmpdir", os.path.join(work, "tmp"), "--storage-driver", "vfs"]
rootfs = make_rootfs(work)
# Names of their own: the log holds every run of the test since boot.
P1, P2 = f"p1-{os.getpid()}", f"p2-{os.getpid()}"

auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
         "-F", f"key={key}")
broker = Broker(sock)
try:
    ids = {}
    for name in (P1, P2):
        rc, out, err = broker.run([*podman, "run", "-d", "--name", name, "--network", "none",
                                   "--rootfs", rootfs, "/bin/sh", "-c",
                                   f"mkdir /dev/shm/start-{name}; exec sleep 1000"], env)
        ok(rc == 0, f"podman run -d --rootfs {name}, below the broker", err)
        rc, out, err = broker.run([*podman, "inspect", "--format", "{{.Id}} {{.State.Pid}}", name],
                                  env)
        oci_id, pid = out.split()
        ids[name] = str(fnv1a64(oci_id))
        eq(get_contid(int(pid)), ids[name], f"{name}'s init has the id derived from podman's id")
        line = wait_record("PATH", f'name="/dev/shm/start-{name}"', ENGINE_TIMEOUT)
        eq(event_contids(line), [ids[name]], f"{name}'s own syscall carries its CONTAINER_ID")
        line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{oci_id}" '
                           f'engine="podman" container-name="{name}" {BOOT_ID} res=success')
        eq(event_contids(line), [ids[name]],
           f"the TRUSTED_APP record names {name}'s podman id, podman and its name")
    ok(ids[P1] != ids[P2], "two containers get two ids")

    rc, out, err = broker.run([*podman, "exec", P1, "mkdir", f"/dev/shm/exec-{P1}"], env)
    ok(rc == 0, "podman exec p1 (a new conmon, the same broker)", err)
    line = wait_record("PATH", f'name="/dev/shm/exec-{P1}"')
    eq(event_contids(line), [ids[P1]], "the exec session's syscall carries p1's id")

    rc, out, err = broker.run([*podman, "rm", "--force", P1, P2], env)
    ok(rc == 0, "podman rm --force p1 p2", err)
    for name in (P1, P2):
        wait_record("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={ids[name]} res=1$")
        ok(True, f"{name}'s drop record comes when its last task is gone")
    eq(broker.stop(), 0, "the broker exits once nothing is below it")
finally:
    broker.stop(5)
    subprocess.run([*podman, "rm", "--force", "--all"], env=dict(os.environ, **env),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
             "-F", f"key={key}")
    shutil.rmtree(work, ignore_errors=True)
done()
