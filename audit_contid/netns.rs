// SPDX-License-Identifier: GPL-2.0

//! Network-namespace membership: which containers have tasks in each
//! network namespace, for the records of packets (NETFILTER_PKT), which
//! have no task behind them.
//!
//! Each namespace has a [`NetnsMembers`] list (kept in its `struct
//! audit_net`, kernel/audit.c): one [`Member`] per contid with tasks in it,
//! counting them. Every task with a contid is counted once, in the
//! namespace it is in, and the count moves with it:
//!
//! - fork and clone, with or without `CLONE_NEWNET`
//!   ([`enter_new_task`], from [`inherit`](crate::task_slot::inherit));
//! - a set, which also leaves the contid a nested label replaces
//!   ([`install`](crate::task_slot::install));
//! - unshare and setns ([`switch`]);
//! - exit ([`exit`](crate::task_slot::exit)).
//!
//! A task's slot and its namespace change only under its `task_lock` (a
//! child's before anyone can see it), and the count changes under the
//! same lock, so the two always agree. The leaving half of exit is done
//! there too, before `exit_task_namespaces()` (which then sees no contid),
//! and a failed fork never counted its child, so nothing is uncounted
//! twice.
//!
//! # Locking
//!
//! - A list changes (a member added, unlinked, or its count changed) only
//!   with its spinlock held, and interrupts off ([`IrqsOffGuard`], which
//!   [`NetnsMembers::lock_writers`] asks for). The lock is taken inside
//!   `task_lock` and `tasklist_lock`, and nothing is taken inside it. Under it, writers find a container's member through an
//!   index (a tree by the contid's address), so a fork, exit or setns in a
//!   namespace shared by thousands of containers (host networking) holds
//!   these locks for O(log n), not for a walk of the list.
//! - Readers, the packet records in softirq, take no lock: they walk the
//!   list under RCU. An unlinked member is freed after a grace period
//!   (`call_rcu`).
//! - A member holds a reference to its contid, not a hold: the tasks it
//!   counts hold it. A task that unlinks a member as it leaves waits for a
//!   grace period before releasing its own hold (which may drop the
//!   container), so a packet record that named the contid is in the log
//!   before its drop record.
//!
//! # The rendered list
//!
//! The text of a list changes only when a container enters or leaves the
//! namespace, or one of its containers is announced, not when a task
//! count changes. So a packet does not spell the list: it copies a
//! [`RenderedList`] kept with it, which the first packet to find it stale
//! renders again (lazily, in the packet's context, without a lock). The
//! writers only bump `changes` when they link or unlink a member, so fork,
//! exit and setns do no more work under their locks however many
//! containers share the namespace. Staleness is two counts: the list's
//! `changes`, and [`contid::announcements`]. A rendering is read under
//! RCU, and one that is replaced is freed a grace period later. A rendering
//! that still names a member unlinked since is read only by a packet whose
//! read-side section began before the unlink's grace period ended, as for
//! the list itself, so its records still come before the drop record.

use core::{
    fmt::{self, Display, Write},
    marker::PhantomData,
    mem::MaybeUninit,
    pin::Pin,
    ptr, str,
    sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering},
};
use kernel::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        AllocError, Flags, KBox, KVec,
    },
    audit::{self, record_type, AuditBuffer, Context, TrustedText},
    bindings, c_str, new_spinlock,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    sync::{
        lock::{spinlock::SpinLockBackend, Guard},
        rcu, Arc, ArcBorrow, SpinLock,
    },
    task::Task,
    types::{ForeignOwnable, Opaque},
};

use crate::{
    contid::{self, Contid},
    decisions::record::{ListHead, ListRenderer, NETNS_LIST_BUDGET},
    stats,
    task_tree::TaskLockGuard,
};

// SAFETY: numbers and fixed words only (`record_tests` checks the text).
unsafe impl TrustedText for ListHead {}

