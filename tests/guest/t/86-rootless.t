#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Rootless podman, labelled through capcontid delegation (issue 28): root's
# broker, started with --allow-user, grants capcontid to a broker that the
# allowed user runs below it; that broker, the user's own, labels the
# containers of the user's rootless podman (`podman run`, `podman exec`).
# Then the policy: a user not allowed, a user's broker outside root's, and
# a process of the allowed user that is no broker are each refused with a
# message, and get no capcontid.
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from engine import *  # noqa: E402,F403

USER, UID = "contid-rootless", 2000
DENIED, DENIED_UID = "contid-denied", 2001
work = scratch("rootless")
os.chmod(work, 0o755)
sock = os.path.join(work, "root-broker", "broker.sock")
key = f"contid-rootless-{os.getpid()}"
WEB = f"web-{os.getpid()}"


def add_user(name, uid):
    """A user of the guest's own (its /etc is a writable overlay): home,
    runtime directory and subordinate ids for its user namespace."""
    home = os.path.join(work, name)
    run = os.path.join(work, f"run-{uid}")
    for d in (home, run):
        os.makedirs(d, mode=0o700)
        os.chown(d, uid, uid)
    for path, line in (("/etc/passwd", f"{name}:x:{uid}:{uid}::{home}:/bin/sh"),
                       ("/etc/group", f"{name}:x:{uid}:"),
                       ("/etc/subuid", f"{name}:{uid * 100}:65536"),
                       ("/etc/subgid", f"{name}:{uid * 100}:65536")):
        with open(path, "a") as f:
            f.write(line + "\n")
    return home, run


def remove_users():
    for path in ("/etc/passwd", "/etc/group", "/etc/subuid", "/etc/subgid"):
        with open(path) as f:
            lines = [line for line in f if not line.startswith((USER + ":", DENIED + ":"))]
        with open(path, "w") as f:
            f.writelines(lines)


def as_user(uid, home, run):
    """The wrapper that runs a command as `uid`, in its own session's
    environment."""
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "env", f"HOME={home}", f"XDG_RUNTIME_DIR={run}"]


def kill_pause_process():
    """Rootless podman's pause process holds its user namespace, and keeps
    the user's broker (its subreaper) running: end it."""
    for path in ("libpod/tmp/pause.pid", "containers/pause.pid"):
        try:
            with open(os.path.join(run, path)) as f:
                os.kill(int(f.read()), 9)
        except (OSError, ValueError):
            pass


def capcontid_of(pid):
    with open(f"/proc/{pid}/audit_capcontainerid") as f:
        return f.read()


auditctl("-a", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
         "-F", f"key={key}")
