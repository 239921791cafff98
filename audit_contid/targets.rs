// SPDX-License-Identifier: GPL-2.0

//! The contids of the targets of a syscall (signal recipients, a ptrace
//! tracee), captured when the syscall acts on them and named in its event
//! (patch "audit: name the containers of signal and ptrace targets").
//!
//! The audit context keeps one handle per target: a [`Hold`] turned into
//! a raw pointer, so the container is not dropped (and its drop record
//! not logged) before the event's records that name it. The handles are
//! released when the context is reset, at the end of the event.

use kernel::task::Task;

use crate::{contid::Hold, task_tree::TaskLockGuard};

/// A hold on the contid of `task`, a signal or ptrace target, if it has one
/// that a record may name yet. Runs in atomic context (the signal path
/// holds `tasklist_lock` or RCU): it only takes `task_lock(task)`.
pub(crate) fn hold(task: &Task) -> Option<Hold> {
    let task = TaskLockGuard::new(task);
    // The slot's hold stays while `task` is locked, as we take another.
    match task.contid() {
        Some(contid) if contid.is_announced() => Some(Hold::another(contid)),
        _ => None,
    }
}