/// The tasks of one container in one network namespace.
///
/// # Invariants
///
/// While linked in a list, `tasks` is at least 1 and the list's index maps
/// `contid`'s address to it. It is unlinked and taken out of the index,
/// with the list's lock held, when `tasks` drops to 0, and freed a grace
/// period after that.
#[repr(C)]
struct Member {
    /// For freeing after a grace period; first, so that the callback finds
    /// the member from it.
    rcu: Opaque<bindings::callback_head>,
    /// Its place in the list (an RCU list: `list_add_rcu`).
    links: Opaque<bindings::list_head>,
    /// The tasks of `contid` in the namespace.
    tasks: Opaque<bindings::refcount_t>,
    contid: Arc<Contid>,
}

/// A linked member, as the index keeps it.
struct MemberRef(*mut Member);

// SAFETY: the pointer is only followed with the list's lock held, on
// whichever CPU holds it; the member is valid while it is indexed.
unsafe impl Send for MemberRef {}

/// The index of a list's members by their contid's address: the writers'
/// way to a container's member in O(log n) whatever the namespace holds
/// (host networking puts every container in one).
type Index = RBTree<usize, MemberRef>;

/// Memory for a member and its place in the index, allocated where a task
/// may sleep, for a count that is taken under a spinlock.
pub(crate) struct SpareMember {
    member: KBox<MaybeUninit<Member>>,
    node: RBTreeNodeReservation<usize, MemberRef>,
}

impl SpareMember {
    /// Allocates one.
    pub(crate) fn new(flags: Flags) -> Result<Self> {
        Ok(SpareMember {
            member: KBox::new_uninit(flags)?,
            node: RBTreeNodeReservation::new(flags)?,
        })
    }
}

/// What the writers of a list share, under its lock.
struct Writers {
    /// Memory for the first member, allocated with the namespace: the fork
    /// that creates a namespace (`CLONE_NEWNET`) counts its child under
    /// `tasklist_lock`, where it should not have to allocate.
    spare: Option<SpareMember>,
    /// The linked members, by their contid's address.
    index: Index,
}

/// The containers with tasks in one network namespace.
#[pin_data(PinnedDrop)]
pub(crate) struct NetnsMembers {
    /// The members, most recently added first: an RCU list, read under
    /// RCU, changed with `writers` locked.
    #[pin]
    head: Opaque<bindings::list_head>,
    #[pin]
    writers: SpinLock<Writers>,
    /// How many times a member was linked or unlinked; changed with
    /// `writers` locked, after the list (release), read without a lock.
    changes: AtomicU64,
    /// The list as the packets' records spell it, or null before the first
    /// packet: read under RCU, replaced by a packet that finds it stale,
    /// the old one freed a grace period later ([`RenderedList`]).
    rendered: AtomicPtr<RenderedList>,
}

#[pinned_drop]
impl PinnedDrop for NetnsMembers {
    fn drop(self: Pin<&mut Self>) {
        // Relaxed: the list is being freed, so nothing writes it any more.
        let rendered = self.rendered.load(Ordering::Relaxed);
        if !rendered.is_null() {
            // SAFETY: a published rendering comes from `KBox::into_raw`
            // and is owned by the list; the list is being freed, so no
            // packet reads it any more.
            drop(unsafe { KBox::from_raw(rendered) });
        }
    }
}

/// A list as its packets' CONTAINER_ID records spell it: the entries of
/// all its records, one after another, and where each record's part
/// starts.
///
/// # Invariants
///
/// `text` is whole [`ListEntry`](crate::decisions::record::ListEntry) texts,
/// so valid UTF-8 (ASCII). The `part_starts` are increasing offsets into
/// it, the first 0; there are none when no member was announced.
#[repr(C)]
struct RenderedList {
    /// For freeing after a grace period; first, so that the callback finds
    /// the rendering from it.
    rcu: Opaque<bindings::callback_head>,
    /// The list's `changes` and [`contid::announcements`] when it was
    /// rendered: it is stale once either moves.
    changes: u64,
    announcements: u64,
    part_starts: KVec<usize>,
    text: KVec<u8>,
}

/// Appends text to a vector, allocating as a packet may (atomically).
struct AtomicText<'a>(&'a mut KVec<u8>);

