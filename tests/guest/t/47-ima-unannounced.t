#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
# IMA's audit action and a container whose op=set record is not logged
# yet (issue 25, item 10).  A writer labels its target first and logs
# the op=set record afterwards; until that record is out the contid is
# not announced and no record names it.  If the target (here a shell,
# whose children are in its container) runs a file under an "audit"
# rule in that window, its INTEGRITY_RULE record goes out with no
# CONTAINER_ID, so the container must not remember the file: once
# announced, it logs the file again, now with its CONTAINER_ID record.
# audit_contid_note_file_audited() used to remember it anyway, and the
# container never logged that file.
#
# Hitting the window.  A full backlog (auditd stopped, a small
# backlog_limit, a long backlog_wait_time, unprivileged writers stuck
# logging, as in 85-backlog.t) stops the writer in audit_log_start()
# before its op=set record.  The target's INTEGRITY_RULE record would
# wait as well (GFP_KERNEL, in the execve syscall, neither auditd nor
# the holder of audit_cmd_mutex), queued behind the writer on the same
# exclusive wait queue, which kauditd wakes one logger at a time; one
# that times out gets no buffer, and IMA then notes nothing.  Left
# alone, the writer, queued first, nearly always announces first.  But
# a sleeping logger checks the limit again only when it is woken (by
# kauditd, once it is at the head of the queue, or by its own
# timeout), and raising backlog_limit wakes nobody.  So, with the
# writer asleep behind the stuck writers (killed, so they stop
# logging; asleep uninterruptibly, they stay queued ahead of it), the
# limit goes back to the boot value and the target runs the file: its
# records go straight to the kernel's queues (auditd is still stopped)
# while the writer sleeps on.
#
# Knowing it was hit.  Another writer's attempt on the target is EBUSY
# while the contid is not announced and EEXIST once it is (README,
# "The rules", step 6); with the limit back it no longer waits.  EBUSY
# after the target has run the file means it ran it wholly before the
# announcement, which is never undone.  A try that misses (the writer
# found a free slot, or kauditd woke it first, as 85-backlog.t sees at
# times) is made again with a new container.
import os
import select
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from contid import *  # noqa: E402,F403
from backlog import get_stuck, status, stuck  # noqa: E402
from backlog import writers as backlog_writers  # noqa: E402

POLICY = "/sys/kernel/security/ima/policy"
# The rule only covers files of this owner (47-ima.t's cover 4242 and
# 4243), so that other tests' programs are not audited.
OWNER = 4244
WAIT_S = 15  # backlog_wait_time while the writer is held, in seconds
PROMPT_S = 3.0  # slack, for TCG's slowness
WRITERS = 20
ATTEMPTS = 3

if not os.path.exists(POLICY):
    subprocess.run(["mount", "-t", "securityfs", "none",
                    "/sys/kernel/security"], check=False)
work = tempfile.mkdtemp(prefix="contid-ima-unannounced-")
subprocess.run(["mount", "-t", "tmpfs", "none", work], check=True)
prog = os.path.join(work, "prog")
shutil.copy("/bin/true", prog)
os.chown(prog, OWNER, OWNER)

rule = f"audit func=BPRM_CHECK mask=MAY_EXEC fowner={OWNER}"
with open(POLICY, "w") as f:
    f.write(rule + "\n")
with open(POLICY) as f:
    ok(f"fowner={OWNER}" in f.read(), "the audit rule is in the policy")


def in_thread(fn):
    """Runs fn in a thread; returns a dict that gets the thread's tid, and
    fn's result and time."""
    out, started = {}, threading.Event()

    def run():
        out["tid"] = threading.get_native_id()
        started.set()
        start = time.monotonic()
        out["result"] = fn()
        out["seconds"] = time.monotonic() - start

    out["thread"] = threading.Thread(target=run)
    out["thread"].start()
    started.wait()
    return out


