#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# containerd and Docker below contid-broker, with audit-contid-runc as
# their runc (issue 28), and images imported from busybox-static (no
# registry):
#  - containerd alone: `ctr run --runc-binary` labels the container, `ctr
#    task exec` joins it, deleting the task forgets it; the shim, which
#    double-forks, stays below the broker (a child subreaper), and so the
#    runtime it runs may ask;
#  - Docker (dockerd with the wrapper as its default runtime in
#    daemon.json): `docker run` labels, `docker exec` joins, `docker rm`
#    forgets; the mapping record names the engine, the container's name
#    and its image;
#  - a containerd started outside the broker: `ctr run` fails with the
#    wrapper's message, and no container runs.
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

CONTAINERD = "/usr/bin/containerd"
SHIM = "/usr/bin/containerd-shim-runc-v2"
CTR = "/usr/bin/ctr"
DOCKERD = "/usr/sbin/dockerd"
DOCKER = "/usr/bin/docker"	# Debian's client, not another in PATH
IMAGE = "docker.io/library/busybox-static:1"

work = scratch("docker")
sock = os.path.join(work, "broker.sock")
key = f"contid-docker-{os.getpid()}"
C1, C2, OUT = (f"{n}-{os.getpid()}" for n in ("ctr1", "ctr2", "out"))
WEB = f"web-{os.getpid()}"
# The container's command, given its name as $0: marks its start.
mark = ["sh", "-c", "mkdir /dev/shm/start-$0; exec sleep 1000"]


def containerd_config(name):
    """A containerd of its own in `work`: its socket's path."""
    root = os.path.join(work, name)
    os.makedirs(root)
    address = os.path.join(root, "containerd.sock")
    with open(os.path.join(root, "config.toml"), "w") as f:
        f.write(f'version = 2\nroot = "{root}/root"\nstate = "{root}/state"\n'
                'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                f'[grpc]\n  address = "{address}"\n')
    return root, address


def docker_config(name, containerd):
    """A dockerd of its own in `work`, on `containerd`, with the wrapper as
    its default runtime (as the README's daemon.json): its root and the
    docker client's argv."""
    root = os.path.join(work, name)
    os.makedirs(root)
    docker_sock = os.path.join(root, "docker.sock")
    with open(os.path.join(root, "daemon.json"), "w") as f:
        json.dump({"runtimes": {"audit-runc": {"path": RUNC_WRAPPER}},
                   "default-runtime": "audit-runc",
                   "data-root": os.path.join(root, "data"),
                   "exec-root": os.path.join(root, "exec"),
                   "pidfile": os.path.join(root, "docker.pid"),
                   "hosts": [f"unix://{docker_sock}"], "containerd": containerd,
                   "storage-driver": "vfs", "iptables": False, "bridge": "none"}, f)
    return root, [DOCKER, "-H", f"unix://{docker_sock}"]


def start_daemon(runner, argv, log, ready, what):
    """Starts a daemon in the background (below the broker if `runner`)
    and waits until `ready()`."""
    line = " ".join(f"'{a}'" for a in argv) + f" >'{log}' 2>&1 &"
    if runner:
        rc, out, err = runner.run(["sh", "-c", line])
    else:
        rc = subprocess.run(["sh", "-c", line]).returncode
        err = ""
    ok(rc == 0, f"{what} starts", err)
    wait_until(ready, what, ENGINE_TIMEOUT)


def succeeds(argv):
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=ENGINE_TIMEOUT).returncode == 0


def output(argv):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=ENGINE_TIMEOUT).stdout


def start_marked(name):
    return wait_record("PATH", f'name="/dev/shm/start-{name}"', ENGINE_TIMEOUT)


def dropped(contid):
    wait_until(lambda: records("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={contid} "
                               "res=1$"), f"the drop record of {contid}", ENGINE_TIMEOUT)
    return True