impl Write for AtomicText<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0
            .extend_from_slice(text.as_bytes(), GFP_ATOMIC)
            .map_err(|_| fmt::Error)
    }
}

/// One record's part of a [`RenderedList`].
struct RenderedPart<'a>(&'a str);

impl Display for RenderedPart<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

// SAFETY: whole `ListEntry` texts (the `RenderedList` invariant): numbers,
// `,` and `,^` only (`record_tests` checks the text).
unsafe impl TrustedText for RenderedPart<'_> {}

impl RenderedList {
    /// Renders `list` as it reads now, under RCU; stamped with the counts
    /// `changes` and `announcements`, read before the walk, so that a
    /// change during the walk leaves it stale.
    fn render(
        list: &NetnsMembers,
        changes: u64,
        announcements: u64,
        rcu: &rcu::Guard,
    ) -> Result<KBox<Self>, AllocError> {
        let mut part_starts = KVec::new();
        let mut text = KVec::new();
        let mut renderer = ListRenderer::new(NETNS_LIST_BUDGET);
        for contid in list
            .members(rcu)
            .map(|member| &*member.contid)
            .filter(|contid| contid.is_announced())
        {
            // The only error is a failed allocation.
            let start = renderer
                .push(&mut AtomicText(&mut text), contid.nesting_ids())
                .map_err(|_| AllocError)?;
            if let Some(start) = start {
                part_starts.push(start, GFP_ATOMIC)?;
            }
        }
        // INVARIANT: whole entries, and where the renderer started parts.
        KBox::new(
            RenderedList {
                rcu: Opaque::uninit(),
                changes,
                announcements,
                part_starts,
                text,
            },
            GFP_ATOMIC,
        )
    }

    /// Whether nothing changed since it was rendered.
    fn is_current(&self, changes: u64, announcements: u64) -> bool {
        self.changes == changes && self.announcements == announcements
    }

    /// Each record's part, in order.
    fn parts(&self) -> impl Iterator<Item = RenderedPart<'_>> + '_ {
        // `Iterator::` by name: the kernel's `Init` has a `chain` too.
        let ends = Iterator::chain(self.part_starts.iter().skip(1).copied(), [self.text.len()]);
        self.part_starts
            .iter()
            .zip(ends)
            // Always `Ok` by the type invariant: whole entries, ASCII.
            .filter_map(|(&start, end)| str::from_utf8(&self.text[start..end]).ok())
            .map(RenderedPart)
    }

    /// Frees a rendering that was published, a grace period from now.
    ///
    /// # Safety
    ///
    /// `rendered` must come from `KBox::into_raw`, be unpublished (no new
    /// reader finds it), and not be freed otherwise.
    unsafe fn free_after_grace_period(rendered: *mut RenderedList) {
        /// # Safety
        ///
        /// `head` must be the `rcu` field of a rendering given to
        /// `call_rcu`.
        unsafe extern "C" fn free_rendered(head: *mut bindings::callback_head) {
            // SAFETY: `rcu` is the first field of the `repr(C)` rendering
            // that `call_rcu` was given below, which owns it from then on.
            drop(unsafe { KBox::from_raw(head.cast::<RenderedList>()) });
        }
        // SAFETY: `rendered` is valid and ours; its `rcu` field is free for
        // use.
        unsafe { bindings::call_rcu((*rendered).rcu.get(), Some(free_rendered)) };
    }
}

/// A rendering for one packet: the list's, or the packet's own when
/// another packet published a newer one meanwhile.
enum Rendered<'g> {
    Kept(&'g RenderedList),
    Own(KBox<RenderedList>),
}

impl core::ops::Deref for Rendered<'_> {
    type Target = RenderedList;

    fn deref(&self) -> &RenderedList {
        match self {
            Rendered::Kept(rendered) => rendered,
            Rendered::Own(rendered) => rendered,
        }
    }
}

