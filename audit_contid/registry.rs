// SPDX-License-Identifier: GPL-2.0

//! The registry: which ids are live, and the object each one names.
//!
//! A balanced tree (O(log n) with a million live ids) under one mutex.
//! The mutex is defined statically in C (`registry_lock.c`, taken with
//! `audit_contid_registry_lock()`) and the tree starts empty without
//! allocating, so the registry exists from the first task on: there is no
//! initcall, and no window in which a set could fail for want of it.
//!
//! An id stays registered from its first set until its drop record is in
//! the log, so it cannot be set again before that, and after that for as
//! long as auditd has yet to fetch a signal sent from it
//! ([`reservation`](crate::reservation)). Nothing is logged, and
//! nothing waits on auditd, with the registry locked.

use core::{cell::UnsafeCell, marker::PhantomData, ptr};
use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings,
    rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation},
    sync::{Arc, ArcBorrow},
    task::Task,
};

use crate::{contid::Contid, decisions::ladder::LiveOwner};

/// What the registry lock protects.
struct Registered {
    /// The live ids and their objects; `None` until first used.
    tree: Option<RBTree<u64, Arc<Contid>>>,
    /// The dropped contids whose ids stay registered for a reservation:
    /// retired once none is left, by whoever gives back the last one in
    /// process context, or by [`Registry::retire_deferred`] for one
    /// given back in atomic context. A contid that could not be listed
    /// here (no memory) is retired by the next lookup of its id.
    deferred: Option<RBTree<u64, Arc<Contid>>>,
}

/// The registry's data, accessed only with the registry lock held.
struct RegistryCell(UnsafeCell<Registered>);

// SAFETY: the data is only reached through a `RegistryGuard`, which holds
// the registry lock, so one task at a time uses it. Its contents (`u64`
// and `Arc<Contid>`) may be used and dropped by any task.
unsafe impl Sync for RegistryCell {}

static REGISTERED: RegistryCell = RegistryCell(UnsafeCell::new(Registered {
    tree: None,
    deferred: None,
}));

/// The registry: its lock, and what may be done without holding it.
pub(crate) struct Registry;

/// The registry, locked: the proof that a [`Contid`] field which changes
/// only under the registry lock (whether it is dropping, whether its
/// retirement is deferred) reads as it is, and the only way to the tree.
///
/// # Invariants
///
/// The guard holds the registry lock (`registry_lock.c`); there is one
/// guard at a time, so `&mut RegistryGuard` is the only way to the data
/// and `&RegistryGuard` excludes any `&mut`.
pub(crate) struct RegistryGuard {
    /// A mutex is released by the task that took it.
    _not_send: PhantomData<*mut ()>,
}

impl Registry {
    /// Locks the registry; may sleep.
    pub(crate) fn lock() -> RegistryGuard {
        // SAFETY: no preconditions; the lock is a statically initialised
        // mutex (`DEFINE_MUTEX`), valid forever.
        unsafe { bindings::audit_contid_registry_lock() };
        // INVARIANT: the lock is held.
        RegistryGuard {
            _not_send: PhantomData,
        }
    }

    /// Takes the id of a dropped contid out of the registry: it may be set
    /// again. Called after the drop record has been logged. If auditd has
    /// yet to fetch a signal sent from it, or a mapping it made lives, the
    /// id stays until they are given back.
    pub(crate) fn retire(contid: ArcBorrow<'_, Contid>) {
        // Allocated before the lock, and only if the id may have to wait:
        // a dropped contid takes no new reservation (they are taken under
        // a hold), so one not reserved now never is, and the last task's
        // exit pays no allocation.
        let node = contid
            .is_reserved()
            .then(|| RBTreeNode::new(contid.id(), Arc::from(contid), GFP_KERNEL).ok())
            .flatten();
        let removed = {
            let mut registry = Registry::lock();
            if contid.is_reserved() {
                contid.defer_retire(&registry);
                // Without memory for it, the next lookup of the id
                // retires it.
                if let Some(node) = node {
                    registry.deferred().insert(node);
                }
                None
            } else {
                registry.remove(&contid)
            }
        };
        // The object may be freed here, with the lock released.
        drop(removed);
    }

    /// Retires the ids that reservations given back in atomic context left
    /// registered: the work item that `audit_contid_schedule_retire()`
    /// (`registry_lock.c`) schedules, in process context.
    pub(crate) fn retire_deferred() {
        Registry::lock().retire_unreserved();
    }

    /// Gives back a reservation. The last one of a dropped contid retires
    /// its id: here if `may_sleep`, else from a work item (which takes
    /// this mutex), scheduled here.
    pub(crate) fn release_reservation(contid: &Contid, may_sleep: bool) {
        if !contid.unreserve() {
            return;
        }
        if may_sleep {
            Registry::lock().retire_unreserved();
        } else {
            // SAFETY: no preconditions; callable in atomic context.
            unsafe { bindings::audit_contid_schedule_retire() };
        }
    }
}

