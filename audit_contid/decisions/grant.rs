// SPDX-License-Identifier: GPL-2.0

//! `/proc/PID/audit_capcontainerid`: granting capcontid, the delegated
//! permission to manage contids.
//!
//! A grant is decided like a set, privilege first and with no lock: the
//! granter needs `CAP_AUDIT_CONTROL` in the initial user namespace or a
//! capcontid of its own, in whatever user namespace it runs: a capability
//! of a user namespace of its own would let anyone grant itself the right.
//! Privilege first keeps an unprivileged writer away from `tasklist_lock`.
//! Then the target must be a strict descendant of the granter.
//!
//! capcontid is not inherited: a forked task starts without it, so an
//! engine grants it to each helper it means to trust.

use super::ladder::{Privilege, SetError};
use super::parse::{parse_decimal, ParseError};

/// Parses what a user wrote: `0` or `1`; other values are refused, so
/// that a flag reads back as what was written. Numbers beyond
/// `u32` are `ERANGE`, as `kstrtou32_from_user` says; other numbers and
/// malformed text are `EINVAL`.
pub(crate) fn parse_capcontid(input: &[u8]) -> Result<bool, ParseError> {
    match parse_decimal(input)? {
        0 => Ok(false),
        1 => Ok(true),
        value if value > u64::from(u32::MAX) => Err(ParseError::OutOfRange),
        _ => Err(ParseError::Invalid),
    }
}

/// The granter's privilege: the same as for a set.
pub(crate) fn check_granter(privilege: Privilege) -> Result<(), SetError> {
    if privilege.may_manage() {
        Ok(())
    } else {
        Err(SetError::NotPermitted)
    }
}

/// The target: a strict descendant of the granter, by process.
pub(crate) fn check_grantee(is_writer: bool, descends_from_writer: bool) -> Result<(), SetError> {
    if is_writer || !descends_from_writer {
        Err(SetError::NotDescendant)
    } else {
        Ok(())
    }
}