/// Interrupts disabled on this CPU, for holding a list's lock: it is taken
/// inside `tasklist_lock`, which interrupts may read-lock, so it must
/// never be held with interrupts on (a CPU holding it could be
/// interrupted into a `read_lock(&tasklist_lock)` that waits for a writer
/// spinning on it).
struct IrqsOffGuard {
    flags: usize,
    /// Restored on the CPU that saved them.
    _not_send: PhantomData<*mut ()>,
}

impl IrqsOffGuard {
    fn new() -> Self {
        // SAFETY: no preconditions; restored in `drop`.
        let flags = unsafe { bindings::audit_contid_irq_save() } as usize;
        IrqsOffGuard {
            flags,
            _not_send: PhantomData,
        }
    }
}

impl Drop for IrqsOffGuard {
    fn drop(&mut self) {
        // SAFETY: the flags saved in `new`, on this CPU.
        unsafe { bindings::audit_contid_irq_restore(self.flags as _) };
    }
}

/// The link after `link` in an RCU list, as `rcu_dereference()` reads it.
///
/// # Safety
///
/// `link` must be a valid list head or entry, read under RCU or with the
/// list's lock held.
unsafe fn next_link(link: *mut bindings::list_head) -> *mut bindings::list_head {
    // SAFETY: `link` is valid; its `next` is written with
    // `rcu_assign_pointer()` (a release) by `list_add_rcu()`. Acquire:
    // the entry it points to is seen whole.
    unsafe { AtomicPtr::from_ptr(&raw mut (*link).next) }.load(Ordering::Acquire)
}

/// A list's members, for a reader under RCU: `'a` is bounded by the
/// read-side guard.
struct Members<'a> {
    head: *mut bindings::list_head,
    next: *mut bindings::list_head,
    _list: &'a NetnsMembers,
    _rcu: &'a rcu::Guard,
}

impl<'a> Iterator for Members<'a> {
    type Item = &'a Member;

    fn next(&mut self) -> Option<&'a Member> {
        if self.next == self.head {
            return None;
        }
        // SAFETY: every entry but the head is the `links` of a member,
        // which is freed only a grace period after it is unlinked, and
        // `_rcu` holds the read lock for `'a`.
        let member = unsafe { &*kernel::container_of!(self.next, Member, links) };
        // SAFETY: as above.
        self.next = unsafe { next_link(self.next) };
        Some(member)
    }
}

impl NetnsMembers {
    /// Locks the list for a change. Only with interrupts off (`_irqs`):
    /// the lock is taken inside `tasklist_lock`.
    fn lock_writers<'a>(&'a self, _irqs: &'a IrqsOffGuard) -> Guard<'a, Writers, SpinLockBackend> {
        self.writers.lock()
    }

    /// The members, most recently added first, while `rcu` is held.
    fn members<'a>(&'a self, rcu: &'a rcu::Guard) -> Members<'a> {
        let head = self.head.get();
        Members {
            head,
            // SAFETY: the head is initialised with the list.
            next: unsafe { next_link(head) },
            _list: self,
            _rcu: rcu,
        }
    }

    /// Whether no container has tasks in the namespace: a packet's event
    /// then needs no CONTAINER_ID records, nor a local context for them.
    pub(crate) fn is_empty(&self) -> bool {
        let head = self.head.get();
        // SAFETY: the head is initialised with the list.
        unsafe { next_link(head) == head }
    }

