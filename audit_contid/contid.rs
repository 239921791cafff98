// SPDX-License-Identifier: GPL-2.0

//! The contid object: one per live identifier, shared by the tasks of the
//! container, and the holds that keep it from being dropped.
//!
//! A container is dropped (its `op=drop` record logged and its id freed for
//! reuse) when the last [`Hold`] on it is released. Holds are taken by:
//!
//! - each task in the container (its `audit_contid` slot owns one);
//! - each container nested in it (its `parent`), as the records of a
//!   nested container name the whole chain;
//! - the writer that created it, until its `op=set` record is in the log;
//! - a writer whose record names it, until that record is in the log;
//! - the audit context of a syscall that signalled or ptraced one of its
//!   tasks, until the end of that event ([`targets`](crate::targets));
//! - a task logging its own CONTAINER_ID record, until it is logged.
//!
//! So every record that names a contid is logged while someone holds it,
//! and its drop record comes after all of them: a container is dropped
//! after the containers nested in it.
//!
//! A reservation for auditd ([`reservation`](crate::reservation)) is
//! not a hold: it does not delay the drop record, it only keeps the id
//! registered, so that nobody can set it again, until auditd has fetched
//! the name of the container that signalled it.

use core::{
    iter,
    mem::ManuallyDrop,
    ops::Deref,
    pin::Pin,
    ptr,
    sync::atomic::{AtomicBool, AtomicI32, AtomicU16, AtomicU32, AtomicU64, Ordering},
};
use kernel::{
    alloc::flags::GFP_KERNEL,
    bindings, new_spinlock,
    prelude::*,
    rbtree::RBTreeNodeReservation,
    sync::{Arc, ArcBorrow, SpinLock},
    task::Task,
    types::{ARef, ForeignOwnable},
};

use crate::{
    ima::AuditedFiles,
    log,
    registry::{Registry, RegistryGuard},
    stats,
};

/// How many contids have been announced since boot: a network namespace's
/// rendered list ([`crate::netns`]) is stale once this moves, as it may
/// leave out a member that was not announced yet.
static ANNOUNCEMENTS: AtomicU64 = AtomicU64::new(0);

/// The count of announcements so far. Acquire: pairs with
/// [`Contid::announce`], so a contid announced before the count was read
/// reads as announced.
pub(crate) fn announcements() -> u64 {
    ANNOUNCEMENTS.load(Ordering::Acquire)
}

/// An audit container identifier in use.
///
/// # Invariants
///
/// These order the audit trail; memory safety does not depend on them (the
/// `Arc` keeps the object alive). The callers of [`Hold::first`] and
/// [`Hold::another`] keep them by those functions' preconditions.
///
/// - `holds` counts the [`Hold`]s on this object. It goes from 1 to 0 only
///   with the registry locked, and never rises again from 0.
/// - While `holds > 0`, and after that until the drop record has been
///   logged, the registry maps `id` to this object.
/// - `announced` goes from false to true once, when the `op=set` record
///   that created the object has been logged (or could not be). Until
///   then the object is named in no record, and the writer that created it
///   holds it.
/// - `parent`, if any, counts as one hold on the parent from the first
///   hold on this object on ([`Hold::first`]), released when this object
///   is dropped (its last hold released).
#[pin_data(PinnedDrop)]
pub(crate) struct Contid {
    id: u64,
    /// The thread that first set `id`: the only one that may add more tasks.
    owner: ARef<Task>,
    /// The container this one is nested in: the writer's when it was made.
    parent: Option<Arc<Contid>>,
    holds: AtomicU32,
    announced: AtomicBool,
    /// The thread-group id of the task that left last, for the drop record.
    last_tgid: AtomicI32,
    /// Signals to auditd from this container that auditd has not fetched.
    reservations: AtomicU32,
    /// Dropped, with its id kept registered for `reservations`.
    retire_deferred: AtomicBool,
    /// The files whose IMA audit record its tasks logged; emptied when it
    /// is dropped.
    #[pin]
    audited_files: SpinLock<AuditedFiles>,
    /// How many keys `audited_files` holds; changed only with it locked.
    /// Not inside the lock: there it would cost the object 8 bytes of
    /// padding, and 64 bytes is what a live id may cost (with the `Arc`).
    audited_count: AtomicU16,
}

