#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of audit-contid-runtime against brokers that misbehave (no
kernel needed: it is refused before it would run crun).  Prints TAP.

  test-runtime.py RUNTIME"""

import os
import socket
import subprocess
import sys
import tempfile
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

print(f"1..{count}")
sys.exit(1 if failed else 0)
