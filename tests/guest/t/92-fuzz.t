#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The fuzz pass.  Random writes and reads on /proc/PID/audit_containerid
# and /proc/PID/audit_capcontainerid (random bytes, lengths around 66 and
# the page size, NULs, signs, whitespace, huge numbers, offsets, writev,
# writes from bad and half-mapped buffers, descriptors kept across
# lseek/read and across the target's death), each checked against an
# oracle of the rules in README.md: the errno, what reads back, and, at the
# end, the exact op=set and SET_CAPCONTID records of each target (parse
# failures log nothing).  Then concurrent writers: a chain of forked
# orchestrators, each an ancestor of the targets, so a deeper one may
# relabel as a nested orchestrator; and threads of one process, of which
# exactly one may win each target.  Last, random AUDIT_ADD_RULE and
# AUDIT_DEL_RULE buffers with AUDIT_CONTID fields, predicted by a model of
# kernel/auditfilter.c; the rule list must hold exactly the accepted ones.
#
# CONTID_FUZZ_SEED (printed) and CONTID_FUZZ_ROUNDS reproduce and size a
# run; a mismatch names its phase and round.
import collections
import ctypes
import json
import os
import random
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import contid as C  # noqa: E402
from contid import ok, eq, done, Child, UNSET, errname, wait_until  # noqa: E402
import auditnl as NL  # noqa: E402