    /// The list as its packets' records spell it: the kept rendering if
    /// nothing changed since it was made, else a new one, which is kept
    /// for the next packets unless another packet kept one meanwhile.
    fn rendered<'g>(&'g self, rcu: &'g rcu::Guard) -> Result<Rendered<'g>, AllocError> {
        // Acquire: pairs with the writers' release, so a rendering made
        // from the list as it reads after this is stamped no newer than it.
        let changes = self.changes.load(Ordering::Acquire);
        let announcements = contid::announcements();
        // Acquire: pairs with the release of the exchange below, so the
        // rendering is seen whole.
        let kept = self.rendered.load(Ordering::Acquire);
        // SAFETY: a published rendering is freed only a grace period after
        // it is replaced, and `rcu` holds the read lock for `'g`.
        if let Some(kept) = unsafe { kept.as_ref() } {
            if kept.is_current(changes, announcements) {
                return Ok(Rendered::Kept(kept));
            }
        }
        let fresh = RenderedList::render(self, changes, announcements, rcu)?;
        let fresh = KBox::into_raw(fresh);
        match self
            .rendered
            .compare_exchange(kept, fresh, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(old) => {
                if !old.is_null() {
                    // SAFETY: `old` was published, from `KBox::into_raw`,
                    // and the exchange unpublished it: it is ours to free.
                    unsafe { RenderedList::free_after_grace_period(old) };
                }
                // SAFETY: published now, so freed only a grace period after
                // it is replaced, and `rcu` holds the read lock for `'g`.
                Ok(Rendered::Kept(unsafe { &*fresh }))
            }
            // SAFETY: never published, so still only ours.
            Err(_) => Ok(Rendered::Own(unsafe { KBox::from_raw(fresh) })),
        }
    }

    /// Counts a task of `contid`; with the lock held (`writers` is its
    /// data). Uses `spare`, or the list's own, if `contid` has no member
    /// here yet, and allocates only if neither is there. Says whether it
    /// could: without memory the task is reported lost, and not counted.
    fn count_in(
        &self,
        writers: &mut Writers,
        contid: ArcBorrow<'_, Contid>,
        spare: &mut Option<SpareMember>,
    ) -> bool {
        let key = ptr::from_ref::<Contid>(&contid) as usize;
        if let Some(member) = writers.index.get(&key) {
            // SAFETY: an indexed member is linked and valid with the lock
            // held; its `tasks` is a valid refcount, at least 1.
            unsafe { bindings::refcount_inc((*member.0).tasks.get()) };
            return true;
        }
        let memory = match spare.take().or_else(|| writers.spare.take()) {
            Some(memory) => Ok(memory),
            None => SpareMember::new(GFP_ATOMIC),
        };
        let Ok(SpareMember { member, node }) = memory else {
            // SAFETY: the text is a valid C string.
            unsafe {
                bindings::audit_log_lost(
                    c_str!("out of memory counting a container in a network namespace")
                        .as_char_ptr(),
                )
            };
            return false;
        };
        let member = KBox::into_raw(KBox::write(
            member,
            Member {
                rcu: Opaque::uninit(),
                links: Opaque::uninit(),
                // SAFETY: no preconditions.
                tasks: Opaque::new(unsafe { bindings::REFCOUNT_INIT(1) }),
                contid: contid.into(),
            },
        ));
        stats::netns_member_made();
        // INVARIANT: linked and indexed, with one task. `list_add_rcu()`
        // publishes the member whole to readers.
        // SAFETY: `member` is valid and unlinked; the head is initialised,
        // and the list's lock is held.
        unsafe { bindings::audit_contid_list_add_rcu((*member).links.get(), self.head.get()) };
        writers.index.insert(node.into_node(key, MemberRef(member)));
        // Release: after the link, so that a packet that reads the new
        // count renders a list that has the member.
        self.changes.fetch_add(1, Ordering::Release);
        true
    }

    /// Uncounts a task of `contid`; with the lock held. Says whether it was
    /// the last, and the member was unlinked (to be freed after a grace
    /// period).
    fn count_out(&self, writers: &mut Writers, contid: &Contid) -> bool {
        let key = ptr::from_ref::<Contid>(contid) as usize;
        let Some(member) = writers.index.get(&key).map(|member| member.0) else {
            // A task not counted is marked so, and does not come here.
            pr_warn!("a task left a network namespace it was not counted in\n");
            return false;
        };
        // SAFETY: an indexed member is linked and valid with the lock
        // held; `tasks` is a valid refcount, at least 1 while linked.
        if !unsafe { bindings::refcount_dec_and_test((*member).tasks.get()) } {
            return false;
        }
        // INVARIANT: unlinked and out of the index at 0, freed after a grace
        // period. Readers that already reached it go on from its `next`.
        writers.index.remove(&key);
        // SAFETY: `member` is linked in this list, whose lock is held.
        unsafe { bindings::audit_contid_list_del_rcu((*member).links.get()) };
        // Release: after the unlink, as in `count_in`.
        self.changes.fetch_add(1, Ordering::Release);
        // SAFETY: `member` is unlinked, so no new reader finds it; the ones
        // that did finish within a grace period.
        unsafe { free_after_grace_period(member) };
        true
    }
}

