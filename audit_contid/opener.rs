// SPDX-License-Identifier: GPL-2.0

//! Who opened a `/proc` file of the subsystem, and what that lets it do.
//!
//! Privilege is judged on whoever opened the file, not on whoever reads or
//! writes it: its credentials (`file->f_cred`, the way newer /proc and
//! sysfs interfaces guard against a setuid program handed a descriptor),
//! and its capcontid as it was at open (noted by the C side's open hook).

use core::ffi::c_char;
use kernel::{
    bindings,
    error::{
        code::{EINVAL, EPERM, ESRCH},
        Error, Result,
    },
    task::Task,
    uaccess::UserSlice,
};

use crate::decisions::{
    ladder::Privilege,
    parse::{ParseError, MAX_CONTID_INPUT},
};

/// What the opener of `file` may do.
///
/// # Safety
///
/// `file` must be a valid open file of the subsystem.
pub(crate) unsafe fn opener_privilege(file: *mut bindings::file) -> Privilege {
    // SAFETY: `file` is valid; `init_user_ns` is a static namespace.
    let capable = unsafe {
        bindings::file_ns_capable(
            file,
            &raw mut bindings::init_user_ns,
            bindings::CAP_AUDIT_CONTROL as i32,
        )
    };
    // SAFETY: `file` is valid, and one of ours, noted at open.
    let delegated = unsafe { bindings::audit_contid_opener_delegated(file) };
    if capable {
        Privilege::AuditControl
    } else if delegated {
        Privilege::Delegated
    } else {
        Privilege::Unprivileged
    }
}

/// The bytes of one write: at most [`MAX_CONTID_INPUT`], copied from user
/// space. Longer writes are `EINVAL`; nothing is parsed here.
pub(crate) struct UserInput {
    bytes: [u8; MAX_CONTID_INPUT],
    len: usize,
}

impl UserInput {
    /// Copies `count` bytes from the user buffer `buf`.
    pub(crate) fn read(buf: *const c_char, count: usize) -> Result<Self> {
        let mut input = UserInput {
            bytes: [0; MAX_CONTID_INPUT],
            len: count,
        };
        let text = input.bytes.get_mut(..count).ok_or(EINVAL)?;
        UserSlice::new(buf as usize, count)
            .reader()
            .read_slice(text)?;
        Ok(input)
    }

    /// What the user wrote.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// What every `write()` of the subsystem's `/proc` files does around its
/// own work: the write must be at offset 0 and its bytes must `parse`
/// (no record otherwise), and only then is a gone task (null `task`)
/// `ESRCH`; `act` runs on the value and the task, and its result becomes
/// what `write()` returns.
///
/// # Safety
///
/// `buf` must be a user pointer to `count` bytes and `ppos` a valid file
/// position.
pub(crate) unsafe fn write_value<T>(
    task: *mut bindings::task_struct,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    parse: fn(&[u8]) -> Result<T, ParseError>,
    act: impl FnOnce(T, &Task) -> Result,
) -> isize {
    // SAFETY: `ppos` is valid by the function's requirements.
    if unsafe { *ppos } != 0 {
        return EINVAL.to_errno() as isize;
    }
    let value = match UserInput::read(buf, count)
        .and_then(|input| parse(input.as_bytes()).map_err(Error::from))
    {
        Ok(value) => value,
        Err(err) => return err.to_errno() as isize,
    };
    if task.is_null() {
        return ESRCH.to_errno() as isize;
    }
    // SAFETY: not null (above), and the caller holds a reference on it
    // for the call (the function's requirements).
    let task = unsafe { Task::from_raw(task) };
    match act(value, task) {
        Ok(()) => count as isize,
        Err(err) => err.to_errno() as isize,
    }
}

/// What every `read()` of the subsystem's `/proc` files does: refuses an
/// opener that may not manage contids (`EPERM`), else copies `text()` out.
///
/// # Safety
///
/// `file` must be a valid open file of the subsystem; `buf` a user pointer
/// to `count` bytes and `ppos` a valid file position.
pub(crate) unsafe fn read_text<R: AsRef<[u8]>>(
    file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
    text: impl FnOnce() -> R,
) -> isize {
    // SAFETY: `file` is valid by the function's requirements.
    if !unsafe { opener_privilege(file) }.may_manage() {
        return EPERM.to_errno() as isize;
    }
    let text = text();
    let text = text.as_ref();
    // SAFETY: `buf`/`count` are a user buffer and `ppos` a file position by
    // the function's requirements; `text` holds `text.len()` bytes.
    unsafe {
        bindings::simple_read_from_buffer(buf.cast(), count, ppos, text.as_ptr().cast(), text.len())
    }
}
