// SPDX-License-Identifier: GPL-2.0

//! IMA's `audit` action, once per container (patch "ima: audit a file once
//! per container").
//!
//! IMA logs a file's INTEGRITY_RULE record once, and remembers that in the
//! file's cache (`IMA_AUDITED`) until it re-arms the file (when it
//! changes). That flag stays the host's. Each container remembers the
//! files that its tasks audited, by a key that IMA gives the file: a
//! number from a counter, drawn anew whenever IMA has re-armed the file,
//! so a changed file is audited again in every container and an old key
//! never matches another file. A file costs IMA one key however many
//! containers use it. A container keeps at most [`AUDITED_FILES_MAX`]
//! keys, forgetting the lowest (the file armed longest ago, which it may
//! then audit once more), and frees them all when it is dropped.
//!
//! Both entry points (`audit_contid_file_audited` and
//! `audit_contid_note_file_audited`, which ask the current task's
//! contid's [`has_audited_file`](crate::contid::Contid::has_audited_file)
//! and [`note_audited_file`](crate::contid::Contid::note_audited_file))
//! run in the task's exec or open, under the file's `iint->mutex`, so the
//! two calls for one file are not interleaved with another task's.

use core::sync::atomic::{AtomicU16, Ordering};
use kernel::rbtree::{RBTree, RBTreeNodeReservation};

/// How many files a container remembers having audited.
pub(crate) const AUDITED_FILES_MAX: usize = 1024;

/// The keys of the files a container audited.
///
/// # Invariants
///
/// The count passed to its methods (the container's `audited_count`, used
/// only with this locked) is the number of keys in `keys`, at most
/// [`AUDITED_FILES_MAX`].
pub(crate) struct AuditedFiles {
    keys: RBTree<u64, ()>,
}

impl AuditedFiles {
    /// None yet.
    pub(crate) fn new() -> Self {
        // INVARIANT: the tree is empty.
        AuditedFiles {
            keys: RBTree::new(),
        }
    }

    /// Whether `key` is one of them.
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.keys.get(&key).is_some()
    }

    /// Adds `key` in `spare`'s node, or in the node of the lowest key if
    /// full; returns `spare` if it was not used.
    pub(crate) fn insert(
        &mut self,
        count: &AtomicU16,
        key: u64,
        spare: RBTreeNodeReservation<u64, ()>,
    ) -> Option<RBTreeNodeReservation<u64, ()>> {
        if self.contains(key) {
            return Some(spare);
        }
        let keys = count.load(Ordering::Relaxed);
        let (node, unused) = if usize::from(keys) < AUDITED_FILES_MAX {
            count.store(keys + 1, Ordering::Relaxed);
            (spare, None)
        } else {
            match self.keys.cursor_front() {
                // INVARIANT: one key out, one in: the count stays.
                Some(lowest) => (lowest.remove_current().1.into_reservation(), Some(spare)),
                None => (spare, None),
            }
        };
        self.keys.insert(node.into_node(key, ()));
        unused
    }

    /// Empties the set, returning what it held for the caller to free
    /// outside the lock.
    pub(crate) fn take(&mut self, count: &AtomicU16) -> AuditedFiles {
        // INVARIANT: `self` is left empty, with a count of 0.
        count.store(0, Ordering::Relaxed);
        core::mem::replace(self, AuditedFiles::new())
    }
}
