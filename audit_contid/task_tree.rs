// SPDX-License-Identifier: GPL-2.0

//! The process tree as the ladder sees it, and the task locks that keep it
//! still while a write is decided.

use core::marker::PhantomData;
use kernel::bindings;

use crate::{
    contid::Contid,
    decisions::ladder::{TargetContid, TargetFacts},
};

/// Holds `read_lock(&tasklist_lock)`: the process tree cannot change.
pub(crate) struct TasklistReadGuard {
    /// Released on the CPU that took it.
    _not_send: PhantomData<*mut ()>,
}

impl TasklistReadGuard {
    /// Takes the lock.
    pub(crate) fn new() -> Self {
        // SAFETY: `tasklist_lock` is a global, initialised lock.
        unsafe { bindings::read_lock(&raw mut bindings::tasklist_lock) };
        Self {
            _not_send: PhantomData,
        }
    }
}

impl Drop for TasklistReadGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { bindings::read_unlock(&raw mut bindings::tasklist_lock) };
    }
}

/// Holds `task_lock(task)`: what is read of the task's slot through the
/// guard ([`TaskLockGuard::contid`]) keeps its hold while the guard lives.
///
/// # Invariants
///
/// `task` is valid for the guard's life, and its `task_lock` is held by
/// this guard.
pub(crate) struct TaskLockGuard {
    task: *mut bindings::task_struct,
}

impl TaskLockGuard {
    /// Takes `task_lock(task)`.
    ///
    /// # Safety
    ///
    /// `task` must point to a task that outlives the guard.
    pub(crate) unsafe fn new(task: *mut bindings::task_struct) -> Self {
        // SAFETY: `task` is valid by the caller's guarantee.
        unsafe { bindings::task_lock(task) };
        // INVARIANT: valid by the caller's guarantee, and locked above.
        Self { task }
    }

    /// The locked task.
    pub(crate) fn task(&self) -> *mut bindings::task_struct {
        self.task
    }
}

impl Drop for TaskLockGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `new` on a task that is still valid.
        unsafe { bindings::task_unlock(self.task) };
    }
}

/// Whether the process of `ancestor` is a strict ancestor of the process
/// of `task`: the walk by `real_parent` from `task`'s leader, comparing
/// thread-group leaders, up to the idle task (pid 0).
///
/// # Safety
///
/// Both tasks must be valid and alive (not reaped: checked with
/// `PF_EXITING` under the lock, as a reaped task's parent may be freed),
/// and `tasklist_lock` held.
pub(crate) unsafe fn is_strict_ancestor(
    ancestor: *mut bindings::task_struct,
    task: *mut bindings::task_struct,
) -> bool {
    // SAFETY: both tasks are valid and the process tree is stable under
    // `tasklist_lock`, so the parent and leader pointers stay valid.
    unsafe {
        let ancestor = bindings::audit_contid_group_leader(ancestor);
        let mut walker =
            bindings::audit_contid_real_parent(bindings::audit_contid_group_leader(task));
        while bindings::task_pid_nr(walker) > 0 {
            walker = bindings::audit_contid_group_leader(walker);
            if walker == ancestor {
                return true;
            }
            walker = bindings::audit_contid_real_parent(walker);
        }
        false
    }
}

/// What the ladder needs to know about `target`, written by `writer`,
/// whose slot holds `contid`, in state `state`.
///
/// # Safety
///
/// `target` and `writer` must be valid and not exiting (so not reaped,
/// with their ancestors alive), and `tasklist_lock` held.
pub(crate) unsafe fn target_facts(
    target: *mut bindings::task_struct,
    writer: *mut bindings::task_struct,
    contid: Option<&Contid>,
    state: TargetContid,
) -> TargetFacts {
    // The owner of the target's contid, unless it has exited: an exited
    // owner is nobody's ancestor (its children were reparented), and its
    // leader may be gone.
    let owner = contid
        .map(Contid::owner_ptr)
        // SAFETY: the contid holds a reference on its owner.
        .filter(|&owner| !unsafe { bindings::audit_contid_task_exiting(owner) });
    // SAFETY: both tasks are valid, and so is a live owner's leader;
    // `tasklist_lock` is held.
    unsafe {
        TargetFacts {
            has_children: bindings::audit_contid_task_has_children(target),
            single_threaded_leader: bindings::thread_group_leader(target)
                && bindings::get_nr_threads(target) == 1,
            is_writer: bindings::task_tgid_nr(target) == bindings::task_tgid_nr(writer),
            descends_from_writer: is_strict_ancestor(writer, target),
            contid: state,
            writer_owns_contid: contid.is_some_and(|contid| contid.is_owned_by(writer)),
            contid_owner_is_writer_ancestor: owner
                .is_some_and(|owner| is_strict_ancestor(owner, writer)),
        }
    }
}
