// SPDX-License-Identifier: GPL-2.0

//! The container of the task that signalled auditd (patch "audit: name
//! the container of the task that signalled auditd").
//!
//! When a task sends auditd SIGTERM, SIGHUP, SIGUSR1 or SIGUSR2, the
//! kernel notes who did it, and auditd fetches that with AUDIT_SIGNAL_INFO2
//! (or the older AUDIT_SIGNAL_INFO, which does not name the container)
//! and logs it in its DAEMON_* record. The sender's contid is noted with a
//! *reservation*: a reference to the object that keeps its id, and those
//! of the containers it is nested in, registered (`ENOTUNIQ` to every
//! writer) until auditd has fetched them, so the chain in the daemon
//! record names the containers that sent the signal, never ones that
//! reused the ids afterwards. It is not a hold: the containers' drop
//! records are logged on time, when their last tasks leave.
//!
//! kernel/audit.c keeps the one reservation in `audit_sig_contid` and
//! gives it back when auditd fetches it, when a later signal replaces it,
//! and when auditd goes away.

use core::{ffi::c_char, fmt, sync::atomic::Ordering};
use kernel::{bindings, sync::Arc};

use crate::{
    contid::Contid,
    decisions::record::write_chain,
    registry::Registry,
    task_slot::{slot_contid, task_slot},
};

/// The current task's contid, reserved for auditd, as a handle for
/// `audit_sig_contid`; null if it has none that records name yet. Called
/// by audit_signal_info(), in atomic context (the signal path holds RCU or
/// `tasklist_lock`): it takes no lock.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_reserve_sender() -> *mut bindings::audit_contid_reservation {
    // SAFETY: no preconditions.
    let current = unsafe { bindings::get_current() };
    let _rcu = kernel::sync::rcu::read_lock();
    // SAFETY: `current` is valid; its own slot's hold stays for the RCU
    // read section (what a setter evicts is released after a grace
    // period).
    let Some(contid) = (unsafe { slot_contid(task_slot(current).load(Ordering::Acquire)) }) else {
        return core::ptr::null_mut();
    };
    if !contid.is_announced() {
        return core::ptr::null_mut();
    }
    // The slot's hold keeps the contid, and through it the chain, from
    // being dropped meanwhile.
    contid.chain().for_each(Contid::reserve_for_auditd);
    let contid: Arc<Contid> = contid.into();
    Arc::into_raw(contid).cast_mut().cast()
}

/// Gives back a handle from [`audit_contid_reserve_sender`]; null is
/// fine. The ids of the chain whose containers have been dropped, and
/// that no other reservation keeps, may be set again: at once if
/// `may_sleep`, else from the next set of each id on.
///
/// # Safety
///
/// `sender` must be null or a handle from [`audit_contid_reserve_sender`]
/// not given back before; with `may_sleep`, the caller must be in process
/// context with no spinlock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_unreserve_sender(
    sender: *mut bindings::audit_contid_reservation,
    may_sleep: bool,
) {
    if sender.is_null() {
        return;
    }
    // SAFETY: by the function's requirements, `sender` owns a reference
    // made by `Arc::into_raw` in `audit_contid_reserve_sender`.
    let contid = unsafe { Arc::from_raw(sender.cast::<Contid>().cast_const()) };
    for reserved in contid.chain() {
        Registry::release_auditd_reservation(reserved, may_sleep);
    }
}

/// Writes the chain text of the sender's contid (`own[,^parent...]`, no
/// NUL) into `buf`, as much as fits in `size` bytes, and returns its whole
/// length: call it with `size` 0 to learn how much room it needs. Null
/// `sender` (no contid) writes nothing and returns 0.
///
/// # Safety
///
/// `sender` must be null or a handle from [`audit_contid_reserve_sender`]
/// not given back yet, and `buf` valid for writes of `size` bytes.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_sender_text(
    sender: *const bindings::audit_contid_reservation,
    buf: *mut c_char,
    size: usize,
) -> usize {
    if sender.is_null() {
        return 0;
    }
    // SAFETY: the handle owns a reference to the object (see above), kept
    // by the caller for this call.
    let contid = unsafe { &*sender.cast::<Contid>() };
    let mut out = CBuffer {
        buf: buf.cast(),
        size,
        len: 0,
    };
    // Cannot fail: `CBuffer` takes any length.
    let _ = write_chain(&mut out, contid.nesting_ids());
    out.len
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