impl Contid {
    /// A new contid owned by the current task, nested in `parent`, in no
    /// task and not in the registry yet. It holds its parent only from
    /// [`Hold::first`] on.
    pub(crate) fn new_owned_by_current(id: u64, parent: Option<Arc<Contid>>) -> Result<Arc<Self>> {
        let owner: ARef<Task> = kernel::current!().into();
        let contid = Arc::pin_init(
            pin_init!(Contid {
                id,
                owner,
                parent,
                holds: AtomicU32::new(0),
                announced: AtomicBool::new(false),
                last_tgid: AtomicI32::new(0),
                reservations: AtomicU32::new(0),
                retire_deferred: AtomicBool::new(false),
                audited_files <- new_spinlock!(AuditedFiles::new(), "Contid::audited_files"),
                audited_count: AtomicU16::new(0),
            }),
            GFP_KERNEL,
        )?;
        stats::contid_made();
        Ok(contid)
    }

    /// The identifier.
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// Whether `task` owns this contid.
    pub(crate) fn is_owned_by(&self, task: &Task) -> bool {
        ptr::eq(&*self.owner, task)
    }

    /// Whether every task has left and nobody holds it: it is being dropped.
    /// Holds drop to 0 only with the registry locked, which `_registry`
    /// proves, so the answer stays true while it is held.
    pub(crate) fn is_dropping(&self, _registry: &RegistryGuard) -> bool {
        self.holds.load(Ordering::Relaxed) == 0
    }

    /// Releases a hold that may be the last; true if it was. Only with
    /// the registry locked, so that [`Contid::is_dropping`] holds while
    /// the registry is.
    fn release_last_hold(&self, _registry: &RegistryGuard) -> bool {
        self.holds.fetch_sub(1, Ordering::AcqRel) == 1
    }

    /// The number of holds, for the KUnit suite.
    #[cfg(CONFIG_AUDIT_CONTID_KUNIT_TEST)]
    pub(crate) fn holds(&self) -> usize {
        self.holds.load(Ordering::Relaxed) as usize
    }

    /// This contid and the ones it is nested in, innermost first.
    pub(crate) fn chain(&self) -> impl Iterator<Item = &Contid> + Clone {
        iter::successors(Some(self), |contid| contid.parent.as_deref())
    }

    /// The ids of [`Contid::chain`].
    pub(crate) fn nesting_ids(&self) -> impl Iterator<Item = u64> + Clone + '_ {
        self.chain().map(|contid| contid.id)
    }

    /// Whether records may name it: its `op=set` record is in the log, and
    /// those of the containers it is nested in (whose writer may still be
    /// logging when a nested engine that it just labelled makes this one).
    pub(crate) fn is_announced(&self) -> bool {
        // Acquire: pairs with `announce`, so whoever sees it announced
        // logs after the `op=set` record was queued.
        self.chain()
            .all(|contid| contid.announced.load(Ordering::Acquire))
    }

    /// The owner, for the ladder's nesting rule; the object holds a
    /// reference on it.
    pub(crate) fn owner(&self) -> &Task {
        &self.owner
    }

    /// Lets records name it; called by its creator once the `op=set`
    /// record has been logged, before the creator's hold is released.
    pub(crate) fn announce(&self) {
        self.announced.store(true, Ordering::Release);
        // Release: whoever reads the new count sees this one announced.
        ANNOUNCEMENTS.fetch_add(1, Ordering::Release);
    }

    /// Keeps the id registered until [`Contid::unreserve`],
    /// even after the drop record. The caller has a hold on this contid or
    /// one nested in it, or reads that from its own slot under RCU, so
    /// this one is not dropped yet.
    pub(crate) fn reserve(&self) {
        // INVARIANT: it rises while holds remain, by the caller's
        // guarantee. Whoever releases the last hold (after the caller's
        // hold, or a grace period after the caller's read) sees it.
        self.reservations.fetch_add(1, Ordering::SeqCst);
    }

    /// Gives back a reservation; true if it was the last.
    pub(crate) fn unreserve(&self) -> bool {
        self.reservations.fetch_sub(1, Ordering::SeqCst) == 1
    }

    /// Whether auditd has yet to fetch a signal from this container.
    /// Reliable only with the registry locked (a reservation may be given
    /// back without the lock, which is the conservative direction).
    pub(crate) fn is_reserved(&self) -> bool {
        self.reservations.load(Ordering::SeqCst) > 0
    }

    /// Notes that the drop record is in the log, but the id stays
    /// registered for auditd.
    pub(crate) fn defer_retire(&self, _registry: &RegistryGuard) {
        self.retire_deferred.store(true, Ordering::Relaxed);
    }

    /// Whether its tasks audited the file with key `file_key`
    /// ([`ima`](crate::ima)). One whose `op=set` record is not in the log
    /// yet audited none: its tasks' records named no container.
    pub(crate) fn has_audited_file(&self, file_key: u64) -> bool {
        self.is_announced() && self.audited_files.lock().contains(file_key)
    }

    /// Notes that its tasks audited the file with key `file_key`, in
    /// `spare`'s node; returns the node if it was not used, to be freed
    /// after the lock. One not announced yet notes nothing: its record
    /// named no container, so the file is audited again once it is.
    pub(crate) fn note_audited_file(
        &self,
        file_key: u64,
        spare: RBTreeNodeReservation<u64, ()>,
    ) -> Option<RBTreeNodeReservation<u64, ()>> {
        if !self.is_announced() {
            return Some(spare);
        }
        self.audited_files
            .lock()
            .insert(&self.audited_count, file_key, spare)
    }

    /// Whether the drop record is in the log and the id may be retired as
    /// soon as auditd has fetched it; set only with the registry locked.
    pub(crate) fn is_retire_deferred(&self, _registry: &RegistryGuard) -> bool {
        self.retire_deferred.load(Ordering::Relaxed)
    }
}