SEED = int(os.environ.get("CONTID_FUZZ_SEED", "920092"))
ROUNDS = int(os.environ.get("CONTID_FUZZ_ROUNDS", "800"))
CHAIN_ROUNDS = max(1, ROUNDS // 125)
THREAD_ROUNDS = max(1, ROUNDS // 125)
RULE_ROUNDS = ROUNDS
print(f"# seed={SEED} rounds={ROUNDS} (CONTID_FUZZ_SEED, CONTID_FUZZ_ROUNDS): "
      f"{ROUNDS} /proc operations, {CHAIN_ROUNDS} chain and {THREAD_ROUNDS} thread races, "
      f"{RULE_ROUNDS} rule requests", flush=True)
T0 = time.monotonic()
MAX_INPUT = 66
U32_MAX = (1 << 32) - 1
PAGE = os.sysconf("SC_PAGE_SIZE")
LOFF_MAX = (1 << 63) - 1
PROC_MAXBYTES = (1 << 31) - 1  # procfs keeps alloc_super()'s s_maxbytes


def seeded(*parts):
    return random.Random(f"{SEED}:" + ":".join(map(str, parts)))


# --- the log, from where this test started ---------------------------------

class Log:
    """The audit log from the test's start on, read incrementally."""

    def __init__(self):
        try:
            self.pos = os.path.getsize(C.AUDIT_LOG)
        except OSError:
            self.pos = 0
        self.lines = []
        self.n = 0

    def refresh(self):
        with open(C.AUDIT_LOG, "rb") as f:
            f.seek(self.pos)
            data = f.read()
        end = data.rfind(b"\n")
        if end >= 0:
            self.lines += data[:end].decode(errors="replace").split("\n")
            self.pos += end + 1
        return self.lines

    def barrier(self):
        """Every record the kernel emitted before is in self.lines after."""
        self.n += 1
        text = f"contid-fuzz-barrier-{os.getpid()}-{self.n}"
        subprocess.run([C.AUDITCTL, "-m", text], check=True, stdout=subprocess.DEVNULL)
        wait_until(lambda: any(text in line for line in self.refresh()[-2000:]), f"barrier {text}")
        return self.lines

    def mark(self):
        """Where records logged from now on will be in self.lines."""
        return len(self.lines)


LOG = Log()
SET_RX = re.compile(r"type=(?:CONTAINER_OP|UNKNOWN\[1020\]) msg=audit\([0-9.]+:\d+\): "
                    r"op=set opid=(\d+) contid=(\d+) old-contid=(\S+) res=([01])$")
CAP_RX = re.compile(r"type=(?:SET_CAPCONTID|UNKNOWN\[1022\]) msg=audit\([0-9.]+:\d+\): "
                    r"opid=(\d+) capcontid=(\d+) old-capcontid=(\d+) res=([01])$")


def records_by_pid(lines, pids):
    """{pid: [(contid, old, res)]} and {pid: [(cap, old, res)]}, in log order."""
    sets = {p: [] for p in pids}
    caps = {p: [] for p in pids}
    for line in lines:
        if "opid=" not in line:
            continue
        m = SET_RX.search(line)
        if m and int(m[1]) in sets:
            sets[int(m[1])].append((int(m[2]), m[3], int(m[4])))
            continue
        m = CAP_RX.search(line)
        if m and int(m[1]) in caps:
            caps[int(m[1])].append((int(m[2]), int(m[3]), int(m[4])))
    return sets, caps


# --- the oracle of a write's text --------------------------------------------

def parse_decimal(b):
    """README: decimal, optional '+', one optional trailing newline, at most
    66 bytes; anything else EINVAL, a number above 2^64-1 ERANGE."""
    if len(b) > MAX_INPUT:
        return "EINVAL", None
    line = b[:-1] if b.endswith(b"\n") else b
    digits = line[1:] if line.startswith(b"+") else line
    if not digits or any(c < 0x30 or c > 0x39 for c in digits):
        return "EINVAL", None
    v = int(digits)
    if v > UNSET:
        return "ERANGE", None
    return None, v


def parse(kind, b):
    err, v = parse_decimal(b)
    if err or kind == "cid":
        return err, v
    if v in (0, 1):
        return None, v
    return ("ERANGE" if v > U32_MAX else "EINVAL"), None


# --- random texts --------------------------------------------------------------

INTERESTING = b"\0 \t\n\r\x0b\x0c+-.,_xXeE0123456789\x7f\x80\xff"
LENGTHS = [0, 1, 2, 7, 8, 19, 20, 21, 22, 64, 65, 66, 67, 68, 127, 128, 255, 256,
           1023, 1024, 4094, 4095, 4096, 4097, 4098, 4200]
USED = set()


def fresh_value(rng):
    while True:
        k = rng.randrange(10, 20)
        v = rng.randrange(10 ** (k - 1), min(10 ** k, UNSET))
        if v not in USED:
            USED.add(v)
            return v


def text_form(rng, v):
    """A text of v: '+', leading zeros (up to and past 66 bytes), '\\n'."""
    s = str(v).encode()
    plus = b"+" if rng.random() < 0.25 else b""
    nl = b"\n" if rng.random() < 0.35 else b""
    room = MAX_INPUT - len(s) - len(plus) - len(nl)
    z = rng.choice([0, 0, 0, 0, 0, 1, 3, room, room, room + 1, max(room - 1, 0)])
    return plus + b"0" * z + s + nl


def mutate(rng, b):
    b = bytearray(b)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        c = rng.choice(INTERESTING) if rng.random() < 0.8 else rng.randrange(256)
        op, pos = rng.randrange(3), rng.randrange(len(b) + 1)
        if op == 0 or not b:
            b.insert(pos, c)
        elif op == 1:
            b[min(pos, len(b) - 1)] = c
        else:
            del b[min(pos, len(b) - 1)]
    return bytes(b)


def random_length(rng):
    return rng.choice(LENGTHS) if rng.random() < 0.7 else rng.randrange(0, 4201)


def junk(rng, kind):
    """Bytes that are mostly not a valid id text (the oracle decides)."""
    what = rng.randrange(11)
    if what == 0:
        return rng.randbytes(random_length(rng))
    if what == 1:
        return bytes(rng.choices(b"0123456789", k=random_length(rng)))
    if what == 2:  # huge numbers, around 2^64 and beyond
        v = rng.choice([UNSET + 1, UNSET + 2, 10 ** 20, 2 ** 65, rng.randrange(UNSET, 10 ** 40)])
        return text_form(rng, v)
    if what == 3:
        sign = rng.choice([b"-", b"+-", b"-+", b"++", b" +", b"+ ", b"--", b"\xe2\x88\x92"])
        return sign + str(rng.randrange(0, 10 ** rng.randrange(1, 20))).encode()
    if what == 4:
        ws = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\r\n", b"\n\n", b""]
        return rng.choice(ws) + str(rng.randrange(10 ** 12)).encode() + rng.choice(ws)
    if what == 5:  # NULs
        d = str(rng.randrange(10 ** 15)).encode()
        i = rng.randrange(len(d) + 1)
        return rng.choice([d[:i] + b"\0" + d[i:], b"\0" * rng.randrange(1, 70), d + b"\0\n",
                           b"\0" * random_length(rng)])
    if what == 6:
        return rng.choice(["１２３".encode(), "٣".encode(), b"0x10", b"1e5", b"1.0", b"1_000",
                           b"0o7", b"ff", b"+", b"+\n", b"\n", b""])
    if what == 7 and kind == "cap":  # numbers that parse but are not 0 or 1
        return text_form(rng, rng.choice([2, 10, U32_MAX, U32_MAX + 1, rng.randrange(2, UNSET)]))
    valid = text_form(rng, fresh_value(rng) if kind == "cid" else rng.randrange(2))
    return mutate(rng, valid)


def unset_text(rng):
    return text_form(rng, UNSET)


def cap_text(rng):
    return text_form(rng, rng.randrange(2))


# --- bad and half-mapped buffers -------------------------------------------------

LIBC = ctypes.CDLL(None, use_errno=True)
LIBC.mmap.restype = ctypes.c_void_p
LIBC.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
LIBC.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
LIBC.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
LIBC.write.restype = ctypes.c_ssize_t
LIBC.pwrite.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
LIBC.pwrite.restype = ctypes.c_ssize_t
LIBC.pread.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_long]
LIBC.pread.restype = ctypes.c_ssize_t
REGION = LIBC.mmap(None, 2 * PAGE, 3, 0x22, -1, 0)  # RW, MAP_PRIVATE|MAP_ANONYMOUS
assert REGION not in (None, ctypes.c_void_p(-1).value)
assert LIBC.mprotect(REGION + PAGE, PAGE, 0) == 0
GUARD = REGION + PAGE                # a mapped page ends here; nothing readable after
KERNEL_ADDR = 0xffff888000000000     # not a user address at all


def c_result(n):
    if n < 0:
        return errname(ctypes.get_errno())
    return n


# --- phase 1: one writer, random operations -------------------------------------

class PFile:
    """A descriptor kept open on one of a target's files, and its offset."""

    def __init__(self, path, mode):
        self.mode = mode
        self.fd = os.open(path, mode)
        self.pos = 0

    def readable(self):
        return self.mode in (os.O_RDONLY, os.O_RDWR)

    def writable(self):
        return self.mode in (os.O_WRONLY, os.O_RDWR)


class Target:
    def __init__(self, rng):
        self.child = Child()
        self.pid = self.child.pid
        self.state = "live"          # live, zombie (killed, not reaped), reaped
        self.contid = None
        self.cap = 0
        self.sets = []               # the op=set records it must have
        self.caps = []               # the SET_CAPCONTID records it must have
        self.files = {k: PFile(self.path(k, rng), rng.choice([os.O_RDWR, os.O_RDWR, os.O_WRONLY,
                                                               os.O_RDONLY]))
                      for k in ("cid", "cap")}

    def path(self, kind, rng=None):
        name = "audit_containerid" if kind == "cid" else "audit_capcontainerid"
        if self.state == "live" and rng is not None and rng.random() < 0.3:
            return f"/proc/{self.pid}/task/{self.pid}/{name}"
        return f"/proc/{self.pid}/{name}"

    def text(self, kind):
        """What a read shows: an exiting task has left its container."""
        if kind == "cap":
            return str(self.cap).encode()
        if self.contid is None or self.state != "live":
            return str(UNSET).encode()
        return str(self.contid).encode()

    def close(self):
        for f in self.files.values():
            os.close(f.fd)


def live_values(targets):
    return {t.contid for t in targets if t.state == "live" and t.contid is not None}


def model_write(t, kind, data, pos):
    """What one write() does; updates the model and returns its result."""
    if pos != 0 or len(data) > MAX_INPUT:
        return "EINVAL"
    err, v = parse(kind, data)
    if err:
        return err
    # A target that is exiting (a zombie) or gone is ESRCH, with no record,
    # for capcontid as for the contid.
    if t.state != "live":
        return "ESRCH"
    if kind == "cap":
        t.caps.append((v, t.cap, 1))
        t.cap = v
        return len(data)
    old = "-1" if t.contid is None else str(t.contid)
    if v == UNSET:
        t.sets.append((v, old, 0))
        return "EINVAL"
    if t.contid is not None:
        t.sets.append((v, old, 0))
        return "EEXIST"
    t.sets.append((v, old, 1))
    t.contid = v
    return len(data)


def model_writev(t, kind, segs, pos):
    total = 0
    for s in segs:
        r = model_write(t, kind, s, pos)
        if not isinstance(r, int):
            return total if total else r
        total += r
    return total


def model_read(t, kind, pos, n):
    if pos < 0 or pos + n > LOFF_MAX:
        return "EINVAL"
    if t.state == "reaped":
        return "ESRCH"
    return t.text(kind)[pos:pos + n]


def do(fn, *args):
    try:
        return fn(*args)
    except OSError as e:
        return errname(e.errno)


def write_offset(rng):
    if rng.random() < 0.8:
        return 0
    return rng.choice([1, 2, 65, 66, 67, PAGE - 1, PAGE, PAGE + 1, (1 << 31) - 1, 1 << 31,
                       1 << 62, LOFF_MAX - 10, LOFF_MAX, -1, -PAGE])


def read_offset(rng):
    return rng.choice([0, 0, 0, 1, 2, 5, 10, 19, 20, 21, 100, PAGE, (1 << 31) - 1, 1 << 40,
                       LOFF_MAX - 5, -1])


def read_size(rng):
    return rng.choice([0, 1, 2, 3, 5, 19, 20, 21, 64, PAGE, 65536])


class Phase1:
    def __init__(self):
        self.rng = seeded("proc")
        self.pool = []
        self.all = []
        self.bad = []
        self.outcomes = collections.Counter()
        self.dead_values = []

    def spawn(self):
        t = Target(self.rng)
        while t.pid in {x.pid for x in self.all}:
            # The pid counter wrapped onto an earlier target: its records
            # would mix with this one's.  Take another pid.
            t.child.kill()
            t.close()
            t = Target(self.rng)
        self.pool.append(t)
        self.all.append(t)
        return t

    def pick(self):
        rng = self.rng
        live = [t for t in self.pool if t.state == "live"]
        unset = [t for t in live if t.contid is None]
        if len(live) < 2 or (not unset and rng.random() < 0.3) or rng.random() < 0.02:
            if len(live) >= 6:
                # Retire the oldest live target, keeping it for its fds.
                old = live[0]
                self.note_dead(old)
                old.child.kill()
                old.state = "reaped"
                self.trim_reaped()
            return self.spawn()
        # Mostly live targets, some zombies and reaped ones (their fds).
        if self.rng.random() < 0.85:
            return self.rng.choice(live)
        return self.rng.choice(self.pool)

    def check(self, rnd, what, got, want):
        key = want if isinstance(want, str) else "OK"
        self.outcomes[key] += 1
        if got != want:
            self.bad.append(f"round {rnd}: {what}: got {got!r}, want {want!r}")

    def check_state(self, rnd, t, what):
        if t.state == "reaped":
            return
        for kind in ("cid", "cap"):
            try:
                fd = os.open(t.path(kind), os.O_RDONLY)
                try:
                    got = os.read(fd, 100)
                finally:
                    os.close(fd)
            except OSError as e:
                got = errname(e.errno)
            want = t.text(kind)
            if got != want:
                self.bad.append(f"round {rnd}: after {what}: {kind} of {t.pid} reads {got!r}, "
                                f"want {want!r}")

    def gen_data(self, kind):
        rng = self.rng
        r = rng.random()
        if kind == "cap":
            return cap_text(rng) if r < 0.35 else junk(rng, "cap")
        if r < 0.3:
            live = sorted(live_values(self.pool))
            if live and rng.random() < 0.25:
                v = rng.choice(live)          # join a live container (injection)
            elif self.dead_values and rng.random() < 0.15:
                v = rng.choice(self.dead_values)  # reuse an id after its drop
            else:
                v = fresh_value(rng)
            return text_form(rng, v)
        if r < 0.35:
            return unset_text(rng)
        return junk(rng, "cid")

    def step(self, rnd):
        rng = self.rng
        t = self.pick()
        kind = "cid" if rng.random() < 0.7 else "cap"
        op = rng.choices(["write", "fdwrite", "writev", "badptr", "read", "fdread", "lseek",
                          "reopen", "kill", "reap"],
                         weights=[40, 10, 5, 5, 10, 6, 5, 3, 3, 3])[0]
        pf = t.files[kind]
        what = f"{op} {kind} pid {t.pid} ({t.state})"
        if op == "write":
            data, pos = self.gen_data(kind), write_offset(rng)
            what += f" {data[:80]!r}{'...' if len(data) > 80 else ''} (len {len(data)}) at {pos}"
            if t.state == "reaped":
                return  # its /proc directory is gone; see fdwrite
            fd = os.open(t.path(kind, rng), os.O_WRONLY)
            try:
                got = do(os.pwrite, fd, data, pos) if pos or rng.random() < 0.5 \
                    else do(os.write, fd, data)
            finally:
                os.close(fd)
            self.check(rnd, what, got, model_write(t, kind, data, pos))
            self.check_state(rnd, t, what)
        elif op == "fdwrite":
            data = self.gen_data(kind)
            what += f" {data[:80]!r} (len {len(data)}) at f_pos {pf.pos}"
            got = do(os.write, pf.fd, data)
            want = model_write(t, kind, data, pf.pos) if pf.writable() else "EBADF"
            self.check(rnd, what, got, want)
            self.check_state(rnd, t, what)
        elif op == "writev":
            if rng.random() < 0.5:
                data = self.gen_data(kind) or b"x"   # writev of nothing writes nothing
                cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randrange(1, 3)))) \
                    if len(data) > 1 else []
                segs = [data[a:b] for a, b in zip([0] + cuts, cuts + [len(data)])]
            else:
                segs = [self.gen_data(kind) or b"1" for _ in range(rng.randrange(2, 4))]
            what += f" {segs!r}"[:300]
            if t.state == "reaped":
                return
            fd = os.open(t.path(kind, rng), os.O_WRONLY)
            try:
                got = do(os.writev, fd, segs)
            finally:
                os.close(fd)
            self.check(rnd, what, got, model_writev(t, kind, segs, 0))
            self.check_state(rnd, t, what)
        elif op == "badptr":
            self.badptr(rnd, t, kind, what)
        elif op == "read":
            pos, n = read_offset(rng), read_size(rng)
            what += f" pread({n}, {pos})"
            if t.state == "reaped":
                return
            fd = os.open(t.path(kind, rng), os.O_RDONLY)
            try:
                if rng.random() < 0.1 and n:
                    # into an unmapped buffer: EFAULT if there is anything to copy
                    got = c_result(LIBC.pread(fd, GUARD, n, pos))
                    want = model_read(t, kind, pos, n)
                    if isinstance(want, bytes):
                        want = "EFAULT" if want else 0
                else:
                    got = do(os.pread, fd, n, pos)
                    want = model_read(t, kind, pos, n)
            finally:
                os.close(fd)
            self.check(rnd, what, got, want)
        elif op == "fdread":
            n = read_size(rng)
            what += f" read({n}) at f_pos {pf.pos}"
            got = do(os.read, pf.fd, n)
            if not pf.readable():
                want = "EBADF"
            else:
                want = model_read(t, kind, pf.pos, n)
                if isinstance(want, bytes):
                    pf.pos += len(want)
            self.check(rnd, what, got, want)
        elif op == "lseek":
            whence = rng.choice([os.SEEK_SET, os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])
            off = rng.choice([0, 0, 1, 2, 3, 10, 20, 21, PROC_MAXBYTES, PROC_MAXBYTES + 1, -1, -3,
                              1 << 40])
            what += f" lseek({off}, {whence}) from {pf.pos}"
            got = do(os.lseek, pf.fd, off, whence)
            new = off + (pf.pos if whence == os.SEEK_CUR else 0)
            if new < 0 or new > PROC_MAXBYTES:
                want = "EINVAL"
            else:
                want = pf.pos = new
            self.check(rnd, what, got, want)
        elif op == "reopen":
            if t.state == "reaped":
                return
            os.close(pf.fd)
            t.files[kind] = PFile(t.path(kind, rng), rng.choice([os.O_RDWR, os.O_WRONLY, os.O_RDONLY]))
        elif op == "kill" and t.state == "live":
            self.note_dead(t)
            os.kill(t.pid, signal.SIGKILL)
            wait_until(lambda: zombie(t.pid), f"{t.pid} to become a zombie")
            t.state = "zombie"
            self.check_state(rnd, t, what)
        elif op == "reap" and t.state == "zombie":
            t.child.proc.wait()
            t.state = "reaped"
            self.trim_reaped()

    def note_dead(self, t):
        """t is about to die: its contid may be reused if no one else has it."""
        if t.contid is not None and t.contid not in live_values([x for x in self.pool if x is not t]):
            self.dead_values.append(t.contid)

    def trim_reaped(self):
        """Keeps a couple of reaped targets, for their descriptors."""
        reaped = [x for x in self.pool if x.state == "reaped"]
        for x in reaped[:-2]:
            self.pool.remove(x)
            x.close()

    def badptr(self, rnd, t, kind, what):
        rng = self.rng
        how = rng.randrange(3)
        n = rng.choice([0, 1, 2, 5, 20, 21, 65, 66, 67, 100, PAGE])
        pos = 0 if rng.random() < 0.8 else rng.choice([1, PAGE])
        if t.state == "reaped":
            return
        fd = os.open(t.path(kind, rng), os.O_WRONLY)
        try:
            if how == 0:      # unmapped user memory
                what += f" write({n} bytes at a PROT_NONE page) at {pos}"
                got = c_result(LIBC.pwrite(fd, GUARD, n, pos))
                want = "EINVAL" if pos or n > MAX_INPUT or n == 0 else "EFAULT"
            elif how == 1:    # a kernel address
                n = max(n, 1)
                what += f" write({n} bytes at a kernel address) at {pos}"
                got = c_result(LIBC.pwrite(fd, KERNEL_ADDR, n, pos))
                want = "EFAULT"
            else:             # text that runs into the unmapped page
                data = self.gen_data(kind)
                k = rng.randrange(0, min(len(data), PAGE) + 1)
                n = k + rng.choice([0, 0, 1, 2, 10])
                ctypes.memmove(GUARD - k, data[:k], k)
                what += f" write({n} bytes, of which {data[:k]!r} before a PROT_NONE page) at {pos}"
                got = c_result(LIBC.pwrite(fd, GUARD - k, n, pos))
                if n <= k:
                    want = model_write(t, kind, data[:n], pos)
                else:
                    want = "EINVAL" if pos or n > MAX_INPUT else "EFAULT"
        finally:
            os.close(fd)
        self.check(rnd, what, got, want)
        self.check_state(rnd, t, what)

    def run(self):
        for _ in range(3):
            self.spawn()
        for rnd in range(ROUNDS):
            try:
                self.step(rnd)
            except Exception:
                self.bad.append(f"round {rnd}: exception\n{traceback.format_exc()}")
                break
        eq(self.bad[:10], [], f"/proc: {ROUNDS} random operations on {len(self.all)} targets: "
           "every errno, return and read-back as the oracle says")
        print(f"# /proc outcomes: {dict(sorted(self.outcomes.items()))}", flush=True)
        if ROUNDS >= 300:
            want = {"OK", "EINVAL", "ERANGE", "EEXIST", "EFAULT", "ESRCH", "EBADF"}
            eq(want - set(self.outcomes), set(), "the fuzz reached every outcome of interest")
        lines = LOG.barrier()
        sets, caps = records_by_pid(lines, [t.pid for t in self.all])
        wrong = [(t.pid, sets[t.pid], t.sets) for t in self.all if sets[t.pid] != t.sets]
        eq(wrong[:3], [], f"/proc: each target's op=set records are exactly the parsed writes "
           f"({sum(len(t.sets) for t in self.all)} records; nothing for malformed input)")
        wrong = [(t.pid, caps[t.pid], t.caps) for t in self.all if caps[t.pid] != t.caps]
        eq(wrong[:3], [], f"/proc: each target's SET_CAPCONTID records are exactly the parsed "
           f"writes ({sum(len(t.caps) for t in self.all)} records)")
        for t in self.all:
            if t.state != "reaped":
                t.child.kill()
            t.state = "reaped"
        for t in self.pool:
            t.close()
        return [v for t in self.all for v, _, res in t.sets if res]


