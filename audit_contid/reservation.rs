// SPDX-License-Identifier: GPL-2.0

//! Reservations: a container's id kept from being set again after its
//! tasks have gone, for as long as something may still name it.
//!
//! A reservation is a reference to the contid object that keeps its id,
//! and those of the containers it is nested in, registered (`ENOTUNIQ` to
//! every writer) until it is given back. It is not a hold: the containers'
//! drop records are logged on time, when their last tasks leave. Two
//! things take one for the current task:
//!
//! - audit_signal_info(), when a task sends auditd SIGTERM, SIGHUP, SIGUSR1
//!   or SIGUSR2 (patch "audit: name the container of the task that
//!   signalled auditd"). auditd fetches the sender with AUDIT_SIGNAL_INFO2
//!   and logs its chain in its DAEMON_* record; kernel/audit.c keeps the
//!   one reservation in `audit_sig_contid` and gives it back when auditd
//!   fetches it, when a later signal replaces it, and when auditd goes
//!   away.
//! - A device-mapper target's constructor (patch "dm: name the container
//!   that made a mapping in its integrity events"): the mapping keeps the
//!   reservation until it is freed, and names the chain in the
//!   CONTAINER_ID record of each of its DM_EVENTs.
//!
//! So a chain fetched or logged from a reservation names the containers
//! that took it, never ones that reused the ids afterwards.

use core::{
    ffi::{c_char, c_uint},
    fmt,
};
use kernel::{
    alloc::flags::GFP_ATOMIC, audit::Context, bindings, sync::Arc, types::ForeignOwnable,
};

use crate::{
    contid::Contid, decisions::record::write_chain, log, registry::Registry,
    task_slot::with_current_contid,
};

/// The current task's contid, reserved, as a handle for C; null if it has
/// none that records name yet. It takes no lock, as audit_signal_info()
/// calls it in atomic context (the signal path holds RCU or
/// `tasklist_lock`).
#[no_mangle]
pub(crate) extern "C" fn audit_contid_reserve_current() -> *mut bindings::audit_contid_reservation {
    with_current_contid(|contid| {
        if !contid.is_announced() {
            return core::ptr::null_mut();
        }
        // The slot's hold keeps the contid, and through it the chain, from
        // being dropped meanwhile.
        contid.chain().for_each(Contid::reserve);
        let contid: Arc<Contid> = contid.into();
        contid.into_foreign().cast_mut().cast()
    })
    .unwrap_or(core::ptr::null_mut())
}

/// Gives back a handle from [`audit_contid_reserve_current`]; null is
/// fine. The ids of the chain whose containers have been dropped, and
/// that no other reservation keeps, may be set again: at once if
/// `may_sleep`, else from a work item scheduled here.
///
/// # Safety
///
/// `reservation` must be null or a handle from
/// [`audit_contid_reserve_current`] not given back before; with
/// `may_sleep`, the caller must be in process context with no spinlock
/// held.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_unreserve(
    reservation: *mut bindings::audit_contid_reservation,
    may_sleep: bool,
) {
    if reservation.is_null() {
        return;
    }
    // SAFETY: by the function's requirements, `reservation` owns a reference
    // made by `Arc::into_foreign` in `audit_contid_reserve_current`.
    let contid = unsafe { Arc::<Contid>::from_foreign(reservation.cast_const().cast()) };
    for reserved in contid.chain() {
        Registry::release_reservation(reserved, may_sleep);
    }
}

/// Writes the chain text of the reserved contid (`own[,^parent...]`, no
/// NUL) into `buf`, as much as fits in `size` bytes, and returns its whole
/// length: call it with `size` 0 to learn how much room it needs. A null
/// `reservation` (no contid) writes nothing and returns 0.
///
/// # Safety
///
/// `reservation` must be null or a handle from [`audit_contid_reserve_current`]
/// not given back yet, and `buf` valid for writes of `size` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_reservation_text(
    reservation: *const bindings::audit_contid_reservation,
    buf: *mut c_char,
    size: usize,
) -> usize {
    if reservation.is_null() {
        return 0;
    }
    // SAFETY: the handle owns a reference to the object (see above), kept
    // by the caller for this call.
    let contid = unsafe { Arc::<Contid>::borrow(reservation.cast()) };
    let mut out = CBuffer {
        buf: buf.cast(),
        size,
        len: 0,
    };
    // Cannot fail: `CBuffer` takes any length.
    let _ = write_chain(&mut out, contid.nesting_ids());
    out.len
}

/// Logs the CONTAINER_ID record number `record` of the reserved contid in
/// the event `ctx`, and says whether it did (so the record it describes
/// gets `record=<n>`); a null `reservation` logs nothing. It may run in
/// atomic context (a device's I/O completion), so it does not wait for
/// the audit backlog.
///
/// # Safety
///
/// `ctx` must be a local context (`audit_alloc_local()`) valid for the
/// call, and `reservation` null or a handle from
/// [`audit_contid_reserve_current`] not given back yet.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_reservation(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    reservation: *const bindings::audit_contid_reservation,
) -> bool {
    if reservation.is_null() {
        return false;
    }
    // SAFETY: the handle owns a reference to the object (see above), kept
    // by the caller for this call.
    let contid = unsafe { Arc::<Contid>::borrow(reservation.cast()) };
    // SAFETY: `ctx` is valid for this call, by the function's requirements.
    let ctx = unsafe { Context::from_raw(ctx) };
    log::container_id(ctx, GFP_ATOMIC, record, &contid)
}

/// A C buffer that takes the first `size` bytes of the text written to it
/// and counts them all.
///
/// # Invariants
///
/// `buf` is valid for writes of `size` bytes.
struct CBuffer {
    buf: *mut u8,
    size: usize,
    len: usize,
}

impl fmt::Write for CBuffer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.size.saturating_sub(self.len);
        let copied = text.len().min(room);
        if copied > 0 {
            // SAFETY: `len + copied <= size`, and `buf` is valid for
            // `size` bytes by the type invariant; `text` does not overlap
            // a buffer that C owns.
            unsafe {
                core::ptr::copy_nonoverlapping(text.as_ptr(), self.buf.add(self.len), copied)
            };
        }
        self.len += text.len();
        Ok(())
    }
}
