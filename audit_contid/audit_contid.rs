// SPDX-License-Identifier: GPL-2.0

//! Audit container identifiers (contids).
//!
//! A container engine labels the first task of a container by writing a
//! number to `/proc/PID/audit_containerid`; every task that task creates
//! inherits it, and the audit subsystem reports it in CONTAINER_OP (1020)
//! and CONTAINER_ID (1340) records.
//!
//! The decisions live in `core`-only modules that are also tested on the
//! host: [`parse`] (what a write means), [`ladder`] (whether it is allowed)
//! and [`record`] (the record text). This file holds the kernel state:
//!
//! - [`Contid`] objects, one per live identifier, shared by the tasks in the
//!   container through `task_struct->audit_contid`;
//! - the registry, which maps each live identifier to its object.
//!
//! # Locking
//!
//! - `task_struct->audit_contid` (see `include/linux/audit_contid.h`):
//!   changed under `task_lock()` by the setter and by the task at exit, and
//!   filled in the child by `copy_process()` under `tasklist_lock`. A task
//!   reads its own slot without a lock, others under `task_lock()`.
//! - The registry mutex serialises setters with each other and with the
//!   last task of a container leaving, so the id of a container is never
//!   reused before its drop record has been logged.
//! - [`Contid::live_tasks`] drops from 1 to 0 only under the registry mutex.

use core::{
    ffi::{c_char, c_uint},
    fmt, iter,
    pin::Pin,
    ptr,
    sync::atomic::{fence, AtomicPtr, AtomicUsize, Ordering},
};
use kernel::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox,
    },
    audit::{self, record_type, AuditBuffer, Context},
    bindings,
    prelude::*,
    rbtree::{RBTree, RBTreeNodeReservation},
    sync::{Arc, ArcBorrow, Mutex},
    task::Task,
    types::ARef,
    uaccess::UserSlice,
};

mod filter;
mod ladder;
mod parse;
mod record;

use ladder::{LiveOwner, Privilege, SetAction, SetRequest};

module! {
    type: AuditContid,
    name: "audit_contid",
    author: "audit-contid",
    description: "Audit container identifiers",
    license: "GPL",
}

/// The live identifiers and their objects.
type Registry = Mutex<RBTree<u64, Arc<Contid>>>;

/// Set once by [`AuditContid::init`] and never freed.
static REGISTRY: AtomicPtr<Registry> = AtomicPtr::new(ptr::null_mut());

fn registry() -> Option<&'static Registry> {
    let registry = REGISTRY.load(Ordering::Acquire);
    // SAFETY: `REGISTRY` is null or points to the registry allocated by
    // `AuditContid::init`, which is pinned and never freed.
    unsafe { registry.as_ref() }
}

struct AuditContid;

impl kernel::Module for AuditContid {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = KBox::pin_init(
            kernel::new_mutex!(RBTree::new(), "audit_contid_registry"),
            GFP_KERNEL,
        )?;
        // SAFETY: the registry is never moved out of its allocation: it is
        // leaked here and only ever used through shared references.
        let registry = KBox::into_raw(unsafe { Pin::into_inner_unchecked(registry) });
        REGISTRY.store(registry, Ordering::Release);
        Ok(AuditContid)
    }
}

/// An audit container identifier in use.
///
/// # Invariants
///
/// - `live_tasks` is the number of tasks whose `audit_contid` slot holds a
///   reference to this object. It drops from 1 to 0 only with the registry
///   locked, and never rises again from 0.
/// - While `live_tasks > 0`, the registry maps `id` to this object.
pub struct Contid {
    id: u64,
    /// The thread that first set `id`: the only one that may add more tasks.
    owner: ARef<Task>,
    /// The container this one is nested in (the nesting issue fills it).
    parent: Option<Arc<Contid>>,
    live_tasks: AtomicUsize,
}

impl Contid {
    /// A new, unregistered contid owned by the current task, counting the
    /// one task it is about to be installed in.
    fn new_owned_by_current(id: u64) -> Result<Arc<Self>> {
        // SAFETY: no preconditions.
        let current = unsafe { bindings::get_current() };
        // SAFETY: the current task is valid; `ARef` takes a reference.
        let owner: ARef<Task> = unsafe { &*current.cast::<Task>() }.into();
        Ok(Arc::new(
            Contid {
                id,
                owner,
                parent: None,
                live_tasks: AtomicUsize::new(1),
            },
            GFP_KERNEL,
        )?)
    }

