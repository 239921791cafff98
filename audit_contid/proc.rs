// SPDX-License-Identifier: GPL-2.0

//! `/proc/PID/audit_containerid`: reading a task's contid, and the set
//! path that a write runs.
//!
//! A write climbs the ladder ([`ladder`]) rung by rung, each with only the
//! locks it needs, and logs its `op=set` record with none held:
//!
//! 1. the value and the opener's privilege, with no lock: an unprivileged
//!    writer touches no shared state but its target's `task_lock` (to name
//!    the target's contid in the record);
//! 2. the process tree and the target's slot, under `tasklist_lock` and
//!    the target's `task_lock`;
//! 3. the registry, under its lock, with rung 2 checked again under the
//!    same locks as it, as the tree may have changed in between; the
//!    target is labelled there.
//!
//! The record comes after the label, and the order of the trail is kept
//! per contid: records name a contid only once it is announced, which the
//! writer that created it does after its record, and the writer holds the
//! contid until then, so a target that exits at once has its drop record
//! after the `op=set`. (A task injected into a live container may log a
//! record naming it just before the writer's `op=set` for that task: the
//! container's own `op=set` came long before.) The `contid=` of a refused
//! write is only the number asked for, not a label.

use kernel::{
    alloc::flags::GFP_KERNEL,
    error::{
        code::{ENOMEM, ESRCH},
        Error, Result,
    },
    rbtree::RBTreeNodeReservation,
    sync::ArcBorrow,
    task::Task,
};

use crate::{
    contid::{Contid, Hold},
    decisions::{
        ladder::{self, Privilege, SetAction, TargetContid},
        record::ProcText,
    },
    error::enotuniq,
    log,
    netns::SpareMember,
    registry::Registry,
    task_slot::{current_hold, install, Evicted},
    task_tree::{target_facts, TaskLockGuard, TasklistReadGuard},
};

/// How the ladder sees the target's contid, and a hold on it if a record
/// may name it.
fn contid_state(contid: Option<ArcBorrow<'_, Contid>>) -> (TargetContid, Option<Hold>) {
    match contid {
        None => (TargetContid::Unset, None),
        // The caller keeps the target's slot from changing (its lock).
        Some(contid) if contid.is_announced() => (TargetContid::Set, Some(Hold::another(contid))),
        Some(_) => (TargetContid::BeingSet, None),
    }
}

/// Where a write stands once the registry rung has been climbed.
enum Decided {
    /// The target started exiting: `ESRCH`, and no record.
    Exiting,
    /// Refused with `err`; `old` is the target's contid, held for the
    /// record.
    Refused { err: Error, old: Option<Hold> },
    /// The target is labelled. `held` is the writer's hold on its contid
    /// until the record is out; `created` if the write made the contid;
    /// `old` the target's contid before, held for the record; `evicted`
    /// what left the target's slot (the contid a nested label replaced,
    /// and the new one if the target was found exiting).
    Labelled {
        held: Hold,
        created: bool,
        old: Option<Hold>,
        evicted: Evicted,
    },
}

/// Logs a refused write and returns its error.
fn refuse(opid: i32, value: u64, old: Option<Hold>, err: Error) -> Result {
    log::op_set(opid, value, old.as_deref(), false);
    Err(err)
}

