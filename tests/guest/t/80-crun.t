#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# crun containers labelled by contid-broker and audit-contid-runtime (issue
# 11), with bundles made from busybox-static: a container's syscalls carry
# its CONTAINER_ID, `crun exec` joins it, two containers get two ids, the
# drop record comes when a container's last task is gone, a crash in a
# container names it, and `ausearch --contid` shows one container's life.
# Then what cannot work and must say so: a hook trying the write (EXDEV),
# an engine outside the broker, an exec after the broker restarted.
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

work = scratch("crun")
sock = os.path.join(work, "broker.sock")
crun = [CRUN, "--root", os.path.join(work, "state")]
runtime = [RUNTIME, *crun[1:]]
key = f"contid-crun-{os.getpid()}"
# Names of their own: the log holds every run of the test since boot.
C1, C2, C4, HOOKED, OUT1, OUT2, OUT3 = (f"{n}-{os.getpid()}" for n in
                                         ("c1", "c2", "c4", "hooked", "out1", "out2", "out3"))


def bundle_for(name, hooks=None):
    """A bundle whose container marks its start with an audited mkdir."""
    return make_bundle(os.path.join(work, name),
                       ["/bin/sh", "-c", f"mkdir /dev/shm/start-{name}; exec sleep 1000"],
                       hooks)


def run_outside(argv, env=None):
    """Runs argv from the test itself, not below any broker: (rc, stderr).
    stdout goes to /dev/null: a detached container keeps it open."""
    with tempfile.TemporaryFile() as err:
        rc = subprocess.run(argv, env=dict(os.environ, **(env or {})),
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=err, timeout=ENGINE_TIMEOUT).returncode
        err.seek(0)
        return rc, err.read().decode(errors="replace")


def start_marked(name):
    return wait_record("PATH", f'name="/dev/shm/start-{name}"', ENGINE_TIMEOUT)


def drop_record(contid):
    return records("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={contid} res=1$")


def kill_container(name, runner=None):
    """SIGKILL to the container's init; with `runner`, deletes it through
    the wrapper below the broker too."""
    pid = container_pid(crun, name)
    run_outside([*crun, "kill", name, "KILL"])
    if pid:
        wait_gone(pid)
    if runner:
        return runner.run([*runtime, "delete", name])
    return run_outside([*crun, "delete", "--force", name])


auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
         "-F", f"key={key}")
