# SPDX-License-Identifier: GPL-2.0
"""Helpers for the in-guest tests: TAP output, /proc/PID/audit_containerid
access with exact errnos, child processes, and bounded polling of the real
auditd's log."""

import contextlib
import errno
import os
import re
import signal
import subprocess
import sys
import time

UNSET = 18446744073709551615
AUDIT_LOG = os.environ.get("AUDIT_LOG", "/tmp/audit-contid/audit.log")
AUDITCTL = os.environ.get("AUDITCTL", "auditctl")
POLL_SECONDS = 20.0

_count = 0
_failed = 0


def ok(cond, name, diag=None):
    """One TAP test point."""
    global _count, _failed
    _count += 1
    if cond:
        print(f"ok {_count} - {name}", flush=True)
    else:
        _failed += 1
        print(f"not ok {_count} - {name}", flush=True)
        if diag is not None:
            for line in str(diag).splitlines():
                print(f"#   {line}", flush=True)
    return cond


def eq(got, want, name):
    return ok(got == want, name, f"got:  {got!r}\nwant: {want!r}")


def done():
    print(f"1..{_count}", flush=True)
    sys.exit(1 if _failed else 0)


def errname(code):
    return "OK" if code == 0 else errno.errorcode.get(code, str(code))


def path(pid, tid=None):
    if tid is None:
        return f"/proc/{pid}/audit_containerid"
    return f"/proc/{pid}/task/{tid}/audit_containerid"


def write_raw(p, data, offset=0):
    """Writes data to file p at offset; returns the errno name ("OK" on a
    full write)."""
    if isinstance(data, str):
        data = data.encode()
    try:
        fd = os.open(p, os.O_WRONLY)
    except OSError as e:
        return "open:" + errname(e.errno)
    try:
        n = os.pwrite(fd, data, offset) if offset else os.write(fd, data)
        return "OK" if n == len(data) else f"short:{n}"
    except OSError as e:
        return errname(e.errno)
    finally:
        os.close(fd)


def write_fd(fd, data):
    try:
        os.write(fd, data.encode() if isinstance(data, str) else data)
        return "OK"
    except OSError as e:
        return errname(e.errno)


def set_contid(pid, value, tid=None):
    return write_raw(path(pid, tid), str(value))


def get_contid(pid, tid=None):
    """The text read back, or the errno name on failure."""
    try:
        with open(path(pid, tid), "rb") as f:
            return f.read().decode()
    except OSError as e:
        return errname(e.errno)


class Child:
    """A child process (by default `sleep`) in a process group of its own,
    killed with everything it started, and reaped, on exit.  Its output
    does not go to the test's stdout, which prove reads until EOF."""

    def __init__(self, argv=None, **kw):
        kw.setdefault("stdout", subprocess.DEVNULL)
        self.proc = subprocess.Popen(argv or ["sleep", "1000"],
                                     start_new_session=True, **kw)
        self.pid = self.proc.pid

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def py_child(code, **kw):
    """A python3 child running `code` (stdin/stdout pipes for handshakes)."""
    return Child([sys.executable, "-c", code], stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE, text=True, **kw)


def wait_until(pred, what, seconds=POLL_SECONDS):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = pred()
        if got:
            return got
        time.sleep(0.02)
    raise TimeoutError(f"timed out after {seconds}s waiting for {what}")


def children_of(pid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(d))
    return kids


def unique_value():
    """A contid no other test used: derived from the pid and a counter."""
    unique_value.n += 1
    return 1000000000 + os.getpid() * 1000 + unique_value.n


unique_value.n = 0


# --- the audit log -----------------------------------------------------

