#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Plain runc below contid-broker, through audit-contid-runc (issue 28):
# `runc run` labels the container, `runc exec` joins it, `runc delete`
# forgets it, the drop record comes when it ends, and `ausearch --contid`
# shows its life.  The runtime's own work for the container (runc's BPF
# device filter) carries the container's id, as the README documents.
# The mapping record names what the bundle says: a pod's CRI annotations
# with spaces, quotes and non-ASCII bytes come out in hex and read back
# with `ausearch -i`.  Then runc's command line as runc reads it: an
# option it does not know is refused with a message, and nothing runs.
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

work = scratch("runc")
sock = os.path.join(work, "broker.sock")
runc = [RUNC, "--root", os.path.join(work, "state")]
wrapped = [RUNC_WRAPPER, *runc[1:]]
key = f"contid-runc-{os.getpid()}"
R1, R2, POD, BAD = (f"{n}-{os.getpid()}" for n in ("r1", "r2", "pod", "bad"))
SYS_BPF = 321


def bundle_for(name, annotations=None):
    """A bundle whose container marks its start with an audited mkdir."""
    return make_bundle(os.path.join(work, name),
                       ["/bin/sh", "-c", f"mkdir /dev/shm/start-{name}; exec sleep 1000"],
                       annotations=annotations)


def runc_pid(name):
    return container_pid(runc, name)


def stop(name, broker):
    """SIGKILL to the container's init, then runc delete through the wrapper."""
    pid = runc_pid(name)
    subprocess.run([*runc, "kill", name, "KILL"], stderr=subprocess.DEVNULL)
    if pid:
        wait_gone(pid)
    return broker.run([*wrapped, "delete", name])


def ausearch(*args):
    return subprocess.run(["ausearch", "--input", AUDIT_LOG, *args], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace").stdout


auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat", "-S", "bpf",
         "-F", f"key={key}")
