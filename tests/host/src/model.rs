//! A model of the kernel state the ladder looks at: a forest of processes,
//! their threads, and contid objects with their owners.
//!
//! [`Scenario::request`] gathers the facts of a write the way the kernel
//! side does, so the ladder can be checked on generated process trees
//! rather than on hand-picked combinations of booleans.

use std::iter;

use proptest::prelude::*;
use proptest::sample::{subsequence, Index};

use crate::decisions::CONTID_UNSET;
use crate::ladder::{LiveOwner, Privilege, SetRequest, TargetContid, TargetFacts};

/// One thread: its process and its index in it; index 0 is the leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Thread {
    pub(crate) process: usize,
    pub(crate) index: usize,
}

/// A process (thread group).
#[derive(Debug, Clone)]
pub(crate) struct Process {
    /// Index of the parent process; always lower than this process's own
    /// index, so the parent links form a forest.
    pub(crate) parent: Option<usize>,
    /// Number of threads, at least 1.
    pub(crate) threads: usize,
    /// Index of the contid object the process carries.
    pub(crate) contid: Option<usize>,
}

/// A contid object. Objects have distinct values.
#[derive(Debug, Clone)]
pub(crate) struct Container {
    pub(crate) value: u64,
    /// The thread that created it, or `None` if that thread exited.
    pub(crate) owner: Option<Thread>,
    /// Kept after its last task exited: its drop record is not logged yet,
    /// or auditd has not fetched its signal info (spec §1.7).
    pub(crate) held: bool,
}

/// Processes and contid objects.
#[derive(Debug, Clone)]
pub(crate) struct Forest {
    pub(crate) processes: Vec<Process>,
    pub(crate) containers: Vec<Container>,
}

impl Forest {
    /// Whether some process carries the object.
    pub(crate) fn has_tasks(&self, container: usize) -> bool {
        self.processes
            .iter()
            .any(|process| process.contid == Some(container))
    }

    /// Whether the object is live: some process carries it, or it is held.
    pub(crate) fn is_live(&self, container: usize) -> bool {
        self.containers[container].held || self.has_tasks(container)
    }
}

/// One write to `/proc/PID/audit_containerid`.
#[derive(Debug, Clone)]
pub(crate) struct Scenario {
    pub(crate) forest: Forest,
    pub(crate) writer: Thread,
    pub(crate) target: Thread,
    pub(crate) value: u64,
    pub(crate) privilege: Privilege,
}

impl Scenario {
    /// The facts the kernel side gathers for this write.
    pub(crate) fn request(&self) -> SetRequest {
        let processes = &self.forest.processes;
        let target = &processes[self.target.process];
        let mut ancestor = target.parent;
        let mut descends = false;
        while let Some(process) = ancestor {
            if process == self.writer.process {
                descends = true;
                break;
            }
            ancestor = processes[process].parent;
        }
        let owner = target
            .contid
            .and_then(|container| self.forest.containers[container].owner);
        let owner_is_writer_ancestor = owner.is_some_and(|owner| {
            iter::successors(processes[self.writer.process].parent, |&p| {
                processes[p].parent
            })
            .any(|ancestor| ancestor == owner.process)
        });
        let live = (0..self.forest.containers.len()).find(|&container| {
            self.forest.is_live(container) && self.forest.containers[container].value == self.value
        });
        let live_owner = match live {
            None => LiveOwner::NotLive,
            Some(container) if !self.forest.has_tasks(container) => LiveOwner::Dropping,
            Some(container) if self.forest.containers[container].owner == Some(self.writer) => {
                LiveOwner::Writer
            }
            Some(_) => LiveOwner::Other,
        };
        SetRequest {
            value: self.value,
            privilege: self.privilege,
            target: TargetFacts {
                has_children: processes
                    .iter()
                    .any(|process| process.parent == Some(self.target.process)),
                single_threaded_leader: self.target.index == 0 && target.threads == 1,
                is_writer: self.target.process == self.writer.process,
                descends_from_writer: descends,
                contid: match target.contid {
                    None => TargetContid::Unset,
                    Some(_) => TargetContid::Set,
                },
                writer_owns_contid: owner == Some(self.writer),
                contid_owner_is_writer_ancestor: owner_is_writer_ancestor,
            },
            live_owner,
        }
    }
}

/// Values used for contid objects: few, so that requests often hit them.
const VALUES: [u64; 6] = [0, 1, 2, 3, 4515122123205246976, CONTID_UNSET - 1];

fn thread(process: Index, index: Index, threads: &[usize]) -> Thread {
    let process = process.index(threads.len());
    Thread {
        process,
        index: index.index(threads[process]),
    }
}

/// Generated scenarios: up to 8 processes with up to 3 threads each, up to
/// 4 contid objects, and a write whose value often names one of them.
pub(crate) fn scenarios() -> impl Strategy<Value = Scenario> {
    let process = (any::<Option<Index>>(), 1usize..=3, any::<Option<Index>>());
    let container = (any::<Option<(Index, Index)>>(), any::<bool>());
    (
        proptest::collection::vec(process, 1..=8),
        subsequence(VALUES.to_vec(), 0..=4).prop_shuffle(),
        proptest::collection::vec(container, 4),
        (any::<Index>(), any::<Index>()),
        (any::<Index>(), any::<Index>()),
        prop_oneof![
            4 => proptest::sample::select(VALUES.to_vec()),
            1 => Just(CONTID_UNSET),
            1 => any::<u64>(),
        ],
        prop_oneof![
            3 => Just(Privilege::AuditControl),
            1 => Just(Privilege::Delegated),
            1 => Just(Privilege::Unprivileged),
        ],
    )
        .prop_map(
            |(raw_processes, values, raw_containers, writer, target, value, privilege)| {
                let threads: Vec<usize> = raw_processes.iter().map(|p| p.1).collect();
                let containers: Vec<Container> = iter::zip(values, raw_containers)
                    .map(|(value, (owner, held))| Container {
                        value,
                        owner: owner.map(|(p, t)| thread(p, t, &threads)),
                        held,
                    })
                    .collect();
                let processes = raw_processes
                    .into_iter()
                    .enumerate()
                    .map(|(own, (parent, threads, contid))| Process {
                        parent: parent.filter(|_| own > 0).map(|p| p.index(own)),
                        threads,
                        contid: contid
                            .filter(|_| !containers.is_empty())
                            .map(|c| c.index(containers.len())),
                    })
                    .collect();
                Scenario {
                    forest: Forest {
                        processes,
                        containers,
                    },
                    writer: thread(writer.0, writer.1, &threads),
                    target: thread(target.0, target.1, &threads),
                    value,
                    privilege,
                }
            },
        )
}
