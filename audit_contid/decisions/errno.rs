// SPDX-License-Identifier: GPL-2.0

//! The error numbers the decisions answer with (positive; the kernel
//! negates them). Spelled out here because `bindings` is not available on
//! the host; the host tests check each against its Linux value.

/// Operation not permitted.
pub(crate) const EPERM: i32 = 1;
/// Device or resource busy.
pub(crate) const EBUSY: i32 = 16;
/// File exists.
pub(crate) const EEXIST: i32 = 17;
/// Cross-device link.
pub(crate) const EXDEV: i32 = 18;
/// Too many links.
pub(crate) const EMLINK: i32 = 31;
/// Invalid argument.
pub(crate) const EINVAL: i32 = 22;
/// Numerical result out of range.
pub(crate) const ERANGE: i32 = 34;
/// Name not unique on network.
pub(crate) const ENOTUNIQ: i32 = 76;
