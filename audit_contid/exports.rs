// SPDX-License-Identifier: GPL-2.0

//! The C boundary: every entry point that `include/linux/audit_contid.h`
//! declares for the kernel's call sites, in one place, as Rust Binder's
//! `rust_binder_main.rs` has them. Each turns the raw pointers it is given
//! into safe types once (a `&Task`, a borrowed contid, a namespace's
//! list, an audit context), under the `# Safety` rules of its C caller,
//! and calls the module that decides; errors stay typed until here.
//!
//! The handles C keeps are Rust objects given away with
//! [`ForeignOwnable`]: a task's slot and a target's handle are a
//! [`Hold`] (`struct audit_contid`), a [`Reservation`]
//! (`struct audit_contid_reservation`), a namespace's list a pinned
//! `KBox<NetnsMembers>` (`struct audit_contid_netns`).
//!
//! The KUnit hooks (`kunit_hooks`) and the benchmark's synthetic ids
//! (`synthetic`) keep their own entry points: they exist only in test
//! and benchmark kernels.

use core::{
    ffi::{c_char, c_uint},
    pin::Pin,
};
use kernel::{
    alloc::{
        flags::{GFP_ATOMIC, GFP_KERNEL},
        KBox,
    },
    audit::Context,
    bindings,
    rbtree::RBTreeNodeReservation,
    sync::ArcBorrow,
    task::Task,
    types::ForeignOwnable,
};

use crate::{
    capcontid,
    contid::{Contid, Hold},
    decisions::{grant, parse},
    log,
    netns::{self, NetnsMembers},
    opener::{opener_privilege, read_text, write_value},
    proc,
    registry::Registry,
    reservation::{self, Reservation},
    rule, targets,
    task_slot::{self, current_hold, slot_contid, with_current_contid},
    task_tree::TaskLockGuard,
};

// ---- A task's slot: fork and exit (`kernel/fork.c`, `kernel/exit.c`) ----

/// Called by copy_process() under `tasklist_lock`: `child` joins `contid`,
/// the container of the current task.
///
/// # Safety
///
/// `contid` must be the current task's slot, and `child` a task being
/// created whose slot is null.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_inherit(
    child: *mut bindings::task_struct,
    contid: *mut bindings::audit_contid,
) {
    // SAFETY: the current task's slot keeps its hold while it forks: a
    // setter stores under `read_lock(tasklist_lock)`, and we run under
    // the write lock.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return;
    };
    // SAFETY: `child` is a task being created (valid, with a null slot),
    // by the function's requirements.
    unsafe { task_slot::inherit(Task::from_raw(child), contid) };
}

/// Called by do_exit(): the task leaves its container.
///
/// # Safety
///
/// `tsk` must be the current, exiting task.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_exit(tsk: *mut bindings::task_struct) {
    // SAFETY: `tsk` is the current, exiting task, valid for the call.
    unsafe { task_slot::exit(Task::from_raw(tsk)) };
}

// ---- The /proc files (`fs/proc/base.c`) ----

/// `write()` of `/proc/PID/audit_containerid`; `task` is null if gone.
///
/// # Safety
///
/// `file` must be the open file; `task` null or a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_proc_write(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `task`, `buf` and `ppos` are valid by the caller's guarantee.
    unsafe {
        write_value(
            task,
            buf,
            count,
            ppos,
            parse::parse_contid,
            |value, task| {
                // SAFETY: `file` is the open file.
                proc::set_contid(task, value, opener_privilege(file))
            },
        )
    }
}

/// `read()` of `/proc/PID/audit_containerid`.
///
/// # Safety
///
/// `file` must be the open file; `task` a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_proc_read(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: the caller's guarantees, which include `read_text`'s.
    unsafe {
        read_text(file, buf, count, ppos, || {
            // SAFETY: the caller holds a reference on `task` for the call.
            proc::proc_text(Task::from_raw(task))
        })
    }
}

