#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The AUDIT_CONTID rule field as the kernel sees it over netlink: the
# feature bit, the 8-byte value in the string buffer, list/delete round
# trips, and EINVAL for every malformed rule, which must change nothing.
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import ok, eq, done, auditctl  # noqa: E402
from auditnl import *  # noqa: E402,F403

KEY = f"contid-nl-{os.getpid()}"
auditctl("-D")

with AuditSocket() as nl:
    ok(nl.feature_bitmap() & FEATURE_BITMAP_CONTAINERID,
       "AUDIT_GET advertises AUDIT_FEATURE_BITMAP_CONTAINERID (0x80)")

    def ours():
        return [r for r in nl.list_rules()
                if any(f[0] == F_FILTERKEY and f[3] == KEY.encode() for f in r[2])]

    # Add, list, refuse a duplicate, delete: for each operator and value.
    for op, opname in ((EQUAL, "="), (NOT_EQUAL, "!=")):
        for value in (123459, 0, 1 << 63, UNSET):
            rule = [Field.contid(value, op), Field.key(KEY)]
            name = f"exit rule contid{opname}{value}"
            eq(nl.add_rule(FILTER_EXIT, ALWAYS, rule), "OK", f"{name}: added")
            listed = ours()
            want = (FILTER_EXIT, ALWAYS,
                    [(F_CONTID, op, 8, struct.pack("=Q", value)),
                     (F_FILTERKEY, EQUAL, len(KEY), KEY.encode())])
            eq(listed, [want], f"{name}: listed back with the same 8 bytes")
            eq(nl.add_rule(FILTER_EXIT, ALWAYS, rule), "EEXIST",
               f"{name}: the same rule again is a duplicate")
            other = [Field.contid(value ^ 1, op), Field.key(KEY)]
            eq(nl.del_rule(FILTER_EXIT, ALWAYS, other), "ENOENT",
               f"{name}: delete with another value finds nothing")
            eq(len(ours()), 1, f"{name}: ... and leaves the rule")
            eq(nl.del_rule(FILTER_EXIT, ALWAYS, rule), "OK", f"{name}: deleted")
            eq(ours(), [], f"{name}: gone from the list")

    # Two rules that differ only in the contid are two rules.
    a = [Field.contid(1), Field.key(KEY)]
    b = [Field.contid(33), Field.key(KEY)]
    eq((nl.add_rule(FILTER_EXIT, ALWAYS, a), nl.add_rule(FILTER_EXIT, ALWAYS, b)),
       ("OK", "OK"), "rules for contid 1 and 33 are distinct")
    eq(nl.del_rule(FILTER_EXIT, ALWAYS, b), "OK", "delete the contid=33 one")
    eq([r[2][0][3] for r in ours()], [struct.pack("=Q", 1)],
       "the contid=1 rule is the one left")
    nl.del_rule(FILTER_EXIT, ALWAYS, a)

    # The user and exclude lists take it too.
    for listnr, lname in ((FILTER_USER, "user"), (FILTER_EXCLUDE, "exclude")):
        rule = [Field.contid(123459), Field.key(KEY)] if listnr == FILTER_USER \
            else [Field.contid(123459), Field(F_MSGTYPE, EQUAL, 1005)]
        eq(nl.add_rule(listnr, NEVER if listnr == FILTER_USER else ALWAYS, rule),
           "OK", f"{lname} list: accepted")
        eq(nl.del_rule(listnr, NEVER if listnr == FILTER_USER else ALWAYS, rule),
           "OK", f"{lname} list: deleted")

    # Malformed rules: EINVAL, and the rule list is as before.
    auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", f"key={KEY}-keep")
    before = nl.list_rules()
    bad = [
        ("values[i] is 4", FILTER_EXIT, [Field.contid(0, data=b"\x01\0\0\0")]),
        ("values[i] is 16", FILTER_EXIT, [Field.contid(0, data=b"\x01" * 16)]),
        ("values[i] is 0", FILTER_EXIT, [Field.contid(0, data=b"")]),
        ("values[i] says 8, the buffer has 4", FILTER_EXIT,
         [Field.contid(0, data=b"\x01\0\0\0", length=8)]),
        ("values[i] says 8, the buffer is empty", FILTER_EXIT,
         [Field.contid(0, data=b"", length=8)]),
        ("operator <", FILTER_EXIT, [Field.contid(5, LESS_THAN)]),
        ("operator >", FILTER_EXIT, [Field.contid(5, GREATER_THAN)]),
        ("operator &", FILTER_EXIT, [Field.contid(5, BIT_MASK)]),
        ("task list", FILTER_TASK, [Field.contid(5)]),
        ("entry list", FILTER_ENTRY, [Field.contid(5)]),
        ("filesystem list", FILTER_FS, [Field.contid(5)]),
        ("io_uring exit list", FILTER_URING_EXIT, [Field.contid(5)]),
    ]
    for what, listnr, fields in bad:
        eq(nl.add_rule(listnr, ALWAYS, fields + [Field.key(KEY)]), "EINVAL",
           f"refused: {what}")
    eq(nl.list_rules(), before, "after the refused rules the list is unchanged")
    auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", f"key={KEY}-keep")

    # Many adds and deletes: kmemleak (debug kernel) sees any buffer lost
    # on these paths, as the last C series lost one per add.
    results = set()
    for i in range(300):
        rule = [Field.contid(1000 + i), Field.key(KEY)]
        results.add(nl.add_rule(FILTER_EXIT, ALWAYS, rule))
        results.add(nl.del_rule(FILTER_EXIT, ALWAYS, rule))
    for i in range(100):
        results.add(nl.add_rule(FILTER_EXIT, ALWAYS,
                                [Field.contid(7, LESS_THAN), Field.key(KEY)]))
    eq(results, {"OK", "EINVAL"}, "300 add/delete pairs and 100 refusals")
    eq(ours(), [], "none of them is left")
done()
