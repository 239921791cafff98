//! Tests for the permission ladder: each step, their order, the errnos, and
//! `decide` against a reference written from the spec's table on generated
//! process trees.

use std::collections::HashSet;
use std::iter;

use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::decisions::CONTID_UNSET;
use crate::errno::{EBUSY, EEXIST, EINVAL, EMLINK, ENOTUNIQ, EPERM, EXDEV};
use crate::ladder::*;
use crate::model::{scenarios, Scenario};

/// A write that passes every check and creates a new container.
const ALLOWED: SetRequest = SetRequest {
    value: 42,
    privilege: Privilege::AuditControl,
    target: TargetFacts {
        has_children: false,
        single_threaded_leader: true,
        is_writer: false,
        descends_from_writer: true,
        contid: TargetContid::Unset,
        writer_owns_contid: false,
        contid_owner_is_writer_ancestor: false,
    },
    live_owner: LiveOwner::NotLive,
};

/// [`ALLOWED`] on a target in a container whose owner is an ancestor of
/// the writer: a nested orchestrator's write.
const NESTED: SetRequest = target(TargetFacts {
    contid: TargetContid::Set,
    contid_owner_is_writer_ancestor: true,
    ..ALLOWED.target
});

/// [`ALLOWED`] with other target facts.
const fn target(target: TargetFacts) -> SetRequest {
    SetRequest { target, ..ALLOWED }
}

#[test]
fn allowed_write_creates_or_joins() {
    assert_eq!(decide(&ALLOWED), Ok(SetAction::Create));
    let owned = SetRequest {
        live_owner: LiveOwner::Writer,
        ..ALLOWED
    };
    assert_eq!(decide(&owned), Ok(SetAction::Join));
    let zero = SetRequest {
        value: 0,
        ..ALLOWED
    };
    assert_eq!(decide(&zero), Ok(SetAction::Create));
    let largest = SetRequest {
        value: CONTID_UNSET - 1,
        ..ALLOWED
    };
    assert_eq!(decide(&largest), Ok(SetAction::Create));
}

#[test]
fn each_step_alone_refuses() {
    let facts = ALLOWED.target;
    let cases = [
        (
            SetRequest {
                value: CONTID_UNSET,
                ..ALLOWED
            },
            SetError::UnsetValue,
        ),
        (
            SetRequest {
                privilege: Privilege::Unprivileged,
                ..ALLOWED
            },
            SetError::NotPermitted,
        ),
        (
            target(TargetFacts {
                has_children: true,
                ..facts
            }),
            SetError::TargetBusy,
        ),
        (
            target(TargetFacts {
                single_threaded_leader: false,
                ..facts
            }),
            SetError::TargetBusy,
        ),
        (
            target(TargetFacts {
                is_writer: true,
                ..facts
            }),
            SetError::NotDescendant,
        ),
        (
            target(TargetFacts {
                descends_from_writer: false,
                ..facts
            }),
            SetError::NotDescendant,
        ),
        (
            target(TargetFacts {
                contid: TargetContid::Set,
                ..facts
            }),
            SetError::AlreadySet,
        ),
        (
            target(TargetFacts {
                contid: TargetContid::BeingSet,
                ..facts
            }),
            SetError::TargetBusy,
        ),
        (
            SetRequest {
                live_owner: LiveOwner::Other,
                ..ALLOWED
            },
            SetError::NotUnique,
        ),
        (
            SetRequest {
                live_owner: LiveOwner::Dropping,
                ..ALLOWED
            },
            SetError::NotUnique,
        ),
    ];
    for (request, error) in cases {
        assert_eq!(decide(&request), Err(error), "{request:?}");
    }
}

/// The kernel climbs the ladder rung by rung, with the locks each needs;
/// together the rungs are the whole ladder.
#[test]
fn rungs_in_order_are_the_ladder() {
    for request in all_requests(&[7, CONTID_UNSET]) {
        let by_rungs = check_writer(request.value, request.privilege)
            .and_then(|()| check_target(&request.target))
            .and_then(|()| check_live_owner(request.live_owner));
        assert_eq!(by_rungs, decide(&request), "{request:?}");
    }
}