brokers = []
try:
    broker = Broker(sock)
    brokers.append(broker)
    eq(os.stat(sock).st_mode & 0o777, 0o600, "the broker's socket is root's alone (0600)")
    rc, err = run_outside([BROKER, "--socket", sock, "true"])
    ok(rc == 125 and "already listens" in err, "a second broker on its socket refuses to start", err)

    # Two containers, each labelled from its init on.
    contids = {}
    for name in (C1, C2):
        rc, out, err = broker.run([*runtime, "run", "-d", "--bundle", bundle_for(name), name])
        ok(rc == 0, f"crun run -d {name}, through the wrapper, below the broker", err)
        contids[name] = get_contid(container_pid(crun, name))
        eq(contids[name], str(fnv1a64(name)), f"{name}'s init has the id derived from its OCI id")
    ok(contids[C1] != contids[C2], "two containers get two ids")
    for name in (C1, C2):
        eq(event_contids(start_marked(name)), [contids[name]],
           f"{name}'s own syscall (its mkdir) carries its CONTAINER_ID")
    line = wait_record("TRUSTED_APP", f'op=container-create oci-id="{C1}" engine="crun" '
                       f'{BOOT_ID} res=success')
    eq(event_contids(line), [contids[C1]],
       "the wrapper's TRUSTED_APP record names the OCI id and crun, in an event with the "
       "container's id")

    # crun exec joins the container.
    rc, out, err = broker.run([*runtime, "exec", C1, "mkdir", f"/dev/shm/exec-{C1}"])
    ok(rc == 0, "crun exec c1, through the wrapper", err)
    line = wait_record("PATH", f'name="/dev/shm/exec-{C1}"')
    eq(event_contids(line), [contids[C1]], "the exec'd command's syscall carries c1's id")
    sets = records("CONTAINER_OP", f"op=set opid=\\d+ contid={contids[C1]} old-contid=-1 res=1$")
    eq(len(sets), 2, "c1 has two op=set records: its init's runtime, and the exec's")
    log_barrier()
    eq(drop_record(contids[C1]), [], "no drop record while c1 runs")
    rc, out, err = broker.run([*runtime, "run", "-d", "--bundle", bundle_for(C1 + "-again"), C1])
    ok(rc == 1 and f"container {C1} already runs with audit container id {contids[C1]}" in err,
       "a second create of c1 while it runs is refused", err)
    eq(get_contid(container_pid(crun, C1)), contids[C1], "... and c1 keeps its id")

    # The last task gone: the drop record.  delete makes the broker forget.
    for name in (C1, C2):
        rc, out, err = kill_container(name, broker)
        ok(rc == 0, f"crun delete {name}, through the wrapper", err)
        wait_until(lambda: drop_record(contids[name]), f"{name}'s drop record")
        ok(True, f"{name}'s drop record comes once its last task is gone")
    rc, out, err = broker.run([*runtime, "exec", C1, "true"])
    ok(rc == 1 and f"container {C1} is not known to this broker" in err,
       "after delete, the broker has forgotten c1", err)

    # One container's whole life in ausearch.
    log_barrier()
    search = subprocess.run(["ausearch", "--input", AUDIT_LOG, "-i", "--contid", contids[C1]],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace").stdout
    for what, text in (("its op=set records", "op=set"), ("the OCI id", f"oci-id={C1}"),
                       ("its start", f"/dev/shm/start-{C1}"), ("the exec", f"/dev/shm/exec-{C1}"),
                       ("its drop", "op=drop")):
        ok(text in search, f"ausearch --contid <c1's id> shows {what}", search)
    ok(f"start-{C2}" not in search and f"oci-id={C2}" not in search,
       "... and nothing of c2", search)

    # A crash in a container (a process killed by SIGSEGV, which dumps
    # core): its ANOM_ABEND, outside any syscall event, names the
    # container in an event of its own, and ausearch --contid finds it.
    crash = f"crash-{os.getpid()}"
    argv = ["/bin/sh", "-c",
            f"mkdir /dev/shm/start-{crash}; /bin/sh -c 'kill -SEGV $$'; exec sleep 1000"]
    rc, out, err = broker.run([*runtime, "run", "-d", "--bundle",
                               make_bundle(os.path.join(work, crash), argv), crash])
    ok(rc == 0, "crun run -d a container in which a process crashes", err)
    crash_id = get_contid(container_pid(crun, crash))
    start_marked(crash)
    line = wait_until(lambda: [a for a in records("ANOM_ABEND", "sig=11 res=1")
                               if event_contids(a) == [crash_id]],
                      "the crash's ANOM_ABEND with the container's id")[0]
    ok(line.endswith(" record=1"), "the crash's ANOM_ABEND is tied to the container's id", line)
    search = subprocess.run(["ausearch", "--input", AUDIT_LOG, "--contid", crash_id,
                             "-m", "ANOM_ABEND"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace").stdout
    ok(f"msg=audit({line.split('msg=audit(')[1].split(')')[0]})" in search,
       "ausearch --contid <its id> -m ANOM_ABEND finds the crash", search)
    rc, out, err = kill_container(crash, broker)
    ok(rc == 0, "crun delete the crashed container, through the wrapper", err)

    # Why not a hook: crun forks its hooks, siblings of the container's
    # init, so the write fails with EXDEV and the container stays unset.
    result = os.path.join(work, "hook-result")
    hook = f"""
import errno, json, os, sys
pid = json.load(sys.stdin)["pid"]
fd = os.open(f"/proc/{{pid}}/audit_containerid", os.O_WRONLY)
try:
    os.write(fd, b"{fnv1a64(HOOKED)}")
    result = "OK"
except OSError as e:
    result = errno.errorcode[e.errno]
open({result!r}, "w").write(result)
"""
    hooks = {"createRuntime": [{"path": sys.executable, "args": ["python3", "-c", hook]}]}
    rc, err = run_outside([*crun, "run", "-d", "--bundle", bundle_for(HOOKED, hooks), HOOKED])
    ok(rc == 0, "crun run with a createRuntime hook that writes the container's id", err)
    eq(open(result).read() if os.path.exists(result) else None, "EXDEV",
       "the hook's write fails with EXDEV")
    eq(get_contid(container_pid(crun, HOOKED)), str(UNSET), "... and the container stays unset")
    wait_record("CONTAINER_OP", f"op=set opid=\\d+ contid={fnv1a64(HOOKED)} old-contid=-1 res=0$")
    ok(True, "... and the attempt is logged with res=0")
    kill_container(HOOKED)

    # An engine outside the broker: refused before crun runs, or, if asked,
    # run unlabelled with a warning and a res=failed record.
    outside = {"AUDIT_CONTID_BROKER": sock}
    rc, err = run_outside([*runtime, "run", "-d", "--bundle", bundle_for(OUT1), OUT1], outside)
    ok(rc == 1 and "is not below the broker" in err and f"refusing to run container {OUT1}" in err,
       "the wrapper outside the broker refuses, and says why", err)
    eq(container_pid(crun, OUT1), None, "... and crun did not run")
    rc, err = run_outside([*runtime, "run", "-d", "--bundle", bundle_for(OUT2), OUT2],
                          dict(outside, AUDIT_CONTID_UNLABELLED="warn"))
    ok(rc == 0 and f"{OUT2} runs WITHOUT an audit container id" in err,
       "with AUDIT_CONTID_UNLABELLED=warn it warns and runs crun", err)
    eq(get_contid(container_pid(crun, OUT2)), str(UNSET), "... the container is unlabelled")
    wait_record("TRUSTED_APP", f'op=container-create oci-id="{OUT2}" res=failed reason="broker-refused"')
    ok(True, "... and a TRUSTED_APP record says res=failed reason=broker-refused")
    kill_container(OUT2)
    rc, err = run_outside([*runtime, "run", "-d", "--bundle", bundle_for(OUT3), OUT3],
                          {"AUDIT_CONTID_BROKER": os.path.join(work, "none.sock")})
    ok(rc == 1 and "no broker at" in err and "refusing" in err,
       "with no broker at all, the wrapper refuses and says so", err)
    # Another user: the socket's mode keeps it out, and behind that the
    # broker's own check of the peer's uid.
    os.chmod(work, 0o755)
    rc, err = run_outside(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *runtime, "exec", C2, "true"], outside)
    ok(rc == 1 and "Permission denied" in err, "a user other than root cannot reach the socket", err)
    os.chmod(sock, 0o666)
    rc, err = run_outside(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           *runtime, "exec", C2, "true"], outside)
    ok(rc == 1 and "only root may use the broker" in err,
       "... nor, through a socket opened to all, the broker", err)
    os.chmod(sock, 0o600)

    # An exec after the broker restarted: the new broker does not know the
    # container, and could not add to it (it is not its owner): refused.
    rc, out, err = broker.run([*runtime, "run", "-d", "--bundle", bundle_for(C4), C4])
    ok(rc == 0, "crun run -d c4 below the first broker", err)
    pid4 = container_pid(crun, C4)
    broker.crash()
    broker = Broker(sock)
    brokers.append(broker)
    ok(True, "a new broker starts on the dead one's socket")
    rc, out, err = broker.run([*runtime, "exec", C4, "mkdir", f"/dev/shm/exec-{C4}"])
    ok(rc == 1 and f"container {C4} is not known to this broker" in err and "refusing" in err,
       "crun exec c4 after the restart is refused, and says why", err)
    log_barrier()
    eq(records("PATH", f'name="/dev/shm/exec-{C4}"'), [], "... nothing ran in the container")
    eq(get_contid(pid4), str(fnv1a64(C4)), "... and c4 keeps its id")
    kill_container(C4)
    eq(broker.stop(), 0, "the broker exits with its command's status once nothing is below it")
finally:
    for b in brokers:
        b.stop(5)
    listed = subprocess.run([*crun, "list", "-q"], stdout=subprocess.PIPE, text=True).stdout
    for name in listed.split():
        subprocess.run([*crun, "delete", "--force", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
             "-F", f"key={key}")
    shutil.rmtree(work, ignore_errors=True)
done()
