#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# IMA's audit action per container: with "audit func=BPRM_CHECK
# mask=MAY_EXEC", the host logs a file's INTEGRITY_RULE once, as before,
# and so does each container, in an event with its CONTAINER_ID record; a
# repeat logs nothing; a change to the file re-arms it everywhere; a
# container that reuses a dropped container's id is a new container.  A
# labelled task's policy rule records carry its CONTAINER_ID.
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

POLICY = "/sys/kernel/security/ima/policy"
# The rules only cover files of this owner, so that other tests' programs
# are not audited.
OWNER = 4242

if not os.path.exists(POLICY):
    subprocess.run(["mount", "-t", "securityfs", "none",
                    "/sys/kernel/security"], check=False)
work = tempfile.mkdtemp(prefix="contid-ima-")
subprocess.run(["mount", "-t", "tmpfs", "none", work], check=True)
prog = os.path.join(work, "prog")
shutil.copy("/bin/true", prog)
os.chown(prog, OWNER, OWNER)


def add_rule(rule):
    with open(POLICY, "w") as f:
        f.write(rule + "\n")


add_rule(f"audit func=BPRM_CHECK mask=MAY_EXEC fowner={OWNER}")
with open(POLICY) as f:
    ok(f"fowner={OWNER}" in f.read(), "the audit rule is in the policy")


class Shell:
    """A task that runs commands on request, each in a child it forks,
    as a container's processes would; labelled with `contid`."""

    def __init__(self, contid=None):
        self.child = Child(["bash", "-c",
                            'while read c; do $c; echo "done $?"; done'],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
        if contid is not None:
            eq(set_contid(self.child.pid, contid), "OK", f"label {contid}")

    def run(self, command):
        self.child.proc.stdin.write(command + "\n")
        self.child.proc.stdin.flush()
        return self.child.proc.stdout.readline().strip()

    def exit(self):
        self.child.proc.stdin.close()
        self.child.proc.wait()


def rules():
    """This file's INTEGRITY_RULE records, once every earlier record is
    in the log."""
    log_barrier()
    return records("INTEGRITY_RULE", re.escape(f'file="{prog}"'))


def new_rules(before):
    return rules()[len(before):]


def check_one(before, want_contid, what):
    """Exactly one new record since `before`, in an event naming
    `want_contid` (None: no CONTAINER_ID record)."""
    new = new_rules(before)
    if not eq(len(new), 1, f"{what}: one INTEGRITY_RULE record"):
        return
    want = [] if want_contid is None else [str(want_contid)]
    eq(event_contids(new[0]), want, f"{what}: its event's CONTAINER_ID")


def check_none(before, what):
    eq(new_rules(before), [], f"{what}: no new INTEGRITY_RULE record")


host = Shell()
a_id, b_id, c_id = unique_value(), unique_value(), unique_value()
a, b = Shell(a_id), Shell(b_id)

before = rules()
eq(host.run(prog), "done 0", "the host runs the file")
check_one(before, None, "the host's first execution")
before = rules()
host.run(prog)
check_none(before, "the host's second execution")

before = rules()
eq(a.run(prog), "done 0", "container A runs the file")
check_one(before, a_id, "container A's first execution")
a_line = new_rules(before)[0]
ok(f" ppid={a.child.pid} " in a_line,
   "the record names the task of container A that ran it", a_line)
before = rules()
a.run(prog)
a.run(prog)
check_none(before, "container A's repeats")

before = rules()
b.run(prog)
check_one(before, b_id, "container B's first execution")
before = rules()
host.run(prog)
b.run(prog)
a.run(prog)
check_none(before, "repeats in the host, B and A")

# A change to the file re-arms it in the host and in every container.
with open(prog, "ab") as f:
    f.write(b"\0")
before = rules()
host.run(prog)
check_one(before, None, "the host after the file changed")
before = rules()
a.run(prog)
check_one(before, a_id, "container A after the file changed")
before = rules()
b.run(prog)
check_one(before, b_id, "container B after the file changed")
before = rules()
a.run(prog)
b.run(prog)
check_none(before, "repeats after the change")

# A new container with B's id is not B: it has not run the file.
b.exit()
wait_record("CONTAINER_OP", rf"op=drop .*old-contid={b_id} ")
b2 = Shell(b_id)
before = rules()
b2.run(prog)
check_one(before, b_id, "a new container that reuses B's id")
before = rules()
b2.run(prog)
check_none(before, "its repeat")

# The policy rule records of a labelled writer are in its event.
writer = Shell(c_id)
rule = f"audit func=BPRM_CHECK mask=MAY_EXEC fowner={OWNER + 1}"
with tempfile.NamedTemporaryFile("w", dir=work, delete=False) as f:
    f.write(rule + "\n")
eq(writer.run(f"cp {f.name} {POLICY}"), "done 0",
   "container C adds a policy rule")
log_barrier()
got = records("INTEGRITY_POLICY_RULE", rf"fowner={OWNER + 1} ")
if eq(len(got), 1, "one INTEGRITY_POLICY_RULE record for it"):
    eq(event_contids(got[0]), [str(c_id)],
       "its event's CONTAINER_ID names container C")

for shell in (host, a, b2, writer):
    shell.exit()
subprocess.run(["umount", work], check=False)
done()
