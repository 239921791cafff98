#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# User messages (spec 4): a user message from a labelled task comes in one
# event with its CONTAINER_ID record, tied by record=1 on both; one from an
# unlabelled task is unchanged.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

# Waits to be labelled, then becomes `auditctl -m TEXT`.
SENDER = r"""
import os, sys
sys.stdin.readline()
os.execvp(sys.argv[1], [sys.argv[1], "-m", sys.argv[2]])
"""

v = unique_value()
text = f"contid-user-msg-{os.getpid()}"
sender = Child([sys.executable, "-c", SENDER, AUDITCTL, text], stdin=subprocess.PIPE)
try:
    eq(set_contid(sender.pid, v), "OK", "label a task")
    sender.proc.stdin.write(b"go\n")
    sender.proc.stdin.close()
    eq(sender.proc.wait(), 0, "it sends a user message (auditctl -m)")
    line = wait_record("USER", re.escape(text))
    ok(line.endswith(" record=1"), "the USER record ends in record=1", line)
    ev = event(serial(line))
    eq([r for r in ev if re.search(r"type=(CONTAINER_ID|UNKNOWN\[1340\])", r)],
       [r for r in ev if re.search(rf"type=(CONTAINER_ID|UNKNOWN\[1340\]) msg=audit\([0-9.]+:\d+\): "
                                   rf"record=1 contid={v}$", r)],
       "its event has exactly one CONTAINER_ID, record=1 contid=<its container>")
    ok(len(ev) == 2, "... and the two records share a stamp of their own", "\n".join(ev))
finally:
    sender.kill()

# CONTAINER_ID records excluded by a rule: the USER record names none.
text = f"contid-user-msg-excluded-{os.getpid()}"
with container_id_excluded():
    sender = Child([sys.executable, "-c", SENDER, AUDITCTL, text], stdin=subprocess.PIPE)
    try:
        eq(set_contid(sender.pid, unique_value()), "OK", "label a task")
        sender.proc.stdin.write(b"go\n")
        sender.proc.stdin.close()
        eq(sender.proc.wait(), 0, "it sends a user message")
        line = wait_record("USER", re.escape(text))
        ok("record=" not in line, "with CONTAINER_ID excluded, its USER record has no record=",
           line)
        eq(event_contids(line), [], "... and its event no CONTAINER_ID")
    finally:
        sender.kill()

plain = f"contid-user-msg-plain-{os.getpid()}"
auditctl("-m", plain)
line = wait_record("USER", re.escape(plain))
ok("record=" not in line, "a message from an unlabelled task has no record=", line)
eq(len(event(serial(line))), 1, "... and no CONTAINER_ID in its event")
done()
