// SPDX-License-Identifier: GPL-2.0

//! `/proc/PID/audit_capcontainerid`: reading and granting capcontid, the
//! permission to manage contids that a privileged engine delegates. What
//! a grant may do is decided in [`grant`]; here the
//! facts are gathered and the SET_CAPCONTID record is logged, after the
//! locks are released.

use core::{
    ffi::c_char,
    sync::atomic::{AtomicBool, Ordering},
};
use kernel::{
    bindings,
    error::{code::ESRCH, Result},
    task::Task,
};

use crate::{
    decisions::{grant, record::SetCapcontid},
    log,
    opener::{opener_privilege, read_text, write_value},
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
///
/// # Safety
///
/// `file` must be the open file.
unsafe fn set_capcontid(target: &Task, requested: bool, file: *mut bindings::file) -> Result {
    let writer = kernel::current!();
    let opid = target.tgid_nr();
    let flag = capcontid(target);
    // SAFETY: `file` is the open file, by the caller's caller.
    let privilege = unsafe { opener_privilege(file) };

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

/// `write()` of `/proc/PID/audit_capcontainerid`; `task` is null if gone.
///
/// # Safety
///
/// `file` must be the open file; `task` null or a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_capcontid_proc_write(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `buf` and `ppos` are valid by the caller's guarantee.
    unsafe {
        write_value(
            task,
            buf,
            count,
            ppos,
            grant::parse_capcontid,
            |requested, task| {
                // SAFETY: `file` is the open file.
                set_capcontid(task, requested, file)
            },
        )
    }
}

/// `read()` of `/proc/PID/audit_capcontainerid`: `0` or `1`, no newline.
///
/// # Safety
///
/// `file` must be the open file; `task` a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_capcontid_proc_read(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: the caller's guarantees, which include `read_text`'s.
    unsafe {
        read_text(file, buf, count, ppos, || {
            // SAFETY: the caller holds a reference on `task` for the call.
            if capcontid(Task::from_raw(task)).load(Ordering::Relaxed) {
                b"1"
            } else {
                b"0"
            }
        })
    }
}