impl RegistryGuard {
    fn registered(&self) -> &Registered {
        // SAFETY: the lock is held (type invariant), and a `&mut` to the
        // data is only made from `&mut self`, which this borrow excludes.
        unsafe { &*REGISTERED.0.get() }
    }

    fn registered_mut(&mut self) -> &mut Registered {
        // SAFETY: the lock is held (type invariant), so this is the only
        // reference to the data; it lives as long as the guard is borrowed.
        unsafe { &mut *REGISTERED.0.get() }
    }

    /// The contid registered under `id`.
    fn get(&self, id: u64) -> Option<&Arc<Contid>> {
        self.registered().tree.as_ref()?.get(&id)
    }

    fn tree(&mut self) -> &mut RBTree<u64, Arc<Contid>> {
        self.registered_mut().tree.get_or_insert_with(RBTree::new)
    }

    fn deferred(&mut self) -> &mut RBTree<u64, Arc<Contid>> {
        self.registered_mut()
            .deferred
            .get_or_insert_with(RBTree::new)
    }

    /// Who may use `id`, as the ladder's step 7 asks, for `writer` (none
    /// for the kernel's own synthetic ids), and the object registered for
    /// it.
    pub(crate) fn lookup(
        &mut self,
        id: u64,
        writer: Option<&Task>,
    ) -> (LiveOwner, Option<ArcBorrow<'_, Contid>>) {
        let retire_now = match self.get(id) {
            None => return (LiveOwner::NotLive, None),
            // Auditd fetched the signal sent from this dropped contid in a
            // context that could not take this lock (see
            // `release_reservation`): retire it now.
            Some(contid) => {
                contid.is_dropping(self) && contid.is_retire_deferred(self) && !contid.is_reserved()
            }
        };
        if retire_now {
            // Its last reference may go here, which only frees memory.
            drop(self.tree().remove(&id));
            drop(self.deferred().remove(&id));
            return (LiveOwner::NotLive, None);
        }
        let Some(contid) = self.get(id) else {
            return (LiveOwner::NotLive, None);
        };
        let live_owner = if contid.is_dropping(self) {
            LiveOwner::Dropping
        } else if writer.is_some_and(|writer| contid.is_owned_by(writer)) {
            LiveOwner::Writer
        } else {
            LiveOwner::Other
        };
        (live_owner, Some(contid.as_arc_borrow()))
    }

    /// Whether `id` is registered, for the KUnit suite and synthetic ids.
    #[cfg(any(CONFIG_AUDIT_CONTID_KUNIT_TEST, CONFIG_AUDIT_CONTID_BENCH))]
    pub(crate) fn contains(&self, id: u64) -> bool {
        self.get(id).is_some()
    }

    /// How many ids are registered, for the stress tests.
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    pub(crate) fn len(&self) -> usize {
        self.registered()
            .tree
            .as_ref()
            .map_or(0, |tree| tree.iter().count())
    }

    /// Registers `contid` under its id, which must not be registered.
    pub(crate) fn insert(
        &mut self,
        node: RBTreeNodeReservation<u64, Arc<Contid>>,
        contid: Arc<Contid>,
    ) {
        let id = contid.id();
        self.tree().insert(node.into_node(id, contid));
    }

    /// Takes the dropped contids that no reservation keeps any more out of
    /// the registry: their ids may be set again. Their last references may
    /// go here, which only frees memory.
    fn retire_unreserved(&mut self) {
        let registered = self.registered_mut();
        let Some(deferred) = registered.deferred.as_mut() else {
            return;
        };
        let mut cursor = deferred.cursor_front();
        while let Some(current) = cursor {
            if current.current().1.is_reserved() {
                cursor = current.move_next();
                continue;
            }
            let (next, node) = current.remove_current();
            cursor = next;
            let (id, contid) = node.to_key_value();
            if let Some(tree) = registered.tree.as_mut() {
                if tree.get(&id).is_some_and(|live| ptr::eq(&**live, &*contid)) {
                    tree.remove(&id);
                }
            }
        }
    }

    /// Removes `contid` if it is the object registered under its id.
    fn remove(&mut self, contid: &Contid) -> Option<Arc<Contid>> {
        let tree = self.tree();
        match tree.get(&contid.id()) {
            Some(registered) if ptr::eq(&**registered, contid) => tree.remove(&contid.id()),
            _ => None,
        }
    }
}

impl Drop for RegistryGuard {
    fn drop(&mut self) {
        // SAFETY: the lock is held by this task (type invariant).
        unsafe { bindings::audit_contid_registry_unlock() };
    }
}
