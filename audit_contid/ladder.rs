// SPDX-License-Identifier: GPL-2.0

//! The permission ladder for a write to `/proc/PID/audit_containerid`.
//!
//! Decides whether a parsed value may be given to the target task, and if
//! so whether it starts a new container or adds the target to a live
//! container of the writer (spec §2.1, steps 2 to 7). The kernel gathers the
//! facts about writer and target under its locks into a [`SetRequest`]; the
//! decision itself needs no kernel types, so the host tests can check it
//! against a model of the process tree. The checks run in the spec's order
//! because the first failing one picks the errno that userspace and the
//! audit testsuite expect.

/// Operation not permitted.
pub(crate) const EPERM: i32 = 1;
/// No such process.
pub(crate) const ESRCH: i32 = 3;
/// Out of memory.
pub(crate) const ENOMEM: i32 = 12;
/// Device or resource busy.
pub(crate) const EBUSY: i32 = 16;
/// File exists.
pub(crate) const EEXIST: i32 = 17;
/// Cross-device link.
pub(crate) const EXDEV: i32 = 18;
/// Invalid argument.
pub(crate) const EINVAL: i32 = 22;
/// Numerical result out of range.
pub(crate) const ERANGE: i32 = 34;
/// Name not unique on network.
pub(crate) const ENOTUNIQ: i32 = 76;

/// The value that means "no contid"; it can never be written (spec §1.2).
pub(crate) const CONTID_UNSET: u64 = u64::MAX;

/// Whether the writer may manage contids at all.
///
/// The capcontid issue (spec §1.5) adds a variant for writers holding the
/// delegated permission; [`decide`] matches exhaustively so it must be
/// handled there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Privilege {
    /// `CAP_AUDIT_CONTROL` in the initial user namespace.
    AuditControl,
    /// Neither the capability nor a delegation.
    Unprivileged,
}

/// Who owns the requested value, if it is live (in use by a live container).
///
/// The owner is the thread that first set the value. An object kept after
/// its last task exited (spec §1.7, held for auditd) counts as live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LiveOwner {
    /// No container uses the value: it may start a new one.
    NotLive,
    /// The writing thread owns the container using the value.
    Writer,
    /// Another thread, alive or not, owns it.
    Other,
}

/// The facts about one write that the ladder decides on.
///
/// Gathered by the kernel under `tasklist_lock` and the target's
/// `task_lock`, so they are consistent with each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SetRequest {
    /// The parsed value; may be [`CONTID_UNSET`], which is refused.
    pub(crate) value: u64,
    /// What the writer is allowed to do.
    pub(crate) privilege: Privilege,
    /// The target has at least one child.
    pub(crate) target_has_children: bool,
    /// The target is a thread-group leader with no other threads.
    pub(crate) target_single_threaded_leader: bool,
    /// The target is in the writer's thread group.
    pub(crate) target_is_writer: bool,
    /// The target's thread-group leader is a strict descendant of the
    /// writer's, following `real_parent`.
    pub(crate) target_descends_from_writer: bool,
    /// The target already has a contid, set or inherited.
    pub(crate) target_has_contid: bool,
    /// Who owns `value`, if a live container uses it.
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
    /// The target has children or other threads, or is not a leader.
    TargetBusy,
    /// The target is the writer or not its descendant.
    NotDescendant,
    /// The target already has a contid and the writer may not nest one.
    AlreadySet,
    /// The value is used by a live container of another owner.
    NotUnique,
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
        }
    }
}

/// Whether the writer may give a target that already has a contid a
/// different one, as a nested orchestrator.
///
/// Never, for now: the nesting issue (spec §1.4) adds the facts it needs to
/// [`SetRequest`] and its rule here.
fn may_nest(_req: &SetRequest) -> bool {
    false
}

/// Runs the ladder: the first failing check decides the error.
pub(crate) fn decide(req: &SetRequest) -> Result<SetAction, SetError> {
    if req.value == CONTID_UNSET {
        return Err(SetError::UnsetValue);
    }
    match req.privilege {
        Privilege::AuditControl => {}
        Privilege::Unprivileged => return Err(SetError::NotPermitted),
    }
    if req.target_has_children || !req.target_single_threaded_leader {
        return Err(SetError::TargetBusy);
    }
    if req.target_is_writer || !req.target_descends_from_writer {
        return Err(SetError::NotDescendant);
    }
    if req.target_has_contid && !may_nest(req) {
        return Err(SetError::AlreadySet);
    }
    match req.live_owner {
        LiveOwner::Other => Err(SetError::NotUnique),
        LiveOwner::Writer => Ok(SetAction::Join),
        LiveOwner::NotLive => Ok(SetAction::Create),
    }
}
