# SPDX-License-Identifier: GPL-2.0
"""Helpers for the engine tests (t/80-crun.t to t/84-rootless.t): an OCI
bundle and images made from busybox-static, contid-broker running a small
command shell that the test drives, and the audit id the broker derives
from an OCI id."""

import hashlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile

from contid import wait_until

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ENGINE = os.path.join(REPO, ".cache", "engine")
BROKER = os.path.join(ENGINE, "contid-broker")
RUNTIME = os.path.join(ENGINE, "audit-contid-runtime")
RUNC_WRAPPER = os.path.join(ENGINE, "audit-contid-runc")
CRUN = "/usr/bin/crun"
RUNC = "/usr/sbin/runc"
UNSET = 18446744073709551615
ENGINE_TIMEOUT = 300
# A create's mapping record ends with the boot it was made in.
with open("/proc/sys/kernel/random/boot_id") as f:
    BOOT_ID = f'boot-id="{f.read().strip()}"'


def fnv1a64(text):
    """The broker's first candidate id for an OCI id (engine.h)."""
    h = 0xCBF29CE484222325
    for b in text.encode():
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h if h != UNSET else 0


def scratch(name):
    """A fresh directory for one test, removed at exit by the caller."""
    return tempfile.mkdtemp(prefix=f"contid-{name}-")


