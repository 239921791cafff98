#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Malformed and hostile writes: each gets its errno, leaves the target
# unset and registers nothing.
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
done()