#[test]
fn nested_orchestrator_may_relabel() {
    assert_eq!(decide(&NESTED), Ok(SetAction::Create));
    let injection = SetRequest {
        live_owner: LiveOwner::Writer,
        ..NESTED
    };
    assert_eq!(decide(&injection), Ok(SetAction::Join));
    let delegated = SetRequest {
        privilege: Privilege::Delegated,
        ..NESTED
    };
    assert_eq!(decide(&delegated), Ok(SetAction::Create));
    // The owner itself may not relabel (it is not nested in itself).
    let owner = target(TargetFacts {
        writer_owns_contid: true,
        ..NESTED.target
    });
    assert_eq!(decide(&owner), Err(SetError::AlreadySet));
    // Nor may anyone the owner is not an ancestor of: the host engine
    // reaching into a container to relabel what its nested engine made.
    let outsider = target(TargetFacts {
        contid_owner_is_writer_ancestor: false,
        ..NESTED.target
    });
    assert_eq!(decide(&outsider), Err(SetError::AlreadySet));
    // The earlier rungs still come first.
    let busy = target(TargetFacts {
        has_children: true,
        ..NESTED.target
    });
    assert_eq!(decide(&busy), Err(SetError::TargetBusy));
    let unprivileged = SetRequest {
        privilege: Privilege::Unprivileged,
        ..NESTED
    };
    assert_eq!(decide(&unprivileged), Err(SetError::NotPermitted));
}

#[test]
fn errors_map_to_errnos() {
    let cases = [
        (SetError::UnsetValue, EINVAL, 22),
        (SetError::NotPermitted, EPERM, 1),
        (SetError::TargetBusy, EBUSY, 16),
        (SetError::NotDescendant, EXDEV, 18),
        (SetError::AlreadySet, EEXIST, 17),
        (SetError::NotUnique, ENOTUNIQ, 76),
    ];
    for (error, errno, number) in cases {
        assert_eq!(error.errno(), errno, "{error:?}");
        assert_eq!(errno, number, "{error:?}");
    }
    assert_eq!(CONTID_UNSET, 18446744073709551615);
}

#[test]
fn spec_consequences_hold() {
    // Self-assignment is always refused, even of a fresh value.
    let own = target(TargetFacts {
        is_writer: true,
        descends_from_writer: false,
        ..ALLOWED.target
    });
    assert_eq!(decide(&own).map_err(SetError::errno), Err(EXDEV));
    // The owner cannot write again to a task it labelled, even the same value.
    let again = SetRequest {
        live_owner: LiveOwner::Writer,
        ..target(TargetFacts {
            contid: TargetContid::Set,
            ..ALLOWED.target
        })
    };
    assert_eq!(decide(&again).map_err(SetError::errno), Err(EEXIST));
    // A task with children cannot be labelled.
    let parent = target(TargetFacts {
        has_children: true,
        ..ALLOWED.target
    });
    assert_eq!(decide(&parent).map_err(SetError::errno), Err(EBUSY));
    // An unprivileged write of the unset value reports the value first.
    let both = SetRequest {
        value: CONTID_UNSET,
        privilege: Privilege::Unprivileged,
        ..ALLOWED
    };
    assert_eq!(decide(&both).map_err(SetError::errno), Err(EINVAL));
    // The owner cannot revive a container whose drop is not logged yet.
    let dropping = SetRequest {
        live_owner: LiveOwner::Dropping,
        ..ALLOWED
    };
    assert_eq!(decide(&dropping).map_err(SetError::errno), Err(ENOTUNIQ));
}

/// The target's facts from six random bits and its contid, for the
/// property tests and the fuzz pass.
pub(crate) fn target_from_bits(bits: [bool; 6], contid: TargetContid) -> TargetFacts {
    TargetFacts {
        has_children: bits[0],
        single_threaded_leader: bits[1],
        is_writer: bits[2],
        descends_from_writer: bits[3],
        contid,
        writer_owns_contid: bits[4],
        contid_owner_is_writer_ancestor: bits[5],
    }
}

pub(crate) const TARGET_CONTIDS: [TargetContid; 3] = [
    TargetContid::Unset,
    TargetContid::Set,
    TargetContid::BeingSet,
];

pub(crate) const PRIVILEGES: [Privilege; 3] = [
    Privilege::AuditControl,
    Privilege::Delegated,
    Privilege::Unprivileged,
];

pub(crate) const LIVE_OWNERS: [LiveOwner; 4] = [
    LiveOwner::NotLive,
    LiveOwner::Writer,
    LiveOwner::Other,
    LiveOwner::Dropping,
];

