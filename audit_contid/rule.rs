// SPDX-License-Identifier: GPL-2.0

//! The audit rule field `contid`: the match on a task, for
//! `audit_filter_rules()` and `audit_filter()` (patch 0009).

use core::iter;
use kernel::bindings;

use crate::{decisions::filter, task_slot::slot_contid};

/// Does the task whose slot holds `contid` match the audit rule field
/// `contid=rule_value`? See [`filter::chain_matches`]; the C caller
/// applies `!=`. A contid that is not announced yet counts as none, as in
/// the task's records.
///
/// # Safety
///
/// `contid` must be null or a task's slot, read as `audit_contid.h`
/// says: under `rcu_read_lock()` held across this call, or under the
/// task's lock.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_filter_match(
    contid: *mut bindings::audit_contid,
    rule_value: u64,
) -> bool {
    // SAFETY: by the function's safety requirements, the slot's hold stays
    // for this call: a setter that takes it out of a live task's slot
    // releases it only after a grace period (`Evicted`), and only the task
    // clears its own slot at exit.
    match unsafe { slot_contid(contid) } {
        Some(contid) if contid.is_announced() => {
            filter::chain_matches(contid.nesting_ids(), rule_value)
        }
        _ => filter::chain_matches(iter::empty(), rule_value),
    }
}
