// SPDX-License-Identifier: GPL-2.0

//! The contids of the targets of a syscall (signal recipients, a ptrace
//! tracee), captured when the syscall acts on them and named in its event
//! (patch "audit: name the containers of signal and ptrace targets").
//!
//! The audit context keeps one handle per target: a [`Hold`] turned into
//! a raw pointer, so the container is not dropped (and its drop record
//! not logged) before the event's records that name it. The handles are
//! released when the context is reset, at the end of the event.

use core::ffi::c_uint;
use kernel::{alloc::flags::GFP_KERNEL, audit::Context, bindings, task::Task};

use crate::{contid::Hold, log, task_slot::slot_contid, task_tree::TaskLockGuard};

/// A handle on the contid of `tsk`, a signal or ptrace target, or null if
/// it has none that a record may name yet. Runs in atomic context (the
/// signal path holds `tasklist_lock` or RCU): it only takes
/// `task_lock(tsk)`.
///
/// # Safety
///
/// `tsk` must be a valid task.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_hold_task(
    tsk: *mut bindings::task_struct,
) -> *mut bindings::audit_contid {
    // SAFETY: `tsk` is valid for the call by the caller's guarantee.
    let task = TaskLockGuard::new(unsafe { Task::from_raw(tsk) });
    // The slot's hold stays while `task` is locked, as we take another.
    match task.contid() {
        Some(contid) if contid.is_announced() => Hold::another(contid).into_raw(),
        _ => core::ptr::null_mut(),
    }
}

/// Releases a handle from [`audit_contid_hold_task`]; the last hold on a
/// container logs its drop record, so this may sleep.
///
/// # Safety
///
/// `contid` must be a handle from [`audit_contid_hold_task`], not released
/// before, and the caller in process context with no spinlock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_release(contid: *mut bindings::audit_contid) {
    // SAFETY: by the function's safety requirements, `contid` is a hold
    // made by `Hold::into_raw` and released only here.
    drop(unsafe { Hold::from_raw(contid) });
}

/// Logs the CONTAINER_ID record number `record` of a target's contid, in
/// the event `ctx`, before that target's OBJ_PID record; returns whether
/// it did (so the OBJ_PID gets `record=<n>`).
///
/// # Safety
///
/// `ctx` must be the current task's audit context, and `contid` a handle
/// from [`audit_contid_hold_task`] that the context keeps.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_target(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    contid: *mut bindings::audit_contid,
) -> bool {
    // SAFETY: the context keeps the handle's hold for this call.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return false;
    };
    // SAFETY: `ctx` is the current task's context, valid for this call.
    let ctx = unsafe { Context::from_raw(ctx) };
    log::container_id(ctx, GFP_KERNEL, record, &contid)
}