def ausearch(*args):
    return subprocess.run(["ausearch", "--input", AUDIT_LOG, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace").stdout


auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
         "-F", f"key={key}")
broker = None
daemons = []
try:
    broker = Broker(sock)

    # --- containerd alone ----------------------------------------------
    root, address = containerd_config("containerd")
    ctr = [CTR, "--address", address]
    start_daemon(broker, [CONTAINERD, "--config", os.path.join(root, "config.toml")],
                 os.path.join(root, "log"), lambda: succeeds([*ctr, "version"]),
                 "containerd below the broker")
    daemons.append(("containerd", root))
    rc, out, err = broker.run([*ctr, "image", "import", "--snapshotter", "native",
                               oci_archive(os.path.join(work, "oci"), IMAGE)])
    ok(rc == 0 and IMAGE in output([*ctr, "image", "ls", "-q"]),
       "ctr image import of an OCI archive made from busybox-static", err + out)
    for name in (C1, C2):
        # --cpu-shares 0: ctr asks for 1024, and the test kernel has no
        # cpu controller
        rc, out, err = broker.run([*ctr, "run", "-d", "--snapshotter", "native",
                                   "--cpu-shares", "0", "--runc-binary", RUNC_WRAPPER,
                                   IMAGE, name, *mark, name])
        ok(rc == 0, f"ctr run -d --runc-binary audit-contid-runc {name}", err + out)
    pids = {}
    for name in (C1, C2):
        tasks = output([*ctr, "task", "ls"])
        pids[name] = int(next(line.split()[1] for line in tasks.splitlines()
                              if line.split()[:1] == [name]))
    contids = {name: get_contid(pids[name]) for name in (C1, C2)}
    eq(contids[C1], str(fnv1a64(C1)), "the ctr container's init has the id of its OCI id")
    ok(contids[C1] != contids[C2], "two ctr containers get two ids")
    eq(event_contids(start_marked(C1)), [contids[C1]],
       "the container's own mkdir carries its CONTAINER_ID")
    line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{C1}" engine="containerd" '
                       f'{BOOT_ID} res=success')
    eq(event_contids(line), [contids[C1]], "the mapping record says engine=containerd")
    shims = pids_of(SHIM)
    ok(shims and all(broker.pid in ancestors(p) for p in shims),
       "every containerd-shim-runc-v2 (it double-forks) is below the broker",
       {p: ancestors(p) for p in shims})
    rc, out, err = broker.run([*ctr, "task", "exec", "--exec-id", "e1", C1,
                               "mkdir", f"/dev/shm/exec-{C1}"])
    ok(rc == 0, "ctr task exec joins the container", err + out)
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/exec-{C1}"')), [contids[C1]],
       "... the exec'd mkdir carries its id")
    for name in (C1, C2):
        rc, out, err = broker.run([*ctr, "task", "kill", "-s", "KILL", name])
        wait_gone(pids[name])
        rc, out, err = broker.run([*ctr, "task", "delete", name])
        ok(rc == 0, f"ctr task delete {name}", err + out)
        ok(dropped(contids[name]), f"{name}'s drop record comes when it ends")
        broker.run([*ctr, "container", "delete", name])
    ok(ask_broker(sock, f"lookup {C1}").startswith("error "),
       "the shim's runc delete made the broker forget the container")

    # --- Docker ----------------------------------------------------------
    droot, docker = docker_config("docker", address)
    start_daemon(broker, [DOCKERD, "--config-file", os.path.join(droot, "daemon.json")],
                 os.path.join(droot, "log"), lambda: succeeds([*docker, "version"]),
                 "dockerd below the broker, audit-contid-runc its default runtime")
    daemons.append(("dockerd", droot))
    rc, out, err = broker.run([*docker, "import", rootfs_tar(os.path.join(work, "tar")),
                               "busybox-static:1"])
    ok(rc == 0, "docker import of a busybox-static root filesystem", err + out)
    rc, out, err = broker.run([*docker, "run", "-d", "--name", WEB, "--network", "none",
                               "busybox-static:1", *mark, WEB])
    ok(rc == 0, "docker run -d", err + out)
    oci_id = out.strip()
    pid = int(output([*docker, "inspect", "-f", "{{.State.Pid}}", WEB]))
    web_id = get_contid(pid)
    eq(web_id, str(fnv1a64(oci_id)), "the Docker container's init has the id of its OCI id")
    eq(event_contids(start_marked(WEB)), [web_id],
       "its own mkdir carries its CONTAINER_ID")
    line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{oci_id}" ')
    ok(f'engine="docker" container-name="{WEB}" image="busybox-static:1" {BOOT_ID} res=success'
       in line,
       "the mapping record names the engine, the container's name and its image", line)
    eq(event_contids(line), [web_id], "... in an event with the container's id")
    rc, out, err = broker.run([*docker, "exec", WEB, "mkdir", f"/dev/shm/exec-{WEB}"])
    ok(rc == 0, "docker exec", err + out)
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/exec-{WEB}"')), [web_id],
       "the exec'd mkdir carries the container's id")
    line = wait_record("TRUSTED_APP", f'op=container-exec oci-id="{oci_id}" res=success')
    eq(event_contids(line), [web_id], "the exec logs op=container-exec in the container")
    rc, out, err = broker.run([*docker, "rm", "-f", WEB])
    ok(rc == 0, "docker rm -f", err + out)
    ok(dropped(web_id), "the container's drop record comes when it ends")
    wait_until(lambda: ask_broker(sock, f"lookup {oci_id}").startswith("error "),
               "the broker to forget the container")
    ok(True, "docker rm made the broker forget it")
    search = ausearch("-i", "--contid", web_id)
    for what, text in (("its op=set", "op=set"), ("its name", f"container-name={WEB}"),
                       ("its start", f"/dev/shm/start-{WEB}"),
                       ("the exec", f"/dev/shm/exec-{WEB}"), ("its drop", "op=drop")):
        ok(text in search, f"ausearch --contid <its id> shows {what}", search)

    # --- containerd outside the broker ------------------------------------
    root2, address2 = containerd_config("outside")
    ctr2 = [CTR, "--address", address2]
    # It knows the broker's socket, as a containerd the admin forgot to
    # start below the broker would.
    start_daemon(None, ["env", f"AUDIT_CONTID_BROKER={sock}", CONTAINERD,
                        "--config", os.path.join(root2, "config.toml")],
                 os.path.join(root2, "log"), lambda: succeeds([*ctr2, "version"]),
                 "a containerd outside the broker")
    daemons.append(("containerd", root2))
    subprocess.run([*ctr2, "image", "import", "--snapshotter", "native",
                    os.path.join(work, "oci", "busybox-oci.tar")],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = subprocess.run([*ctr2, "run", "-d", "--snapshotter", "native", "--cpu-shares", "0",
                        "--runc-binary", RUNC_WRAPPER, IMAGE, OUT, *mark, OUT], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=ENGINE_TIMEOUT)
    ok(p.returncode != 0 and "is not below the broker" in p.stdout and
       f"refusing to create container {OUT}" in p.stdout,
       "ctr run on a containerd outside the broker fails with the wrapper's message", p.stdout)
    eq([t for t in output([*ctr2, "task", "ls"]).splitlines() if OUT in t], [],
       "... and no container runs")

    # --- Docker outside the broker (on that containerd) --------------------
    droot2, docker2 = docker_config("docker-outside", address2)
    start_daemon(None, ["env", f"AUDIT_CONTID_BROKER={sock}", DOCKERD, "--config-file",
                        os.path.join(droot2, "daemon.json")],
                 os.path.join(droot2, "log"), lambda: succeeds([*docker2, "version"]),
                 "a dockerd outside the broker")
    daemons.append(("dockerd", droot2))
    subprocess.run([*docker2, "import", os.path.join(work, "tar", "busybox-rootfs.tar"),
                    "busybox-static:1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    p = subprocess.run([*docker2, "run", "-d", "--name", OUT + "-d", "--network", "none",
                        "busybox-static:1", *mark, OUT], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=ENGINE_TIMEOUT)
    ok(p.returncode != 0 and "is not below the broker" in p.stdout and
       "refusing to create container" in p.stdout,
       "docker run on a dockerd outside the broker fails with the wrapper's message", p.stdout)
    eq(output([*docker2, "ps", "-q"]).strip(), "", "... and no container runs")
finally:
    for what, root in reversed(daemons):
        pidfile = os.path.join(root, "docker.pid")
        for pid in (pids_of(DOCKERD) if what == "dockerd" else
                    [p for p in pids_of(CONTAINERD)
                     if root in open(f"/proc/{p}/cmdline").read()]):
            try:
                os.kill(pid, 15)
                wait_gone(pid)
            except (ProcessLookupError, RuntimeError):
                pass
    for pid in pids_of(SHIM):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    if broker:
        broker.stop(30)
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
             "-F", f"key={key}")
    subprocess.run(["umount", "-R", work], stderr=subprocess.DEVNULL)
    shutil.rmtree(work, ignore_errors=True)
done()
