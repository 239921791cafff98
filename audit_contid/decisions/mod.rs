// SPDX-License-Identifier: GPL-2.0

//! The decisions of the subsystem, in code that uses only `core`.
//!
//! Nothing here touches a task, a lock or an audit buffer: the kernel side
//! gathers facts under its locks and asks these modules what they mean. The
//! same files are compiled on the host by `tests/host`, where they are unit-
//! and property-tested in seconds.
//!
//! - [`parse`]: what the bytes of a `/proc/PID/audit_containerid` write mean;
//! - [`ladder`]: whether a write may label its target, step by step;
//! - [`grant`]: whether a write may grant capcontid;
//! - [`record`]: the text of the records and of the `/proc` read;
//! - [`filter`]: what an audit rule's `contid` field matches;
//! - [`errno`]: the error numbers they answer with.

pub(crate) mod errno;
pub(crate) mod filter;
pub(crate) mod grant;
pub(crate) mod ladder;
pub(crate) mod parse;
pub(crate) mod record;

/// The value that means "no contid"; it can never be written.
pub(crate) const CONTID_UNSET: u64 = u64::MAX;