/// One claim on a contid that keeps it from being dropped.
///
/// Released on drop: the last release logs the container's drop record and
/// frees its id for reuse. Drop it in process context with no lock held
/// that others need, as that may wait for the audit backlog.
pub(crate) struct Hold {
    contid: ManuallyDrop<Arc<Contid>>,
}

impl Hold {
    /// The first hold on a new contid; call it before anyone else can see
    /// the object, and only once. `parent` is a hold on the contid it is
    /// nested in (none if it is not nested), which the object keeps.
    pub(crate) fn first(contid: Arc<Contid>, parent: Option<Hold>) -> Hold {
        debug_assert!(match (&contid.parent, &parent) {
            (Some(field), Some(hold)) => ptr::eq(&**field, &**hold),
            (None, None) => true,
            _ => false,
        });
        // INVARIANT: the object's `parent` field owns the parent's hold
        // from now on; the hold's own reference is not needed.
        drop(parent.map(Hold::into_arc));
        // INVARIANT: nobody else knows the object yet, so its count is 0
        // only because it is new, not because it was dropped.
        contid.holds.store(1, Ordering::Relaxed);
        Hold {
            contid: ManuallyDrop::new(contid),
        }
    }

    /// Another hold on `contid`, whose holds are known not to drop to zero
    /// meanwhile: the caller has one, or reads it from the slot of a task
    /// it keeps from exiting (under `task_lock`), or has checked that holds
    /// remain with the registry locked.
    pub(crate) fn another(contid: ArcBorrow<'_, Contid>) -> Hold {
        // INVARIANT: the count is above 0 by the caller's guarantee, so it
        // does not rise from 0.
        contid.holds.fetch_add(1, Ordering::Relaxed);
        Hold {
            contid: ManuallyDrop::new(contid.into()),
        }
    }