/// Runs the ladder for `value` on `target` and applies the decision.
pub(crate) fn set_contid(target: &Task, value: u64, privilege: Privilege) -> Result {
    let writer = kernel::current!();
    let opid = target.tgid_nr();

    // Rung 1, with no lock: the value and the opener's privilege.
    if let Err(refusal) = ladder::check_writer(value, privilege) {
        let old = {
            let task = TaskLockGuard::new(target);
            if target.is_exiting() {
                return Err(ESRCH);
            }
            contid_state(task.contid()).1
        };
        return refuse(opid, value, old, refusal.into());
    }

    // Rung 2, under `tasklist_lock` and the target's lock.
    let checked = {
        let tree = TasklistReadGuard::lock();
        let task = TaskLockGuard::new(target);
        // The writer runs, so it is not exiting.
        let (Some(unreaped), Some(writer)) = (tree.unreaped(target), tree.unreaped(writer)) else {
            return Err(ESRCH);
        };
        let contid = task.contid();
        let (state, old) = contid_state(contid);
        let facts = target_facts(&tree, unreaped, writer, contid.as_deref(), state);
        (ladder::check_target(&facts), old)
    };
    if let (Err(refusal), old) = checked {
        return refuse(opid, value, old, refusal.into());
    }

    // What a new container needs, allocated with no lock held; used only
    // if the registry rung says `Create`. It is nested in the writer's
    // container, which the writer's own slot holds: the
    // writer has a child (its target's ancestry), so no set replaces it.
    let mut parent = current_hold();
    let writer_depth = parent.as_ref().map_or(0, |parent| parent.chain().count());
    let mut fresh = Contid::new_owned_by_current(value, parent.as_ref().map(Hold::to_arc)).ok();
    let mut fresh_node = RBTreeNodeReservation::new(GFP_KERNEL).ok();
    // And for counting the target in its network namespace.
    let mut spare_member = SpareMember::new(GFP_KERNEL).ok();

    // Rung 3, under the registry lock, with rung 2 again.
    let decided = {
        let mut registry = Registry::lock();
        let tree = TasklistReadGuard::lock();
        let task = TaskLockGuard::new(target);
        if let (Some(unreaped), Some(writer)) = (tree.unreaped(target), tree.unreaped(writer)) {
            let contid = task.contid();
            let (state, old) = contid_state(contid);
            let facts = target_facts(&tree, unreaped, writer, contid.as_deref(), state);
            let (live_owner, live) = registry.lookup(value, Some(writer.task()));
            let action = ladder::check_target(&facts)
                .and_then(|()| ladder::check_live_owner(live_owner))
                .and_then(|action| ladder::check_nesting_depth(action, writer_depth));
            match (action, live) {
                (Err(refusal), _) => Decided::Refused {
                    err: refusal.into(),
                    old,
                },
                (Ok(_), _) if spare_member.is_none() => Decided::Refused { err: ENOMEM, old },
                (Ok(SetAction::Create), _) => match (fresh.take(), fresh_node.take()) {
                    (Some(contid), Some(node)) => {
                        let creator = Hold::first(contid.clone(), parent.take());
                        registry.insert(node, contid);
                        let evicted = install(
                            &task,
                            Hold::another(creator.as_arc_borrow()),
                            &mut spare_member,
                        );
                        Decided::Labelled {
                            held: creator,
                            created: true,
                            old,
                            evicted,
                        }
                    }
                    _ => Decided::Refused { err: ENOMEM, old },
                },
                (Ok(SetAction::Join), Some(contid)) => {
                    // Not dropping (`check_live_owner`), and holds drop to
                    // zero only with the registry locked.
                    let writer_hold = Hold::another(contid);
                    let evicted = install(
                        &task,
                        Hold::another(writer_hold.as_arc_borrow()),
                        &mut spare_member,
                    );
                    Decided::Labelled {
                        held: writer_hold,
                        created: false,
                        old,
                        evicted,
                    }
                }
                // Not reached: the ladder joins only a live object.
                (Ok(SetAction::Join), None) => Decided::Refused {
                    err: enotuniq(),
                    old,
                },
            }
        } else {
            Decided::Exiting
        }
    };

    // No lock is held from here on.
    match decided {
        Decided::Exiting => Err(ESRCH),
        Decided::Refused { err, old } => refuse(opid, value, old, err),
        Decided::Labelled {
            held,
            created,
            old,
            evicted,
        } => {
            // A target found exiting right after the store leaves again,
            // as its exit would have made it: the write still labelled it
            // (its last records may carry the contid), so it succeeds, and
            // the drop record follows the `op=set` (`held` keeps it). The
            // container a nested label replaced is left the same way, and
            // its drop record, if it was the last task, follows the
            // `op=set` that names it as `old-contid` (`old` keeps it).
            drop(evicted);
            log::op_set(opid, value, old.as_deref(), true);
            if created {
                held.announce();
            }
            drop(held);
            drop(old);
            Ok(())
        }
    }
}

/// What a read of `/proc/PID/audit_containerid` shows for `task`.
pub(crate) fn proc_text(task: &Task) -> ProcText {
    let task = TaskLockGuard::new(task);
    ProcText::new(task.contid().map(|contid| contid.id()))
}
