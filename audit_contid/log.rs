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
    alloc::{flags::GFP_KERNEL, Flags},
    audit::{self, record_type, AuditBuffer, Context, TrustedText},
};

use crate::{
    contid::Contid,
    decisions::record::{ContainerId, OpDrop, OpSet, SetCapcontid},
};

// SAFETY: the records print only decimal numbers, `-1`, `,^` and fixed
// words (`record_tests::records_are_plain_text` checks the text).
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for OpSet<I> {}
// SAFETY: as for `OpSet`.
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for OpDrop<I> {}
// SAFETY: as for `OpSet`.
unsafe impl<I: IntoIterator<Item = u64> + Clone> TrustedText for ContainerId<I> {}
// SAFETY: numbers and fixed words only, as for `OpSet`.
unsafe impl TrustedText for SetCapcontid {}

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

/// Logs the SET_CAPCONTID record of a write to the
/// `/proc/PID/audit_capcontainerid` of task `opid`, in the writer's syscall
/// event.
pub(crate) fn set_capcontid(record: SetCapcontid) {
    if !audit::enabled() {
        return;
    }
    let Some(mut ab) = AuditBuffer::start_in_current_event(GFP_KERNEL, record_type::SET_CAPCONTID)
    else {
        return;
    };
    ab.append(&record);
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

/// Logs `contid`'s CONTAINER_ID record number `record` in `ctx`, if it is
/// announced, and says whether it did: a contid whose `op=set` record is
/// not in the log yet is named in no record, and the event is reported as
/// the task's events before the label. A record that could not be started
/// is not logged either. The caller holds `contid`, or
/// reserves it: a device's events may come after its maker's drop record,
/// while its id still names no other container.
pub(crate) fn container_id(
    ctx: Context<'_>,
    flags: Flags,
    record: c_uint,
    contid: &Contid,
) -> bool {
    if !contid.is_announced() {
        return false;
    }
    // None if the backlog is full, memory ran out, or a rule excludes the
    // type: then no record may say `record=<n>` of it.
    let Some(mut ab) = AuditBuffer::start(ctx, flags, record_type::CONTAINER_ID) else {
        return false;
    };
    ab.append(&ContainerId {
        record,
        chain: contid.nesting_ids(),
    });
    true
}
