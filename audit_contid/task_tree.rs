// SPDX-License-Identifier: GPL-2.0

//! The process tree as the ladder sees it, and the task locks that keep it
//! still while a write is decided.

use core::marker::PhantomData;
use kernel::bindings;

use crate::decisions::ladder::{TargetContid, TargetFacts};

/// Holds `read_lock(&tasklist_lock)`: the process tree cannot change.
pub(crate) struct TasklistReadLock {
    /// Released on the CPU that took it.
    _not_send: PhantomData<*mut ()>,
}

impl TasklistReadLock {
    pub(crate) fn new() -> Self {
        // SAFETY: `tasklist_lock` is a global, initialised lock.
        unsafe { bindings::read_lock(&raw mut bindings::tasklist_lock) };
        Self {
            _not_send: PhantomData,
        }
    }
}

impl Drop for TasklistReadLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { bindings::read_unlock(&raw mut bindings::tasklist_lock) };
    }
}

/// Holds `task_lock(task)`.
pub(crate) struct TaskLock(*mut bindings::task_struct);

impl TaskLock {
    /// # Safety
    ///
    /// `task` must point to a task that outlives the guard.
    pub(crate) unsafe fn new(task: *mut bindings::task_struct) -> Self {
        // SAFETY: `task` is valid by the caller's guarantee.
        unsafe { bindings::task_lock(task) };
        Self(task)
    }
}

impl Drop for TaskLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new` on a task that is still valid.
        unsafe { bindings::task_unlock(self.0) };
    }
}

/// What the ladder needs to know about `target`, written by `writer`,
/// whose slot holds a contid in state `contid`.
///
/// # Safety
///
/// `target` and `writer` must be valid, and `tasklist_lock` held.
pub(crate) unsafe fn target_facts(
    target: *mut bindings::task_struct,
    writer: *mut bindings::task_struct,
    contid: TargetContid,
) -> TargetFacts {
    // SAFETY: both tasks are valid and the process tree is stable under
    // `tasklist_lock`, so the parent and leader pointers stay valid.
    unsafe {
        let has_children = bindings::audit_contid_task_has_children(target);
        let single_threaded_leader =
            bindings::thread_group_leader(target) && bindings::get_nr_threads(target) == 1;
        let is_writer = bindings::task_tgid_nr(target) == bindings::task_tgid_nr(writer);
        // Strict descendant: walk the target's ancestors by real_parent,
        // comparing thread-group leaders, up to the idle task (pid 0).
        let writer_leader = bindings::audit_contid_group_leader(writer);
        let mut walker =
            bindings::audit_contid_real_parent(bindings::audit_contid_group_leader(target));
        let mut descends_from_writer = false;
        while bindings::task_pid_nr(walker) > 0 {
            walker = bindings::audit_contid_group_leader(walker);
            if walker == writer_leader {
                descends_from_writer = true;
                break;
            }
            walker = bindings::audit_contid_real_parent(walker);
        }
        TargetFacts {
            has_children,
            single_threaded_leader,
            is_writer,
            descends_from_writer,
            contid,
        }
    }
}
