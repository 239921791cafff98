// SPDX-License-Identifier: GPL-2.0

//! The kernel side's errors. A refusal of the ladder or a parse error
//! becomes a [`kernel::error::Error`] where it is met, and is spelled as a
//! negative errno only where C gets it back (`to_errno()`), as Rust
//! Binder's `error.rs` does. The numbers come from the decisions' table
//! ([`errno`]), which the host tests check against Linux's.

use kernel::error::Error;

use crate::decisions::{errno, ladder::SetError, parse::ParseError};

/// The kernel error for an errno of the decisions' table: a positive
/// number below `MAX_ERRNO`, so `from_errno` keeps it.
fn from_table(errno: i32) -> Error {
    Error::from_errno(-errno)
}

impl From<SetError> for Error {
    fn from(refusal: SetError) -> Error {
        from_table(refusal.errno())
    }
}

impl From<ParseError> for Error {
    fn from(malformed: ParseError) -> Error {
        from_table(malformed.errno())
    }
}

/// `ENOTUNIQ`, which `kernel::error::code` of 6.12 does not name.
pub(crate) fn enotuniq() -> Error {
    from_table(errno::ENOTUNIQ)
}