/// Frees an unlinked member a grace period from now.
///
/// # Safety
///
/// `member` must come from `KBox::into_raw`, be unlinked, and not be freed
/// otherwise.
unsafe fn free_after_grace_period(member: *mut Member) {
    /// # Safety
    ///
    /// `head` must be the `rcu` field of a member given to `call_rcu`.
    unsafe extern "C" fn free_member(head: *mut bindings::callback_head) {
        // SAFETY: `rcu` is the first field of the `repr(C)` member that
        // `call_rcu` was given below, which owns it from then on.
        drop(unsafe { KBox::from_raw(head.cast::<Member>()) });
        stats::netns_member_freed();
    }
    // SAFETY: `member` is valid and ours; its `rcu` field is free for use.
    unsafe { bindings::call_rcu((*member).rcu.get(), Some(free_member)) };
}

/// The list of the network namespace of `task`, if audit keeps one (it
/// does not when audit is disabled at boot).
///
/// # Safety
///
/// `task` must be the current task, a task being created, or one whose
/// `task_lock` the caller holds (so its namespace stays), for `'a`.
unsafe fn list_of<'a>(task: &'a Task) -> Option<&'a NetnsMembers> {
    // SAFETY: `task` is valid.
    let net = unsafe { bindings::audit_contid_task_net(task.as_raw()) };
    if net.is_null() {
        return None;
    }
    // SAFETY: `net` is valid: the task holds it, for `'a`.
    unsafe { NetnsMembers::of_net(net) }
}

/// Whether `task`, which has a contid, is not counted in its network
/// namespace: its joining found no memory. Kept per task, so that its
/// leaving uncounts nothing rather than another task of its container.
///
/// # Safety
///
/// `task` must be the current task, a task being created, or one whose
/// `task_lock` the caller holds whenever it reads or writes the flag.
unsafe fn uncounted(task: &Task) -> &AtomicBool {
    // SAFETY: `task` is valid, so its flag is a `bool` that lives as long
    // as it; the caller serialises its accesses (task_lock).
    unsafe { AtomicBool::from_ptr(bindings::audit_contid_uncounted_slot(task.as_raw())) }
}

/// Counts `task` in its network namespace as a task of `contid`, with
/// `spare` for the member if it needs one; without memory, marks it
/// uncounted.
///
/// # Safety
///
/// As for [`list_of`].
unsafe fn count_task(task: &Task, contid: ArcBorrow<'_, Contid>, spare: &mut Option<SpareMember>) {
    // SAFETY: by the function's requirements.
    if let Some(list) = unsafe { list_of(task) } {
        let counted = {
            let irqs = IrqsOffGuard::new();
            let mut writers = list.lock_writers(&irqs);
            list.count_in(&mut writers, contid, spare)
        };
        // SAFETY: by the function's requirements.
        unsafe { uncounted(task) }.store(!counted, Ordering::Relaxed);
    }
}

/// Counts the locked task in its network namespace as a task of `contid`
/// (see [`count_task`]). The caller makes the task's slot refer to
/// `contid` under the same lock, in which the task has no count (it had
/// no contid, or it left the old one's): the member's own reference keeps
/// the contid, but the counts must follow the slots.
pub(crate) fn enter(
    locked: &TaskLockGuard<'_>,
    contid: ArcBorrow<'_, Contid>,
    spare: &mut Option<SpareMember>,
) {
    // SAFETY: the task is locked while `locked` lives.
    unsafe { count_task(locked.task(), contid, spare) };
}

