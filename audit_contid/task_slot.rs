// SPDX-License-Identifier: GPL-2.0

//! `task_struct->audit_contid`: the slot through which a task is in its
//! container. It owns one [`Hold`] on the contid while the task lives.
//!
//! Filled by fork ([`inherit`]) or by a set ([`install`]),
//! replaced by a nested orchestrator's set, emptied by the task at exit
//! ([`exit`]), or taken back by a set that finds its target
//! exiting. The locking rules are those of
//! `include/linux/audit_contid.h`.

use core::{
    ptr,
    sync::atomic::{fence, Ordering},
};
use kernel::{
    bindings,
    sync::{rcu, Arc, ArcBorrow},
    task::Task,
    types::ForeignOwnable,
};

use crate::{
    contid::{Contid, Hold},
    netns::{self, SpareMember},
    task_tree::TaskLockGuard,
};

/// The contid a task's slot refers to.
///
/// # Safety
///
/// `slot` must be null or a value of a task's slot that keeps its hold for
/// `'a`: read under the task's `task_lock` held for `'a`, or by the task
/// itself under RCU held for `'a` (what a setter takes out of a live
/// task's slot is released after a grace period, [`Evicted`]), or by fork
/// from the parent under `write_lock(tasklist_lock)`, which keeps setters
/// out.
pub(crate) unsafe fn slot_contid<'a>(
    slot: *mut bindings::audit_contid,
) -> Option<ArcBorrow<'a, Contid>> {
    if slot.is_null() {
        return None;
    }
    // SAFETY: a non-null slot holds a reference made by `Hold::into_raw`
    // (`Arc::into_foreign`), alive for `'a` by the function's requirements.
    Some(unsafe { Arc::<Contid>::borrow(slot.cast_const().cast()) })
}

impl TaskLockGuard<'_> {
    /// The contid in the locked task's slot, if any: its hold stays while
    /// the task is locked, so the borrow lives no longer than the guard.
    pub(crate) fn contid(&self) -> Option<ArcBorrow<'_, Contid>> {
        let slot = self.task().audit_contid_slot().load(Ordering::Relaxed);
        // SAFETY: the guard's task is locked (its invariant), so the slot's
        // hold stays for the borrow of the guard.
        unsafe { slot_contid(slot) }
    }
}

/// The current task's contid, if it has one, while `rcu` is held: whatever
/// is in the slot, or is evicted from it meanwhile, keeps its hold until a
/// grace period has passed (see [`Evicted`]).
pub(crate) fn current_contid(_rcu: &rcu::Guard) -> Option<ArcBorrow<'_, Contid>> {
    let slot = kernel::current!()
        .audit_contid_slot()
        .load(Ordering::Acquire);
    // SAFETY: the slot's hold stays while `_rcu` is held, which bounds the
    // borrow.
    unsafe { slot_contid(slot) }
}

/// Holds taken out of the slot of a live task: the contid a nested
/// orchestrator replaced, and the one a set takes back from a task that
/// started exiting meanwhile. The task leaves those containers, as its
/// exit would have made it.
///
/// The task may still be reading the slot: it reads its own slot under
/// RCU without a lock (the rule filters, and its records, which take a
/// hold of their own there), so these holds are released only after a
/// grace period. Dropped with no lock held; it is rare (once per nested
/// relabel, or a set racing with the target's exit).
pub(crate) struct Evicted {
    holds: [Option<Hold>; 2],
    tgid: i32,
}

impl Drop for Evicted {
    fn drop(&mut self) {
        if self.holds.iter().all(Option::is_none) {
            return;
        }
        // SAFETY: no preconditions. It sleeps: by the type's rule no
        // spinlock is held.
        unsafe { bindings::synchronize_rcu() };
        for hold in self.holds.iter_mut().filter_map(Option::take) {
            hold.leave(self.tgid);
        }
    }
}