def zombie(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


# --- phase 2a: a chain of forked orchestrators ---------------------------------

CHAIN_DEPTH = 3
CHAIN_TARGETS = 3


def plan_for(rng, kind_counts, targets):
    """A writer's shuffled list of (target index, kind, bytes)."""
    plan = []
    for i in range(len(targets)):
        plan.append((i, "cid", text_form(rng, fresh_value(rng))))
        if rng.random() < 0.3:
            plan.append((i, "cid", unset_text(rng)))
        for _ in range(kind_counts["junk"]):
            plan.append((i, "cid", junk(rng, "cid")))
        for _ in range(rng.randrange(1, 3)):
            plan.append((i, "cap", cap_text(rng)))
        plan.append((i, "cap", junk(rng, "cap")))
    rng.shuffle(plan)
    if rng.random() < 0.5:
        # Sets first, for more contention among the writers.
        plan.sort(key=lambda w: w[1] != "cid" or parse("cid", w[2])[0] is not None)
    return plan


def run_plan(plan, fds):
    out = []
    for i, kind, data in plan:
        try:
            n = os.write(fds[i][kind], data)
            res = "OK" if n == len(data) else f"short:{n}"
        except OSError as e:
            res = errname(e.errno)
        out.append(res)
    return out


def open_fds(pids):
    return [{"cid": os.open(f"/proc/{p}/audit_containerid", os.O_WRONLY),
             "cap": os.open(f"/proc/{p}/audit_capcontainerid", os.O_WRONLY)} for p in pids]


def chain_member(level, rnd, pipes, tmp):
    """Level 1..CHAIN_DEPTH of the chain; the last one forks the targets."""
    r_info, r_go, r_end, w_up = pipes
    child, targets = None, []
    if level < CHAIN_DEPTH:
        child = os.fork()
        if child == 0:
            code = 1
            try:
                chain_member(level + 1, rnd, pipes, tmp)
                code = 0
            except BaseException:
                traceback.print_exc()
            finally:
                os._exit(code)
    else:
        for _ in range(CHAIN_TARGETS):
            pid = os.fork()
            if pid == 0:
                try:
                    while True:
                        signal.pause()
                finally:
                    os._exit(0)
            targets.append(pid)
        os.write(w_up, ("T " + " ".join(map(str, targets)) + "\n").encode())
    os.read(r_info, 1)
    with open(f"{tmp}/targets") as f:
        pids = [int(p) for p in f.read().split()]
    rng = seeded("chain", rnd, level)
    plan = plan_for(rng, {"junk": 3}, pids)
    fds = open_fds(pids)
    os.write(w_up, b"R\n")
    os.read(r_go, 1)
    results = run_plan(plan, fds)
    with open(f"{tmp}/w{level}.tmp", "w") as f:
        json.dump([[i, k, d.hex(), r] for (i, k, d), r in zip(plan, results)], f)
    os.rename(f"{tmp}/w{level}.tmp", f"{tmp}/w{level}")
    os.write(w_up, b"D\n")
    os.read(r_end, 1)
    for p in targets:
        os.kill(p, signal.SIGKILL)
        os.waitpid(p, 0)
    if child:
        os.waitpid(child, 0)


class RaceReader:
    """Reads the targets' files, random sizes and offsets, while writers
    race on them: each read must be a slice of the unset value or of a
    value written to that target (capcontid: of 0 or 1)."""

    def __init__(self, rng, pids, limit=300):
        self.rng, self.limit, self.seen = rng, limit, []
        self.fds = [(pid, kind, os.open(f"/proc/{pid}/{name}", os.O_RDONLY)) for pid in pids
                    for kind, name in (("cid", "audit_containerid"),
                                       ("cap", "audit_capcontainerid"))]

    def once(self):
        if len(self.seen) >= self.limit:
            return False
        pid, kind, fd = self.rng.choice(self.fds)
        off, n = self.rng.choice([0, 0, 0, 1, 5, 19, 20]), self.rng.choice([1, 2, 5, 20, 21, 64])
        self.seen.append((pid, kind, off, n, do(os.pread, fd, n, off)))
        return True

    def check(self, label, writes, bad):
        written = collections.defaultdict(set)
        for _, _, pid, kind, data, _ in writes:
            err, v = parse(kind, data)
            if kind == "cid" and not err:
                written[pid].add(v)
        for pid, kind, off, n, got in self.seen:
            cands = written[pid] | {UNSET} if kind == "cid" else {0, 1}
            if not any(str(v).encode()[off:off + n] == got for v in cands):
                bad.append(f"{label}: {kind} of {pid} read during the race: pread({n}, {off}) "
                           f"gave {got!r}")
        return len(self.seen)

    def close(self):
        for _, _, fd in self.fds:
            os.close(fd)
        self.fds = []


def read_lines(fd, want, seconds=60, idle=None):
    """Reads lines from fd until `want` says it has enough; calls idle()
    while there is nothing to read, until it returns False."""
    buf, lines = b"", []
    deadline = time.monotonic() + seconds
    while not want(lines):
        left = deadline - time.monotonic()
        if idle and not select.select([fd], [], [], 0)[0]:
            if not idle():
                idle = None
            continue
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            raise TimeoutError(f"chain: timed out with {lines}")
        data = os.read(fd, 4096)
        if not data:
            raise EOFError(f"chain: pipe closed with {lines}")
        buf += data
        *done_, buf = buf.split(b"\n")
        lines += [x.decode() for x in done_]
    return lines


def read_file(p):
    with open(p, "rb") as f:
        return f.read()


def check_race(label, targets, writes, bad, stats, one_winner, since):
    """Checks the outcome of concurrent writers on `targets` (pids).

    writes: [(writer, writer_depth, target_pid, kind, data, result)].  With
    one_winner, exactly one set may succeed per target; else the successes,
    in log order, come from ever deeper writers (nested relabels).  The
    round's records are in LOG.lines from `since` on."""
    lines = LOG.barrier()[since:]
    sets, caps = records_by_pid(lines, targets)
    for pid in targets:
        ok_vals, refused, cap_ok = {}, collections.Counter(), 0
        for writer, depth, tp, kind, data, res in writes:
            if tp != pid:
                continue
            err, v = parse(kind, data)
            what = f"{label}: writer {writer} {kind} {data[:70]!r} to {pid}: {res}"
            if err:
                if res != err:
                    bad.append(f"{what}, want {err}")
            elif kind == "cap":
                cap_ok += res == "OK"
                if res != "OK":
                    bad.append(f"{what}, want OK")
            elif v == UNSET:
                refused[v] += 1
                if res != "EINVAL":
                    bad.append(f"{what}, want EINVAL")
            elif res == "OK":
                ok_vals[v] = depth
            elif res in ("EEXIST", "EBUSY"):
                refused[v] += 1
                stats[res] += 1
            else:
                bad.append(f"{what}, want OK, EEXIST or EBUSY")
        won = [(v, old) for v, old, res in sets[pid] if res == 1]
        lost = collections.Counter(v for v, old, res in sets[pid] if res == 0)
        if sorted(v for v, _ in won) != sorted(ok_vals):
            bad.append(f"{label}: target {pid}: op=set res=1 records {won}, successful writes "
                       f"{sorted(ok_vals)}")
            continue
        if lost != refused:
            bad.append(f"{label}: target {pid}: op=set res=0 records {dict(lost)}, refused "
                       f"writes {dict(refused)}")
        if not won or (one_winner and len(won) != 1):
            bad.append(f"{label}: target {pid}: {len(won)} sets won")
            continue
        depths = [ok_vals[v] for v, _ in won]
        olds = [old for _, old in won]
        if depths != sorted(set(depths)) or olds != ["-1"] + [str(v) for v, _ in won[:-1]]:
            bad.append(f"{label}: target {pid}: successes in log order {won} from depths {depths}")
        stats["relabelled"] += len(won) > 1
        got = C.get_contid(pid)
        if got != str(won[-1][0]):
            bad.append(f"{label}: target {pid} reads {got}, want the last set {won[-1][0]}")
        cl = caps[pid]
        if len(cl) != cap_ok or any(res != 1 for _, _, res in cl):
            bad.append(f"{label}: target {pid}: SET_CAPCONTID {cl}, {cap_ok} grants made")
        else:
            final = int(read_file(f"/proc/{pid}/audit_capcontainerid"))
            if sum(new - old for new, old, _ in cl) != final:
                bad.append(f"{label}: target {pid}: capcontid reads {final}, records {cl}")
    return [v for pid in targets for v, _, res in sets[pid] if res == 1]


def chain_round(rnd, bad, stats):
    since = LOG.mark()
    tmp = f"/tmp/contid-fuzz-{os.getpid()}-chain{rnd}"
    os.makedirs(tmp)
    r_info, w_info = os.pipe()
    r_go, w_go = os.pipe()
    r_end, w_end = os.pipe()
    r_up, w_up = os.pipe()
    sys.stdout.flush()
    top = os.fork()
    if top == 0:
        code = 1
        try:
            os.setsid()
            for fd in (w_info, w_go, w_end, r_up):
                os.close(fd)
            chain_member(1, rnd, (r_info, r_go, r_end, w_up), tmp)
            code = 0
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(code)
    for fd in (r_info, r_go, r_end, w_up):
        os.close(fd)
    finished, reader = False, None
    try:
        lines = read_lines(r_up, lambda ls: any(x.startswith("T ") for x in ls))
        pids = [int(p) for x in lines if x.startswith("T ") for p in x.split()[1:]]
        with open(f"{tmp}/targets.tmp", "w") as f:
            f.write(" ".join(map(str, pids)))
        os.rename(f"{tmp}/targets.tmp", f"{tmp}/targets")
        os.close(w_info)
        w_info = None
        read_lines(r_up, lambda ls: ls.count("R") == CHAIN_DEPTH)
        reader = RaceReader(seeded("chain-reader", rnd), pids)
        os.close(w_go)
        w_go = None
        read_lines(r_up, lambda ls: ls.count("D") == CHAIN_DEPTH, idle=reader.once)
        writes = []
        for level in range(1, CHAIN_DEPTH + 1):
            with open(f"{tmp}/w{level}") as f:
                for i, kind, data, res in json.load(f):
                    writes.append((f"level {level}", level, pids[i], kind, bytes.fromhex(data), res))
        won = check_race(f"chain round {rnd}", pids, writes, bad, stats, one_winner=False,
                         since=since)
        stats["reads"] += reader.check(f"chain round {rnd}", writes, bad)
        finished = True
    finally:
        if reader:
            reader.close()
        for fd in (w_info, w_go, w_end):
            if fd is not None:
                os.close(fd)
        # The chain kills its targets and exits; if it does not, kill it.
        deadline = time.monotonic() + (60 if finished else 0)
        while True:
            pid, status = os.waitpid(top, os.WNOHANG)
            if pid:
                if status:
                    bad.append(f"chain round {rnd}: the chain exited with status {status:#x}")
                break
            if time.monotonic() > deadline:
                if finished:
                    bad.append(f"chain round {rnd}: the chain did not exit")
                os.killpg(top, signal.SIGKILL)
                os.waitpid(top, 0)
                break
            time.sleep(0.02)
        os.close(r_up)
    return won


# --- phase 2b: threads of one process ---------------------------------------------

N_THREADS = 4
THREAD_TARGETS = 3


def thread_round(rnd, bad, stats):
    since = LOG.mark()
    targets = [Child() for _ in range(THREAD_TARGETS)]
    own = [Child() for _ in range(N_THREADS)]   # one per thread, for a shared value
    pids = [t.pid for t in targets]
    shared = fresh_value(seeded("shared", rnd))
    plans, fds, results = [], [], [None] * N_THREADS
    for n in range(N_THREADS):
        rng = seeded("thread", rnd, n)
        plan = plan_for(rng, {"junk": 2}, pids)
        text = text_form(rng, shared)
        if parse("cid", text)[0]:
            text = str(shared).encode()
        plan.insert(rng.randrange(len(plan) + 1), (THREAD_TARGETS, "cid", text))
        plans.append(plan)
        fds.append(open_fds(pids + [own[n].pid]))
    start = threading.Barrier(N_THREADS)

    def body(n):
        start.wait()
        results[n] = run_plan(plans[n], fds[n])

    threads = [threading.Thread(target=body, args=(n,), daemon=True) for n in range(N_THREADS)]
    reader = RaceReader(seeded("thread-reader", rnd), pids)
    for th in threads:
        th.start()
    deadline = time.monotonic() + 120
    while any(th.is_alive() for th in threads) and time.monotonic() < deadline and reader.once():
        pass
    for th in threads:
        th.join(max(deadline - time.monotonic(), 0))
    try:
        if any(th.is_alive() for th in threads):
            bad.append(f"thread round {rnd}: a writer thread hangs")
            return []
        writes, shared_res = [], []
        for n in range(N_THREADS):
            for (i, kind, data), res in zip(plans[n], results[n]):
                if i == THREAD_TARGETS:
                    shared_res.append(res)
                else:
                    writes.append((f"thread {n}", 1, pids[i], kind, data, res))
        won = check_race(f"thread round {rnd}", pids, writes, bad, stats, one_winner=True,
                         since=since)
        stats["reads"] += reader.check(f"thread round {rnd}", writes, bad)
        if sorted(shared_res) != ["ENOTUNIQ"] * (N_THREADS - 1) + ["OK"]:
            bad.append(f"thread round {rnd}: one value written by {N_THREADS} threads to their own "
                       f"targets: {shared_res}, want one OK and ENOTUNIQ for the others")
        sets, _ = records_by_pid(LOG.lines[since:], [c.pid for c in own])
        got = sorted(tuple(r) for c in own for r in sets[c.pid])
        want = sorted([(shared, "-1", 0)] * (N_THREADS - 1) + [(shared, "-1", 1)])
        if got != want:
            bad.append(f"thread round {rnd}: records of the shared value {got}, want {want}")
        return won + [shared]
    finally:
        reader.close()
        for per in fds:
            for d in per:
                os.close(d["cid"])
                os.close(d["cap"])
        for c in targets + own:
            c.kill()


# --- phase 3: random rule buffers -------------------------------------------------------

HEAD = NL._HEAD
HDR = HEAD.size
EQ, NE = NL.EQUAL, NL.NOT_EQUAL
BITMASK, BITTEST = 0x08000000, 0x48000000
ALL_OPS = [EQ, NE, BITMASK, BITTEST, 0x10000000, 0x20000000, 0x50000000, 0x60000000]
BAD_OPS = [0, 1, 0x40000001, 0x80000000, 0xffffffff, 0x70000000]
F_PID, F_PERS, F_ARCH, F_MSGTYPE, F_SUCCESS, F_WATCH, F_ARG0 = 0, 10, 11, 12, 104, 105, 200
F_CONTID, F_KEY = NL.F_CONTID, NL.F_FILTERKEY
BAD_TYPES = [28, 29, 50, 99, 114, 199, 204, 209, 211, 0xffff, 0x7fffffff, 0xffffffff]
STRING_TYPES = {F_CONTID: None, F_KEY: None, F_WATCH: None}
L_USER, L_TASK, L_ENTRY, L_WATCHL, L_EXIT, L_EXCL, L_FS, L_URING = 0, 1, 2, 3, 4, 5, 6, 7
PREPEND = 0x10
WATCH_DIR = f"/tmp/contid-fuzz-watch-{os.getpid()}"


class Refused(Exception):
    """The kernel refuses the rule: errno, and why (for the coverage)."""

    def __init__(self, errno_name, why):
        super().__init__(errno_name)
        self.errno, self.why = errno_name, why


def model_rule(payload):
    """What audit_data_to_entry() makes of the payload: the rule as stored
    (list, action, field count, mask, fields) and whether it is prepended,
    or raises Refused(errno)."""
    if len(payload) < HDR:
        raise Refused("EINVAL", "short message")
    head = HEAD.unpack_from(payload)
    flags, action, count = head[0:3]
    mask = head[3:67]
    types, values, ops = head[67:131], head[131:195], head[195:259]
    buf, off = payload[HDR:], 0
    listnr = flags & ~PREPEND
    if listnr not in (L_USER, L_TASK, L_EXIT, L_EXCL, L_FS, L_URING):
        raise Refused("EINVAL", "list")
    if action not in (0, 2) or count > 64:
        raise Refused("EINVAL", "action or field count")
    fields, key, watch = [], False, False
    for i in range(count):
        op, t, v = ops[i], types[i], values[i]
        if op not in ALL_OPS:
            raise Refused("EINVAL", "operator")
        # audit_field_valid()
        if t == F_MSGTYPE and listnr not in (L_EXCL, L_USER):
            raise Refused("EINVAL", "msgtype off user/exclude")
        if t == F_CONTID and listnr not in (L_EXIT, L_USER, L_EXCL):
            raise Refused("EINVAL", "contid off exit/user/exclude")
        if listnr == L_FS and t not in (26, F_KEY):
            raise Refused("EINVAL", "field on the fs list")
        if t in (F_ARG0, F_PERS):
            pass
        elif t in (F_PID, F_MSGTYPE, F_SUCCESS):
            if op in (BITMASK, BITTEST):
                raise Refused("EINVAL", "bit operator")
        elif t in (F_KEY, F_ARCH, F_CONTID, F_WATCH):
            if op not in (EQ, NE):
                raise Refused("EINVAL", "operator not = or !=")
        else:
            raise Refused("EINVAL", "unknown field")
        remain = len(buf) - off
        if t == F_CONTID:
            if v != 8 or v > remain:
                raise Refused("EINVAL", "contid length")
            val = buf[off:off + 8]
        elif t == F_KEY:
            if key or v > 256 or v == 0 or v > remain:
                raise Refused("EINVAL", "key")
            key, val = True, buf[off:off + v].split(b"\0")[0]
        elif t == F_WATCH:
            if v == 0 or v > remain:
                raise Refused("EINVAL", "string length")
            if v > 4096:
                raise Refused("ENAMETOOLONG", "watch path too long")
            path = buf[off:off + v]
            if path[:1] != b"/" or path[-1:] == b"/" or listnr not in (L_EXIT, L_URING) \
                    or op != EQ or watch:
                raise Refused("EINVAL", "watch path or place")
            watch, val = True, path.split(b"\0")[0]
        else:
            val = v
        if t in STRING_TYPES:
            off += v
        fields.append((t, op, val))
    return (listnr, action, count, tuple(mask), tuple(fields)), bool(flags & PREPEND)


def pack(rule, prepend=False, buflen=None):
    listnr, action, count, mask, fields = rule
    types, values, ops, buf = [], [], [], b""
    for t, op, val in fields:
        types.append(t)
        ops.append(op)
        if isinstance(val, bytes):
            values.append(len(val))
            buf += val
        else:
            values.append(val)
    pad = [0] * (64 - len(fields))
    return HEAD.pack(listnr | (PREPEND if prepend else 0), action, count, *mask, *(types + pad),
                     *(values + pad), *(ops + pad), len(buf) if buflen is None else buflen) + buf


def unpack_listed(body):
    head = HEAD.unpack_from(body)
    flags, action, count = head[0:3]
    types, values, ops = head[67:131], head[131:195], head[195:259]
    buf, off, fields = body[HDR:], 0, []
    strings = {F_CONTID, F_KEY, F_WATCH, 107, 112} | set(range(13, 18)) | set(range(19, 24))
    for i in range(count):
        if types[i] in strings:
            fields.append((types[i], ops[i], buf[off:off + values[i]]))
            off += values[i]
        else:
            fields.append((types[i], ops[i], values[i]))
    return (flags & ~PREPEND, action, count, tuple(head[3:67]), tuple(fields))


def list_rules(sock):
    seq = sock._send(NL.AUDIT_LIST_RULES, b"", NL.NLM_F_REQUEST)
    rules = []
    while True:
        for rtype, rseq, body in sock._messages():
            if rseq != seq:
                continue
            if rtype == NL.NLMSG_DONE:
                return collections.Counter(rules)
            if rtype == NL.NLMSG_ERROR:
                err = -struct.unpack_from("=i", body)[0]
                if err:
                    raise OSError(err, os.strerror(err))
            elif rtype == NL.AUDIT_LIST_RULES:
                rules.append(unpack_listed(body))


def gen_mask(rng):
    mask = [0] * 64
    if rng.random() < 0.3:
        return mask
    # Only bits of syscall numbers no architecture has (512..2031), and
    # none of the class bits (2032..2047): exit rules never fire.
    for b in rng.sample(range(512, 2032), rng.randrange(1, 6)):
        mask[b // 32] |= 1 << (b % 32)
    return mask


def gen_field(rng, listnr, t=None):
    """(type, op, value, data): data goes to the buffer, value is its
    length unless the generator lies about it."""
    if t is None:
        t = rng.choices([F_CONTID, F_KEY, F_PID, F_ARG0, F_MSGTYPE, F_ARCH, F_SUCCESS, F_PERS,
                         F_WATCH, None], weights=[40, 14, 10, 5, 8, 5, 5, 3, 6, 4])[0]
    if t is None:
        t = rng.choice(BAD_TYPES)
    r = rng.random()
    op = rng.choice([EQ, NE]) if r < 0.75 else rng.choice(ALL_OPS) if r < 0.93 else rng.choice(BAD_OPS)
    data = None
    if t == F_CONTID:
        v = rng.choice([0, 1, UNSET, UNSET - 1, 1 << 63, 123459, rng.randrange(1 << 64),
                        rng.randrange(1 << 64)])
        data = struct.pack("=Q", v)
        if rng.random() < 0.15:
            data = rng.randbytes(rng.choice([0, 1, 4, 7, 9, 12, 16, 64]))
    elif t == F_KEY:
        n = rng.choice([1, 5, 20, 255, 256, 257, 300]) if rng.random() < 0.3 else rng.randrange(1, 40)
        data = bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz0123456789-_=,", k=n))
    elif t == F_WATCH:
        data = rng.choice([f"{WATCH_DIR}/w{rng.randrange(4)}".encode(), f"{WATCH_DIR}/".encode(),
                           b"relative", ("/" + "x" * 4100).encode()])
    value = rng.randrange(1 << 32) if rng.random() < 0.5 else rng.choice([0, 1, 2, 0xc000003e, 1006])
    if data is not None:
        value = len(data)
        if rng.random() < 0.1:
            value = rng.choice([0, max(len(data) - 1, 0), len(data) + 1, 8, 4097, (1 << 32) - 1])
    return t, op, value, data


def gen_rule(rng):
    listnr = rng.choices([L_EXIT, L_USER, L_EXCL, L_TASK, L_ENTRY, L_FS, L_URING, L_WATCHL, 8,
                          0x7fffffff], weights=[30, 12, 12, 4, 3, 3, 3, 1, 1, 1])[0]
    flags = listnr | (PREPEND if rng.random() < 0.1 else 0)
    action = rng.choices([2, 0, 1, 3, 0xffffffff], weights=[45, 45, 3, 3, 3])[0]
    nf = rng.choice([1, 1, 2, 2, 3, 4, 5, 8])
    fields = [gen_field(rng, listnr) for _ in range(nf)]
    if not any(f[0] == F_CONTID for f in fields):
        fields[rng.randrange(nf)] = gen_field(rng, listnr, F_CONTID)
    if listnr not in (L_EXIT, L_USER, L_EXCL):
        # A rule that could stand on the task list (every new task
        # audited) or elsewhere without its contid field is never made:
        # the contid field, which those lists refuse, comes first.
        fields[0] = gen_field(rng, listnr, F_CONTID)
    count = nf
    r = rng.random()
    if r < 0.08:
        count = rng.choice([nf + 1, nf + 2, 64, 65, 0xffffffff])
    elif r < 0.14 and listnr in (L_EXIT, L_USER, L_EXCL):
        count = rng.randrange(0, nf)
    # Entries past the fields: a type no kernel knows, any operator.
    types = [f[0] for f in fields] + [rng.choice(BAD_TYPES) for _ in range(64 - nf)]
    ops = [f[1] for f in fields] + [rng.choice(ALL_OPS + BAD_OPS) for _ in range(64 - nf)]
    values = [f[2] for f in fields] + [rng.randrange(1 << 32) for _ in range(64 - nf)]
    buf = b"".join(f[3] for f in fields if f[3] is not None)
    buflen = len(buf) if rng.random() < 0.8 else rng.choice([0, 1, 8, 1 << 20, (1 << 32) - 1])
    payload = HEAD.pack(flags, action, count, *gen_mask(rng), *types, *values, *ops, buflen) + buf
    r = rng.random()
    if r < 0.08:
        payload += rng.randbytes(rng.randrange(1, 40))
    elif r < 0.18:
        cut = rng.choice([0, 1, HDR - 1, HDR, HDR + 1, rng.randrange(len(payload) + 1)])
        payload = payload[:min(cut, len(payload))]
    return payload


def rules_phase():
    rng = seeded("rules")
    bad, outcomes, why = [], collections.Counter(), collections.Counter()
    os.makedirs(WATCH_DIR, exist_ok=True)
    model = collections.Counter()
    added = []   # add payloads that were accepted, to replay as deletes
    with NL.AuditSocket() as sock:
        before = list_rules(sock)
        ok(not any(f[0] == F_CONTID for r in before for f in r[4]),
           "rules: no contid rule before the fuzz")
        try:
            for rnd in range(RULE_ROUNDS):
                r = rng.random()
                if r < 0.6 or not model:
                    mtype, payload = NL.AUDIT_ADD_RULE, gen_rule(rng)
                elif r < 0.75:   # delete an accepted rule, as stored
                    mtype, payload = NL.AUDIT_DEL_RULE, pack(rng.choice(list(model)))
                elif r < 0.85:   # replay an accepted add, as an add or a delete
                    mtype = rng.choice([NL.AUDIT_ADD_RULE, NL.AUDIT_DEL_RULE])
                    payload = rng.choice(added)
                    if rng.random() < 0.4:   # with PREPEND flipped
                        payload = struct.pack("=I", struct.unpack_from("=I", payload)[0] ^ PREPEND) \
                            + payload[4:]
                else:
                    mtype, payload = NL.AUDIT_DEL_RULE, gen_rule(rng)
                try:
                    rule, prepend = model_rule(payload)
                    if mtype == NL.AUDIT_ADD_RULE:
                        # The kernel clears PREPEND once the rule is in, so a
                        # prepended rule is never a duplicate of a stored one.
                        if prepend or not model[rule]:
                            want = "OK"
                            model[rule] += 1
                            added.append(payload)
                        else:
                            want = "EEXIST"
                    elif not prepend and model[rule]:
                        want = "OK"
                        model[rule] -= 1
                        model += collections.Counter()  # drop zero counts
                    else:
                        want = "ENOENT"
                except Refused as e:
                    want = e.errno
                    why[e.why] += 1
                got = sock.request(mtype, payload)
                outcomes[want] += 1
                if got != want:
                    bad.append(f"round {rnd}: {'add' if mtype == NL.AUDIT_ADD_RULE else 'del'} "
                               f"({len(payload)} bytes): got {got}, want {want}; {payload.hex()}")
                if rnd % 100 == 99 or rnd == RULE_ROUNDS - 1:
                    listed = list_rules(sock)
                    if listed != before + model:
                        bad.append(f"round {rnd}: listed rules differ: extra "
                                   f"{list((listed - before - model).elements())[:3]}, missing "
                                   f"{list((before + model - listed).elements())[:3]}")
            eq(bad[:5], [], f"rules: {RULE_ROUNDS} random add/delete requests: each errno as "
               "predicted, the list holds exactly the accepted rules")
            print(f"# rule outcomes: {dict(sorted(outcomes.items()))}; {sum(model.values())} rules "
                  f"in the list at the end; refused for: {dict(sorted(why.items()))}", flush=True)
            if RULE_ROUNDS >= 300:
                eq({"OK", "EINVAL", "EEXIST", "ENOENT"} - set(outcomes), set(),
                   "rules: the fuzz reached accepted, refused, duplicate and missing rules")
        finally:
            # Delete everything the fuzz left, by what the kernel lists.
            left = list_rules(sock) - before
            results = collections.Counter(sock.request(NL.AUDIT_DEL_RULE, pack(rule))
                                          for rule in left.elements())
            after = list_rules(sock)
        eq(dict(results), {"OK": sum(left.values())} if left else {},
           f"rules: each of the {sum(left.values())} rules left is deleted by its listed form")
        eq(after, before, "rules: the list is back to what it was")
        ok(not any(f[0] == F_CONTID for r in after for f in r[4]), "rules: no contid rule is left")
    os.rmdir(WATCH_DIR)


# --- the end: the whole trail, the kernel log ---------------------------------------

def kernel_problems():
    """Reports in the kernel log.  A KCSAN data-race report ("BUG: KCSAN:")
    is left to scripts/kcsan-reports, which fails the run on the
    subsystem's and lists the rest of the kernel's."""
    out = subprocess.run(["dmesg"], stdout=subprocess.PIPE, text=True).stdout
    return [line for line in out.splitlines()
            if re.search(r"BUG:|WARNING:|Oops|general protection|UBSAN:|KASAN:", line)
            and "BUG: KCSAN:" not in line]


dmesg_before = kernel_problems()
labelled = Phase1().run()
print(f"# phase 1 took {time.monotonic() - T0:.1f}s", flush=True)

t1 = time.monotonic()
bad, stats = [], collections.Counter()
for rnd in range(CHAIN_ROUNDS):
    try:
        labelled += chain_round(rnd, bad, stats)
    except Exception:
        bad.append(f"chain round {rnd}: exception\n{traceback.format_exc()}")
eq(bad[:5], [], f"chain of {CHAIN_DEPTH} forked orchestrators x {CHAIN_TARGETS} targets, "
   f"{CHAIN_ROUNDS} rounds: every errno documented, the sets in log order come from ever "
   "deeper writers, records match the writes, the last set reads back")
print(f"# chain races: {dict(stats)} ({time.monotonic() - t1:.1f}s)", flush=True)

t1 = time.monotonic()
bad, stats = [], collections.Counter()
for rnd in range(THREAD_ROUNDS):
    try:
        labelled += thread_round(rnd, bad, stats)
    except Exception:
        bad.append(f"thread round {rnd}: exception\n{traceback.format_exc()}")
eq(bad[:5], [], f"{N_THREADS} threads of one process x {THREAD_TARGETS} targets, "
   f"{THREAD_ROUNDS} rounds: exactly one set wins each target, the rest EEXIST or EBUSY, "
   "records match the writes")
print(f"# thread races: {dict(stats)} ({time.monotonic() - t1:.1f}s)", flush=True)

t1 = time.monotonic()
rules_phase()
print(f"# rules took {time.monotonic() - t1:.1f}s", flush=True)

lines = LOG.barrier()
problems, still_live = C.trail_problems(labelled, lines)
eq(problems[:5], [], f"the trail names each of the {len(labelled)} contids set only between "
   "its op=set res=1 and its op=drop")
eq(still_live, set(), "every contid set by the fuzz was dropped")
eq(kernel_problems()[len(dmesg_before):], [], "no kernel BUG or WARNING")
print(f"# total {time.monotonic() - T0:.1f}s", flush=True)
done()