def log_lines(path=None):
    """The lines of auditd's log (or of the file at path); none if it is
    not there yet."""
    try:
        with open(path or AUDIT_LOG, errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def records(rtype, pattern=""):
    """Lines of record type rtype (name or UNKNOWN[n]) matching pattern."""
    names = {"CONTAINER_OP": r"(CONTAINER_OP|UNKNOWN\[1020\])",
             "SET_CAPCONTID": r"(SET_CAPCONTID|UNKNOWN\[1022\])",
             "CONTAINER_ID": r"(CONTAINER_ID|UNKNOWN\[1340\])"}
    rx = re.compile(r"type=%s msg=audit\([0-9.]+:\d+\): .*%s" %
                    (names.get(rtype, re.escape(rtype)), pattern))
    return [line for line in log_lines() if rx.search(line)]


def wait_record(rtype, pattern, seconds=POLL_SECONDS):
    return wait_until(lambda: records(rtype, pattern),
                      f"{rtype} record matching {pattern!r}", seconds)[0]


def serial(line):
    return re.search(r"msg=audit\([0-9.]+:(\d+)\)", line).group(1)


def event(serial_no):
    return [line for line in log_lines()
            if re.search(r"msg=audit\([0-9.]+:%s\)" % serial_no, line)]


def event_contids(line):
    """The contid= values of the CONTAINER_ID records in `line`'s event."""
    return [re.search(r" contid=(\S+)", r).group(1)
            for r in event(serial(line))
            if re.search(r"type=(CONTAINER_ID|UNKNOWN\[1340\])", r)]


_marker_n = 0


def log_barrier():
    """Sends a user message through the kernel and waits until auditd has
    logged it: every record the kernel emitted before is in the log then."""
    global _marker_n
    _marker_n += 1
    text = f"contid-barrier-{os.getpid()}-{_marker_n}"
    subprocess.run([AUDITCTL, "-m", text], check=True,
                   stdout=subprocess.DEVNULL)
    wait_until(lambda: any(text in line for line in log_lines()),
               f"barrier {text}")


def auditctl(*args):
    return subprocess.run([AUDITCTL, *args], check=True,
                          stdout=subprocess.PIPE, text=True).stdout


@contextlib.contextmanager
def container_id_excluded():
    """An exclude rule that drops every CONTAINER_ID (1340) record: no
    record may then say record=<n> of one."""
    rule = ("exclude,always", "-F", "msgtype=1340")
    auditctl("-a", *rule)
    try:
        yield
    finally:
        auditctl("-d", *rule)


def kill_and_reap(child):
    """Kills only the child itself (not its group), and reaps it."""
    child.proc.send_signal(signal.SIGKILL)
    child.proc.wait()


# --- the audit trail's order ---------------------------------------------

_TRAIL = re.compile(
    r"type=(?:CONTAINER_OP|UNKNOWN\[1020\]) msg=audit\([0-9.]+:\d+\): "
    r"op=set opid=\d+ contid=(?P<set>\d+) old-contid=(?P<old>\S+) res=(?P<res>[01])$"
    r"|type=(?:CONTAINER_OP|UNKNOWN\[1020\]) msg=audit\([0-9.]+:\d+\): "
    r"op=drop opid=\d+ contid=-1 old-contid=(?P<drop>\S+) res=1$"
    r"|type=(?:CONTAINER_ID|UNKNOWN\[1340\]) msg=audit\([0-9.]+:\d+\): "
    r"record=\d+ (?:part=\d+ )?contid=(?P<id>\S+)$")


def _chain(text):
    return [] if text == "-1" else [int(i.lstrip("^")) for i in text.split(",")]


def trail_problems(values, lines=None):
    """Reads the log (or `lines` of it) in order and checks the life of
    each contid in `values`: every record that names it comes after an
    `op=set res=1` of it and before its `op=drop`.  Returns the records
    that break this, and the values still live at the end."""
    values, live, problems = set(values), set(), []
    for line in log_lines() if lines is None else lines:
        m = _TRAIL.search(line)
        if not m:
            continue
        named = _chain(m["old"] or m["drop"] or m["id"] or "-1")
        if any(v in values and v not in live for v in named):
            problems.append(line)
        if m["set"] and m["res"] == "1" and int(m["set"]) in values:
            live.add(int(m["set"]))
        if m["drop"] and named:
            live.discard(named[0])
    return problems, live