def make_rootfs(where):
    """A root filesystem of busybox-static and its applets' links."""
    rootfs = os.path.join(where, "rootfs")
    for d in ("bin", "proc", "dev", "sys", "tmp"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "sleep", "mkdir", "cat", "echo", "true"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    return rootfs


def rootfs_tar(where):
    """A tarball of a busybox-static root filesystem (`docker import`'s
    input).  Returns its path."""
    rootfs = make_rootfs(os.path.join(where, "image"))
    path = os.path.join(where, "busybox-rootfs.tar")
    with tarfile.open(path, "w") as tar:
        tar.add(rootfs, arcname=".")
    return path


def oci_archive(where, name):
    """An OCI image archive (`ctr image import`'s input) of one layer, the
    busybox-static root filesystem, to be named `name`.  Returns its path."""
    blobs = {}

    def blob(data, media_type):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data)}

    with open(rootfs_tar(where), "rb") as f:
        layer_data = f.read()
    layer = blob(layer_data, "application/vnd.oci.image.layer.v1.tar")
    config = blob(json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(layer_data).hexdigest()]},
    }).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = blob(json.dumps({"schemaVersion": 2, "config": config, "layers": [layer]}).encode(),
                    "application/vnd.oci.image.manifest.v1+json")
    manifest["annotations"] = {"io.containerd.image.name": name,
                               "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}
    path = os.path.join(where, "busybox-oci.tar")
    with tarfile.open(path, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
        add("index.json", json.dumps({"schemaVersion": 2, "manifests": [manifest]}).encode())
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest.split(":")[1], data)
    return path


def ask_broker(socket_path, request):
    """One request to the broker ("lookup ID", ...) and its reply."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(30)
        s.connect(socket_path)
        s.send(request.encode())
        return s.recv(1024).decode()


def ancestors(pid):
    """The pids from `pid`'s parent up to 1."""
    chain = []
    while pid > 1:
        pid = parent_of(pid)
        chain.append(pid)
    return chain


def pids_of(exe):
    """The pids whose /proc/PID/exe is `exe`."""
    found = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.readlink(f"/proc/{d}/exe") == exe:
                    found.append(int(d))
            except OSError:
                pass
    return found


def make_bundle(where, args, hooks=None, annotations=None):
    """An OCI bundle: busybox rootfs and crun's default spec, with `args`
    as the process and `hooks` (OCI hooks) and `annotations` added.
    Returns its path."""
    bundle = os.path.join(where, "bundle")
    os.makedirs(bundle)
    make_rootfs(bundle)
    subprocess.run([CRUN, "spec"], cwd=bundle, check=True)
    with open(os.path.join(bundle, "config.json")) as f:
        spec = json.load(f)
    spec["process"]["terminal"] = False
    spec["process"]["args"] = args
    if hooks:
        spec["hooks"] = hooks
    if annotations:
        spec["annotations"] = annotations
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(spec, f)
    return bundle


# The broker's command: runs what the test asks, one request per line
# ({"argv": [...], "env": {...}}), and answers {"rc", "out", "err"}.  The
# commands' output goes to files, not pipes: a detached container keeps
# crun's stdout open.
SHELL = r"""
import json, os, subprocess, sys, tempfile
print(json.dumps({"pid": os.getpid(),
                  "socket": os.environ.get("AUDIT_CONTID_BROKER")}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    env = dict(os.environ, **req.get("env", {}))
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            rc = subprocess.run(req["argv"], env=env, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=err, timeout=req["timeout"]).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
        out.seek(0)
        err.seek(0)
        print(json.dumps({"rc": rc, "out": out.read().decode(errors="replace"),
                          "err": err.read().decode(errors="replace")}), flush=True)
"""


class Broker:
    """contid-broker running SHELL: `run(argv)` runs argv below the broker
    and returns (rc, stdout, stderr)."""

    def __init__(self, socket_path, wrapper=(), options=(), below=None, env=None):
        """`wrapper` runs the broker (prlimit ..., setpriv ...); `options`
        are its own; `below`: another Broker whose shell starts this one,
        so that it runs below that broker (talking through FIFOs)."""
        self.socket = socket_path
        argv = [*wrapper, BROKER, "--socket", socket_path, *options, "--",
                sys.executable, "-c", SHELL]
        if below is None:
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, start_new_session=True)
            self.stdin, self.stdout, self.pid = self.proc.stdin, self.proc.stdout, self.proc.pid
        else:
            self.proc = None
            fifos = tempfile.mkdtemp(prefix="contid-fifos-")
            os.chmod(fifos, 0o755)
            into, out = (os.path.join(fifos, n) for n in ("in", "out"))
            for fifo in (into, out):
                os.mkfifo(fifo, 0o666)
                os.chmod(fifo, 0o666)
            quoted = " ".join("'" + a.replace("'", "'\\''") + "'" for a in argv)
            rc, _, err = below.run(["sh", "-c", f"{quoted} <'{into}' >'{out}' & echo $!"],
                                   env=env)
            if rc:
                raise RuntimeError(f"cannot start a broker below pid {below.pid}: {err}")
            self.stdin = open(into, "w")
            self.stdout = open(out)
        line = self.stdout.readline()
        if not line:
            raise RuntimeError("the broker exited before its shell started")
        hello = json.loads(line)
        self.shell_pid = hello["pid"]
        if self.proc is None:
            self.pid = parent_of(self.shell_pid)
        assert hello["socket"] == socket_path, hello

    def run(self, argv, env=None, timeout=ENGINE_TIMEOUT):
        self.stdin.write(json.dumps({"argv": argv, "env": env or {},
                                     "timeout": timeout}) + "\n")
        self.stdin.flush()
        line = self.stdout.readline()
        if not line:
            raise RuntimeError("the broker's shell is gone")
        reply = json.loads(line)
        return reply["rc"], reply["out"], reply["err"]

    def crash(self):
        """SIGKILL to the broker alone: what it ran lives on, orphaned."""
        os.kill(self.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self, seconds=60):
        """Ends the shell; the broker exits once nothing is left below it.
        Returns the broker's exit status (None for one started below
        another: its parent reaps it)."""
        if self.proc is None:
            try:
                self.stdin.close()
            except OSError:
                pass
            try:
                wait_until(lambda: gone(self.pid), f"broker {self.pid} to exit", seconds)
            except Exception:
                for pid in (self.shell_pid, self.pid):
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
            return None
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                return self.proc.wait(seconds)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        else:
            try:
                os.kill(self.shell_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return self.proc.wait()


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def container_pid(crun_argv, oci_id):
    """The pid of a container's init, from `crun state`, or None."""
    state = subprocess.run([*crun_argv, "state", oci_id], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    if state.returncode:
        return None
    return json.loads(state.stdout)["pid"] or None


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # The zombie may be reaped between kill() and the read: open() then
    # fails with ENOENT, or read() with ESRCH.  Either way it is gone.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def wait_gone(pid, seconds=60):
    wait_until(lambda: gone(pid), f"pid {pid} to exit", seconds)