/// Stores `hold` in the slot of the locked task, counts it in its network
/// namespace as a task of that contid (with `spare` for the count, if it
/// needs memory), and returns what it replaced, uncounted.
///
/// If `target` turns out to be exiting, takes `hold` back too: the exiting
/// task may already have passed its exit hook, which would never release
/// it. Pairs with do_exit(): it sets `PF_EXITING` before a full barrier
/// and then reads the slot, so either the exiting task sees the new slot
/// or we see `PF_EXITING`.
pub(crate) fn install(
    locked: &TaskLockGuard<'_>,
    hold: Hold,
    spare: &mut Option<SpareMember>,
) -> Evicted {
    let task = locked.task();
    let slot = task.audit_contid_slot();
    let tgid = task.tgid_nr();
    // The old contid's count goes first: the task's mark of a missing
    // count speaks of the contid it has. `Evicted` waits for a grace
    // period before releasing the old one.
    if let Some(old) = locked.contid() {
        netns::leave(locked, &old);
    }
    // No count now; the slot refers to the contid from the next line on.
    netns::enter(locked, hold.as_arc_borrow(), spare);
    // Release: the target reads its own slot without a lock.
    let old = slot.swap(hold.into_raw(), Ordering::AcqRel);
    // SAFETY: a non-null slot owns a hold made by `Hold::into_raw`; it is
    // ours now that it is out of the slot.
    let replaced = (!old.is_null()).then(|| unsafe { Hold::from_raw(old) });
    fence(Ordering::SeqCst);
    if !task.is_exiting() {
        return Evicted {
            holds: [replaced, None],
            tgid,
        };
    }
    let raw = slot.swap(ptr::null_mut(), Ordering::Relaxed);
    // SAFETY: `raw` is what we stored just above; only we (holding
    // `task_lock`) could have changed it since.
    let taken_back = unsafe { Hold::from_raw(raw) };
    // Counted above, under the same lock.
    netns::leave(locked, &taken_back);
    Evicted {
        holds: [replaced, Some(taken_back)],
        tgid,
    }
}

/// Calls `f` with the current task's contid, if it has one, in an RCU
/// read section: whatever is in the slot, or is evicted from it meanwhile,
/// keeps its hold until a grace period has passed (see [`Evicted`]), so
/// the contid cannot be dropped during `f`, which must not sleep.
pub(crate) fn with_current_contid<R>(f: impl FnOnce(ArcBorrow<'_, Contid>) -> R) -> Option<R> {
    let rcu = rcu::read_lock();
    current_contid(&rcu).map(f)
}

/// A hold on the contid of the current task, for a record of its own.
pub(crate) fn current_hold() -> Option<Hold> {
    with_current_contid(Hold::another)
}

/// Fork: `child` joins `contid`, the container of the current task
/// (copy_process(), under `write_lock(tasklist_lock)`).
///
/// # Safety
///
/// `child` must be a task being created whose slot is null.
pub(crate) unsafe fn inherit(child: &Task, contid: ArcBorrow<'_, Contid>) {
    // The parent's hold keeps the count above zero.
    let hold = Hold::another(contid);
    // SAFETY: `child` is being created, and its slot refers to the
    // contid from the next line on.
    unsafe { netns::enter_new_task(child, hold.as_arc_borrow()) };
    // Not visible to anyone else yet.
    child
        .audit_contid_slot()
        .store(hold.into_raw(), Ordering::Relaxed);
}

/// do_exit(): the task leaves its container.
///
/// # Safety
///
/// `task` must be the current task, exiting: fork reads a parent's slot
/// without its `task_lock`, so no other task may empty it.
pub(crate) unsafe fn exit(task: &Task) {
    let (hold, last_in_netns) = {
        let locked = TaskLockGuard::new(task);
        let raw = task
            .audit_contid_slot()
            .swap(ptr::null_mut(), Ordering::Relaxed);
        if raw.is_null() {
            return;
        }
        // SAFETY: the slot held a hold made by `Hold::into_raw`, now ours.
        let hold = unsafe { Hold::from_raw(raw) };
        // Counted with this contid, and still in its namespace
        // (exit_task_namespaces() comes later).
        let last_in_netns = netns::leave(&locked, &hold);
        (hold, last_in_netns)
    };
    if last_in_netns {
        // A packet record may still be naming the contid from the list:
        // let it end before the hold goes, which may drop the container.
        // SAFETY: no preconditions; no lock is held.
        unsafe { bindings::synchronize_rcu() };
    }
    hold.leave(task.tgid_nr());
}
