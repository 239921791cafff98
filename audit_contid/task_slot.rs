// SPDX-License-Identifier: GPL-2.0

//! `task_struct->audit_contid`: the slot through which a task is in its
//! container. It owns one [`Hold`] on the contid while the task lives.
//!
//! Filled by fork ([`audit_contid_inherit`]) or by a set ([`install`]),
//! emptied by the task at exit ([`audit_contid_exit`]), or taken back by a
//! set that finds its target exiting. The locking rules are those of
//! `include/linux/audit_contid.h`.

use core::{
    ptr,
    sync::atomic::{fence, AtomicPtr, Ordering},
};
use kernel::{bindings, sync::ArcBorrow};

use crate::{
    contid::{Contid, Hold},
    task_tree::TaskLock,
};

/// The `audit_contid` slot of `task`, for atomic access.
///
/// # Safety
///
/// `task` must point to a valid task.
pub(crate) unsafe fn task_slot<'a>(
    task: *mut bindings::task_struct,
) -> &'a AtomicPtr<bindings::audit_contid> {
    // SAFETY: `task` is valid, so its slot is an aligned pointer that lives
    // as long as the task. Accesses are atomic (READ_ONCE on the C side),
    // ordered by `task_lock()`, or happen before the task is visible (the
    // copy in dup_task_struct(), overwritten by audit_contid_fork()).
    unsafe { AtomicPtr::from_ptr(bindings::audit_contid_slot(task)) }
}

/// The contid a task's slot refers to.
///
/// # Safety
///
/// `slot` must be null or a value of a task's slot that keeps its hold for
/// `'a`: read under the task's `task_lock` held for `'a`, or by the task
/// itself, or as `audit_contid.h` allows the rule filters.
pub(crate) unsafe fn slot_contid<'a>(
    slot: *mut bindings::audit_contid,
) -> Option<ArcBorrow<'a, Contid>> {
    if slot.is_null() {
        return None;
    }
    // SAFETY: a non-null slot holds a reference made by `Hold::into_raw`
    // (`Arc::into_raw`), alive for `'a` by the function's requirements.
    Some(unsafe { ArcBorrow::from_raw(slot.cast::<Contid>()) })
}

/// A hold taken back from the slot of a task that started exiting during a
/// set: the task leaves the container, as its exit would have made it.
///
/// The task may have read the slot meanwhile: the rule filters read it
/// under RCU without a lock (`audit_contid.h`), so the hold is released
/// only after a grace period. Dropped with no lock held; it is rare (a set
/// racing with the target's exit).
pub(crate) struct TakenBack {
    hold: Option<Hold>,
    tgid: i32,
}

impl Drop for TakenBack {
    fn drop(&mut self) {
        if let Some(hold) = self.hold.take() {
            // SAFETY: no preconditions. It sleeps: by the type's rule no
            // spinlock is held.
            unsafe { bindings::synchronize_rcu() };
            hold.leave(self.tgid);
        }
    }
}

/// Stores `hold` in the slot of `target`.
///
/// If `target` turns out to be exiting, takes it back and returns it as
/// [`TakenBack`]: the exiting task may already have passed its exit hook,
/// which would never release it. Pairs with do_exit(): it sets
/// `PF_EXITING` before a full barrier and then reads the slot, so either
/// the exiting task sees the new slot or we see `PF_EXITING`.
///
/// # Safety
///
/// `target` must be valid, `task_lock(target)` held and its slot null (a
/// set value is never replaced; a hold in it would leak).
pub(crate) unsafe fn install(target: *mut bindings::task_struct, hold: Hold) -> Option<TakenBack> {
    // SAFETY: `target` is valid.
    let slot = unsafe { task_slot(target) };
    // Release: the target reads its own slot without a lock.
    slot.store(hold.into_raw(), Ordering::Release);
    fence(Ordering::SeqCst);
    // SAFETY: `target` is valid.
    if !unsafe { bindings::audit_contid_task_exiting(target) } {
        return None;
    }
    let raw = slot.swap(ptr::null_mut(), Ordering::Relaxed);
    Some(TakenBack {
        // SAFETY: `raw` is what we stored just above; only we (holding
        // `task_lock`) could have changed it since.
        hold: Some(unsafe { Hold::from_raw(raw) }),
        // SAFETY: `target` is valid.
        tgid: unsafe { bindings::task_tgid_nr(target) },
    })
}

/// Called by copy_process() under `tasklist_lock`: `child` joins `contid`,
/// the container of the current task.
///
/// # Safety
///
/// `contid` must be the current task's slot, and `child` a task being
/// created whose slot is null.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_inherit(
    child: *mut bindings::task_struct,
    contid: *mut bindings::audit_contid,
) {
    // SAFETY: the current task's slot keeps its hold while it forks.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return;
    };
    // The parent's hold keeps the count above zero.
    let raw = Hold::another(contid).into_raw();
    // SAFETY: `child` is not visible to anyone else yet.
    unsafe { task_slot(child) }.store(raw, Ordering::Relaxed);
}

/// Called by do_exit(): the task leaves its container.
///
/// # Safety
///
/// `tsk` must be the current, exiting task.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_exit(tsk: *mut bindings::task_struct) {
    let raw = {
        // SAFETY: `tsk` is the current task, hence valid.
        let _task = unsafe { TaskLock::new(tsk) };
        // SAFETY: `tsk` is valid and locked.
        unsafe { task_slot(tsk) }.swap(ptr::null_mut(), Ordering::Relaxed)
    };
    if raw.is_null() {
        return;
    }
    // SAFETY: the slot held a hold made by `Hold::into_raw`, now ours.
    let hold = unsafe { Hold::from_raw(raw) };
    // SAFETY: `tsk` is valid.
    hold.leave(unsafe { bindings::task_tgid_nr(tsk) });
}
