// SPDX-License-Identifier: GPL-2.0

//! What the audit container identifier subsystem reads of a task: its
//! slot, whether it is exiting, and its place in the process tree while
//! `tasklist_lock` keeps that still.
//!
//! Task fields are read through the C helpers of
//! `include/linux/audit_contid.h`, not through bindgen's layout of
//! `task_struct`, which need not match the C compiler's.
//!
//! C header: [`include/linux/audit_contid.h`](srctree/include/linux/audit_contid.h)

use crate::{bindings, task::Task};
use core::{marker::PhantomData, sync::atomic::AtomicPtr};

impl Task {
    /// The `task_struct` for C functions that take one.
    pub fn as_raw(&self) -> *mut bindings::task_struct {
        self.0.get()
    }

    /// The task behind `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid task that stays valid for `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::task_struct) -> &'a Task {
        // SAFETY: `Task` is a transparent wrapper of `task_struct`, and the
        // task is valid for `'a` by the caller's guarantee.
        unsafe { &*ptr.cast::<Task>() }
    }

    /// Whether the task has started to exit (`PF_EXITING`). Once it has,
    /// it may be reaped, and its place in the process tree is not to be
    /// followed.
    pub fn is_exiting(&self) -> bool {
        // SAFETY: the task is valid (type invariant).
        unsafe { bindings::audit_contid_task_exiting(self.as_raw()) }
    }

    /// The thread-group id, in the initial pid namespace.
    pub fn tgid_nr(&self) -> i32 {
        // SAFETY: the task is valid (type invariant).
        unsafe { bindings::task_tgid_nr(self.as_raw()) }
    }

    /// The task's `audit_contid` slot. Accessed atomically (READ_ONCE on
    /// the C side); what orders the accesses is the subsystem's rule
    /// (`task_lock()`, RCU, or fork under `tasklist_lock`).
    pub fn audit_contid_slot(&self) -> &AtomicPtr<bindings::audit_contid> {
        // SAFETY: the task is valid (type invariant), so its slot is an
        // aligned pointer that lives as long as the borrow of the task.
        unsafe { AtomicPtr::from_ptr(bindings::audit_contid_slot(self.as_raw())) }
    }
}

/// Holds `read_lock(&tasklist_lock)`: the process tree cannot change, and
/// no task is reaped.
pub struct TasklistReadGuard {
    /// Released on the CPU that took it.
    _not_send: PhantomData<*mut ()>,
}

impl TasklistReadGuard {
    /// Takes the lock.
    pub fn lock() -> Self {
        // SAFETY: `tasklist_lock` is a global, initialised lock.
        unsafe { bindings::read_lock(&raw mut bindings::tasklist_lock) };
        Self {
            _not_send: PhantomData,
        }
    }

    /// `task`, if it has not started to exit: then it is not reaped while
    /// the guard is held, and neither are its leader and its ancestors.
    pub fn unreaped<'g>(&'g self, task: &'g Task) -> Option<UnreapedTask<'g>> {
        // INVARIANT: reaping takes `tasklist_lock` for writing, so a task
        // not exiting now is not reaped while the guard is held.
        (!task.is_exiting()).then_some(UnreapedTask {
            task,
            _tree: PhantomData,
        })
    }
}

impl Drop for TasklistReadGuard {
    fn drop(&mut self) {
        // SAFETY: taken in `lock`.
        unsafe { bindings::read_unlock(&raw mut bindings::tasklist_lock) };
    }
}

/// A task in the process tree that `tasklist_lock` keeps still for `'g`.
///
/// # Invariants
///
/// The task is not reaped while the [`TasklistReadGuard`] that made it,
/// borrowed for `'g`, is held: so its `real_parent` and `group_leader`
/// point to tasks that are not reaped either (an exiting task's children
/// are reparented, and a leader reaped after its threads, both under the
/// lock taken for writing).
#[derive(Clone, Copy)]
pub struct UnreapedTask<'g> {
    task: &'g Task,
    _tree: PhantomData<&'g TasklistReadGuard>,
}

impl<'g> UnreapedTask<'g> {
    /// The task.
    pub fn task(self) -> &'g Task {
        self.task
    }

    /// The leader of the task's thread group.
    pub fn group_leader(self) -> UnreapedTask<'g> {
        // SAFETY: the task is valid, and its leader is not reaped while it
        // is not (type invariant), so valid for `'g`.
        let leader =
            unsafe { Task::from_raw(bindings::audit_contid_group_leader(self.task.as_raw())) };
        // INVARIANT: see above.
        UnreapedTask {
            task: leader,
            _tree: PhantomData,
        }
    }

    /// The process that forked the task, or adopted it.
    pub fn real_parent(self) -> UnreapedTask<'g> {
        // SAFETY: the task is not reaped and `tasklist_lock` is held (type
        // invariant), so its parent is valid and not reaped for `'g`.
        let parent =
            unsafe { Task::from_raw(bindings::audit_contid_real_parent(self.task.as_raw())) };
        // INVARIANT: see above.
        UnreapedTask {
            task: parent,
            _tree: PhantomData,
        }
    }

    /// Whether the task has children.
    pub fn has_children(self) -> bool {
        // SAFETY: the task is valid, and its list of children is stable
        // under `tasklist_lock` (type invariant).
        unsafe { bindings::audit_contid_task_has_children(self.task.as_raw()) }
    }

    /// Whether the task leads its thread group and is its only thread.
    pub fn is_single_threaded_leader(self) -> bool {
        let task = self.task.as_raw();
        // SAFETY: the task is valid, and its thread group does not change
        // under `tasklist_lock` (type invariant).
        unsafe { bindings::thread_group_leader(task) && bindings::get_nr_threads(task) == 1 }
    }

    /// Whether `ancestor`'s process is a strict ancestor of the task's:
    /// the walk by `real_parent` from the task's leader, comparing
    /// thread-group leaders, up to the idle task (pid 0).
    pub fn descends_from(self, ancestor: UnreapedTask<'g>) -> bool {
        let ancestor = ancestor.group_leader().task.as_raw();
        let mut walker = self.group_leader().real_parent();
        // SAFETY: `walker` is valid (type invariant).
        while unsafe { bindings::task_pid_nr(walker.task.as_raw()) } > 0 {
            walker = walker.group_leader();
            if walker.task.as_raw() == ancestor {
                return true;
            }
            walker = walker.real_parent();
        }
        false
    }
}
