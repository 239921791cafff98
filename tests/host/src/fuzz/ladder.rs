//! Fuzzing the ladder: arbitrary requests, and long histories of forks,
//! exits, signals and writes on the model of `model.rs`.
//!
//! On an arbitrary request (every field random) the ladder must not panic,
//! must answer with one of the errnos of spec §2.1's table, and the answer
//! of a step must not depend on what only later steps look at. The
//! histories reach process trees and containers that the one-shot
//! generator of `ladder_tests` cannot (containers whose owner exited, held
//! containers, nested chains, reparented orphans); every write in them is
//! checked against `ladder_tests`' reference, the resulting state against
//! the spec's invariants, and its records read back.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;

use super::record::{read_chain, read_fields, read_i32, read_u64};
use super::run;
use crate::decisions::CONTID_UNSET;
use crate::errno::{EBUSY, EEXIST, EINVAL, EMLINK, ENOTUNIQ, EPERM, EXDEV};
use crate::grant::{check_grantee, check_granter};
use crate::ladder::*;
use crate::ladder_tests::{
    check_invariants, reference_on_tree, target_from_bits, LIVE_OWNERS, PRIVILEGES, TARGET_CONTIDS,
};
use crate::model::{Container, Forest, Process, Scenario, Thread};
use crate::record::{ContainerId, OpDrop, OpSet};

fn value() -> impl Strategy<Value = u64> {
    prop_oneof![
        6 => any::<u64>(),
        2 => Just(CONTID_UNSET),
        1 => select(vec![0, 1, CONTID_UNSET - 1]),
    ]
}

fn target_facts() -> impl Strategy<Value = TargetFacts> {
    (any::<[bool; 6]>(), select(TARGET_CONTIDS.to_vec()))
        .prop_map(|(bits, contid)| target_from_bits(bits, contid))
}

fn request() -> impl Strategy<Value = SetRequest> {
    (
        value(),
        select(PRIVILEGES.to_vec()),
        target_facts(),
        select(LIVE_OWNERS.to_vec()),
    )
        .prop_map(|(value, privilege, target, live_owner)| SetRequest {
            value,
            privilege,
            target,
            live_owner,
        })
}

/// The step of spec §2.1 that refuses with `error`, and its errno.
fn step(error: SetError) -> (u8, i32) {
    match error {
        SetError::UnsetValue => (2, EINVAL),
        SetError::NotPermitted => (3, EPERM),
        SetError::TargetBusy => (4, EBUSY),
        SetError::NotDescendant => (5, EXDEV),
        SetError::AlreadySet => (6, EEXIST),
        SetError::NotUnique => (7, ENOTUNIQ),
        SetError::TooDeep => (8, EMLINK),
    }
}

/// A request and what may replace its facts: other facts for the steps
/// after the failing one, another value, and the facts the kernel reads
/// again under the registry lock.
fn request_and_others() -> impl Strategy<Value = (SetRequest, SetRequest, TargetFacts)> {
    (request(), request(), target_facts())
}

/// The ladder on arbitrary requests.
#[test]
fn arbitrary_requests() {
    run(
        "fuzz::ladder::arbitrary_requests",
        15_000,
        request_and_others(),
        |(req, other, recheck)| {
            let outcome = decide(&req);
            // The kernel's rungs, in its order, are the ladder.
            let rungs = check_writer(req.value, req.privilege)
                .and_then(|()| check_target(&req.target))
                .and_then(|()| check_live_owner(req.live_owner));
            prop_assert_eq!(outcome, rungs);
            match outcome {
                Ok(action) => {
                    prop_assert_ne!(req.value, CONTID_UNSET);
                    prop_assert!(req.privilege.may_manage());
                    prop_assert_eq!(
                        action == SetAction::Join,
                        req.live_owner == LiveOwner::Writer
                    );
                    prop_assert_eq!(
                        action == SetAction::Create,
                        req.live_owner == LiveOwner::NotLive
                    );
                }
                Err(error) => {
                    let (number, errno) = step(error);
                    prop_assert_eq!(error.errno(), errno);
                    // Whatever only later steps look at cannot change it.
                    let later = match number {
                        2 | 3 => SetRequest {
                            target: other.target,
                            live_owner: other.live_owner,
                            ..req
                        },
                        4..=6 => SetRequest {
                            live_owner: other.live_owner,
                            ..req
                        },
                        _ => req,
                    };
                    prop_assert_eq!(decide(&later), outcome, "{:?}", later);
                }
            }
            // The value counts only for being the unset one; both
            // privileges that may manage are the same.
            if (req.value == CONTID_UNSET) == (other.value == CONTID_UNSET) {
                let revalued = SetRequest {
                    value: other.value,
                    ..req
                };
                prop_assert_eq!(decide(&revalued), outcome);
            }
            if req.privilege.may_manage() && other.privilege.may_manage() {
                let other_privilege = SetRequest {
                    privilege: other.privilege,
                    ..req
                };
                prop_assert_eq!(decide(&other_privilege), outcome);
            }
            // The kernel checks the target twice, the second time under
            // the registry lock, where the facts may have changed: what it
            // does is what the ladder says of the facts it saw last.
            let kernel = check_writer(req.value, req.privilege)
                .and_then(|()| check_target(&req.target))
                .and_then(|()| check_target(&recheck))
                .and_then(|()| check_live_owner(req.live_owner));
            if let Ok(action) = kernel {
                let last = SetRequest {
                    target: recheck,
                    ..req
                };
                prop_assert_eq!(decide(&last), Ok(action));
            }
            // Granting capcontid: privilege first, then the tree.
            let grant = check_granter(req.privilege).and_then(|()| {
                check_grantee(req.target.is_writer, req.target.descends_from_writer)
            });
            match grant {
                Ok(()) => prop_assert!(
                    req.privilege.may_manage()
                        && !req.target.is_writer
                        && req.target.descends_from_writer
                ),
                Err(error) => {
                    prop_assert!(matches!(error.errno(), EPERM | EXDEV));
                    prop_assert_eq!(error.errno() == EPERM, !req.privilege.may_manage());
                }
            }
            Ok(())
        },
    );
}

