# SPDX-License-Identifier: GPL-2.0
"""A full audit backlog, for the tests that need loggers held in
audit_log_start() (tests/guest/t/85-backlog.t, 47-ima-unannounced.t):
auditd's status, whether a task is stuck, and the unprivileged writer
that fills the backlog with refusals."""

import subprocess
import sys

from contid import Child, auditctl, wait_until


def status():
    """auditctl -s, as numbers."""
    fields = (line.split() for line in auditctl("-s").splitlines())
    return {f[0]: int(f[1]) for f in fields if len(f) >= 2 and f[1].isdigit()}


def stuck(pid):
    """Whether the task sleeps uninterruptibly: at the points these tests
    look, that is in audit_log_start(), waiting for the backlog."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "D"
    except OSError:
        return False


# Once told to, writes one refused value (argv[1]) to its own /proc file
# over and over (each refusal is logged, so each waits for the backlog)
# until its stdin is closed or argv[2] seconds have passed, then prints
# how many writes it made.  Closed, not timed: on a slow kernel (KASAN)
# a timed writer can end before the others are stuck.
WRITER = r"""
import errno, os, select, sys, time
fd = os.open("/proc/self/audit_containerid", os.O_WRONLY)
sys.stdin.readline()
end, n = time.monotonic() + float(sys.argv[2]), 0
while time.monotonic() < end and not select.select([sys.stdin], [], [], 0)[0]:
    try:
        os.pwrite(fd, sys.argv[1].encode(), 0)
    except OSError as e:
        assert e.errno == errno.EPERM, e
    n += 1
print(n, flush=True)
"""


def writers(value, seconds, n, **kwargs):
    """n unprivileged (no CAP_AUDIT_CONTROL) WRITERs of `value` for at
    most `seconds`, waiting to be told to start (get_stuck()); stop()
    ends them."""
    return [Child(["setpriv", "--bounding-set=-audit_control", "--inh-caps=-audit_control",
                   sys.executable, "-c", WRITER, str(value), str(seconds)],
                  stdin=subprocess.PIPE, text=True, **kwargs)
            for _ in range(n)]


def stop(running_writers):
    """Tells the writers to stop (closes their stdin)."""
    for w in running_writers:
        w.proc.stdin.close()


def get_stuck(stuck_writers):
    """Starts the writers and waits until all but two are stuck logging:
    auditd must be stopped and the backlog limit small."""
    for w in stuck_writers:
        w.proc.stdin.write("go\n")
        w.proc.stdin.flush()
    # Seconds on a normal kernel; more than 20 on the KASAN one.
    wait_until(lambda: sum(stuck(w.pid) for w in stuck_writers) >= len(stuck_writers) - 2,
               "the unprivileged writers to be stuck in audit_log_start", 120)