/// `write()` of `/proc/PID/audit_capcontainerid`; `task` is null if gone.
///
/// # Safety
///
/// `file` must be the open file; `task` null or a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_capcontid_proc_write(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *const c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `task`, `buf` and `ppos` are valid by the caller's guarantee.
    unsafe {
        write_value(
            task,
            buf,
            count,
            ppos,
            grant::parse_capcontid,
            |requested, task| {
                // SAFETY: `file` is the open file.
                capcontid::set_capcontid(task, requested, opener_privilege(file))
            },
        )
    }
}

/// `read()` of `/proc/PID/audit_capcontainerid`.
///
/// # Safety
///
/// `file` must be the open file; `task` a task the caller holds a
/// reference on; `buf` a user pointer to `count` bytes; `ppos` a valid
/// file position.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_capcontid_proc_read(
    file: *mut bindings::file,
    task: *mut bindings::task_struct,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: the caller's guarantees, which include `read_text`'s.
    unsafe {
        read_text(file, buf, count, ppos, || {
            // SAFETY: the caller holds a reference on `task` for the call.
            capcontid::proc_text(Task::from_raw(task))
        })
    }
}

// ---- Records and rules (`kernel/auditsc.c`, `kernel/auditfilter.c`) ----

/// Called at the end of an audited syscall or io_uring operation of a task
/// with a contid, or of a record it logged outside one (in an event of its
/// own, from `audit_log_end()`): logs the CONTAINER_ID record
/// number `record` of the event, if its contid is announced, and says
/// whether it logged it (so the C side puts `record=<n>` on the record it
/// describes). `atomic` is set where the caller may not sleep (io_uring, a
/// record started with an atomic `gfp_mask`).
///
/// # Safety
///
/// `ctx` must be the current task's audit context, or a local context
/// (`audit_alloc_local()`) valid for the call.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_task(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    atomic: bool,
) -> bool {
    // SAFETY: `ctx` is valid for this call, by the function's requirements.
    let ctx = unsafe { Context::from_raw(ctx) };
    if atomic {
        // All under RCU, with no hold to release (which may sleep): a
        // contid evicted from the slot meanwhile is released, and maybe
        // dropped, only after this.
        return with_current_contid(|contid| log::container_id(ctx, GFP_ATOMIC, record, &contid))
            .unwrap_or(false);
    }
    // A hold of our own, as the slot may be replaced by a nested
    // orchestrator while we wait for the backlog; the container is then
    // dropped after this record.
    current_hold().is_some_and(|hold| log::container_id(ctx, GFP_KERNEL, record, &hold))
}

/// Does the task whose slot holds `contid` match the audit rule field
/// `contid=rule_value`? See [`rule::matches`].
///
/// # Safety
///
/// `contid` must be null or a task's slot, read as `audit_contid.h`
/// says: under `rcu_read_lock()` held across this call, or under the
/// task's lock.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_filter_match(
    contid: *mut bindings::audit_contid,
    rule_value: u64,
) -> bool {
    // SAFETY: by the function's safety requirements, the slot's hold stays
    // for this call: a setter that takes it out of a live task's slot
    // releases it only after a grace period (`Evicted`), and only the task
    // clears its own slot at exit.
    let contid = unsafe { slot_contid(contid) };
    rule::matches(contid.as_deref(), rule_value)
}

// ---- Signal and ptrace targets (`kernel/auditsc.c`) ----

/// A handle on the contid of `tsk`, a signal or ptrace target, or null if
/// it has none that a record may name yet; see [`targets::hold`].
///
/// # Safety
///
/// `tsk` must be a valid task.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_hold_task(
    tsk: *mut bindings::task_struct,
) -> *mut bindings::audit_contid {
    // SAFETY: `tsk` is valid for the call by the caller's guarantee.
    targets::hold(unsafe { Task::from_raw(tsk) }).map_or(core::ptr::null_mut(), Hold::into_raw)
}

/// Releases a handle from [`audit_contid_hold_task`]; the last hold on a
/// container logs its drop record, so this may sleep.
///
/// # Safety
///
/// `contid` must be a handle from [`audit_contid_hold_task`], not released
/// before, and the caller in process context with no spinlock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_release(contid: *mut bindings::audit_contid) {
    // SAFETY: by the function's safety requirements, `contid` is a hold
    // made by `Hold::into_raw` and released only here.
    drop(unsafe { Hold::from_raw(contid) });
}

