// SPDX-License-Identifier: GPL-2.0

//! The records: CONTAINER_OP for sets and drops, and CONTAINER_ID for the
//! events of labelled tasks.
//!
//! Every function here may wait for the audit backlog (`audit_log_start()`
//! sleeps for up to `backlog_wait_time` when it is full), so none is called
//! with the registry lock, `tasklist_lock` or a `task_lock` held. A record
//! names a contid only while its caller holds it (see [`Hold`]) and only
//! once it is announced, so the trail reads `op=set`, then the records of
//! the container, then `op=drop`.
//!
//! [`Hold`]: crate::contid::Hold

use core::ffi::c_uint;
use kernel::{
    alloc::flags::{GFP_ATOMIC, GFP_KERNEL},
    audit::{self, record_type, AuditBuffer, Context, TrustedText},
    bindings,
};

use crate::{
    contid::Contid,
    decisions::record::{ContainerId, OpDrop, OpSet},
    task_slot::slot_contid,
};

// SAFETY: the records print only decimal numbers, `-1`, `,^` and fixed
// words (`record_tests::records_are_plain_text` checks the text).
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for OpSet<I> {}
// SAFETY: as for `OpSet`.
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for OpDrop<I> {}
// SAFETY: as for `OpSet`.
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for ContainerId<I> {}

/// Logs the `op=set` record of a write to the `/proc` file of task `opid`,
/// in the writer's syscall event. `old` is the target's contid before the
/// write, held by the caller; it must be announced.
pub(crate) fn op_set(opid: i32, requested: u64, old: Option<&Contid>, success: bool) {
    if !audit::enabled() {
        return;
    }
    let Some(mut ab) = AuditBuffer::start_in_current_event(GFP_KERNEL, record_type::CONTAINER_OP)
    else {
        return;
    };
    ab.append(&OpSet {
        opid,
        requested,
        old_chain: old.into_iter().flat_map(Contid::nesting_ids),
        success,
    });
}

/// Logs the drop record (death certificate) of `contid`, whose last task
/// was `opid`: a record on its own, as the task has gone.
pub(crate) fn op_drop(opid: i32, contid: &Contid) {
    if !audit::enabled() {
        return;
    }
    let Some(mut ab) = AuditBuffer::start(Context::none(), GFP_KERNEL, record_type::CONTAINER_OP)
    else {
        return;
    };
    ab.append(&OpDrop {
        opid,
        dropped_chain: contid.nesting_ids(),
    });
}

/// Called at the end of an audited syscall or io_uring operation of a task
/// with a contid: logs the CONTAINER_ID record number `record` of the
/// event, if its contid is announced, and says whether it did (so the C
/// side puts `record=<n>` on the record it describes). `atomic` is set
/// where the caller may not sleep (io_uring).
///
/// # Safety
///
/// `ctx` must be the current task's audit context, and `contid` its slot
/// as read by `audit_contid_current()`.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_task(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    contid: *mut bindings::audit_contid,
    atomic: bool,
) -> bool {
    // SAFETY: the slot's hold lasts for this call. Only the task itself
    // clears its slot at exit, after its last event; the only other
    // change is a setter taking back what it just stored, which happens
    // only once the setter has seen `PF_EXITING`. The task sets that flag
    // itself, so while it is in a syscall it is not exiting and nothing is
    // taken back; once exiting (logging its last event from do_exit()),
    // `audit_contid_current()` read the slot under `task_lock`, which the
    // setter holds from its store until any take-back, so what it read
    // stays until the task's own exit hook.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return false;
    };
    // Not announced yet: the write that labels this task has not logged
    // its `op=set` record, and a record naming the contid would come
    // first. The event is reported as the task's events before the label.
    if !contid.is_announced() {
        return false;
    }
    // SAFETY: `ctx` is the current task's context, valid for this call.
    let ctx = unsafe { Context::from_raw(ctx) };
    let flags = if atomic { GFP_ATOMIC } else { GFP_KERNEL };
    if let Some(mut ab) = AuditBuffer::start(ctx, flags, record_type::CONTAINER_ID) {
        ab.append(&ContainerId {
            record,
            chain: contid.nesting_ids(),
        });
    }
    true
}
