// SPDX-License-Identifier: GPL-2.0

//! Who opened a `/proc` file of the subsystem, and what that lets it do.
//!
//! Privilege is judged on whoever opened the file, not on whoever reads or
//! writes it: its credentials (`file->f_cred`, the way newer /proc and
//! sysfs interfaces guard against a setuid program handed a descriptor),
//! and its capcontid as it was at open (noted by the C side's open hook).

use core::ffi::c_char;
use kernel::{bindings, uaccess::UserSlice};

use crate::decisions::{errno::EFAULT, errno::EINVAL, ladder::Privilege, parse::MAX_CONTID_INPUT};

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
    pub(crate) fn read(buf: *const c_char, count: usize) -> Result<Self, i32> {
        let mut input = UserInput {
            bytes: [0; MAX_CONTID_INPUT],
            len: count,
        };
        let text = input.bytes.get_mut(..count).ok_or(EINVAL)?;
        UserSlice::new(buf as usize, count)
            .reader()
            .read_slice(text)
            .map_err(|_| EFAULT)?;
        Ok(input)
    }

    /// What the user wrote.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}