/// Logs the CONTAINER_ID record number `record` of a target's contid, in
/// the event `ctx`, before that target's OBJ_PID record; returns whether
/// it did (so the OBJ_PID gets `record=<n>`).
///
/// # Safety
///
/// `ctx` must be the current task's audit context, and `contid` a handle
/// from [`audit_contid_hold_task`] that the context keeps.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_target(
    ctx: *mut bindings::audit_context,
    record: c_uint,
    contid: *mut bindings::audit_contid,
) -> bool {
    // SAFETY: the context keeps the handle's hold for this call.
    let Some(contid) = (unsafe { slot_contid(contid) }) else {
        return false;
    };
    // SAFETY: `ctx` is the current task's context, valid for this call.
    let ctx = unsafe { Context::from_raw(ctx) };
    log::container_id(ctx, GFP_KERNEL, record, &contid)
}

// ---- Reservations: auditd's signal sender, a mapping's maker ----

/// The current task's contid, reserved ([`Reservation::new`]), as a
/// handle for C; null if it has none that records name yet. Callable in
/// atomic context: it takes no lock.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_reserve_current() -> *mut bindings::audit_contid_reservation {
    with_current_contid(Reservation::new)
        .flatten()
        .map_or(core::ptr::null_mut(), |reserved| {
            reserved.into_foreign().cast_mut().cast()
        })
}

/// Gives back a handle from [`audit_contid_reserve_current`]; null is
/// fine. See [`Reservation::give_back`].
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
    // SAFETY: by the function's requirements, a non-null `reservation`
    // came from `Reservation::into_foreign` in
    // `audit_contid_reserve_current`, and is taken back only here.
    let reserved = unsafe { Reservation::try_from_foreign(reservation.cast_const().cast()) };
    if let Some(reserved) = reserved {
        reserved.give_back(may_sleep);
    }
}

/// The contid of a reservation handle, borrowed for the call.
///
/// # Safety
///
/// `reservation` must be null or a handle from
/// [`audit_contid_reserve_current`] that the caller keeps for `'a`.
unsafe fn reserved<'a>(
    reservation: *const bindings::audit_contid_reservation,
) -> Option<ArcBorrow<'a, Contid>> {
    if reservation.is_null() {
        return None;
    }
    // SAFETY: the handle came from `Reservation::into_foreign` and is kept
    // for `'a` by the function's requirements.
    Some(unsafe { Reservation::borrow(reservation.cast()) })
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
    // SAFETY: the caller keeps the handle for this call.
    let Some(contid) = (unsafe { reserved(reservation) }) else {
        return 0;
    };
    // SAFETY: `buf` is valid for `size` bytes by the caller's guarantee.
    unsafe { reservation::write_chain_text(&contid, buf, size) }
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
    // SAFETY: the caller keeps the handle for this call.
    let Some(contid) = (unsafe { reserved(reservation) }) else {
        return false;
    };
    // SAFETY: `ctx` is valid for this call, by the function's requirements.
    let ctx = unsafe { Context::from_raw(ctx) };
    log::container_id(ctx, GFP_ATOMIC, record, &contid)
}

/// Run by the work item that `audit_contid_schedule_retire()` schedules
/// (`registry_lock.c`); see [`Registry::retire_deferred`].
#[no_mangle]
pub(crate) extern "C" fn audit_contid_retire_deferred() {
    Registry::retire_deferred();
}

// ---- Network namespaces (`kernel/audit.c`, `kernel/nsproxy.c`) ----

/// Called by switch_task_namespaces() (unshare, setns) under
/// `task_lock(task)`, when `task` has a contid and moves from network
/// namespace `from` to `to`.
///
/// # Safety
///
/// `task` must be valid and locked, with a contid; `from` and `to` valid
/// namespaces, `from` the one `task` was counted in.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_netns_switch(
    task: *mut bindings::task_struct,
    from: *mut bindings::net,
    to: *mut bindings::net,
) {
    // SAFETY: both namespaces are live for the call: `task` held `from`
    // until now and holds `to`.
    let (from, to) = unsafe { (NetnsMembers::of_net(from), NetnsMembers::of_net(to)) };
    // SAFETY: `task` is valid for the call.
    let task = unsafe { Task::from_raw(task) };
    // SAFETY: the caller holds `task_lock(task)` for the call.
    unsafe {
        TaskLockGuard::with_held_by_caller(task, |locked| {
            if let Some(contid) = locked.contid() {
                netns::switch(locked, contid, from, to);
            }
        })
    };
}

