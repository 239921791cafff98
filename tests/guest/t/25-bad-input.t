#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Malformed and hostile writes, to both /proc files: each gets its errno,
# leaves the target unset (contid) or ungranted (capcontid), and logs and
# registers nothing.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

BASE = unique_value()
TABLE = [
    # (name, bytes, offset, errno)
    ("empty", b"", 0, "EINVAL"),
    ("a space", b" ", 0, "EINVAL"),
    ("a newline", b"\n", 0, "EINVAL"),
    ("leading space", b" 5", 0, "EINVAL"),
    ("trailing space", b"5 ", 0, "EINVAL"),
    ("tab", b"5\t", 0, "EINVAL"),
    ("two newlines", b"5\n\n", 0, "EINVAL"),
    ("CRLF", b"5\r\n", 0, "EINVAL"),
    ("leading newline", b"\n5", 0, "EINVAL"),
    ("minus sign", b"-5", 0, "EINVAL"),
    ("minus one", b"-1", 0, "EINVAL"),
    ("plus alone", b"+", 0, "EINVAL"),
    ("double plus", b"++5", 0, "EINVAL"),
    ("plus minus", b"+-5", 0, "EINVAL"),
    ("trailing plus", b"5+", 0, "EINVAL"),
    ("hex", b"0x10", 0, "EINVAL"),
    ("hex digits", b"ff", 0, "EINVAL"),
    ("octal-looking is decimal, but 'o' is not", b"0o7", 0, "EINVAL"),
    ("exponent", b"1e3", 0, "EINVAL"),
    ("decimal point", b"1.0", 0, "EINVAL"),
    ("underscore", b"1_000", 0, "EINVAL"),
    ("comma", b"1,000", 0, "EINVAL"),
    ("NUL alone", b"\0", 0, "EINVAL"),
    ("NUL after digits", b"5\0", 0, "EINVAL"),
    ("NUL inside", b"5\0" + b"6", 0, "EINVAL"),
    ("NUL before digits", b"\x005", 0, "EINVAL"),
    ("fullwidth digit", "１".encode(), 0, "EINVAL"),
    ("arabic-indic digit", "٣".encode(), 0, "EINVAL"),
    ("2^64", b"18446744073709551616", 0, "ERANGE"),
    ("2^64 with newline", b"18446744073709551616\n", 0, "ERANGE"),
    ("25 digits", b"9" * 25, 0, "ERANGE"),
    ("66 nines", b"9" * 66, 0, "ERANGE"),
    ("67 zeros and a one", b"0" * 67 + b"1", 0, "EINVAL"),
    ("4 KiB of garbage", bytes((i * 37 + 11) % 256 for i in range(4096)), 0, "EINVAL"),
    ("4 KiB of digits", b"1" * 4096, 0, "EINVAL"),
    ("offset 1", b"5", 1, "EINVAL"),
    ("offset 4096", str(BASE).encode(), 4096, "EINVAL"),
    ("2^64-1 (the unset value)", b"18446744073709551615", 0, "EINVAL"),
    ("2^64-1 with plus and newline", b"+18446744073709551615\n", 0, "EINVAL"),
]
ok(len(TABLE) >= 30, f"the table has {len(TABLE)} rows")

with Child() as t:
    for name, data, offset, want in TABLE:
        got = write_raw(path(t.pid), data, offset)
        eq(got, want, f"{name}: {want}")
        eq(get_contid(t.pid), str(UNSET), f"{name}: target still unset")
    # Nothing was left half-done: a good write still works, exactly once.
    eq(set_contid(t.pid, f"+{BASE}\n"), "OK", "then a good write ('+N\\n') succeeds")
    eq(get_contid(t.pid), str(BASE), "... and sets exactly that value")
    # Parse errors produce no record (spec 2.1); only the good write did.
    log_barrier()
    recs = records("CONTAINER_OP", rf"opid={t.pid} ")
    eq(len(recs), 3, "CONTAINER_OP records for this target: the two unset-value rows and the good write",)

# The same bytes to /proc/PID/audit_capcontainerid, which takes 0 or 1:
# the unset contid value is just a number too big for its u32 there, and
# other numbers that parse are EINVAL, as is all that does not.
CAP_ERRNO = {"2^64-1 (the unset value)": "ERANGE", "2^64-1 with plus and newline": "ERANGE"}
CAP_TABLE = [(name, data, offset, CAP_ERRNO.get(name, want)) for name, data, offset, want in TABLE] + [
    ("2", b"2", 0, "EINVAL"),
    ("u32 max", b"4294967295", 0, "EINVAL"),
    ("u32 max + 1", b"4294967296", 0, "ERANGE"),
    ("one at offset 1", b"1", 1, "EINVAL"),
    ("one at offset 4096", b"1", 4096, "EINVAL"),
]


def cap_path(pid):
    return f"/proc/{pid}/audit_capcontainerid"


def read_cap(pid):
    with open(cap_path(pid)) as f:
        return f.read()


with Child() as t:
    for name, data, offset, want in CAP_TABLE:
        eq(write_raw(cap_path(t.pid), data, offset), want, f"capcontid, {name}: {want}")
        eq(read_cap(t.pid), "0", f"capcontid, {name}: still not granted")
    eq(get_contid(t.pid), str(UNSET), "... and its contid is still unset")
    log_barrier()
    eq(records("SET_CAPCONTID", rf"opid={t.pid} "), [], "no SET_CAPCONTID record for any of them")
    eq(write_raw(cap_path(t.pid), b"+1\n"), "OK", "then a good grant ('+1\\n') succeeds")
    eq(read_cap(t.pid), "1", "... and grants exactly that")
    line = wait_record("SET_CAPCONTID", rf"opid={t.pid} ")
    ok(line.endswith(" capcontid=1 old-capcontid=0 res=1"), "... with one record, res=1", line)
done()