def signal_all(children):
    """SIGKILL without waiting: a child asleep in audit_log_start() dies
    only once woken."""
    for child in children:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Shell:
    """A task that runs commands on request, each in a child it forks,
    as a container's processes would (47-ima.t's); each answer is awaited
    for a bounded time."""

    def __init__(self):
        self.child = Child(["bash", "-c",
                            'while read c; do $c; echo "done $?"; done'],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
        self.pid = self.child.pid

    def run(self, command, seconds=POLL_SECONDS):
        self.child.proc.stdin.write(command + "\n")
        self.child.proc.stdin.flush()
        if not select.select([self.child.proc.stdout], [], [], seconds)[0]:
            raise TimeoutError(f"timed out after {seconds}s waiting for {command!r}")
        return self.child.proc.stdout.readline().strip()

    def exit(self):
        self.child.proc.stdin.close()
        self.child.proc.wait()


def its_rules(shell):
    """The INTEGRITY_RULE records of prog run by children of `shell`."""
    return records("INTEGRITY_RULE",
                   re.escape(f'file="{prog}"') + rf" .* ppid={shell.pid} ")


def syscall_of(line):
    """The SYSCALL record of `line`'s event, once it is in the log."""
    got = [r for r in event(serial(line)) if re.search(r"type=SYSCALL ", r)]
    return got[0] if got else None


saved = status()
default_wait = saved["backlog_wait_time"]
ok(default_wait % 60 == 0, f"backlog_wait_time is the default 60*HZ ({default_wait})")
hz = default_wait // 60
auditd = saved["pid"]
ok(auditd > 0, f"auditd runs (pid {auditd})")


def attempt():
    """One try at the window: a new container (`shell`, labelled `v` by a
    thread of this process, the `setter`) runs prog while the setter is
    held before its op=set record.  Returns shell, v, setter and what the
    probes found; auditd runs again and the setter has returned."""
    shell = Shell()
    if shell.run("true") != "done 0":
        raise RuntimeError("the shell does not answer")
    v = unique_value()
    log_barrier()
    auditctl("-b", "4", "--backlog_wait_time", str(WAIT_S * hz))
    # Ended by signal_all(), not by time: timed at WAIT_S + 4 seconds,
    # the first of them ended before the last were stuck on a loaded
    # KASAN guest, and get_stuck() timed out.
    writers = backlog_writers(unique_value(), 600, WRITERS)
    setter, window = None, {}
    try:
        os.kill(auditd, signal.SIGSTOP)
        get_stuck(writers)
        # The setter labels the shell and gets stuck logging its op=set,
        # behind the writers.
        setter = in_thread(lambda: set_contid(shell.pid, v))
        wait_until(lambda: get_contid(shell.pid) == str(v), "the label")
        wait_until(lambda: stuck(setter["tid"]) or "seconds" in setter,
                   "the setter to be stuck logging its op=set, or done")
        # Nothing logs any more but what follows; the limit is back, so
        # new loggers pass, while the setter sleeps on.
        signal_all(writers)
        auditctl("-b", str(saved["backlog_limit"]))
        window["before"] = set_contid(shell.pid, unique_value())
        if window["before"] == "EBUSY":
            window["ran"] = shell.run(prog, WAIT_S)
            window["after"] = set_contid(shell.pid, unique_value())
    except BaseException:
        # All of them: one left running would hold prove's pipe (stderr).
        signal_all([*writers, shell.child])
        raise
    finally:
        os.kill(auditd, signal.SIGCONT)
        auditctl("-b", str(saved["backlog_limit"]), "--backlog_wait_time", str(default_wait))
    # Each waits at most WAIT_S for the backlog, then dies or returns.
    for w in writers:
        w.proc.wait(timeout=WAIT_S + PROMPT_S)
    setter["thread"].join(WAIT_S + PROMPT_S)
    if setter["thread"].is_alive():
        raise TimeoutError("the setter's write did not return")
    return shell, v, setter, window


for tries in range(1, ATTEMPTS + 1):
    shell, v, setter, window = attempt()
    if window.get("after") == "EBUSY":
        break
    print(f"# try {tries} missed the window: the other writer got {window}", flush=True)
    shell.exit()
hit = window.get("after") == "EBUSY"
ok(hit, f"a task of a container ran the file while the container's op=set was held by "
        f"the backlog (other writers: EBUSY before and after; try {tries} of {ATTEMPTS})",
   window)
if not hit:
    subprocess.run(["umount", work], check=False)
    done()
eq(window["ran"], "done 0", "... and the file ran")
eq(setter["result"], "OK", "once auditd resumes, the set succeeds")
try:
    wait_record("CONTAINER_OP", rf"op=set opid={shell.pid} contid={v} old-contid=-1 res=1$")
    ok(True, "... and its op=set record is logged")
except TimeoutError as e:
    ok(False, "... and its op=set record is logged", e)

# The run in the window: logged, in an event that names no container.
try:
    first = wait_until(lambda: its_rules(shell), "the window's INTEGRITY_RULE record")[0]
except TimeoutError as e:
    first = None
    ok(False, "the run in the window logged INTEGRITY_RULE", e)
if first is not None:
    ok(True, "the run in the window logged INTEGRITY_RULE")
    try:
        first_syscall = wait_until(lambda: syscall_of(first), "its event's SYSCALL record")
    except TimeoutError:
        first_syscall = None
    log_barrier()
    eq(event_contids(first), [], "... in an event with no CONTAINER_ID (not announced)")
    ok(first_syscall is not None and " record=" not in first_syscall,
       "... whose SYSCALL record has no record=", first_syscall)

# Announced now: the container has not audited the file yet (its record
# named no container), so a task of it logs the file again, with its
# CONTAINER_ID.  The old code had noted it in the window: nothing here.
log_barrier()
before = its_rules(shell)
eq(shell.run(prog), "done 0", "once announced, a task of the container runs the file again")


def announced_rule():
    return [line for line in its_rules(shell)[len(before):]
            if event_contids(line) == [str(v)]]


try:
    again = wait_until(announced_rule, f"INTEGRITY_RULE naming {v}")[0]
except TimeoutError:
    again = None
new = its_rules(shell)[len(before):]
ok(again is not None,
   "... and logs INTEGRITY_RULE again, in an event whose CONTAINER_ID names the container",
   f"new records: {[(line, event_contids(line)) for line in new]}")
if again is not None:
    try:
        tied = wait_until(lambda: (syscall_of(again) or "").endswith(" record=1"),
                          "its SYSCALL record with record=1")
    except TimeoutError:
        tied = False
    ok(tied, "... tied to it by record=1 on the execve's SYSCALL record", syscall_of(again))
    log_barrier()
    eq(len(its_rules(shell)[len(before):]), 1, "... one INTEGRITY_RULE record for the run")

# Now the container remembers the file.
log_barrier()
before = its_rules(shell)
shell.run(prog)
log_barrier()
eq(its_rules(shell)[len(before):], [], "a repeat in the container logs nothing")

shell.exit()
subprocess.run(["umount", work], check=False)
done()
