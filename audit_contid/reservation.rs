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

use core::{ffi::c_char, fmt};
use kernel::{
    ffi::c_void,
    sync::{Arc, ArcBorrow},
    types::ForeignOwnable,
};

use crate::{contid::Contid, decisions::record::write_chain, registry::Registry};

/// A reserved chain: the ids of a contid and of the containers it is
/// nested in, kept registered until the reservation is given back
/// ([`Reservation::give_back`]; dropping one gives it back too, from a
/// work item). C keeps one as a `struct audit_contid_reservation` handle
/// through [`ForeignOwnable`].
///
/// # Invariants
///
/// `chain` is `Some` until the value is given back or handed to C, and
/// every contid of its chain counts one reservation for it
/// ([`Contid::reserve`]), given back once.
pub(crate) struct Reservation {
    chain: Option<Arc<Contid>>,
}

impl Reservation {
    /// Reserves the chain of `contid`, a contid that a hold keeps; none if
    /// it is not announced yet (no record names it). It takes no lock, as
    /// audit_signal_info() reserves in atomic context (the signal path
    /// holds RCU or `tasklist_lock`).
    pub(crate) fn new(contid: ArcBorrow<'_, Contid>) -> Option<Self> {
        if !contid.is_announced() {
            return None;
        }
        // The hold keeps the contid, and through it the chain, from being
        // dropped meanwhile.
        contid.chain().for_each(Contid::reserve);
        // INVARIANT: each contid of the chain counts this reservation.
        Some(Self {
            chain: Some(contid.into()),
        })
    }

    /// Gives the reservation back. The ids of the chain whose containers
    /// have been dropped, and that no other reservation keeps, may be set
    /// again: at once if `may_sleep`, else from a work item scheduled here.
    pub(crate) fn give_back(mut self, may_sleep: bool) {
        if let Some(contid) = self.chain.take() {
            release(&contid, may_sleep);
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(contid) = self.chain.take() {
            release(&contid, false);
        }
    }
}

/// Gives back the reservation that each contid of the chain of `contid`
/// counts for one [`Reservation`].
fn release(contid: &Contid, may_sleep: bool) {
    for reserved in contid.chain() {
        Registry::release_reservation(reserved, may_sleep);
    }
}

impl ForeignOwnable for Reservation {
    type Borrowed<'a> = ArcBorrow<'a, Contid>;

    fn into_foreign(mut self) -> *const c_void {
        // By the type invariant `chain` is `Some` here: C gets the
        // `Arc`'s own pointer, and the reservation goes with it.
        self.chain
            .take()
            .map_or(core::ptr::null(), Arc::into_foreign)
    }

    unsafe fn borrow<'a>(ptr: *const c_void) -> ArcBorrow<'a, Contid> {
        // SAFETY: by the function's requirements `ptr` came from
        // `Reservation::into_foreign`, which is `Arc::into_foreign`, and is
        // not taken back yet.
        unsafe { Arc::<Contid>::borrow(ptr) }
    }

    unsafe fn from_foreign(ptr: *const c_void) -> Self {
        // SAFETY: by the function's requirements `ptr` came from
        // `Reservation::into_foreign` (`Arc::into_foreign`) and this is the
        // one call that takes it back.
        let contid = unsafe { Arc::<Contid>::from_foreign(ptr) };
        // INVARIANT: the chain still counts the reservation that
        // `into_foreign` handed to C with this pointer.
        Self {
            chain: Some(contid),
        }
    }
}

/// Writes the chain text of `contid` (`own[,^parent...]`, no NUL) into
/// `buf`, as much as fits in `size` bytes, and returns its whole length.
///
/// # Safety
///
/// `buf` must be valid for writes of `size` bytes.
pub(crate) unsafe fn write_chain_text(contid: &Contid, buf: *mut c_char, size: usize) -> usize {
    // INVARIANT: `buf` is valid for `size` bytes by the function's
    // requirements.
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
