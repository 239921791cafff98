// SPDX-License-Identifier: GPL-2.0

//! The permission ladder for a write to `/proc/PID/audit_containerid`.
//!
//! Decides whether a parsed value may be given to the target task, and if
//! so whether it starts a new container or adds the target to a live
//! container of the writer. The checks run in a fixed order because the
//! first failing one picks the errno that userspace and the audit
//! testsuite expect.
//!
//! The ladder is split by what each rung needs to know, so the kernel can
//! climb it with as few locks as possible:
//!
//! 1. [`check_writer`] (steps 2 and 3): the value and the opener's
//!    privilege. No lock: an unprivileged writer is refused before it
//!    touches any shared state.
//! 2. [`check_target`] (steps 4 to 6): the process tree and the target's
//!    slot, read under `tasklist_lock` and the target's `task_lock`.
//! 3. [`check_live_owner`] (step 7): the registry, read under its lock.
//!
//! The tests check the rungs together as one ladder (`decide`); the kernel
//! runs them in the same order, the second again under the registry lock
//! before it acts, as the facts may have changed in between.

use super::errno::{EBUSY, EEXIST, EINVAL, EMLINK, ENOTUNIQ, EPERM, EXDEV};
use super::CONTID_UNSET;

/// Whether the writer may manage contids at all, judged on the task that
/// opened the file: its credentials, and its capcontid at open time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// `CAP_AUDIT_CONTROL` in the initial user namespace.
    AuditControl,
    /// A non-zero capcontid: the delegated permission of an
    /// engine that may run in a user namespace, where it cannot have the
    /// capability of the initial one.
    Delegated,
    /// Neither the capability nor a delegation.
    Unprivileged,
}

impl Privilege {
    /// Whether it lets its holder read and set contids, and grant
    /// capcontid.
    pub(crate) fn may_manage(self) -> bool {
        match self {
            Privilege::AuditControl | Privilege::Delegated => true,
            Privilege::Unprivileged => false,
        }
    }
}

/// The contid the target carries, as the audit trail knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TargetContid {
    /// None.
    Unset,
    /// One, whose `op=set` record is in the log.
    Set,
    /// One that another writer has just given it and not yet logged: the
    /// target is busy. Refusing with `EEXIST` would have to name a contid
    /// that no record has announced yet.
    BeingSet,
}

/// What the ladder needs to know about the target, read under
/// `tasklist_lock` and the target's `task_lock`, so they are consistent
/// with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetFacts {
    /// The target has at least one child.
    pub(crate) has_children: bool,
    /// The target is a thread-group leader with no other threads.
    pub(crate) single_threaded_leader: bool,
    /// The target is in the writer's thread group.
    pub(crate) is_writer: bool,
    /// The target's thread-group leader is a strict descendant of the
    /// writer's, following `real_parent`.
    pub(crate) descends_from_writer: bool,
    /// The contid the target already carries, set or inherited.
    pub(crate) contid: TargetContid,
    /// The writing thread owns the target's contid (false if it has none).
    pub(crate) writer_owns_contid: bool,
    /// The process of the owner of the target's contid is a strict
    /// ancestor of the writer's process (false if the target has no
    /// contid or its owner has exited): the writer is an orchestrator
    /// nested in that container.
    pub(crate) contid_owner_is_writer_ancestor: bool,
}

/// Who may use the requested value, if it is live.
///
/// The owner is the thread that first set the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiveOwner {
    /// No container uses the value: it may start a new one.
    NotLive,
    /// The writing thread owns the live container using the value.
    Writer,
    /// Another thread, alive or not, owns it.
    Other,
    /// The container's last task has left, and its drop record is not in
    /// the log yet (or auditd has not fetched its signal info): nobody may
    /// use the value, not even its owner, so that no record names two
    /// containers by one id.
    Dropping,
}

/// The facts about one write that the ladder decides on, all at once: how
/// the tests state a write. The kernel gathers them rung by rung.
#[cfg(test)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SetRequest {
    /// The parsed value; may be [`CONTID_UNSET`], which is refused.
    pub(crate) value: u64,
    /// What the opener of the file is allowed to do.
    pub(crate) privilege: Privilege,
    /// The target and its place in the process tree.
    pub(crate) target: TargetFacts,
    /// Who may use `value`, if a live container uses it.
    pub(crate) live_owner: LiveOwner,
}

