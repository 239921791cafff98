// SPDX-License-Identifier: GPL-2.0

//! What a write to `/proc/PID/audit_containerid` (and
//! `audit_capcontainerid`) means.
//!
//! Decides whether the bytes of one write name a contid, and which one. The
//! accepted text is `[+]DIGITS[\n]`, decimal, leading zeros allowed: what
//! `kstrtou64_from_user(.., 10, ..)` accepts, minus its surprises. That
//! helper silently truncates writes longer than 66 bytes and stops at the
//! first NUL, so `"1\x002"` would label a container 1; here such writes are
//! refused, so a write is either exactly one number or an error and no audit
//! record is made for it.

use super::errno::{EINVAL, ERANGE};

/// Longest write accepted, in bytes; mirrors kstrtou64_from_user's 66-byte copy.
pub(crate) const MAX_CONTID_INPUT: usize = 66;

/// Why a write is not a contid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not of the form `[+]DIGITS[\n]`, empty, or longer than
    /// [`MAX_CONTID_INPUT`].
    Invalid,
    /// Well formed, but the number does not fit in a `u64`.
    OutOfRange,
}

impl ParseError {
    /// The errno the write fails with (positive; the kernel negates it).
    pub(crate) fn errno(self) -> i32 {
        match self {
            ParseError::Invalid => EINVAL,
            ParseError::OutOfRange => ERANGE,
        }
    }
}

/// Parses what a user wrote to /proc/PID/audit_containerid.
///
/// The unset value `u64::MAX` parses; refusing it is the ladder's job.
pub(crate) fn parse_contid(input: &[u8]) -> Result<u64, ParseError> {
    parse_decimal(input)
}

/// Parses `[+]DIGITS[\n]` of at most [`MAX_CONTID_INPUT`] bytes into a
/// `u64`: the text every `/proc` file of the subsystem accepts.
pub(crate) fn parse_decimal(input: &[u8]) -> Result<u64, ParseError> {
    if input.len() > MAX_CONTID_INPUT {
        return Err(ParseError::Invalid);
    }
    let line = input.strip_suffix(b"\n").unwrap_or(input);
    let digits = line.strip_prefix(b"+").unwrap_or(line);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::Invalid);
    }
    digits
        .iter()
        .try_fold(0u64, |value, digit| {
            value.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
        })
        .ok_or(ParseError::OutOfRange)
}
