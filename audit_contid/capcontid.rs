// SPDX-License-Identifier: GPL-2.0

//! `/proc/PID/audit_capcontainerid`: reading and granting capcontid, the
//! permission to manage contids that a privileged engine delegates. What
//! a grant may do is decided in [`grant`]; here the
//! facts are gathered and the SET_CAPCONTID record is logged, after the
//! locks are released.

use core::sync::atomic::{AtomicBool, Ordering};
use kernel::{
    bindings,
    error::{code::ESRCH, Result},
    task::Task,
};

use crate::{
    decisions::{grant, ladder::Privilege, record::SetCapcontid},
    log,
    task_tree::{TaskLockGuard, TasklistReadGuard},
};

/// The capcontid flag of `task`.
fn capcontid(task: &Task) -> &AtomicBool {
    // SAFETY: `task` is valid, so its flag is a `bool` that lives as long
    // as it. Accesses are atomic (READ_ONCE on the C side); writes happen
    // under `task_lock()`, and at fork before the task is visible.
    unsafe { AtomicBool::from_ptr(bindings::audit_contid_capcontid_slot(task.as_raw())) }
}

/// Grants or withdraws capcontid on `target` for the writer, the current
/// task, whose file was opened with `privilege`; logs SET_CAPCONTID.
pub(crate) fn set_capcontid(target: &Task, requested: bool, privilege: Privilege) -> Result {
    let writer = kernel::current!();
    let opid = target.tgid_nr();
    let flag = capcontid(target);

    // Privilege first, with no lock; then the tree, under its lock.
    let outcome = grant::check_granter(privilege).and_then(|()| {
        let tree = TasklistReadGuard::lock();
        let _task = TaskLockGuard::new(target);
        // A target reaped while the write waited for its bytes may have
        // freed ancestors: only a live one's `real_parent` chain may be
        // walked. No record: there is no task to name. The writer runs,
        // so it is not exiting.
        let (Some(unreaped), Some(writer)) = (tree.unreaped(target), tree.unreaped(writer)) else {
            return Ok(None);
        };
        let is_writer = target.tgid_nr() == writer.task().tgid_nr();
        grant::check_grantee(is_writer, unreaped.descends_from(writer))?;
        Ok(Some(flag.swap(requested, Ordering::Relaxed)))
    });
    let (old, result) = match outcome {
        Ok(None) => return Err(ESRCH),
        Ok(Some(old)) => (old, Ok(())),
        Err(refusal) => (flag.load(Ordering::Relaxed), Err(refusal.into())),
    };
    log::set_capcontid(SetCapcontid {
        opid,
        requested,
        old,
        success: result.is_ok(),
    });
    result
}

/// What a read of `/proc/PID/audit_capcontainerid` shows for `task`: `0`
/// or `1`, no newline.
pub(crate) fn proc_text(task: &Task) -> &'static [u8] {
    if capcontid(task).load(Ordering::Relaxed) {
        b"1"
    } else {
        b"0"
    }
}
