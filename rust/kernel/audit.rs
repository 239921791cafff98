// SPDX-License-Identifier: GPL-2.0

//! Audit records.
//!
//! A record is started with [`AuditBuffer::start`] in an event, given
//! text, and sent to the audit daemon when the buffer is dropped. Text goes
//! in two ways, so that nothing a user controls can pass for a field:
//!
//! - [`AuditBuffer::append`] takes [`TrustedText`]: text the kernel makes
//!   itself (numbers, keywords), as it is;
//! - [`AuditBuffer::append_untrusted`] takes bytes that may come from user
//!   space or a file system, and escapes them as the C helpers do.
//!
//! C header: [`include/linux/audit.h`](srctree/include/linux/audit.h)

use crate::{alloc::Flags, bindings};
use core::{
    ffi::c_int,
    fmt::{self, Display, Write},
    marker::PhantomData,
    ptr::{self, NonNull},
};

#[cfg(CONFIG_AUDIT_CONTID)]
pub mod task;

/// Record type numbers, from `include/uapi/linux/audit.h`.
pub mod record_type {
    /// A container id was set or dropped.
    pub const CONTAINER_OP: u32 = bindings::AUDIT_CONTAINER_OP;
    /// Auxiliary record: the container ids an event belongs to.
    pub const CONTAINER_ID: u32 = bindings::AUDIT_CONTAINER_ID;
    /// A grant of capcontid, the delegated right to manage container ids.
    pub const SET_CAPCONTID: u32 = bindings::AUDIT_SET_CAPCONTID;
}

/// Whether auditing is enabled (`auditctl -e`): records that are not a
/// response to an audit rule are only logged while it is.
pub fn enabled() -> bool {
    // SAFETY: `audit_enabled` is a global that is only ever read or written
    // whole; a stale value is as good as the one just before a change.
    unsafe { ptr::read_volatile(&raw const bindings::audit_enabled) != 0 }
}

/// The audit event that records are added to.
///
/// There is deliberately no way to get the current task's context as a
/// value: `audit_free()` frees it while the task still runs (in
/// `do_exit()`), and in interrupt context `audit_context()` is the
/// interrupted task's. [`AuditBuffer::start_in_current_event`] looks it up
/// at the moment it is used instead.
///
/// # Invariants
///
/// `ptr` is null or points to an audit context that stays valid for `'a`.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    ptr: *mut bindings::audit_context,
    _context: PhantomData<&'a bindings::audit_context>,
}

impl Context<'static> {
    /// No event: each record gets a stamp of its own.
    pub fn none() -> Self {
        // INVARIANT: null is allowed.
        Context {
            ptr: ptr::null_mut(),
            _context: PhantomData,
        }
    }
}

impl<'a> Context<'a> {
    /// Wraps a context handed over by C.
    ///
    /// # Safety
    ///
    /// `ptr` must be null or point to an audit context that stays valid for
    /// `'a`, and that is not used concurrently by another task: the current
    /// task's, in task context.
    pub unsafe fn from_raw(ptr: *mut bindings::audit_context) -> Self {
        // INVARIANT: guaranteed by the caller.
        Context {
            ptr,
            _context: PhantomData,
        }
    }
}

/// Text that goes into a record as it is.
///
/// # Safety
///
/// [`Display::fmt`] must write only text the kernel makes itself: numbers,
/// fixed keywords and separators, never a byte that comes from user space,
/// a file system or the network. The audit helpers would have to escape
/// such bytes (spaces, `"`, control characters, bytes above 0x7e), or a
/// user could write text that reads as another field; they go through
/// [`AuditBuffer::append_untrusted`] instead.
pub unsafe trait TrustedText: Display {}

/// An audit record being written; it is sent to the audit daemon on drop.
///
/// The context it was started in is used only by `audit_log_start()` (for
/// the stamp), so the buffer does not borrow it.
///
/// Formatting writes many small pieces (a number, a comma): trusted text is
/// gathered in `pending` and copied into the record (`audit_log_n_text()`,
/// no `vsnprintf()`) in pieces of up to [`AuditBuffer::PENDING`] bytes. A
/// list of a hundred contids then costs ten calls, not two hundred.
///
/// # Invariants
///
/// `buf` was returned by `audit_log_start()` and has not been ended.
/// `pending[..pending_len]` is trusted text, whole `str` pieces, that
/// follows what `buf` holds.
pub struct AuditBuffer {
    buf: NonNull<bindings::audit_buffer>,
    pending: [u8; AuditBuffer::PENDING],
    pending_len: usize,
}