/// Counts `child`, a task being created, in its network namespace as a
/// task of `contid`: the parent's, or a new one (`CLONE_NEWNET`, whose
/// list has memory for its first member).
///
/// # Safety
///
/// `child` must be a task being created, seen by no one else, whose slot
/// refers to `contid` from then on.
pub(crate) unsafe fn enter_new_task(child: &Task, contid: ArcBorrow<'_, Contid>) {
    // SAFETY: `child` is a task being created; its namespace does not
    // change.
    unsafe { count_task(child, contid, &mut None) };
}

/// Uncounts the locked task from its network namespace as a task of
/// `contid`, which it entered as ([`enter`]), or clears its mark if it was
/// not counted. Says whether the member was unlinked: the caller then
/// waits for a grace period before it releases the task's hold on
/// `contid`.
pub(crate) fn leave(locked: &TaskLockGuard<'_>, contid: &Contid) -> bool {
    // SAFETY: the task is locked while `locked` lives.
    if unsafe { uncounted(locked.task()) }.swap(false, Ordering::Relaxed) {
        return false;
    }
    // SAFETY: as above.
    let Some(list) = (unsafe { list_of(locked.task()) }) else {
        return false;
    };
    let irqs = IrqsOffGuard::new();
    let mut writers = list.lock_writers(&irqs);
    list.count_out(&mut writers, contid)
}

/// Counts `contid` once in the current task's network namespace, as if a
/// task of it were there, without touching the current task's own count:
/// for synthetic ids (`CONFIG_AUDIT_CONTID_BENCH`), which have no task.
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
pub(crate) fn count_synthetic(contid: ArcBorrow<'_, Contid>) -> Result {
    let mut spare = Some(SpareMember::new(GFP_KERNEL)?);
    let current = kernel::current!();
    // SAFETY: the current task keeps its namespace.
    let list = unsafe { list_of(current) }.ok_or(EINVAL)?;
    let irqs = IrqsOffGuard::new();
    let mut writers = list.lock_writers(&irqs);
    if list.count_in(&mut writers, contid, &mut spare) {
        Ok(())
    } else {
        Err(ENOMEM)
    }
}

/// Takes back a count of [`count_synthetic`], from the current task's
/// network namespace, where it must have been made.
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
pub(crate) fn uncount_synthetic(contid: &Contid) {
    let current = kernel::current!();
    // SAFETY: the current task keeps its namespace.
    if let Some(list) = unsafe { list_of(current) } {
        let irqs = IrqsOffGuard::new();
        let mut writers = list.lock_writers(&irqs);
        list.count_out(&mut writers, contid);
    }
}

