// SPDX-License-Identifier: GPL-2.0

//! Synthetic live ids, for benchmarks only (`CONFIG_AUDIT_CONTID_BENCH`,
//! driven by `synthetic.c`).
//!
//! `make bench` times a set with a million live ids. A guest cannot run a
//! million tasks, so these ids are registered with a hold that no task
//! has, exactly as a set registers one, and taken out again the way the
//! last task of a container leaves. They are never announced, so no
//! record names them, and no record is logged when they go.
//!
//! The first ones may also be counted in the writer's network namespace,
//! as containers with a task there: `make bench` times the fork and exit
//! of a container's task in a namespace shared with 10,000 containers.

use kernel::{
    alloc::flags::GFP_KERNEL,
    error::code::{EEXIST, ENOENT},
    rbtree::RBTreeNodeReservation,
};

use crate::{
    contid::{Contid, Hold},
    netns,
    registry::Registry,
};

/// Registers `id`, owned by the current task, with one hold that the
/// registered object keeps. Returns 0, or `-EEXIST` if `id` is live, or
/// `-ENOMEM`.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_synthetic_add(id: u64) -> core::ffi::c_int {
    let (contid, node) = match (
        Contid::new_owned_by_current(id, None),
        RBTreeNodeReservation::new(GFP_KERNEL),
    ) {
        (Ok(contid), Ok(node)) => (contid, node),
        (Err(err), _) | (_, Err(err)) => return err.to_errno(),
    };
    let mut registry = Registry::lock();
    if registry.contains(id) {
        return EEXIST.to_errno();
    }
    let hold = Hold::first(contid.clone(), None);
    registry.insert(node, contid);
    // `audit_contid_synthetic_remove` takes it back from the registry.
    hold.leave_to_registry();
    0
}

/// Takes out `id`, releasing its hold without a record.
///
/// # Safety
///
/// `id` must have been registered by [`audit_contid_synthetic_add`] and not
/// taken out since.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_synthetic_remove(id: u64) {
    let hold = {
        let mut registry = Registry::lock();
        match registry.lookup(id, None) {
            // SAFETY: by the function's safety requirements the registered
            // object is the one `audit_contid_synthetic_add` left its hold
            // to, not taken back; that hold kept it registered until now.
            (_, Some(contid)) => unsafe { Hold::take_back_from_registry(contid) },
            (_, None) => return,
        }
    };
    // Released with the registry unlocked: the last hold takes the lock.
    hold.release_quietly();
}

/// Counts the synthetic `id` as a container with one task in the current
/// task's network namespace. Returns 0, `-ENOENT` if `id` is not live,
/// or `-ENOMEM`.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_synthetic_netns_enter(id: u64) -> core::ffi::c_int {
    let mut registry = Registry::lock();
    let Some(contid) = registry.lookup(id, None).1 else {
        return ENOENT.to_errno();
    };
    // The registry keeps the object (its synthetic hold) while it is
    // counted: `audit_contid_synthetic_remove` comes after the uncount.
    match netns::count_synthetic(contid) {
        Ok(()) => 0,
        Err(err) => err.to_errno(),
    }
}

/// Takes back [`audit_contid_synthetic_netns_enter`] for `id`, from the
/// current task's network namespace, where it must have been made.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_synthetic_netns_leave(id: u64) {
    let mut registry = Registry::lock();
    if let Some(contid) = registry.lookup(id, None).1 {
        netns::uncount_synthetic(&contid);
    }
}