    /// The contid held, for taking another hold on it.
    pub(crate) fn as_arc_borrow(&self) -> ArcBorrow<'_, Contid> {
        self.contid.as_arc_borrow()
    }

    /// A reference to the contid held, which is not a hold.
    pub(crate) fn to_arc(&self) -> Arc<Contid> {
        self.as_arc_borrow().into()
    }

    /// Gives up the hold without releasing it, for a caller that keeps the
    /// claim in another form.
    fn into_arc(self) -> Arc<Contid> {
        let mut this = ManuallyDrop::new(self);
        // SAFETY: `this` is never dropped, so its field is taken only once.
        unsafe { ManuallyDrop::take(&mut this.contid) }
    }

    /// Turns the hold into the handle C keeps (a task's slot, a syscall's
    /// signal target): the object's reference as `ForeignOwnable` makes
    /// it, and its hold.
    pub(crate) fn into_raw(self) -> *mut bindings::audit_contid {
        self.into_arc().into_foreign().cast_mut().cast()
    }

    /// Takes back a hold that [`Hold::into_raw`] turned into `raw`.
    ///
    /// # Safety
    ///
    /// `raw` must come from [`Hold::into_raw`] and not have been taken back.
    pub(crate) unsafe fn from_raw(raw: *mut bindings::audit_contid) -> Hold {
        // SAFETY: by the function's safety requirements, `raw` came from
        // `Arc::into_foreign` and owns that reference.
        let contid = unsafe { Arc::<Contid>::from_foreign(raw.cast_const().cast()) };
        Hold {
            contid: ManuallyDrop::new(contid),
        }
    }

    /// Leaves the hold to the registry, whose reference keeps the object:
    /// a synthetic id's, which no task has.
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    pub(crate) fn leave_to_registry(self) {
        drop(self.into_arc());
    }

    /// Takes back the hold that [`Hold::leave_to_registry`] left on
    /// `contid`.
    ///
    /// # Safety
    ///
    /// `contid` must have such a hold, not taken back yet.
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    pub(crate) unsafe fn take_back_from_registry(contid: ArcBorrow<'_, Contid>) -> Hold {
        // INVARIANT: no hold is added; the one left to the registry is
        // taken back, with a reference of its own.
        Hold {
            contid: ManuallyDrop::new(contid.into()),
        }
    }

    /// The hold of a task that leaves the container, whose thread-group id
    /// is `tgid`; names it in the drop record if it is the last.
    pub(crate) fn leave(self, tgid: i32) {
        let contid = self.into_arc();
        contid.last_tgid.store(tgid, Ordering::Relaxed);
        release(contid, Some(tgid), true);
    }

    /// Releases the hold without logging a drop record: for the KUnit
    /// suite, which runs at boot, and for synthetic ids, never announced.
    #[cfg(any(CONFIG_AUDIT_CONTID_KUNIT_TEST, CONFIG_AUDIT_CONTID_BENCH))]
    pub(crate) fn release_quietly(self) {
        release(self.into_arc(), None, false);
    }
}

impl Deref for Hold {
    type Target = Contid;

    fn deref(&self) -> &Contid {
        &self.contid
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        // SAFETY: `drop` runs once, and the field is not used after.
        let contid = unsafe { ManuallyDrop::take(&mut self.contid) };
        release(contid, None, true);
    }
}

/// Releases one hold on `contid`. The last one logs the drop record (if
/// `record`), naming the task `opid` or else the last one that left, takes
/// the id out of the registry, and releases the hold the contid had on the
/// one it is nested in: a loop, not a recursion, so a deep chain costs no
/// stack.
fn release(contid: Arc<Contid>, opid: Option<i32>, record: bool) {
    let mut next = Some((contid, opid));
    while let Some((contid, opid)) = next.take() {
        if !release_one(&contid) {
            return;
        }
        if record {
            let opid = opid.unwrap_or_else(|| contid.last_tgid.load(Ordering::Relaxed));
            log::op_drop(opid, &contid);
        }
        Registry::retire(contid.as_arc_borrow());
        // Freed with the container, not with the object, which a
        // reservation may keep.
        let audited_files = contid.audited_files.lock().take(&contid.audited_count);
        drop(audited_files);
        // INVARIANT: the dropped contid's hold on its parent is released
        // here, once; the field itself is only an `Arc` from now on.
        next = contid.parent.clone().map(|parent| (parent, None));
    }
}

/// Releases one hold on `contid`; true if it was the last, and the contid
/// is now being dropped.
fn release_one(contid: &Contid) -> bool {
    let not_last = contid
        .holds
        .fetch_update(Ordering::Release, Ordering::Relaxed, |holds| {
            (holds > 1).then(|| holds - 1)
        });
    if not_last.is_ok() {
        return false;
    }
    // Maybe the last: decide with the registry locked, so that no writer
    // joins a container that is being dropped. The id stays in the
    // registry, where `is_dropping` refuses it to every writer, until its
    // drop record is in the log.
    let registry = Registry::lock();
    contid.release_last_hold(&registry)
}

#[pinned_drop]
impl PinnedDrop for Contid {
    /// Frees the chain of parents iteratively: the default drop would
    /// recurse once per level, and chains have no depth limit.
    fn drop(self: Pin<&mut Self>) {
        stats::contid_freed();
        // SAFETY: only the `parent` field is moved out, which is not
        // structurally pinned.
        let mut parent = unsafe { Pin::get_unchecked_mut(self) }.parent.take();
        while let Some(contid) = parent {
            // The last reference: unlink its parent before it is freed.
            parent = contid.into_unique_or_drop().and_then(|mut unique| {
                // SAFETY: as above, only the unpinned `parent` field is
                // moved out.
                unsafe { Pin::get_unchecked_mut(unique.as_mut()) }
                    .parent
                    .take()
            });
        }
    }
}
