#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# Filtering on the container id with the real (patched) tools, as the
# issue's example does it: auditctl -F contid= on the exit, user and
# exclude lists, with =, != and unset; auditctl -l and -d round trips;
# ausearch -m container_op, --contid and -i; and auditctl's messages for
# rules it refuses, which must leave the rule list as it was.
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403

LOG = AUDIT_LOG
PID = os.getpid()


def run(*argv):
    p = subprocess.run(list(argv), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    return p.returncode, p.stdout


def ausearch(*args):
    return run("ausearch", "--input", LOG, *args)


def rules():
    return [line for line in auditctl("-l").splitlines() if line != "No rules"]


def perl_writer(path):
    """perl, as in the example: writes `path` once told to, then says so."""
    code = ("$|=1; <STDIN>; open(my $f, '>', $ARGV[0]) or die; close($f);"
            " print qq(done\\n); <STDIN>;")
    return Child(["perl", "-e", code, path], stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE, text=True)


def go(child, cmd="go"):
    child.proc.stdin.write(cmd + "\n")
    child.proc.stdin.flush()
    return child.proc.stdout.readline().strip()


def key_records(key, pid):
    return records("SYSCALL", rf" pid={pid} .*key=\"{key}\"")


auditctl("-D")

# --- the issue's example: a dir/perm rule for one container ---------------
contid = unique_value()
other = unique_value()
key = f"tmpcontainerid-{PID}"
target = f"/tmp/{key}"
rule = ["exit,always", "-F", "dir=/tmp", "-F", "perm=wa", "-F",
        f"contid={contid}", "-F", f"key={key}"]
rc, out = run("auditctl", "-a", *rule)
eq((rc, out), (0, ""), "auditctl -a exit,always -F dir=/tmp -F perm=wa -F contid=N -F key=K")
listed = [r for r in rules() if f"key={key}" in r]
eq(listed, [f"-a always,exit -S all -F dir=/tmp -F perm=wa -F contid={contid} -F key={key}"],
   "auditctl -l prints the rule back with -F contid=N")

with perl_writer(target) as inside, perl_writer(target) as elsewhere, \
        perl_writer(target) as outside:
    eq(set_contid(inside.pid, contid), "OK", "label the writer")
    eq(set_contid(elsewhere.pid, other), "OK", "label a second writer with another contid")
    eq([go(c) for c in (inside, elsewhere, outside)], ["done"] * 3,
       "three tasks open the file for writing")
    sysrec = wait_record("SYSCALL", rf" pid={inside.pid} .*key=\"{key}\" record=1$")
    ev = event(serial(sysrec))
    ok(any(re.search(rf"type=CONTAINER_ID .*: record=1 contid={contid}$", r) for r in ev),
       "the labelled writer's event: CONTAINER_ID record=1 contid=N", "\n".join(ev))
    log_barrier()
    eq(key_records(key, elsewhere.pid), [], "a task of another container: no event")
    eq(key_records(key, outside.pid), [], "a task without contid: no event")

rc, out = ausearch("-i", "-ts", "recent", "-k", key)
eq(rc, 0, "ausearch -i -ts recent -k K finds the event")
ok(re.search(rf"type=CONTAINER_ID .*: record=1 contid={contid}\b", out) and
   re.search(r"type=SYSCALL .* key=" + re.escape(key) + r" record=1\b", out),
   "... showing CONTAINER_ID record=1 contid=N and SYSCALL ... record=1", out)
ok(f"pid={inside.pid} " in out and f"pid={elsewhere.pid} " not in out and
   f"pid={outside.pid} " not in out, "... of the labelled writer only", out)

rc, out = ausearch("-ts", "recent", "-m", "container_op")
ok(rc == 0 and re.search(rf"type=CONTAINER_OP .*op=set .*contid={contid} ", out),
   "ausearch -m container_op shows the set by name", out)

rc, out = ausearch("-i", "--contid", str(contid))
ok(rc == 0 and re.search(rf"type=CONTAINER_OP .*contid={contid} ", out) and
   re.search(rf"type=CONTAINER_ID .*contid={contid}\b", out) and
   f"contid={other} " not in out,
   "ausearch -i --contid N: the set and the write, not the other container", out)

rc, out = run("auditctl", "-d", *rule)
eq((rc, out), (0, ""), "auditctl -d with the example's text deletes the rule")
eq([r for r in rules() if f"key={key}" in r], [], "... it is gone from auditctl -l")

# --- the text auditctl -l prints deletes the rule -------------------------
for field in (f"contid!={contid}", "contid=unset", "contid=0x10", f"contid={2**64 - 2}"):
    k = f"rt-{PID}"
    rc, out = run("auditctl", "-a", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", field, "-F", f"key={k}")
    ok(rc == 0, f"add -F {field}", out)
    line = [r for r in rules() if f"key={k}" in r]
    shown = {"contid=0x10": "contid=16"}.get(field, field)
    ok(len(line) == 1 and f" -F {shown} " in line[0], f"-l shows -F {shown}", line)
    if line:
        rc, out = run("auditctl", *re.sub(r"^-a ", "-d ", line[0]).split())
        eq((rc, out), (0, ""), "-d with the listed text deletes it")
    eq([r for r in rules() if f"key={k}" in r], [], "... and it is gone")


# --- != and unset on the exit list ---------------------------------------
CALLER = "import os,sys\nsys.stdin.readline()\nos.getppid()\nprint('done', flush=True)\nsys.stdin.readline()\n"
for field, matches in ((f"contid!={contid}", ("other", "none")),
                       ("contid=unset", ("none",))):
    k = f"ne-{PID}-{field.split('=')[0][-1]}"
    auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", field, "-F", f"key={k}")
    cid = unique_value()
    with py_child(CALLER) as same, py_child(CALLER) as diff, py_child(CALLER) as none:
        set_contid(same.pid, contid if "!=" in field else cid)
        set_contid(diff.pid, unique_value())
        for c in (same, diff, none):
            go(c)
        log_barrier()
        got = tuple(name for name, c in (("same", same), ("other", diff), ("none", none))
                    if key_records(k, c.pid))
        if "!=" in field:
            eq(got, matches, f"-F {field}: tasks of other containers and of none, not of N")
        else:
            eq(got, matches, "-F contid=unset: only the task without contid")
    auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", field, "-F", f"key={k}")


# --- two live containers 32 apart ------------------------------------------
# The last C series hashed the task's own id into one of 32 buckets
# (id % 32) and compared the rule's value with every container there, so
# these two, in one bucket, each matched a rule for the other.
PROBER = "import os,sys\nwhile sys.stdin.readline():\n    os.getppid()\n    print('done', flush=True)\n"
lo = 2 * 10**18 + unique_value()
hi = lo + 32
with py_child(PROBER) as in_lo, py_child(PROBER) as in_hi, py_child(PROBER) as none:
    eq((set_contid(in_lo.pid, lo), set_contid(in_hi.pid, hi)), ("OK", "OK"),
       "label two tasks with contids 32 apart")
    for i, (field, shown, want, name) in enumerate((
            (f"contid={hi}", "contid=N+32", ("hi",),
             "contids N and N+32: -F contid=N+32 catches only N+32's task"),
            (f"contid!={lo}", "contid!=N", ("hi", "none"),
             "contids N and N+32: -F contid!=N catches N+32's task and the unlabelled one, not N's"))):
        k = f"bucket-{PID}-{i}"
        auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", field, "-F", f"key={k}")
        try:
            eq([go(c) for c in (in_lo, in_hi, none)], ["done"] * 3,
               f"-F {shown}: the three tasks call getppid()")
            log_barrier()
        finally:
            auditctl("-d", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", field, "-F", f"key={k}")
        got = tuple(who for who, c in (("lo", in_lo), ("hi", in_hi), ("none", none))
                    if key_records(k, c.pid))
        eq(got, want, name)


# --- user and exclude lists: user messages of a labelled sender -----------
SENDER = "import subprocess,sys\nsys.stdin.readline()\nsubprocess.run(['auditctl','-m',sys.argv[1]],check=True)\nprint('done', flush=True)\nsys.stdin.readline()\n"
for lst in (["user,never"], ["exclude,always", "-F", "msgtype=USER"]):
    name = lst[0].split(",")[0]
    cid = unique_value()
    auditctl("-a", *lst, "-F", f"contid={cid}")
    texts = {who: f"contid-{name}-{who}-{PID}" for who in ("inside", "outside")}
    with Child([sys.executable, "-c", SENDER, texts["inside"]], stdin=subprocess.PIPE,
               stdout=subprocess.PIPE, text=True) as inside, \
            Child([sys.executable, "-c", SENDER, texts["outside"]], stdin=subprocess.PIPE,
                  stdout=subprocess.PIPE, text=True) as outside:
        set_contid(inside.pid, cid)
        eq([go(inside), go(outside)], ["done", "done"], f"{name} list: two tasks send a user message")
        log_barrier()
        logged = {who: any(t in line for line in log_lines()) for who, t in texts.items()}
        eq(logged, {"inside": False, "outside": True},
           f"{name} list rule -F contid=N: the labelled sender's message is filtered")
    auditctl("-d", *lst, "-F", f"contid={cid}")


# --- rules auditctl refuses, with a message, and nothing changes ----------
auditctl("-a", "exit,always", "-F", "arch=b64", "-S", "getppid", "-F", f"key=keep-{PID}")
before = rules()
B64 = ["-a", "exit,always", "-F", "arch=b64", "-S", "getppid"]
OPS = "contid only takes = or != operators\n"
LISTS = "contid must be used with exclude, user, or exit filter\n"
NUMBER = "-F value should be number for contid\n"
refused = [
    (B64 + ["-F", "contid<5"], OPS),
    (B64 + ["-F", "contid>=5"], OPS),
    (B64 + ["-F", "contid&5"], OPS),
    (["-a", "task,always", "-F", "contid=5"], LISTS),
    (["-a", "filesystem,always", "-F", "contid=5"], LISTS),
    (B64 + ["-F", "contid=abc"], NUMBER),
    (B64 + ["-F", "contid=12x"], NUMBER),
    (B64 + ["-F", "contid=-2"], NUMBER),
    (B64 + ["-F", "contid="], "-F missing value after operation for contid\n"),
    (B64 + ["-F", "contid=18446744073709551616"], "value is too large for field: contid\n"),
]
for argv, message in refused:
    rc, out = run("auditctl", *argv)
    # audit 4.x adds a line of its own after the message
    out = out.replace("There was an error while processing parameters\n", "")
    eq((rc != 0, out), (True, message), f"auditctl {' '.join(argv[1:])}: refused")
eq(rules(), before, "after the refused rules auditctl -l is unchanged")
auditctl("-D")
done()
