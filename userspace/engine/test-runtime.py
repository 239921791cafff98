#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of audit-contid-runtime against brokers that misbehave (no
kernel needed: it is refused before it would run crun).  Prints TAP.

  test-runtime.py RUNTIME"""

import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time

runtime = sys.argv[1]
count = failed = 0


def ok(cond, what, diag=""):
    global count, failed
    count += 1
    failed += not cond
    print(f"{'' if cond else 'not '}ok {count} - {what}", flush=True)
    if not cond and diag:
        print("#   " + diag.replace("\n", "\n#   "), flush=True)


def fake_broker(path, answer):
    """A broker on `path` that hands each connection to answer(conn), in a
    thread of its own, until its socket is closed.  Returns the socket."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(path)
    listener.listen(8)

    def serve():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                answer(conn)

    threading.Thread(target=serve, daemon=True).start()
    return listener


def run_held_back(sock, syscall):
    """Runs `exec c1 true` against the broker at sock with strace holding
    each call of `syscall` back 0.3 s; (rc, stderr)."""
    env = dict(os.environ, AUDIT_CONTID_BROKER=sock, AUDIT_CONTID_CRUN="/bin/false")
    p = subprocess.run(["strace", "-f", "-o", "/dev/null", "-e", f"trace={syscall}",
                        "-e", f"inject={syscall}:delay_enter=300000", runtime, "exec", "c1", "true"],
                       env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    return p.returncode, p.stderr


def run_runtime(sock, timeout, *args, wait=20):
    """Runs the wrapper with its broker timeout; (rc, stderr, seconds)."""
    env = dict(os.environ, AUDIT_CONTID_BROKER=sock, AUDIT_CONTID_CRUN="/bin/false",
               AUDIT_CONTID_BROKER_TIMEOUT=str(timeout))
    start = time.monotonic()
    try:
        p = subprocess.run([runtime, *args], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           timeout=wait + (timeout if isinstance(timeout, int) else 0))
    except subprocess.TimeoutExpired:
        return None, f"(still waiting after the timeout and {wait} s more)", \
            time.monotonic() - start
    return p.returncode, p.stderr, time.monotonic() - start


with tempfile.TemporaryDirectory() as work:
    # A wedged broker: it listens but never accepts, and its backlog is
    # full, so a connect() would wait for it forever.
    wedged = os.path.join(work, "wedged.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(wedged)
    listener.listen(0)
    queued = []
    for _ in range(4):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.setblocking(False)
        try:
            s.connect(wedged)
            queued.append(s)
        except BlockingIOError:
            s.close()
            break
    ok(queued, "a wedged broker's backlog is full")
    rc, err, took = run_runtime(wedged, 2, "create", "c1")
    ok(rc == 1, "create against a wedged broker is refused (exit 1)", f"rc {rc}: {err}")
    ok(took < 10, f"... within its 2 s timeout, not forever ({took:.1f} s)")
    ok("did not accept" in err and wedged in err and "refusing to create container c1" in err,
       "... and says the broker did not accept the connection", err)

    # A broker that accepts and never answers.
    silent = os.path.join(work, "silent.sock")
    mute = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    mute.bind(silent)
    mute.listen(8)
    rc, err, took = run_runtime(silent, 2, "exec", "c1", "true")
    ok(rc == 1 and took < 10, f"exec against a broker that never answers is refused in "
       f"{took:.1f} s", f"rc {rc}: {err}")
    ok("did not answer" in err, "... and says the broker did not answer", err)

    # No broker at all.
    rc, err, took = run_runtime(os.path.join(work, "none.sock"), 2, "run", "c1")
    ok(rc == 1 and "no broker at" in err, "run with no broker is refused", f"rc {rc}: {err}")

    rc, err, took = run_runtime(wedged, "x", "create", "c1")
    ok(rc == 1 and "AUDIT_CONTID_BROKER_TIMEOUT" in err,
       "a timeout that is no number is refused, and named", f"rc {rc}: {err}")

    # Which runtime, and whose command line: a broker that says yes to
    # everything, and fake runtimes that write down how they were called.
    yes = os.path.join(work, "yes.sock")

    def answer_yes(conn):
        if conn.recv(1024):
            conn.send(b"ok 42")

    agree = fake_broker(yes, answer_yes)
    fakes = {}
    for name in ("runc", "crun", "runc.real", "youki"):
        fakes[name] = os.path.join(work, name)
        with open(fakes[name], "w") as f:
            f.write(f"#!/bin/sh\necho {name} \"$@\" > {work}/called\n")
        os.chmod(fakes[name], 0o755)

    def called_as(fake, *args, wrapper=runtime, broker=yes):
        """The fake runtime's argv line, or None; the wrapper's (rc, stderr)."""
        try:
            os.unlink(os.path.join(work, "called"))
        except FileNotFoundError:
            pass
        env = dict(os.environ, AUDIT_CONTID_BROKER=broker)
        env.pop("AUDIT_CONTID_CRUN", None)
        if fake:
            env["AUDIT_CONTID_RUNTIME"] = fakes[fake]
        p = subprocess.run([wrapper, *args], env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=30)
        try:
            with open(os.path.join(work, "called")) as f:
                line = f.read().strip()
        except FileNotFoundError:
            line = None
        return line, p.returncode, p.stderr + p.stdout

    # "run -db /b c2" is crun's -d -b /b, and an unknown option to runc.
    line, rc, err = called_as("crun", "run", "-db", "/b", "c2")
    ok(line == "crun run -db /b c2", "a runtime named crun* reads crun's command line",
       f"{line} rc {rc}: {err}")
    line, rc, err = called_as("runc", "run", "-db", "/b", "c2")
    ok(line is None and rc == 1 and "cannot find the container id in this run command line"
       in err, "a runtime named runc* reads runc's: -db is no runc option, refused",
       f"{line} rc {rc}: {err}")
    line, rc, err = called_as("runc.real", "create", "c1", "--bundle", "/b")
    ok(line == "runc.real create c1 --bundle /b",
       "runc's options may follow the id (urfave/cli reorders them)", f"{line} rc {rc}: {err}")
    line, rc, err = called_as("youki", "create", "c1")
    ok(line is None and rc == 1 and "starts with runc or crun" in err and fakes["youki"] in err,
       "a runtime named neither is refused, and named", f"{line} rc {rc}: {err}")
    # Called as audit-contid-runc: runc, /usr/sbin/runc unless told.
    as_runc = os.path.join(work, "audit-contid-runc")
    os.symlink(os.path.abspath(runtime), as_runc)
    line, rc, err = called_as("runc", "exec", "-ti", "c1", "sh", wrapper=as_runc)
    ok(line is None and rc == 1, "as audit-contid-runc: runc's grammar (-ti refused)",
       f"{line} rc {rc}: {err}")
    if os.path.exists("/usr/sbin/runc"):
        line, rc, err = called_as(None, "--version", wrapper=as_runc)
        ok(rc == 0 and err.startswith("runc version"),
           "as audit-contid-runc: /usr/sbin/runc runs", f"rc {rc}: {err}")
    agree.close()

    # A refusal is also where the engine reads the runtime's errors: the
    # --log file, in the --log-format asked for (containerd's shim and
    # conmon show its last line).
    log = os.path.join(work, "log.json")
    nobody = os.path.join(work, "none.sock")
    line, rc, err = called_as("runc", "--root", "/r", "--log", log, "--log-format", "json",
                              "create", "--bundle", "/b", "c9", broker=nobody)
    with open(log) as f:
        last = json.loads(f.read().splitlines()[-1])
    ok(rc == 1 and last["level"] == "error" and "refusing to create container c9" in last["msg"]
       and last["msg"] + "\n" in err, "a refusal is logged to runc's --log as JSON, as runc would",
       f"rc {rc}: {err} / {last}")
    text_log = os.path.join(work, "crun.log")
    line, rc, err = called_as("crun", "--log", "file:" + text_log, "run", "c9", broker=nobody)
    with open(text_log) as f:
        text = f.read()
    ok(rc == 1 and "level=error" in text and "refusing to run container c9" in text,
       "... and as text to crun's --log file:PATH", text)

    # A broker that answers before it reads: it refuses a client it knows
    # from SO_PEERCRED alone and closes at once.  Its answer must be read
    # even when the client's request comes after the close (send() fails
    # with EPIPE): strace holds the client's send back to make sure.
    early = os.path.join(work, "early.sock")
    quick = fake_broker(early, lambda conn: conn.send(b"error 1 only root may use the broker"))
    rc, err = run_held_back(early, "sendto")
    ok(rc == 1 and "the broker refused: only root may use the broker" in err,
       "a broker's answer sent before it read the request is read, not taken for silence",
       f"rc {rc}: {err}")
    quick.close()

    # The same broker once the request has arrived, unread: closing with
    # it queued makes the kernel report ECONNRESET to the client's next
    # recv() before the answer that is queued for it.  strace holds the
    # client's recv back until the broker has closed.
    def refuse_unread(conn):
        select.select([conn], [], [], 10)
        conn.send(b"error 1 only root may use the broker")

    unread = os.path.join(work, "unread.sock")
    closer = fake_broker(unread, refuse_unread)
    rc, err = run_held_back(unread, "recvfrom")
    ok(rc == 1 and "the broker refused: only root may use the broker" in err,
       "... also when it closed with the request unread (ECONNRESET before the answer)",
       f"rc {rc}: {err}")
    closer.close()

print(f"1..{count}")
sys.exit(1 if failed else 0)