home, run = add_user(USER, UID)
denied_home, denied_run = add_user(DENIED, DENIED_UID)
brokers = []
try:
    root_broker = Broker(sock, options=("--allow-user", USER))
    brokers.append(root_broker)
    eq(os.stat(sock).st_mode & 0o777, 0o666,
       "with --allow-user, root's socket is open to all (each request judged by its uid)")

    # The user's own broker, below root's: it asks for capcontid and gets it.
    user_sock = os.path.join(run, "audit-contid", "broker.sock")
    user_broker = Broker(user_sock, wrapper=as_user(UID, home, run),
                         options=("--grant-from", sock), below=root_broker)
    brokers.append(user_broker)
    eq(capcontid_of(user_broker.pid), "1", "the allowed user's broker has capcontid")
    eq(capcontid_of(user_broker.shell_pid), "0", "... and its command has none (not inherited)")
    wait_record("SET_CAPCONTID", f"opid={user_broker.pid} capcontid=1 old-capcontid=0 res=1")
    ok(True, "the grant is logged (SET_CAPCONTID res=1)")
    eq(os.stat(user_sock).st_uid, UID, "the user's broker listens on a socket of its own")

    # The runtime registered as the README says, and named for podman as
    # one that runs containers without cgroups (a user has no cgroup of
    # its own without systemd): --cgroups disabled.
    conf = os.path.join(home, "containers.conf")
    with open(conf, "w") as f:
        f.write(f"""[engine]
runtime = "contid"
runtime_supports_json = ["crun", "contid"]
runtime_supports_nocgroup = ["crun", "contid"]
cgroup_manager = "cgroupfs"
events_logger = "file"

[engine.runtimes]
contid = ["{RUNTIME}"]
""")
    os.chmod(conf, 0o644)
    podman = ["env", f"CONTAINERS_CONF={conf}", "podman", "--root", os.path.join(home, "storage"),
              "--runroot", os.path.join(run, "containers"), "--storage-driver", "vfs"]
    tar = rootfs_tar(os.path.join(work, "image"))
    os.chmod(os.path.dirname(tar), 0o755)
    os.chmod(tar, 0o644)
    rc, out, err = user_broker.run([*podman, "import", tar, "localhost/busybox-static:1"])
    ok(rc == 0, "rootless podman import of a busybox-static root filesystem", err)
    rc, out, err = user_broker.run([*podman, "run", "-d", "--name", WEB, "--network", "none",
                                    "--cgroups", "disabled", "localhost/busybox-static:1",
                                    "sh", "-c", f"mkdir /dev/shm/start-{WEB}; exec sleep 1000"])
    ok(rc == 0, "rootless podman run -d, as uid 2000, below the user's broker", err)
    oci_id = out.strip()
    rc, out, err = user_broker.run([*podman, "inspect", "-f", "{{.State.Pid}}", WEB])
    pid = int(out)
    contid = get_contid(pid)
    eq(contid, str(fnv1a64(oci_id)), "the rootless container's init has the id of its OCI id")
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/start-{WEB}"', ENGINE_TIMEOUT)),
       [contid], "its own mkdir carries its CONTAINER_ID")
    # The label is the user's broker's write: uid 2000, not root.  (The
    # runtime, in podman's user namespace, cannot log a mapping record:
    # the kernel takes user records only from its initial one.)
    line = wait_record("CONTAINER_OP", f"op=set opid=\\d+ contid={contid} old-contid=-1 res=1$")
    syscall = [r for r in event(serial(line)) if " type=SYSCALL " in " " + r]
    ok(syscall and f" uid={UID} " in syscall[0] and f'exe="{BROKER}"' in syscall[0],
       "the label is set by the user's broker, as uid 2000", event(serial(line)))
    log_barrier()
    eq(records("TRUSTED_APP", f'oci-id="{oci_id}"'), [],
       "no mapping record (as the README says: not from a user namespace)")
    rc, out, err = user_broker.run([*podman, "exec", WEB, "mkdir", f"/dev/shm/exec-{WEB}"])
    ok(rc == 0, "rootless podman exec", err)
    eq(event_contids(wait_record("PATH", f'name="/dev/shm/exec-{WEB}"')), [contid],
       "the exec'd mkdir carries the container's id")
    rc, out, err = user_broker.run([*podman, "rm", "-f", "-t", "0", WEB])
    ok(rc == 0, "rootless podman rm -f", err)
    wait_until(lambda: records("CONTAINER_OP", f"op=drop opid=\\d+ contid=-1 old-contid={contid} "
                               "res=1$"), "the drop record", ENGINE_TIMEOUT)
    ok(True, "the container's drop record comes when it ends")

    # The policy.  A user root's broker does not allow:
    rc, out, err = root_broker.run([*as_user(DENIED_UID, denied_home, denied_run), BROKER,
                                    "--grant-from", sock, "--", "true"])
    ok(rc != 0 and "root's broker refused capcontid to uid 2001" in err and
       "uid 2001 is not in its --allow-user" in err,
       "a user not allowed gets a clear refusal, and no broker", err)
    # With the socket open to all, one who may ask nothing is answered at
    # once: silent connections of such a user do not hold root's broker.
    hold = ("import socket,sys,time; ss=[socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) "
            "for _ in range(20)]; [s.connect(sys.argv[1]) for s in ss]; "
            "print(sum(1 for s in ss if s.recv(1024).startswith(b'error 1 '))); time.sleep(3)")
    quiet = subprocess.Popen([*as_user(DENIED_UID, denied_home, denied_run), sys.executable,
                              "-c", hold, sock], stdout=subprocess.PIPE, text=True)
    answered = quiet.stdout.readline().strip()
    started = time.monotonic()
    reply = ask_broker(sock, "lookup nothing-here")
    took = time.monotonic() - started
    quiet.wait()
    ok(answered == "20" and reply.startswith("error 2 ") and took < 2,
       f"20 silent connections of a user not allowed are refused at once, and root's broker "
       f"answers the next request in {took:.2f} s", (answered, reply))
    # The allowed user's broker, but not below root's:
    p = subprocess.run([*as_user(UID, home, run), BROKER, "--socket",
                        os.path.join(run, "outside.sock"), "--grant-from", sock, "--", "true"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=ENGINE_TIMEOUT)
    ok(p.returncode != 0 and "is not below this broker" in p.stderr,
       "a user's broker outside root's is refused: capcontid reaches only descendants", p.stderr)
    # Below root's broker, as the allowed user, but no broker:
    ask = ("import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); "
           "s.connect(sys.argv[1]); s.send(b'capcontid self'); print(s.recv(1024).decode())")
    rc, out, err = root_broker.run([*as_user(UID, home, run), sys.executable, "-c", ask, sock])
    ok("is not a contid-broker" in out, "a process of the allowed user that is no broker is "
       "refused", out + err)
    # The allowed user may not use root's broker for anything else:
    ask_new = ask.replace("capcontid self", "new c1")
    rc, out, err = root_broker.run([*as_user(UID, home, run), sys.executable, "-c", ask_new, sock])
    ok("only root may use the broker (an allowed user may only ask for capcontid)" in out,
       "... nor use root's broker to label", out + err)
    log_barrier()
    eq(records("SET_CAPCONTID", "res=1$")[-1:],
       records("SET_CAPCONTID", f"opid={user_broker.pid} capcontid=1 old-capcontid=0 res=1"),
       "no grant other than the allowed broker's was made")
    kill_pause_process()
    for b in reversed(brokers):
        b.stop(60)
    brokers = []
finally:
    kill_pause_process()
    for b in reversed(brokers):
        b.stop(10)
    auditctl("-d", "always,exit", "-F", "arch=b64", "-S", "mkdir", "-S", "mkdirat",
             "-F", f"key={key}")
    remove_users()
    subprocess.run(["rm", "-rf", work], stderr=subprocess.DEVNULL)
done()
