// SPDX-License-Identifier: GPL-2.0

//! Entry points for the KUnit suite (`audit_contid_kunit.c`): they drive
//! the registry and the holds the way set, fork and exit do, without user
//! space and without records (the suite runs at boot).

use core::ptr;
use kernel::{alloc::flags::GFP_KERNEL, bindings, rbtree::RBTreeNodeReservation};

use crate::{
    contid::{Contid, Hold},
    registry::Registry,
    task_slot::slot_contid,
};

/// Registers `id`, owned by the current task, with one task in it, as a
/// successful set does. Returns that task's hold, or null if `id` is live
/// already or memory is short.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_kunit_create(id: u64) -> *mut bindings::audit_contid {
    let contid = Contid::new_owned_by_current(id, None);
    let (Ok(contid), Ok(node)) = (contid, RBTreeNodeReservation::new(GFP_KERNEL)) else {
        return ptr::null_mut();
    };
    let mut registry = Registry::lock();
    if registry.contains(id) {
        return ptr::null_mut();
    }
    let hold = Hold::first(contid.clone(), None);
    registry.insert(node, contid);
    // There is no record to wait for.
    hold.announce();
    hold.into_raw()
}

/// Another task joins, as at fork; returns its hold.
///
/// # Safety
///
/// `contid` must be a live hold from these hooks.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_kunit_join(
    contid: *mut bindings::audit_contid,
) -> *mut bindings::audit_contid {
    // SAFETY: by the function's safety requirements.
    match unsafe { slot_contid(contid) } {
        Some(contid) => Hold::another(contid).into_raw(),
        None => ptr::null_mut(),
    }
}

/// A task leaves, as at exit; consumes its hold.
///
/// # Safety
///
/// `contid` must be a live hold from these hooks, not used after.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_kunit_leave(contid: *mut bindings::audit_contid) {
    if contid.is_null() {
        return;
    }
    // SAFETY: by the function's safety requirements.
    unsafe { Hold::from_raw(contid) }.release_quietly();
}

/// Whether `id` is live (registered).
#[no_mangle]
pub(crate) extern "C" fn audit_contid_kunit_is_live(id: u64) -> bool {
    Registry::lock().contains(id)
}

/// The number of holds on `contid`: its tasks, here.
///
/// # Safety
///
/// `contid` must be a live hold from these hooks.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_kunit_live_tasks(
    contid: *mut bindings::audit_contid,
) -> usize {
    // SAFETY: by the function's safety requirements.
    unsafe { slot_contid(contid) }.map_or(0, |contid| contid.holds())
}
