// SPDX-License-Identifier: GPL-2.0

//! Audit records.
//!
//! C header: [`include/linux/audit.h`](srctree/include/linux/audit.h)

use crate::{alloc::Flags, bindings};
use core::{ffi::c_int, fmt, ptr::NonNull};

/// Record type numbers, from `include/uapi/linux/audit.h`.
pub mod record_type {
    /// A container id was set or dropped.
    pub const CONTAINER_OP: u32 = bindings::AUDIT_CONTAINER_OP;
    /// Auxiliary record: the container ids an event belongs to.
    pub const CONTAINER_ID: u32 = bindings::AUDIT_CONTAINER_ID;
}

/// Whether auditing is enabled (`auditctl -e`): records that are not a
/// response to an audit rule are only logged while it is.
pub fn enabled() -> bool {
    // SAFETY: `audit_enabled` is a global that is only ever read or written
    // whole; a stale value is as good as the one just before a change.
    unsafe { core::ptr::read_volatile(&raw const bindings::audit_enabled) != 0 }
}

/// The audit event that records are added to.
///
/// # Invariants
///
/// `ptr` is null or points to an audit context that stays valid for `'a`.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    ptr: *mut bindings::audit_context,
    _context: core::marker::PhantomData<&'a bindings::audit_context>,
}

impl Context<'_> {
    /// The event of the current task's syscall, if it has one.
    ///
    /// Records started with it share the syscall's stamp; without one they
    /// get a stamp of their own.
    pub fn current() -> Context<'static> {
        // SAFETY: `audit_context()` returns the current task's context or
        // null; the current task's context lives until the task exits, which
        // cannot happen while this code runs on it.
        let ptr = unsafe { bindings::audit_context() };
        // INVARIANT: see the SAFETY comment above.
        Context {
            ptr,
            _context: core::marker::PhantomData,
        }
    }

    /// No event: each record gets a stamp of its own.
    pub fn none() -> Context<'static> {
        // INVARIANT: null is allowed.
        Context {
            ptr: core::ptr::null_mut(),
            _context: core::marker::PhantomData,
        }
    }

    /// Wraps a context handed over by C.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to an audit context that stays valid for
    /// `'a`.
    pub unsafe fn from_raw<'a>(ptr: *mut bindings::audit_context) -> Context<'a> {
        // INVARIANT: guaranteed by the caller.
        Context {
            ptr,
            _context: core::marker::PhantomData,
        }
    }
}

/// An audit record being written; it is sent to the audit daemon on drop.
///
/// Text is added with [`core::fmt::Write`], e.g. `write!(record, "op=set")`.
///
/// # Invariants
///
/// `buf` was returned by `audit_log_start()` and has not been ended.
pub struct AuditBuffer {
    buf: NonNull<bindings::audit_buffer>,
}

impl AuditBuffer {
    /// Starts a record of type `record_type` in the event `ctx`.
    ///
    /// Returns `None` when the record is not wanted or cannot be had: audit
    /// is disabled, the type is excluded by a rule, the backlog is full or
    /// memory is short (the audit core accounts for the last two as lost).
    pub fn start(ctx: Context<'_>, flags: Flags, record_type: u32) -> Option<Self> {
        let record_type = c_int::try_from(record_type).ok()?;
        // SAFETY: `ctx.ptr` is null or a valid context by the type invariant
        // of `Context`.
        let buf = unsafe { bindings::audit_log_start(ctx.ptr, flags.as_raw(), record_type) };
        // INVARIANT: a non-null result comes from `audit_log_start()`.
        NonNull::new(buf).map(|buf| Self { buf })
    }
}

impl fmt::Write for AuditBuffer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let len = c_int::try_from(text.len()).map_err(|_| fmt::Error)?;
        // SAFETY: `self.buf` is a live buffer by the type invariant; "%.*s"
        // reads exactly `len` bytes from `text`, which holds that many.
        unsafe {
            bindings::audit_log_format(
                self.buf.as_ptr(),
                c"%.*s".as_ptr().cast(),
                len,
                text.as_ptr(),
            )
        };
        Ok(())
    }
}

impl Drop for AuditBuffer {
    fn drop(&mut self) {
        // SAFETY: `self.buf` is a live buffer by the type invariant, and it
        // is not used again after this.
        unsafe { bindings::audit_log_end(self.buf.as_ptr()) };
    }
}