/// What an allowed write does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetAction {
    /// Allocate a new contid object owned by the writer.
    Create,
    /// Add the target to the writer's live container (injection).
    Join,
}

/// Why a write is refused; one variant per step of the ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SetError {
    /// The value is [`CONTID_UNSET`], which cannot be written.
    UnsetValue,
    /// The writer may not manage contids.
    NotPermitted,
    /// The target has children or other threads, is not a leader, or is
    /// being given a contid by another writer right now.
    TargetBusy,
    /// The target is the writer or not its descendant.
    NotDescendant,
    /// The target already has a contid and the writer may not nest one.
    AlreadySet,
    /// The value is used by a live container of another owner, or by one
    /// that is being dropped.
    NotUnique,
    /// A new container would be nested deeper than [`MAX_NESTING_DEPTH`].
    TooDeep,
}

impl SetError {
    /// The errno the write fails with (positive; the kernel negates it).
    pub(crate) fn errno(self) -> i32 {
        match self {
            SetError::UnsetValue => EINVAL,
            SetError::NotPermitted => EPERM,
            SetError::TargetBusy => EBUSY,
            SetError::NotDescendant => EXDEV,
            SetError::AlreadySet => EEXIST,
            SetError::NotUnique => ENOTUNIQ,
            SetError::TooDeep => EMLINK,
        }
    }
}

/// Whether the writer may give a target that already has a contid a
/// different one, as a nested orchestrator: it is not the
/// owner of the target's contid, and that owner is an ancestor of the
/// writer. "Ancestor" is strict, by process: another thread of the owner's
/// own process is the same orchestrator, not one nested in it.
fn may_nest(target: &TargetFacts) -> bool {
    !target.writer_owns_contid && target.contid_owner_is_writer_ancestor
}

/// Steps 2 and 3: the value and the writer's privilege.
pub(crate) fn check_writer(value: u64, privilege: Privilege) -> Result<(), SetError> {
    if value == CONTID_UNSET {
        return Err(SetError::UnsetValue);
    }
    if privilege.may_manage() {
        Ok(())
    } else {
        Err(SetError::NotPermitted)
    }
}

/// Steps 4 to 6: the target and its place in the process tree.
pub(crate) fn check_target(target: &TargetFacts) -> Result<(), SetError> {
    if target.has_children || !target.single_threaded_leader {
        return Err(SetError::TargetBusy);
    }
    if target.is_writer || !target.descends_from_writer {
        return Err(SetError::NotDescendant);
    }
    match target.contid {
        TargetContid::Unset => Ok(()),
        TargetContid::Set if may_nest(target) => Ok(()),
        TargetContid::Set => Err(SetError::AlreadySet),
        TargetContid::BeingSet => Err(SetError::TargetBusy),
    }
}

/// Step 7: whether the value is free, the writer's to join, or taken.
pub(crate) fn check_live_owner(live_owner: LiveOwner) -> Result<SetAction, SetError> {
    match live_owner {
        LiveOwner::NotLive => Ok(SetAction::Create),
        LiveOwner::Writer => Ok(SetAction::Join),
        LiveOwner::Other | LiveOwner::Dropping => Err(SetError::NotUnique),
    }
}

/// How many containers deep a chain may be, the outermost counted as 1.
///
/// Bounds what anyone who may manage contids, a delegated engine included,
/// can make every later record and chain walk cost: a whole chain of
/// 20-digit ids (about 1,400 bytes) fits one CONTAINER_ID record with
/// room to spare.
pub(crate) const MAX_NESTING_DEPTH: usize = 64;

/// Step 8: a new container is nested in the writer's, whose chain is
/// `writer_depth` containers deep (0 if it has none); joining a live one
/// makes nothing deeper.
pub(crate) fn check_nesting_depth(
    action: SetAction,
    writer_depth: usize,
) -> Result<SetAction, SetError> {
    if action == SetAction::Create && writer_depth >= MAX_NESTING_DEPTH {
        Err(SetError::TooDeep)
    } else {
        Ok(action)
    }
}

/// Runs the whole ladder: the first failing check decides the error.
#[cfg(test)]
pub(crate) fn decide(req: &SetRequest) -> Result<SetAction, SetError> {
    check_writer(req.value, req.privilege)?;
    check_target(&req.target)?;
    check_live_owner(req.live_owner)
}
