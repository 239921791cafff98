// SPDX-License-Identifier: GPL-2.0

//! The process tree as the ladder sees it, and the task locks that keep it
//! still while a write is decided.

use core::mem::ManuallyDrop;
use kernel::{bindings, task::Task};

pub(crate) use kernel::audit::task::{TasklistReadGuard, UnreapedTask};

use crate::{
    contid::Contid,
    decisions::ladder::{TargetContid, TargetFacts},
};

/// Holds `task_lock(task)`: what is read of the task's slot through the
/// guard ([`TaskLockGuard::contid`]) keeps its hold while the guard lives.
///
/// # Invariants
///
/// The `task_lock` of `task` is held while the guard lives: taken by
/// [`TaskLockGuard::new`] and released when the guard is dropped, or held
/// by the C caller around [`TaskLockGuard::with_held_by_caller`], whose
/// guard is never dropped.
pub(crate) struct TaskLockGuard<'a> {
    task: &'a Task,
}

impl<'a> TaskLockGuard<'a> {
    /// Takes `task_lock(task)`.
    pub(crate) fn new(task: &'a Task) -> Self {
        // SAFETY: `task` is valid for `'a`, the guard's life.
        unsafe { bindings::task_lock(task.as_raw()) };
        // INVARIANT: locked above.
        Self { task }
    }

    /// Runs `f` with a guard of the `task_lock(task)` that the C caller
    /// took and releases itself: `f` only borrows the guard, which is
    /// never dropped, so nothing is unlocked here.
    ///
    /// # Safety
    ///
    /// The caller must hold `task_lock(task)` for the call.
    pub(crate) unsafe fn with_held_by_caller<R>(
        task: &'a Task,
        f: impl FnOnce(&TaskLockGuard<'a>) -> R,
    ) -> R {
        // INVARIANT: the caller holds the lock for the call, which the
        // guard does not outlive.
        let guard = ManuallyDrop::new(Self { task });
        f(&guard)
    }

    /// The locked task.
    pub(crate) fn task(&self) -> &'a Task {
        self.task
    }
}

impl Drop for TaskLockGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `new` on a task that is still valid (the
        // guards of `with_held_by_caller` are never dropped).
        unsafe { bindings::task_unlock(self.task.as_raw()) };
    }
}

/// What the ladder needs to know about `target`, written by `writer`,
/// whose slot holds `contid`, in state `state`.
pub(crate) fn target_facts(
    tree: &TasklistReadGuard,
    target: UnreapedTask<'_>,
    writer: UnreapedTask<'_>,
    contid: Option<&Contid>,
    state: TargetContid,
) -> TargetFacts {
    // The owner of the target's contid, unless it has exited: an exited
    // owner is nobody's ancestor (its children were reparented), and its
    // leader may be gone.
    let owner = contid.and_then(|contid| tree.unreaped(contid.owner()));
    TargetFacts {
        has_children: target.has_children(),
        single_threaded_leader: target.is_single_threaded_leader(),
        is_writer: target.task().tgid_nr() == writer.task().tgid_nr(),
        descends_from_writer: target.descends_from(writer),
        contid: state,
        writer_owns_contid: contid.is_some_and(|contid| contid.is_owned_by(writer.task())),
        contid_owner_is_writer_ancestor: owner.is_some_and(|owner| writer.descends_from(owner)),
    }
}