    /// This contid and the ones it is nested in, innermost first.
    fn nesting_ids(&self) -> impl Iterator<Item = u64> + '_ {
        iter::successors(Some(self), |contid| contid.parent.as_deref()).map(|contid| contid.id)
    }

    /// One more task joins; the caller holds a task that is already in.
    fn join(&self) {
        // INVARIANT: a task in the container keeps `live_tasks` above 0.
        self.live_tasks.fetch_add(1, Ordering::Relaxed);
    }

    /// A task leaves. The last one runs `on_drop` with the registry locked,
    /// after removing the identifier: exit logs the drop record (the death
    /// certificate) there, before anyone can reuse the identifier.
    fn leave(&self, on_drop: impl FnOnce(&Contid)) {
        let mut live = self.live_tasks.load(Ordering::Relaxed);
        while live > 1 {
            match self.live_tasks.compare_exchange_weak(
                live,
                live - 1,
                Ordering::Release,
                Ordering::Relaxed,
            ) {
                Ok(_) => return,
                Err(now) => live = now,
            }
        }
        // Maybe the last task: decide with the registry locked, so that a
        // setter cannot join a container that is being dropped.
        let Some(registry) = registry() else { return };
        let mut live_ids = registry.lock();
        if self.live_tasks.fetch_sub(1, Ordering::AcqRel) != 1 {
            return;
        }
        let entry = live_ids.remove(&self.id);
        on_drop(self);
        drop(live_ids);
        drop(entry);
    }
}

/// The contid a task slot refers to.
///
/// # Safety
///
/// `slot` must be null or hold a reference made by [`Arc::into_raw`] that
/// outlives `'a`.
unsafe fn slot_contid<'a>(slot: *mut bindings::audit_contid) -> Option<ArcBorrow<'a, Contid>> {
    if slot.is_null() {
        return None;
    }
    // SAFETY: by the function's safety requirements.
    Some(unsafe { ArcBorrow::from_raw(slot.cast::<Contid>()) })
}

/// The `audit_contid` slot of `task`, for atomic access.
///
/// # Safety
///
/// `task` must point to a valid task.
unsafe fn task_slot<'a>(task: *mut bindings::task_struct) -> &'a AtomicPtr<bindings::audit_contid> {
    // SAFETY: `task` is valid, so its slot is an aligned pointer that lives
    // as long as the task. Accesses are atomic (READ_ONCE on the C side),
    // ordered by `task_lock()`, or happen before the task is visible (the
    // copy in dup_task_struct(), overwritten by audit_contid_fork()).
    unsafe { AtomicPtr::from_ptr(bindings::audit_contid_slot(task)) }
}

/// Holds `task_lock(task)`.
struct TaskLock(*mut bindings::task_struct);

impl TaskLock {
    /// # Safety
    ///
    /// `task` must point to a task that outlives the guard.
    unsafe fn new(task: *mut bindings::task_struct) -> Self {
        // SAFETY: `task` is valid by the caller's guarantee.
        unsafe { bindings::task_lock(task) };
        Self(task)
    }
}