impl AuditBuffer {
    /// Starts a record of type `record_type` in the event `ctx`.
    ///
    /// May sleep, with `flags` that allow it, for up to the audit
    /// `backlog_wait_time` when the backlog is full: call it with no lock
    /// held that others need.
    ///
    /// Returns `None` when the record is not wanted or cannot be had: audit
    /// is not initialised, the type is excluded by a rule, the backlog is
    /// full or memory is short (the audit core counts the last two in
    /// `lost`). Whether auditing is [`enabled`] is the caller's to check.
    pub fn start(ctx: Context<'_>, flags: Flags, record_type: u32) -> Option<Self> {
        let record_type = c_int::try_from(record_type).ok()?;
        // SAFETY: `ctx.ptr` is null or a valid context by the type invariant
        // of `Context`.
        let buf = unsafe { bindings::audit_log_start(ctx.ptr, flags.as_raw(), record_type) };
        // INVARIANT: a non-null result comes from `audit_log_start()`.
        NonNull::new(buf).map(|buf| Self {
            buf,
            pending: [0; Self::PENDING],
            pending_len: 0,
        })
    }

    /// Starts a record in the event of the current task's syscall, so that
    /// it shares its stamp; outside a syscall, or in interrupt context
    /// (where the current task is only the one interrupted), the record
    /// gets a stamp of its own. See [`AuditBuffer::start`].
    pub fn start_in_current_event(flags: Flags, record_type: u32) -> Option<Self> {
        // SAFETY: no preconditions.
        let ptr = if unsafe { bindings::in_task() } {
            // SAFETY: no preconditions.
            unsafe { bindings::audit_context() }
        } else {
            ptr::null_mut()
        };
        // SAFETY: in task context `audit_context()` is the current task's
        // context or null. Only the current task frees its own context (in
        // `do_exit()`'s `audit_free()`), which cannot happen during this
        // call, and `start` uses it only during the call.
        Self::start(unsafe { Context::from_raw(ptr) }, flags, record_type)
    }

    /// Appends text the kernel made itself.
    pub fn append(&mut self, text: &impl TrustedText) {
        // `RawText` never fails; a failing `Display` impl would only cut
        // its own text short.
        let _ = write!(RawText(self), "{text}");
    }

    /// Appends bytes that may come from a user, as the audit helpers do:
    /// in double quotes, or in hex if they hold a space, a `"`, a control
    /// character or a byte above 0x7e.
    pub fn append_untrusted(&mut self, text: &[u8]) {
        self.flush();
        // SAFETY: `self.buf` is a live buffer by the type invariant;
        // `text` holds `text.len()` readable bytes.
        unsafe {
            bindings::audit_log_n_untrustedstring(
                self.buf.as_ptr(),
                text.as_ptr().cast(),
                text.len(),
            )
        };
    }
}

/// Writes text into a record without escaping it; only [`TrustedText`]
/// reaches it.
struct RawText<'a>(&'a mut AuditBuffer);

impl Write for RawText<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let buffer = &mut *self.0;
        let len = buffer.pending_len;
        if len + text.len() > AuditBuffer::PENDING {
            buffer.flush();
        }
        if text.len() > AuditBuffer::PENDING {
            buffer.append_now(text.as_bytes());
        } else {
            let len = buffer.pending_len;
            // INVARIANT: a whole piece of trusted text, and it fits
            // (checked above).
            buffer.pending[len..len + text.len()].copy_from_slice(text.as_bytes());
            buffer.pending_len = len + text.len();
        }
        Ok(())
    }
}

impl AuditBuffer {
    /// How much trusted text is gathered before it is appended.
    const PENDING: usize = 128;

    /// Appends `text`, trusted text, to the record now.
    fn append_now(&self, text: &[u8]) {
        // SAFETY: `self.buf` is a live buffer by the type invariant; `text`
        // holds `text.len()` readable bytes.
        unsafe { bindings::audit_log_n_text(self.buf.as_ptr(), text.as_ptr().cast(), text.len()) };
    }

    /// Appends the pending text.
    fn flush(&mut self) {
        if self.pending_len > 0 {
            self.append_now(&self.pending[..self.pending_len]);
        }
        // INVARIANT: nothing is pending now.
        self.pending_len = 0;
    }
}

impl Drop for AuditBuffer {
    fn drop(&mut self) {
        self.flush();
        // SAFETY: `self.buf` is a live buffer by the type invariant, and it
        // is not used again after this.
        unsafe { bindings::audit_log_end(self.buf.as_ptr()) };
    }
}