/// Every request over the given values, with every combination of facts.
fn all_requests(values: &[u64]) -> Vec<SetRequest> {
    let mut requests = Vec::new();
    for &value in values {
        for privilege in PRIVILEGES {
            for live_owner in LIVE_OWNERS {
                for contid in TARGET_CONTIDS {
                    for bits in 0u8..64 {
                        let bit = |n: u8| bits & (1 << n) != 0;
                        requests.push(SetRequest {
                            value,
                            privilege,
                            target: TargetFacts {
                                has_children: bit(0),
                                single_threaded_leader: bit(1),
                                is_writer: bit(2),
                                descends_from_writer: bit(3),
                                contid,
                                writer_owns_contid: bit(4),
                                contid_owner_is_writer_ancestor: bit(5),
                            },
                            live_owner,
                        });
                    }
                }
            }
        }
    }
    requests
}

/// The first failing step of spec §2.1 (steps 2 to 7), in table form.
fn reference_on_request(req: &SetRequest) -> Result<SetAction, SetError> {
    let t = &req.target;
    let table = [
        (req.value == u64::MAX, SetError::UnsetValue),
        (
            req.privilege == Privilege::Unprivileged,
            SetError::NotPermitted,
        ),
        (
            t.has_children || !t.single_threaded_leader,
            SetError::TargetBusy,
        ),
        (
            t.is_writer || !t.descends_from_writer,
            SetError::NotDescendant,
        ),
        (
            t.contid == TargetContid::Set
                && (t.writer_owns_contid || !t.contid_owner_is_writer_ancestor),
            SetError::AlreadySet,
        ),
        (t.contid == TargetContid::BeingSet, SetError::TargetBusy),
        (
            matches!(req.live_owner, LiveOwner::Other | LiveOwner::Dropping),
            SetError::NotUnique,
        ),
    ];
    match table.iter().find(|(fails, _)| *fails) {
        Some(&(_, error)) => Err(error),
        None if req.live_owner == LiveOwner::Writer => Ok(SetAction::Join),
        None => Ok(SetAction::Create),
    }
}

#[test]
fn first_failing_step_wins_for_every_combination() {
    let requests = all_requests(&[0, 7, CONTID_UNSET - 1, CONTID_UNSET]);
    assert_eq!(requests.len(), 4 * 3 * 4 * 3 * 64);
    for request in &requests {
        assert_eq!(
            decide(request),
            reference_on_request(request),
            "{request:?}"
        );
    }
}

/// Spec §2.1's table applied to the process tree itself, computed without
/// [`Scenario::request`].
pub(crate) fn reference_on_tree(s: &Scenario) -> Result<SetAction, SetError> {
    let processes = &s.forest.processes;
    let target = &processes[s.target.process];
    let ancestors: HashSet<usize> =
        iter::successors(target.parent, |&p| processes[p].parent).collect();
    let children = processes
        .iter()
        .filter(|p| p.parent == Some(s.target.process))
        .count();
    let holder = s
        .forest
        .containers
        .iter()
        .enumerate()
        .filter(|&(i, _)| s.forest.is_live(i))
        .map(|(_, c)| c)
        .find(|c| c.value == s.value);
    let dropping = s
        .forest
        .containers
        .iter()
        .enumerate()
        .any(|(i, c)| c.value == s.value && c.held && !s.forest.has_tasks(i));
    let owned_by_writer = holder.is_some_and(|c| c.owner == Some(s.writer)) && !dropping;
    // Spec §1.4: the writer is not the owner of the target's contid, and
    // that owner's process is an ancestor of the writer's.
    let writer_ancestors: HashSet<usize> =
        iter::successors(processes[s.writer.process].parent, |&p| processes[p].parent).collect();
    let nests = target.contid.is_some_and(|c| {
        let owner = s.forest.containers[c].owner;
        owner != Some(s.writer) && owner.is_some_and(|o| writer_ancestors.contains(&o.process))
    });
    let table = [
        (s.value == CONTID_UNSET, SetError::UnsetValue),
        (
            s.privilege == Privilege::Unprivileged,
            SetError::NotPermitted,
        ),
        (
            children > 0 || target.threads > 1 || s.target.index != 0,
            SetError::TargetBusy,
        ),
        (
            s.target.process == s.writer.process || !ancestors.contains(&s.writer.process),
            SetError::NotDescendant,
        ),
        (target.contid.is_some() && !nests, SetError::AlreadySet),
        (holder.is_some() && !owned_by_writer, SetError::NotUnique),
    ];
    match table.iter().find(|(fails, _)| *fails) {
        Some(&(_, error)) => Err(error),
        None if owned_by_writer => Ok(SetAction::Join),
        None => Ok(SetAction::Create),
    }
}