impl NetnsMembers {
    /// A new namespace's list, empty.
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        let spare = SpareMember::new(GFP_KERNEL)?;
        KBox::pin_init(
            pin_init!(NetnsMembers {
                // SAFETY: `head` is a list head to initialise.
                head <- Opaque::ffi_init(|head| unsafe { bindings::audit_contid_list_init(head) }),
                writers <- new_spinlock!(
                    Writers {
                        spare: Some(spare),
                        index: RBTree::new(),
                    },
                    "audit_contid_netns"
                ),
                changes: AtomicU64::new(0),
                rendered: AtomicPtr::new(ptr::null_mut()),
            }),
            GFP_KERNEL,
        )
    }

    /// Frees a namespace's list once no task is in the namespace, so the
    /// list is empty; if it is not (a bug in the counting), it warns once
    /// and leaks the list with its members rather than free memory that a
    /// task's exit may still uncount from.
    pub(crate) fn free(list: Pin<KBox<Self>>) {
        if !list.is_empty() {
            // SAFETY: no preconditions.
            unsafe { bindings::audit_contid_warn_netns_occupied() };
            core::mem::forget(list);
        }
    }

    /// The list of a namespace handle that C keeps (`audit_net_contids()`).
    ///
    /// # Safety
    ///
    /// `handle` must be null or come from `into_foreign` of a list from
    /// [`NetnsMembers::new`], not taken back before `'a` ends.
    pub(crate) unsafe fn from_handle<'a>(
        handle: *const bindings::audit_contid_netns,
    ) -> Option<&'a NetnsMembers> {
        if handle.is_null() {
            return None;
        }
        // SAFETY: by the function's requirements.
        Some(unsafe { <Pin<KBox<Self>>>::borrow(handle.cast()) }.get_ref())
    }

    /// The list of namespace `net`, if audit keeps one (it does not when
    /// audit is disabled at boot).
    ///
    /// # Safety
    ///
    /// `net` must be a live namespace (one whose `audit_net_exit()` has not
    /// run, so its list is not freed) for `'a`.
    pub(crate) unsafe fn of_net<'a>(net: *mut bindings::net) -> Option<&'a NetnsMembers> {
        // SAFETY: `net` is valid; its list, from `audit_net_init()`, lives
        // as long as the namespace.
        unsafe { Self::from_handle(bindings::audit_net_contids(net)) }
    }

    /// Logs, in a packet's event `ctx`, the CONTAINER_ID records that list
    /// the containers with tasks in the namespace, each with its nesting
    /// chain, most recently arrived first, as `record=1`: one record, or as
    /// many parts as the list needs ([`ListRenderer`]). Says whether it
    /// logged any (so the packet's record gets `record=1`). Callable in any
    /// context; takes no lock. It copies the list's kept rendering, or
    /// renders the list again, allocating atomically, if it changed
    /// (without memory, it reports the loss and names none).
    pub(crate) fn log_records(&self, ctx: Context<'_>) -> bool {
        if !audit::enabled() {
            return false;
        }
        // Members are freed a grace period after they leave, and their
        // tasks' holds released after that, so every contid named here is
        // named before its drop record; a rendering that still names one
        // is read only within such a grace period too (see the module's
        // doc).
        let rcu = rcu::read_lock();
        // One rendering both numbers the parts and gives their text: a
        // container that joins or leaves meanwhile is in all of it or
        // none, so the parts are numbered 1..n with n >= 2, or the one
        // record has no `part=`.
        let Ok(rendered) = self.rendered(&rcu) else {
            // SAFETY: the text is a valid C string.
            unsafe {
                bindings::audit_log_lost(
                    c_str!("out of memory listing the containers of a network namespace")
                        .as_char_ptr(),
                )
            };
            return false;
        };
        let several = rendered.part_starts.len() > 1;
        let mut any = false;
        for (part, text) in (1..).zip(rendered.parts()) {
            let Some(mut record) = AuditBuffer::start(ctx, GFP_ATOMIC, record_type::CONTAINER_ID)
            else {
                continue;
            };
            // The packet says `record=1` only if a part was logged (none
            // is when a rule excludes the type).
            any = true;
            record.append(&ListHead {
                record: 1,
                part: several.then_some(part),
            });
            record.append(&text);
        }
        any
    }
}

/// Moves the locked task, a task of `contid`, from the namespace list
/// `from`, where it was counted (or marked uncounted), to `to` (unshare,
/// setns); a `None` list is a namespace audit keeps none for.
pub(crate) fn switch(
    locked: &TaskLockGuard<'_>,
    contid: ArcBorrow<'_, Contid>,
    from: Option<&NetnsMembers>,
    to: Option<&NetnsMembers>,
) {
    // SAFETY: the task is locked while `locked` lives.
    let uncounted = unsafe { uncounted(locked.task()) };
    let counted_in_from = !uncounted.load(Ordering::Relaxed);
    let counted_in_to = match to {
        // No list (audit disabled at boot): nothing to count in.
        None => true,
        Some(to) => {
            let irqs = IrqsOffGuard::new();
            let mut writers = to.lock_writers(&irqs);
            // Under a spinlock: allocates atomically if `to` needs a member.
            to.count_in(&mut writers, contid, &mut None)
        }
    };
    uncounted.store(!counted_in_to, Ordering::Relaxed);
    if let (Some(from), true) = (from, counted_in_from) {
        let irqs = IrqsOffGuard::new();
        let mut writers = from.lock_writers(&irqs);
        // The task stays in its container, whose hold it keeps: a member
        // unlinked here needs no grace period before anything but its
        // freeing.
        from.count_out(&mut writers, &contid);
    }
}
