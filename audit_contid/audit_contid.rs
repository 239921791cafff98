// SPDX-License-Identifier: GPL-2.0

//! Audit container identifiers (contids).
//!
//! A container engine labels the first task of a container by writing a
//! number to `/proc/PID/audit_containerid`; every task that task creates
//! inherits it, and the audit subsystem reports it in CONTAINER_OP (1020)
//! and CONTAINER_ID (1340) records.
//!
//! # Where things live
//!
//! Each entry says, after "uses", which of the crate's modules it calls.
//! They form no cycle but that of the object, its registry and its
//! records (`contid`, `registry`, `log`).
//!
//! - [`exports`]: the C boundary, every entry point of
//!   `include/linux/audit_contid.h`; raw pointers become safe types there
//!   and nowhere else. Uses the modules below that C reaches.
//! - [`decisions`]: what a write means, whether it is allowed, the text of
//!   the records and what a rule matches, in `core`-only code that the host
//!   tests compile too. Uses nothing.
//! - [`contid`]: the contid object, its nesting chain, the holds that
//!   decide when it is dropped, and the files its tasks audited. Uses
//!   `registry`, `log`, `ima`, `stats`.
//! - [`registry`]: the live ids and their objects, reached only through
//!   its lock's guard (`RegistryGuard`), which the contid fields that the
//!   lock orders also ask for. Uses `contid`.
//! - [`log`]: the records. Uses `contid`.
//! - [`task_slot`]: `task_struct->audit_contid`: inherit at fork, leave at
//!   exit, install by a set (replacing a nested one) and take back from a
//!   task found exiting. Uses `contid`, `netns`, `task_tree`.
//! - [`task_tree`]: the process tree as the ladder sees it, and the task
//!   locks; the task accessors it builds on (`Task::is_exiting`, the slot,
//!   `TasklistReadGuard` and `UnreapedTask`, the walk up the tree) are in
//!   the kernel crate, `rust/kernel/audit/task.rs`. Uses `contid`.
//! - [`error`]: the kernel side's errors, typed until the C boundary. Uses
//!   `decisions`.
//! - [`opener`]: who opened a `/proc` file, what that lets it do, and the
//!   `read()` and `write()` every file of the subsystem shares. Uses
//!   `decisions`.
//! - [`proc`]: `/proc/PID/audit_containerid`, read and write (the set
//!   path). Uses `contid`, `registry`, `task_slot`, `task_tree`, `netns`,
//!   `log`, `error`.
//! - [`capcontid`]: `/proc/PID/audit_capcontainerid`, the delegated
//!   permission. Uses `task_tree`, `log`.
//! - [`targets`]: the contids of signal and ptrace targets, held for the
//!   records at the end of the event. Uses `contid`, `task_tree`.
//! - [`reservation`]: a container's id kept after it has gone, for auditd
//!   (the task that signalled it) and for the device mappings it made.
//!   Uses `contid`, `registry`.
//! - [`netns`]: which containers have tasks in each network namespace,
//!   and its list as the records of packets spell it. Uses `contid`,
//!   `task_tree`, `stats`.
//! - [`ima`]: the set of files a container has audited, for IMA's `audit`
//!   action. Uses nothing.
//! - [`rule`]: the audit rule field `contid`. Uses `contid`.
//! - [`stats`] and `synthetic` (`CONFIG_AUDIT_CONTID_BENCH`): counts of
//!   live objects for the stress tests (uses nothing), and live ids
//!   without tasks for timing a set with a million live ids, `make bench`
//!   (uses `contid`, `registry`, `netns`; its own entry points, as the
//!   KUnit hooks have).
//!
//! C sees only opaque handles and the entry points declared in
//! `include/linux/audit_contid.h`; the call sites are the patch series in
//! `scripts/patches/`. Nothing here has an initcall (but the benchmark
//! knob, which makes its /proc file): the registry is
//! static, so the subsystem works from the first task on.
//!
//! # Locking
//!
//! - `task_struct->audit_contid` (a task's slot): see
//!   `include/linux/audit_contid.h`. In short: changed under `task_lock()`
//!   by a setter and by the task at exit, filled in a child under
//!   `tasklist_lock` at fork, read by the task itself under RCU and by
//!   others under `task_lock()`. What a setter takes out of a live task's
//!   slot is released after a grace period.
//! - `task_struct->audit_capcontid`: written under `task_lock()`, read
//!   with `READ_ONCE()`; cleared at fork.
//! - The registry's tree: under the registry lock, a mutex defined in
//!   `registry_lock.c`, held by a `RegistryGuard`.
//! - [`Contid`](contid::Contid)'s fields: `id`, `owner` and `parent` are
//!   fixed at creation (`parent` counts as a hold on the parent, released
//!   iteratively when the contid is dropped); `holds` is atomic and drops
//!   from 1 to 0 only with the registry locked (`release_last_hold` takes
//!   its guard); `announced` is atomic and
//!   set once; `reservations` is atomic and rises only under a
//!   hold; `retire_deferred` changes with the registry locked;
//!   `audited_files` is under its own spinlock, a leaf lock taken in
//!   IMA's exec and open checks (under the file's `iint->mutex`) and when
//!   the contid is dropped.
//! - `audit_sig_contid` (kernel/audit.c), the reservation for auditd:
//!   swapped with `xchg()`, so each reservation is given back once.
//! - `mapped_device->audit_maker` (drivers/md), a mapping's reservation:
//!   set once with `cmpxchg()` by a target's constructor, read with
//!   `READ_ONCE()` by its events, given back when the device is freed.
//! - `ima_iint_cache->contid_key` (security/integrity/ima): under the
//!   file's `iint->mutex`.
//! - Order: the registry lock, then `tasklist_lock` (read), then the
//!   target's `task_lock`. The set path takes all three only to recheck its
//!   facts and label the target; refusals that need no registry never take
//!   its lock.
//! - No record is logged, and nothing waits on auditd, with any of them
//!   held: `audit_log_start()` may sleep for up to `backlog_wait_time`.
//!   Records are logged after the locks are released, and their order
//!   comes from holds and announcement instead (see [`contid`] and
//!   [`proc`]): a contid's `op=set` record comes before any other record
//!   that names it, and its `op=drop` record after them all and before
//!   its id can be set again.

mod capcontid;
mod contid;
mod decisions;
mod error;
mod exports;
mod ima;
mod log;
mod netns;
mod opener;
mod proc;
mod registry;
mod reservation;
mod rule;
mod targets;
mod task_slot;
mod task_tree;

#[cfg(CONFIG_AUDIT_CONTID_KUNIT_TEST)]
mod kunit_hooks;
mod stats;
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
mod synthetic;

/// The prefix of the subsystem's kernel messages (`pr_warn!`).
const __LOG_PREFIX: &[u8] = b"audit_contid\0";