/// Which task a write targets.
#[derive(Debug, Clone)]
enum Target {
    /// Any thread of any process.
    Any(Index, Index),
    /// A strict descendant of the writer, leaves first: often allowed.
    Descendant(Index),
}

/// Which thread writes.
#[derive(Debug, Clone)]
enum Writer {
    /// Any thread of any process.
    Any(Index, Index),
    /// The owner of a container, if it is still there: it may join it,
    /// and its descendants may nest.
    Owner(Index),
}

/// Which value a write asks for.
#[derive(Debug, Clone)]
enum Value {
    /// That of an existing container: joins or collides.
    Existing(Index),
    /// That of a container the writer owns, if any: joins.
    Owned(Index),
    Fixed(u64),
}

/// One event of a history.
#[derive(Debug, Clone)]
enum Op {
    /// A process forks a child, which inherits its contid.
    Fork(Index),
    /// A process starts another thread.
    Spawn(Index),
    /// A process (never the first, which is init) exits; its children
    /// are reparented to init.
    Exit(Index),
    /// A process signals auditd: its container is held until auditd
    /// fetches the signal info (spec §1.7).
    Signal(Index),
    /// auditd fetches the signal info.
    Fetch,
    Write {
        writer: Writer,
        target: Target,
        value: Value,
        privilege: Privilege,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let target = prop_oneof![
        1 => (any::<Index>(), any::<Index>()).prop_map(|(p, t)| Target::Any(p, t)),
        3 => any::<Index>().prop_map(Target::Descendant),
    ];
    let writer = prop_oneof![
        2 => (any::<Index>(), any::<Index>()).prop_map(|(p, t)| Writer::Any(p, t)),
        1 => any::<Index>().prop_map(Writer::Owner),
    ];
    let value = prop_oneof![
        2 => any::<Index>().prop_map(Value::Existing),
        2 => any::<Index>().prop_map(Value::Owned),
        2 => select(vec![0, 1, 2, 3, CONTID_UNSET - 1]).prop_map(Value::Fixed),
        1 => any::<u64>().prop_map(Value::Fixed),
        1 => Just(Value::Fixed(CONTID_UNSET)),
    ];
    let privilege = prop_oneof![
        4 => Just(Privilege::AuditControl),
        1 => Just(Privilege::Delegated),
        1 => Just(Privilege::Unprivileged),
    ];
    let write =
        (writer, target, value, privilege).prop_map(|(writer, target, value, privilege)| {
            Op::Write {
                writer,
                target,
                value,
                privilege,
            }
        });
    prop_oneof![
        4 => any::<Index>().prop_map(Op::Fork),
        1 => any::<Index>().prop_map(Op::Spawn),
        2 => any::<Index>().prop_map(Op::Exit),
        1 => any::<Index>().prop_map(Op::Signal),
        1 => Just(Op::Fetch),
        6 => write,
    ]
}

/// The model's state, and each container's chain (its value, then those
/// of the containers it is nested in), kept at creation as the kernel's
/// parent pointers keep them.
struct History {
    forest: Forest,
    chains: Vec<Vec<u64>>,
}

/// Reads back the `op=set` record of a write.
fn check_op_set(opid: i32, value: u64, old: &[u64], success: bool) -> TestCaseResult {
    let text = OpSet {
        opid,
        requested: value,
        old_chain: old.iter().copied(),
        success,
    }
    .to_string();
    let fields = read_fields(&text, &["op", "opid", "contid", "old-contid", "res"]);
    let fields = fields.ok_or_else(|| TestCaseError::fail(format!("unreadable: {text}")))?;
    prop_assert_eq!(fields[0], "set");
    prop_assert_eq!(read_i32(fields[1]), Some(opid));
    prop_assert_eq!(read_u64(fields[2]), Some(value));
    prop_assert_eq!(read_chain(fields[3]), Some(old.to_vec()));
    prop_assert_eq!(fields[4], if success { "1" } else { "0" });
    Ok(())
}

impl History {
    fn new() -> Self {
        History {
            forest: Forest {
                processes: vec![Process {
                    parent: None,
                    threads: 1,
                    contid: None,
                }],
                containers: Vec::new(),
            },
            chains: Vec::new(),
        }
    }