impl Drop for TaskLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new` on a task that is still valid.
        unsafe { bindings::task_unlock(self.0) };
    }
}

/// A contid reference taken back from the slot of a task that started
/// exiting during a set. The task may have read the slot meanwhile: the
/// rule filters read it under RCU without a lock (`audit_contid.h`), so the
/// reference is dropped only after a grace period. Drop it with no lock
/// held; it is rare (a set racing with the target's exit).
struct Retracted(Option<Arc<Contid>>);

impl Drop for Retracted {
    fn drop(&mut self) {
        if let Some(contid) = self.0.take() {
            // SAFETY: no preconditions; we hold no spinlock (by the type's
            // rule), so we may sleep.
            unsafe { bindings::synchronize_rcu() };
            drop(contid);
        }
    }
}

/// Holds `read_lock(&tasklist_lock)`: the process tree cannot change.
struct TasklistReadLock;

impl TasklistReadLock {
    fn new() -> Self {
        // SAFETY: `tasklist_lock` is a global, initialised lock.
        unsafe { bindings::read_lock(&raw mut bindings::tasklist_lock) };
        Self
    }
}

impl Drop for TasklistReadLock {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { bindings::read_unlock(&raw mut bindings::tasklist_lock) };
    }
}

/// What the ladder needs to know about the target, read under
/// `tasklist_lock` and `task_lock(target)`.
///
/// # Safety
///
/// `target` and `writer` must be valid, and `tasklist_lock` held.
unsafe fn tree_facts(
    target: *mut bindings::task_struct,
    writer: *mut bindings::task_struct,
) -> (bool, bool, bool, bool) {
    // SAFETY: both tasks are valid and the process tree is stable under
    // `tasklist_lock`, so the parent and leader pointers stay valid.
    unsafe {
        let has_children = bindings::audit_contid_task_has_children(target);
        let single_threaded_leader =
            bindings::thread_group_leader(target) && bindings::get_nr_threads(target) == 1;
        let is_writer = bindings::task_tgid_nr(target) == bindings::task_tgid_nr(writer);
        // Strict descendant: walk the target's ancestors by real_parent,
        // comparing thread-group leaders, up to the idle task (pid 0).
        let writer_leader = bindings::audit_contid_group_leader(writer);
        let mut walker =
            bindings::audit_contid_real_parent(bindings::audit_contid_group_leader(target));
        let mut descends = false;
        while bindings::task_pid_nr(walker) > 0 {
            walker = bindings::audit_contid_group_leader(walker);
            if walker == writer_leader {
                descends = true;
                break;
            }
            walker = bindings::audit_contid_real_parent(walker);
        }
        (has_children, single_threaded_leader, is_writer, descends)
    }
}

/// Stores `contid` in the slot of `target`, unless `target` is exiting.
///
/// Pairs with do_exit(): it sets `PF_EXITING` before a full barrier and
/// then reads the slot, so either the exiting task sees the new slot or we
/// see `PF_EXITING` and take it back.
///
/// # Safety
///
/// `target` must be valid, `task_lock(target)` held and its slot null.
unsafe fn install(target: *mut bindings::task_struct, contid: *mut bindings::audit_contid) -> bool {
    // SAFETY: `target` is valid.
    let slot = unsafe { task_slot(target) };
    // Release: the target reads its own slot without a lock.
    slot.store(contid, Ordering::Release);
    fence(Ordering::SeqCst);
    // SAFETY: `target` is valid.
    if unsafe { bindings::audit_contid_task_exiting(target) } {
        slot.store(ptr::null_mut(), Ordering::Relaxed);
        return false;
    }
    true
}

/// Whether the current task has CAP_AUDIT_CONTROL in the initial user
/// namespace (records the use, like every `capable()`).
fn has_audit_control() -> bool {
    // SAFETY: no preconditions.
    unsafe { bindings::capable(bindings::CAP_AUDIT_CONTROL as i32) }
}

/// The outcome of an attempt that got past parsing and the liveness check.
struct Attempt {
    result: Result<(), i32>,
    old: Option<Arc<Contid>>,
}

/// Runs the ladder for `value` on `target` and applies the decision.
///
/// # Safety
///
/// `target` must be a valid task (the caller holds a reference).
unsafe fn set_contid(target: *mut bindings::task_struct, value: u64) -> Result<(), i32> {
    // SAFETY: no preconditions.
    let writer = unsafe { bindings::get_current() };
    let privilege = if has_audit_control() {
        Privilege::AuditControl
    } else {
        Privilege::Unprivileged
    };
    let registry = registry().ok_or(ladder::ENOMEM)?;
    // A new object cannot be allocated under the spinlocks below; make one
    // now, used only if the ladder says `Create`.
    let fresh = Contid::new_owned_by_current(value).ok();
    let fresh_node = RBTreeNodeReservation::new(GFP_KERNEL).ok();
    // Declared before the locks, so dropped after them.
    let mut retracted = Retracted(None);

    let mut live_ids = registry.lock();
    // SAFETY: `target` is valid.
    let opid = unsafe { bindings::task_tgid_nr(target) };
    let attempt = {
        let _tree = TasklistReadLock::new();
        // SAFETY: `target` is valid for the whole function.
        let _task = unsafe { TaskLock::new(target) };
        // SAFETY: `target` is valid and locked.
        let slot = unsafe { task_slot(target) }.load(Ordering::Relaxed);
        // SAFETY: `target` is valid.
        if unsafe { bindings::audit_contid_task_exiting(target) } {
            return Err(ladder::ESRCH);
        }
        // SAFETY: the slot's reference lives while `task_lock` is held.
        let old: Option<Arc<Contid>> = unsafe { slot_contid(slot) }.map(Arc::from);
        // SAFETY: both tasks are valid and `tasklist_lock` is held.
        let (has_children, single_threaded_leader, is_writer, descends) =
            unsafe { tree_facts(target, writer) };
        let live = live_ids.get(&value);
        let live_owner = match live {
            None => LiveOwner::NotLive,
            Some(contid) if ptr::eq(&*contid.owner, writer.cast_const().cast::<Task>()) => {
                LiveOwner::Writer
            }
            Some(_) => LiveOwner::Other,
        };
        let request = SetRequest {
            value,
            privilege,
            target_has_children: has_children,
            target_single_threaded_leader: single_threaded_leader,
            target_is_writer: is_writer,
            target_descends_from_writer: descends,
            target_has_contid: old.is_some(),
            live_owner,
        };
        let result = match ladder::decide(&request) {
            Err(refusal) => Err(refusal.errno()),
            Ok(SetAction::Join) => {
                let contid = live.cloned().ok_or(ladder::ENOMEM)?;
                let raw = Arc::into_raw(contid).cast_mut().cast();
                // SAFETY: `target` is locked and its slot is null (no contid).
                if !unsafe { install(target, raw) } {
                    // SAFETY: `raw` came from `Arc::into_raw` just above.
                    retracted.0 = Some(unsafe { Arc::from_raw(raw.cast::<Contid>()) });
                    return Err(ladder::ESRCH);
                }
                // Counted only once installed, so that a failed install
                // leaves the count alone. Still safe to count now: the
                // target cannot leave while we hold its task_lock, and the
                // container's last other task cannot leave while we hold
                // the registry lock, so the count is at least 1.
                // SAFETY: `raw` is the slot's reference, alive while locked.
                if let Some(contid) = unsafe { slot_contid(raw) } {
                    contid.join();
                }
                Ok(())
            }
            Ok(SetAction::Create) => match (fresh, fresh_node) {
                (Some(contid), Some(node)) => {
                    let raw = Arc::into_raw(contid.clone()).cast_mut().cast();
                    // SAFETY: `target` is locked and its slot is null.
                    if unsafe { install(target, raw) } {
                        live_ids.insert(node.into_node(value, contid));
                        Ok(())
                    } else {
                        // SAFETY: `raw` came from `Arc::into_raw` just above.
                        retracted.0 = Some(unsafe { Arc::from_raw(raw.cast::<Contid>()) });
                        return Err(ladder::ESRCH);
                    }
                }
                _ => Err(ladder::ENOMEM),
            },
        };
        Attempt { result, old }
    };
    if !audit::enabled() {
        // Nothing to log.
    } else if let Some(mut ab) =
        AuditBuffer::start(Context::current(), GFP_KERNEL, record_type::CONTAINER_OP)
    {
        let old_chain = attempt.old.iter().flat_map(|old| old.nesting_ids());
        let _ = record::write_op_set(&mut ab, opid, value, old_chain, attempt.result.is_ok());
    }
    drop(live_ids);
    attempt.result
}

/// Reads what the user wrote: at most [`parse::MAX_CONTID_INPUT`] bytes.
fn read_user_value(buf: *const c_char, count: usize) -> Result<u64, i32> {
    let mut text = [0u8; parse::MAX_CONTID_INPUT];
    let text = text.get_mut(..count).ok_or(ladder::EINVAL)?;
    UserSlice::new(buf as usize, count)
        .reader()
        .read_slice(text)
        .map_err(|_| bindings::EFAULT as i32)?;
    parse::parse_contid(text).map_err(|e| e.errno())
}

/// `write()` of `/proc/PID/audit_containerid`; `task` is null if gone.
///
/// # Safety
///
/// `task` must be null or a task the caller holds a reference on; `buf` a
/// user pointer to `count` bytes; `ppos` a valid file position.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_proc_write(
    task: *mut bindings::task_struct,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `ppos` is valid by the caller's guarantee.
    if unsafe { *ppos } != 0 {
        return -(ladder::EINVAL as isize);
    }
    let value = match read_user_value(buf, count) {
        Ok(value) => value,
        Err(errno) => return -(errno as isize),
    };
    if task.is_null() {
        return -(ladder::ESRCH as isize);
    }
    // SAFETY: `task` is valid by the caller's guarantee.
    match unsafe { set_contid(task, value) } {
        Ok(()) => count as isize,
        Err(errno) => -(errno as isize),
    }
}

/// A text of at most `N` bytes on the stack.
struct StackText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> fmt::Write for StackText<N> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let end = self.len + text.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(text.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// `read()` of `/proc/PID/audit_containerid`.
///
/// # Safety
///
/// `task` must be a task the caller holds a reference on; `buf` a user
/// pointer to `count` bytes; `ppos` a valid file position.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_proc_read(
    task: *mut bindings::task_struct,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    if !has_audit_control() {
        return -(ladder::EPERM as isize);
    }
    let id = {
        // SAFETY: `task` is valid by the caller's guarantee.
        let _task = unsafe { TaskLock::new(task) };
        // SAFETY: `task` is valid; its slot's reference lives while locked.
        unsafe { slot_contid(task_slot(task).load(Ordering::Relaxed)) }.map(|contid| contid.id)
    };
    let mut text = StackText::<{ record::PROC_VALUE_MAX_LEN }> {
        bytes: [0; record::PROC_VALUE_MAX_LEN],
        len: 0,
    };
    if record::write_proc_value(&mut text, id).is_err() {
        return -(ladder::EINVAL as isize);
    }
    // SAFETY: `buf`/`count` are a user buffer and `ppos` a file position by
    // the caller's guarantee; `text` holds `text.len` initialised bytes.
    unsafe {
        bindings::simple_read_from_buffer(
            buf.cast(),
            count,
            ppos,
            text.bytes.as_ptr().cast(),
            text.len,
        )
    }
}

/// Called by copy_process() under `tasklist_lock`: `child` joins `contid`,
/// the container of the current task.
///
/// # Safety
///
/// `contid` must be the current task's slot, and `child` a task being
/// created whose slot is null.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_inherit(
    child: *mut bindings::task_struct,
    contid: *mut bindings::audit_contid,
) {
    // SAFETY: the current task's slot reference outlives this call.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return;
    };
    contid.join();
    let raw = Arc::into_raw(Arc::from(contid)).cast_mut().cast();
    // SAFETY: `child` is not visible to anyone else yet.
    unsafe { task_slot(child) }.store(raw, Ordering::Relaxed);
}

/// Called by do_exit(): the task leaves its container.
///
/// # Safety
///
/// `tsk` must be the current, exiting task.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_exit(tsk: *mut bindings::task_struct) {
    let slot = {
        // SAFETY: `tsk` is the current task, hence valid.
        let _task = unsafe { TaskLock::new(tsk) };
        // SAFETY: `tsk` is valid and locked.
        unsafe { task_slot(tsk) }.swap(ptr::null_mut(), Ordering::Relaxed)
    };
    if slot.is_null() {
        return;
    }
    // SAFETY: the slot held a reference made by `Arc::into_raw`, now ours.
    let contid = unsafe { Arc::from_raw(slot.cast::<Contid>()) };
    // SAFETY: `tsk` is valid.
    let opid = unsafe { bindings::task_tgid_nr(tsk) };
    contid.leave(|dropped| {
        if !audit::enabled() {
            return;
        }
        if let Some(mut ab) =
            AuditBuffer::start(Context::none(), GFP_KERNEL, record_type::CONTAINER_OP)
        {
            let _ = record::write_op_drop(&mut ab, opid, dropped.nesting_ids());
        }
    });
}

/// Called at the end of an audited syscall or io_uring operation of a task
/// with a contid: logs the CONTAINER_ID record number `record` of the
/// event. `atomic` is set where the caller may not sleep (io_uring).
///
/// # Safety
///
/// `ctx` must be the current task's audit context and `contid` its slot.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_log_task(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    contid: *mut bindings::audit_contid,
    atomic: bool,
) {
    // SAFETY: `contid` was read by `audit_contid_current()`: a setter never
    // takes a slot back once its owner can read it, and only the current
    // task clears its own slot, so the reference lives for this call.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return;
    };
    // SAFETY: `ctx` is the current task's context.
    let ctx = unsafe { Context::from_raw(ctx) };
    let flags = if atomic { GFP_ATOMIC } else { GFP_KERNEL };
    if let Some(mut ab) = AuditBuffer::start(ctx, flags, record_type::CONTAINER_ID) {
        let _ = record::write_container_id(&mut ab, record, contid.nesting_ids());
    }
}

/// Does the task whose slot holds `contid` match the audit rule field
/// `contid=rule_value`? See [`filter::chain_matches`]; the C caller
/// applies `!=`.
///
/// # Safety
///
/// `contid` must be null or a task's slot, read as `audit_contid.h`
/// says: under `rcu_read_lock()` held across this call, or under the
/// task's lock.
#[no_mangle]
pub unsafe extern "C" fn audit_contid_filter_match(
    contid: *mut bindings::audit_contid,
    rule_value: u64,
) -> bool {
    // SAFETY: by the function's safety requirements, the slot's reference
    // stays for this call: a setter that takes it back drops it only after
    // a grace period (`Retracted`), and only the task clears its own slot.
    match unsafe { slot_contid(contid) } {
        Some(contid) => filter::chain_matches(contid.nesting_ids(), rule_value),
        None => filter::chain_matches(iter::empty(), rule_value),
    }
}

/// Entry points for the KUnit suite (`audit_contid_kunit.c`): they drive
/// the registry and the live-task count the way set, fork and exit do.
#[cfg(CONFIG_AUDIT_CONTID_KUNIT_TEST)]
pub mod kunit_hooks {
    use super::*;

    /// Registers `id`, owned by the current task, with one live task, as a
    /// successful set does. Returns that task's reference, or null if `id`
    /// is live already or memory is short.
    #[no_mangle]
    pub extern "C" fn audit_contid_kunit_create(id: u64) -> *mut bindings::audit_contid {
        let Some(registry) = registry() else {
            return ptr::null_mut();
        };
        let contid = Contid::new_owned_by_current(id);
        let (Ok(contid), Ok(node)) = (contid, RBTreeNodeReservation::new(GFP_KERNEL)) else {
            return ptr::null_mut();
        };
        let mut live_ids = registry.lock();
        if live_ids.get(&id).is_some() {
            return ptr::null_mut();
        }
        live_ids.insert(node.into_node(id, contid.clone()));
        Arc::into_raw(contid).cast_mut().cast()
    }

    /// Another task joins, as at fork; returns its reference.
    ///
    /// # Safety
    ///
    /// `contid` must be a live reference from these hooks.
    #[no_mangle]
    pub unsafe extern "C" fn audit_contid_kunit_join(
        contid: *mut bindings::audit_contid,
    ) -> *mut bindings::audit_contid {
        // SAFETY: by the function's safety requirements.
        let Some(contid) = (unsafe { slot_contid(contid) }) else {
            return ptr::null_mut();
        };
        contid.join();
        Arc::into_raw(Arc::from(contid)).cast_mut().cast()
    }

    /// A task leaves, as at exit; consumes its reference.
    ///
    /// # Safety
    ///
    /// `contid` must be a live reference from these hooks, not used after.
    #[no_mangle]
    pub unsafe extern "C" fn audit_contid_kunit_leave(contid: *mut bindings::audit_contid) {
        if contid.is_null() {
            return;
        }
        // SAFETY: by the function's safety requirements.
        let contid = unsafe { Arc::from_raw(contid.cast::<Contid>()) };
        // No record: the suite runs at boot, before any audit daemon.
        contid.leave(|_| ());
    }

    /// Whether `id` is live (registered).
    #[no_mangle]
    pub extern "C" fn audit_contid_kunit_is_live(id: u64) -> bool {
        registry().is_some_and(|registry| registry.lock().get(&id).is_some())
    }

    /// The number of live tasks of `contid`.
    ///
    /// # Safety
    ///
    /// `contid` must be a live reference from these hooks.
    #[no_mangle]
    pub unsafe extern "C" fn audit_contid_kunit_live_tasks(
        contid: *mut bindings::audit_contid,
    ) -> usize {
        // SAFETY: by the function's safety requirements.
        unsafe { slot_contid(contid) }.map_or(0, |contid| contid.live_tasks.load(Ordering::Relaxed))
    }
}
