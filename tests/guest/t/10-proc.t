#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# The issue's walk-through: set, read back, refuse a second value, and find
# the CONTAINER_OP records of both attempts in auditd's log.
import os
import stat
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

with Child() as child:
    for p in (path(child.pid), path(child.pid, child.pid)):
        mode = stat.S_IMODE(os.stat(p).st_mode)
        eq(oct(mode), "0o600", f"{p} has mode 0600")
    eq(get_contid(child.pid), str(UNSET), "a fresh task reads the unset value, no newline")

    eq(set_contid(child.pid, 123456), "OK", "echo 123456 > /proc/$child/audit_containerid")
    eq(get_contid(child.pid), "123456", "cat /proc/$child/audit_containerid")
    eq(get_contid(child.pid, child.pid), "123456", "the /proc/PID/task/TID view agrees")

    eq(set_contid(child.pid, 654321), "EEXIST", "a second value is refused with EEXIST")
    eq(get_contid(child.pid), "123456", "the value is unchanged")

    line = wait_record("CONTAINER_OP", rf"op=set opid={child.pid} contid=123456 old-contid=-1 res=1$")
    ok(True, "CONTAINER_OP of the successful set is logged")
    syscall = [r for r in event(serial(line)) if "type=SYSCALL" in r]
    ok(len(syscall) == 1 and "success=yes" in syscall[0],
       "it shares its event with the writer's successful write() SYSCALL record", event(serial(line)))

    line = wait_record("CONTAINER_OP", rf"op=set opid={child.pid} contid=654321 old-contid=123456 res=0$")
    ok(True, "CONTAINER_OP of the refused set is logged, with the old contid")
    syscall = [r for r in event(serial(line)) if "type=SYSCALL" in r]
    ok(len(syscall) == 1 and "exit=-17" in syscall[0],
       "its SYSCALL record shows exit=-17 (EEXIST)", event(serial(line)))

    # 20 digits: V5 printed into an 11-byte buffer (TMPBUFLEN), V6 made it 21.
    with Child() as big:
        v = 10**19 + unique_value()
        eq(set_contid(big.pid, v), "OK", "set a 20-digit contid")
        eq(get_contid(big.pid), str(v), "... it reads back whole, all 20 digits")

    # Reading needs CAP_AUDIT_CONTROL.
    r = subprocess.run(["setpriv", "--bounding-set=-audit_control", "--inh-caps=-audit_control",
                        "cat", path(child.pid)], capture_output=True, text=True)
    ok(r.returncode != 0 and "Operation not permitted" in r.stderr,
       "a reader without CAP_AUDIT_CONTROL gets EPERM", r)
done()