broker = None
try:
    broker = Broker(sock)
    rc, out, err = broker.run([*wrapped, "run", "-d", "--bundle", bundle_for(R1), R1])
    ok(rc == 0, "runc run -d r1 through audit-contid-runc, below the broker", err)
    contid = get_contid(runc_pid(R1))
    eq(contid, str(fnv1a64(R1)), "r1's init has the id derived from its OCI id")
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/start-{R1}"', ENGINE_TIMEOUT)),
       [contid], "r1's own syscall (its mkdir) carries its CONTAINER_ID")
    line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{R1}" engine="runc" '
                       f'{BOOT_ID} res=success')
    eq(event_contids(line), [contid],
       "the mapping record names the OCI id and the runtime, in an event with r1's id")

    # The runtime's own work carries the id: runc loads the cgroup's BPF
    # device filter before the container's process starts.
    loads = [r for r in records("SYSCALL", f"syscall={SYS_BPF} .*exe=\"{RUNC}\".*key=\"{key}\"")
             if event_contids(r) == [contid]]
    ok(loads, "runc's own bpf() for r1 (its device filter) carries r1's id", loads)

    rc, out, err = broker.run([*wrapped, "exec", R1, "mkdir", f"/dev/shm/exec-{R1}"])
    ok(rc == 0, "runc exec r1 through the wrapper", err)
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/exec-{R1}"')), [contid],
       "the exec'd command's syscall carries r1's id")
    line = wait_record("TRUSTED_APP", f'op=container-exec oci-id="{R1}" res=success')
    eq(event_contids(line), [contid], "the exec logs op=container-exec in an event with r1's id")
    ok(" auid=" in line and " uid=" in line, "... and says who ran it (uid, auid)", line)

    rc, out, err = broker.run([*wrapped, "run", "-d", "--bundle", bundle_for(R2), R2])
    ok(rc == 0, "runc run -d r2", err)
    contid2 = get_contid(runc_pid(R2))
    ok(contid2 not in (contid, str(UNSET)), "two containers get two ids")

    for name, cid in ((R1, contid), (R2, contid2)):
        rc, out, err = stop(name, broker)
        ok(rc == 0, f"runc delete {name} through the wrapper", err)
        wait_until(lambda: records("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={cid} "
                                   "res=1$"), f"{name}'s drop record")
        ok(True, f"{name}'s drop record comes once its last task is gone")
    ok(ask_broker(sock, f"lookup {R1}").startswith("error "),
       "after runc delete, the broker has forgotten r1")
    search = ausearch("-i", "--contid", contid)
    for what, text in (("its op=set", "op=set"), ("the mapping record", f"oci-id={R1}"),
                       ("its start", f"/dev/shm/start-{R1}"), ("the exec", f"/dev/shm/exec-{R1}"),
                       ("its drop", "op=drop")):
        ok(text in search, f"ausearch --contid <r1's id> shows {what}", search)
    ok(f"start-{R2}" not in search, "... and nothing of r2", search)

    # A pod's container, as containerd's CRI plugin annotates it: names
    # with spaces, quotes and non-ASCII bytes are logged in hex.
    name = 'web "1" caf\u00e9'
    annotations = {"io.kubernetes.cri.container-type": "container",
                   "io.kubernetes.cri.container-name": name,
                   "io.kubernetes.cri.image-name": "registry.example/shop/web:1.2",
                   "io.kubernetes.cri.sandbox-name": "web-7f9c d",
                   "io.kubernetes.cri.sandbox-namespace": "shop",
                   "io.kubernetes.cri.sandbox-uid": "0b1c5e3a-52f1-4c1e-9d7b-2f0e6a1d9c11"}
    rc, out, err = broker.run([*wrapped, "run", "-d", "--bundle", bundle_for(POD, annotations),
                               POD])
    ok(rc == 0, "runc run -d a bundle with a pod's CRI annotations", err)
    pod_id = get_contid(runc_pid(POD))
    hexed = name.encode().hex().upper()
    line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{POD}" ')
    want = (f'engine="containerd" container-name={hexed} image="registry.example/shop/web:1.2" '
            f'pod={"web-7f9c d".encode().hex().upper()} pod-namespace="shop" '
            f'pod-uid="0b1c5e3a-52f1-4c1e-9d7b-2f0e6a1d9c11" {BOOT_ID} res=success')
    ok(want in line, "the mapping record names the pod; a name with a space, quotes or "
       "non-ASCII bytes is in hex", line)
    eq(event_contids(line), [pod_id], "... in an event with the container's id")
    interpreted = ausearch("-i", "-m", "TRUSTED_APP", "--contid", pod_id)
    ok(f"container-name={name} image=registry.example/shop/web:1.2 pod=web-7f9c d "
       "pod-namespace=shop" in interpreted,
       "ausearch -i reads the names back as they were", interpreted)
    rc, out, err = stop(POD, broker)
    ok(rc == 0, "runc delete the pod's container", err)

    # runc's grammar: no abbreviations, no grouped short options.
    for argv, what in ((["run", "--bun", bundle_for(BAD), BAD], "an abbreviated option"),
                       (["run", "-db", os.path.join(work, BAD, "bundle"), BAD],
                        "grouped short options"),
                       (["run", "--frobnicate", BAD], "an unknown option")):
        rc, out, err = broker.run([*wrapped, *argv])
        ok(rc == 1 and "cannot find the container id in this run command line" in err and
           "refusing to run container" in err, f"runc run with {what} is refused, with why", err)
        eq(runc_pid(BAD), None, "... and runc did not run")
    rc, out, err = broker.run([*wrapped, "exec", "-ti", R1, "true"])
    ok(rc == 1 and "cannot find the container id in this exec command line" in err,
       "runc exec -ti (runc has no grouped options) is refused", err)

    # A broker restart with a container running: an exec into it is
    # refused, with why, and nothing runs in it.
    rc, out, err = broker.run([*wrapped, "run", "-d", "--bundle", bundle_for(R2 + "-b"), R2])
    ok(rc == 0, "runc run -d r2 again, below the first broker", err)
    before = get_contid(runc_pid(R2))
    broker.crash()
    broker = Broker(sock)
    rc, out, err = broker.run([*wrapped, "exec", R2, "mkdir", f"/dev/shm/exec-{R2}"])
    ok(rc == 1 and f"container {R2} is not known to this broker" in err and "refusing" in err,
       "runc exec after a broker restart is refused, and says why", err)
    log_barrier()
    eq(records("PATH", f'name="/dev/shm/exec-{R2}"'), [], "... nothing ran in the container")
    eq(get_contid(runc_pid(R2)), before, "... and r2 keeps its id")
    stop(R2, broker)
    eq(broker.stop(), 0, "the broker exits once nothing is below it")
    broker = None
finally:
    if broker:
        broker.stop(5)
    listed = subprocess.run([*runc, "list", "-q"], stdout=subprocess.PIPE, text=True).stdout
    for name in listed.split():
        subprocess.run([*runc, "delete", "--force", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat", "-S", "bpf",
             "-F", f"key={key}")
    shutil.rmtree(work, ignore_errors=True)
done()