/// What must hold of any decision, whatever the route to it.
pub(crate) fn check_invariants(s: &Scenario, outcome: Result<SetAction, SetError>) {
    let req = s.request();
    let live = s
        .forest
        .containers
        .iter()
        .enumerate()
        .find(|&(i, c)| c.value == s.value && s.forest.is_live(i));
    let owned_by_writer =
        live.is_some_and(|(i, c)| c.owner == Some(s.writer) && s.forest.has_tasks(i));
    if let Ok(action) = outcome {
        assert_ne!(s.value, CONTID_UNSET);
        assert_ne!(s.privilege, Privilege::Unprivileged);
        assert!(!req.target.has_children);
        assert!(req.target.single_threaded_leader);
        assert!(!req.target.is_writer && req.target.descends_from_writer);
        assert!(
            s.forest.processes[s.target.process].contid.is_none()
                || (!req.target.writer_owns_contid && req.target.contid_owner_is_writer_ancestor)
        );
        assert!(live.is_none() || owned_by_writer);
        assert_eq!(action == SetAction::Join, live.is_some() && owned_by_writer);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn decide_matches_spec_table_on_generated_trees(s in scenarios()) {
        let outcome = decide(&s.request());
        prop_assert_eq!(outcome, reference_on_tree(&s), "{:?}", s);
        check_invariants(&s, outcome);
    }

    #[test]
    fn decide_matches_spec_table_on_any_request(
        value in prop_oneof![Just(CONTID_UNSET), any::<u64>()],
        privilege in proptest::sample::select(PRIVILEGES.to_vec()),
        bits in any::<[bool; 6]>(),
        contid in proptest::sample::select(TARGET_CONTIDS.to_vec()),
        live_owner in proptest::sample::select(LIVE_OWNERS.to_vec()),
    ) {
        let request = SetRequest {
            value,
            privilege,
            target: target_from_bits(bits, contid),
            live_owner,
        };
        prop_assert_eq!(decide(&request), reference_on_request(&request));
    }
}

/// The tree generator is only useful if it reaches every outcome.
#[test]
fn generated_trees_reach_every_outcome() {
    let mut runner = TestRunner::deterministic();
    let strategy = scenarios();
    let mut seen = HashSet::new();
    for _ in 0..20_000 {
        let s = strategy
            .new_tree(&mut runner)
            .expect("strategy generates")
            .current();
        seen.insert(format!("{:?}", decide(&s.request())));
    }
    let expected = [
        "Ok(Create)",
        "Ok(Join)",
        "Err(UnsetValue)",
        "Err(NotPermitted)",
        "Err(TargetBusy)",
        "Err(NotDescendant)",
        "Err(AlreadySet)",
        "Err(NotUnique)",
    ];
    for outcome in expected {
        assert!(
            seen.contains(outcome),
            "never reached {outcome}; saw {seen:?}"
        );
    }
}

#[test]
fn a_new_container_is_at_most_64_deep() {
    assert_eq!(MAX_NESTING_DEPTH, 64);
    for depth in 0..MAX_NESTING_DEPTH {
        assert_eq!(
            check_nesting_depth(SetAction::Create, depth),
            Ok(SetAction::Create),
            "a writer {depth} deep may make a container {} deep",
            depth + 1
        );
    }
    for depth in [MAX_NESTING_DEPTH, MAX_NESTING_DEPTH + 1, usize::MAX] {
        let refused = check_nesting_depth(SetAction::Create, depth);
        assert_eq!(refused, Err(SetError::TooDeep));
        assert_eq!(refused.unwrap_err().errno(), EMLINK);
    }
}

#[test]
fn joining_a_live_container_is_allowed_at_any_depth() {
    for depth in [0, MAX_NESTING_DEPTH, usize::MAX] {
        assert_eq!(
            check_nesting_depth(SetAction::Join, depth),
            Ok(SetAction::Join)
        );
    }
}