    fn processes(&self) -> usize {
        self.forest.processes.len()
    }

    fn thread(&self, process: &Index, index: &Index) -> Thread {
        let process = process.index(self.processes());
        Thread {
            process,
            index: index.index(self.forest.processes[process].threads),
        }
    }

    /// Strict descendants of `process`, leaves first.
    fn descendants(&self, process: usize) -> Vec<usize> {
        let processes = &self.forest.processes;
        let descends = |mut p: usize| {
            while let Some(parent) = processes[p].parent {
                if parent == process {
                    return true;
                }
                p = parent;
            }
            false
        };
        let mut found: Vec<usize> = (0..processes.len()).filter(|&p| descends(p)).collect();
        found.sort_by_key(|&p| processes.iter().any(|q| q.parent == Some(p)));
        found
    }

    /// Forgets the containers nobody uses any more, logging their drop
    /// records (spec §1.7): those without tasks that are not held.
    fn drop_unused(&mut self) -> TestCaseResult {
        let mut container = 0;
        while container < self.forest.containers.len() {
            if self.forest.is_live(container) {
                container += 1;
                continue;
            }
            let chain = self.chains.remove(container);
            self.forest.containers.remove(container);
            for process in &mut self.forest.processes {
                if let Some(c) = process.contid.as_mut() {
                    prop_assert_ne!(*c, container, "a dropped container has tasks");
                    if *c > container {
                        *c -= 1;
                    }
                }
            }
            let text = OpDrop {
                opid: 1,
                dropped_chain: chain.iter().copied(),
            }
            .to_string();
            let fields = read_fields(&text, &["op", "opid", "contid", "old-contid", "res"]);
            prop_assert!(fields.is_some(), "{}", text);
            let fields = fields.unwrap_or_default();
            prop_assert_eq!(fields[2], "-1");
            prop_assert_eq!(read_chain(fields[3]), Some(chain));
        }
        Ok(())
    }

    fn exit(&mut self, process: usize) -> TestCaseResult {
        let processes = &mut self.forest.processes;
        processes.remove(process);
        for p in processes.iter_mut() {
            p.parent = match p.parent {
                Some(parent) if parent == process => Some(0),
                Some(parent) if parent > process => Some(parent - 1),
                parent => parent,
            };
        }
        for container in &mut self.forest.containers {
            container.owner = match container.owner {
                Some(owner) if owner.process == process => None,
                Some(owner) if owner.process > process => Some(Thread {
                    process: owner.process - 1,
                    ..owner
                }),
                owner => owner,
            };
        }
        self.drop_unused()
    }

    fn write(
        &mut self,
        writer: Thread,
        target: Thread,
        value: u64,
        privilege: Privilege,
    ) -> TestCaseResult {
        let scenario = Scenario {
            forest: self.forest.clone(),
            writer,
            target,
            value,
            privilege,
        };
        let request = scenario.request();
        let outcome = decide(&request);
        prop_assert_eq!(outcome, reference_on_tree(&scenario), "{:?}", scenario);
        check_invariants(&scenario, outcome);
        let old = self.forest.processes[target.process].contid;
        let old_chain = old.map_or(&[][..], |c| &self.chains[c][..]);
        check_op_set(target.process as i32, value, old_chain, outcome.is_ok())?;
        let installed = match outcome {
            // Refused: nothing changes.
            Err(_) => return Ok(()),
            Ok(SetAction::Create) => {
                let mut chain = vec![value];
                if let Some(parent) = self.forest.processes[writer.process].contid {
                    chain.extend_from_slice(&self.chains[parent]);
                }
                self.forest.containers.push(Container {
                    value,
                    owner: Some(writer),
                    held: false,
                });
                self.chains.push(chain);
                self.forest.containers.len() - 1
            }
            Ok(SetAction::Join) => {
                let live = (0..self.forest.containers.len())
                    .find(|&c| self.forest.containers[c].value == value && self.forest.is_live(c));
                prop_assert!(live.is_some(), "joined a container that is not live");
                live.unwrap_or_default()
            }
        };
        self.forest.processes[target.process].contid = Some(installed);
        self.drop_unused()
    }