/// A new namespace's list, for audit_net_init(); null if out of memory.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_netns_alloc() -> *mut bindings::audit_contid_netns {
    NetnsMembers::new().map_or(core::ptr::null_mut(), |list| {
        list.into_foreign().cast_mut().cast()
    })
}

/// Frees a namespace's list, for audit_net_exit(); see
/// [`NetnsMembers::free`].
///
/// # Safety
///
/// `list` must be null or come from [`audit_contid_netns_alloc`], and not
/// be used again.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_netns_free(list: *mut bindings::audit_contid_netns) {
    // SAFETY: by the function's requirements, a non-null `list` owns the
    // pinned box that `audit_contid_netns_alloc` gave away.
    let list = unsafe { Pin::<KBox<NetnsMembers>>::try_from_foreign(list.cast_const().cast()) };
    if let Some(list) = list {
        NetnsMembers::free(list);
    }
}

/// Whether containers have tasks in the namespace of `list`: whether a
/// packet's event needs a local context for their CONTAINER_ID records.
///
/// # Safety
///
/// `list` must be null or a namespace's list.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_netns_occupied(
    list: *const bindings::audit_contid_netns,
) -> bool {
    // SAFETY: by the function's requirements.
    unsafe { NetnsMembers::from_handle(list) }.is_some_and(|list| !list.is_empty())
}

/// Logs, in the packet's event `ctx`, the CONTAINER_ID records of the
/// containers with tasks in the namespace of `list`
/// ([`NetnsMembers::log_records`]); says whether it logged any.
///
/// # Safety
///
/// `ctx` must be a local context valid for the call; `list` null or a
/// namespace's list.
#[no_mangle]
pub(crate) unsafe extern "C" fn audit_contid_log_netns(
    ctx: *mut bindings::audit_context,
    list: *const bindings::audit_contid_netns,
) -> bool {
    // SAFETY: by the function's requirements.
    let Some(list) = (unsafe { NetnsMembers::from_handle(list) }) else {
        return false;
    };
    // SAFETY: `ctx` is valid for this call and used by no one else.
    list.log_records(unsafe { Context::from_raw(ctx) })
}

// ---- IMA (`security/integrity/ima/ima_api.c`) ----

/// Whether the current task's container has audited the file with key
/// `file_key` (from `ima_contid_key()`); see
/// [`Contid::has_audited_file`].
#[no_mangle]
pub(crate) extern "C" fn audit_contid_file_audited(file_key: u64) -> bool {
    with_current_contid(|contid| contid.has_audited_file(file_key)).unwrap_or(false)
}

/// Notes that the current task's container has audited the file with key
/// `file_key` ([`Contid::note_audited_file`]). Without memory it notes
/// nothing, and the file is audited again next time.
#[no_mangle]
pub(crate) extern "C" fn audit_contid_note_file_audited(file_key: u64) {
    let Ok(spare) = RBTreeNodeReservation::new(GFP_KERNEL) else {
        return;
    };
    // Whatever was not used is freed here, after the lock.
    let _unused = with_current_contid(|contid| contid.note_audited_file(file_key, spare));
}

// ---- The stress tests' counts (`CONFIG_AUDIT_CONTID_BENCH`) ----

/// The counts, for `/proc/audit_contid_stats`: live (registered) ids,
/// contid objects and network-namespace members.
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
#[no_mangle]
pub(crate) extern "C" fn audit_contid_stats(
    live_ids: &mut u64,
    contids: &mut i64,
    netns_members: &mut i64,
) {
    *live_ids = Registry::lock().len() as u64;
    let (objects, members) = crate::stats::objects();
    *contids = objects as i64;
    *netns_members = members as i64;
}