    fn apply(&mut self, op: &Op) -> TestCaseResult {
        match op {
            Op::Fork(parent) => {
                let parent = parent.index(self.processes());
                let contid = self.forest.processes[parent].contid;
                self.forest.processes.push(Process {
                    parent: Some(parent),
                    threads: 1,
                    contid,
                });
            }
            Op::Spawn(process) => {
                let process = process.index(self.processes());
                let threads = &mut self.forest.processes[process].threads;
                *threads = (*threads + 1).min(3);
            }
            Op::Exit(process) => {
                let process = process.index(self.processes());
                if process != 0 {
                    self.exit(process)?;
                }
            }
            Op::Signal(process) => {
                if let Some(c) = self.forest.processes[process.index(self.processes())].contid {
                    self.forest.containers[c].held = true;
                }
            }
            Op::Fetch => {
                for container in &mut self.forest.containers {
                    container.held = false;
                }
                self.drop_unused()?;
            }
            Op::Write {
                writer,
                target,
                value,
                privilege,
            } => {
                let owners: Vec<Thread> = self
                    .forest
                    .containers
                    .iter()
                    .filter_map(|c| c.owner)
                    .collect();
                let writer = match writer {
                    Writer::Owner(pick) if !owners.is_empty() => owners[pick.index(owners.len())],
                    Writer::Owner(pick) => self.thread(pick, pick),
                    Writer::Any(process, index) => self.thread(process, index),
                };
                let target = match target {
                    Target::Descendant(pick) => {
                        let below = self.descendants(writer.process);
                        match below.get(pick.index(below.len().max(1))) {
                            Some(&process) => Thread { process, index: 0 },
                            None => Thread { index: 0, ..writer },
                        }
                    }
                    Target::Any(process, index) => self.thread(process, index),
                };
                let value = match *value {
                    Value::Existing(ref pick) if !self.forest.containers.is_empty() => {
                        self.forest.containers[pick.index(self.forest.containers.len())].value
                    }
                    Value::Owned(ref pick) => {
                        let owned: Vec<u64> = self
                            .forest
                            .containers
                            .iter()
                            .filter(|c| c.owner == Some(writer))
                            .map(|c| c.value)
                            .collect();
                        owned
                            .get(pick.index(owned.len().max(1)))
                            .copied()
                            .unwrap_or(7)
                    }
                    Value::Existing(_) => 0,
                    Value::Fixed(value) => value,
                };
                self.write(writer, target, value, *privilege)?;
            }
        }
        self.check()
    }

    /// What holds after every event.
    fn check(&self) -> TestCaseResult {
        let Forest {
            processes,
            containers,
        } = &self.forest;
        prop_assert_eq!(containers.len(), self.chains.len());
        for (index, process) in processes.iter().enumerate() {
            prop_assert!(process.parent.is_none_or(|parent| parent < index));
            prop_assert!(process.contid.is_none_or(|c| c < containers.len()));
            if let Some(c) = process.contid {
                // CONTAINER_ID of the task's events reads back its chain.
                let text = ContainerId {
                    record: 1,
                    chain: self.chains[c].iter().copied(),
                }
                .to_string();
                let fields = read_fields(&text, &["record", "contid"]);
                prop_assert!(fields.is_some(), "{}", text);
                let fields = fields.unwrap_or_default();
                prop_assert_eq!(read_chain(fields[1]), Some(self.chains[c].clone()));
            }
        }
        for (index, container) in containers.iter().enumerate() {
            // Only live containers are kept; unset is never a contid.
            prop_assert!(self.forest.is_live(index));
            prop_assert_ne!(container.value, CONTID_UNSET);
            prop_assert_eq!(self.chains[index].first(), Some(&container.value));
            prop_assert!(!self.chains[index].contains(&CONTID_UNSET));
            // Spec §1.3: live containers have distinct values.
            prop_assert!(
                containers[..index]
                    .iter()
                    .all(|c| c.value != container.value),
                "value {} used twice",
                container.value
            );
            if let Some(owner) = container.owner {
                prop_assert!(owner.index < processes[owner.process].threads);
            }
        }
        Ok(())
    }
}

/// Histories of up to 64 events from a lone init.
#[test]
fn histories() {
    run("fuzz::ladder::histories", 500, vec(op(), 1..=64), |ops| {
        let mut history = History::new();
        for op in &ops {
            history.apply(op)?;
        }
        Ok(())
    });
}
