// SPDX-License-Identifier: GPL-2.0

//! Counts of live objects, for the stress tests (`CONFIG_AUDIT_CONTID_BENCH`,
//! read through `/proc/audit_contid_stats`, `synthetic.c`): after a test's
//! tasks are gone, every count must be back where it started.
//!
//! Without the option the counting functions are empty and inline away.

#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
use core::sync::atomic::{AtomicIsize, Ordering};

#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
static CONTIDS: AtomicIsize = AtomicIsize::new(0);
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
static NETNS_MEMBERS: AtomicIsize = AtomicIsize::new(0);

/// A contid object was made.
#[inline]
pub(crate) fn contid_made() {
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    CONTIDS.fetch_add(1, Ordering::Relaxed);
}

/// A contid object was freed.
#[inline]
pub(crate) fn contid_freed() {
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    CONTIDS.fetch_sub(1, Ordering::Relaxed);
}

/// A network namespace gained a member (a container with tasks in it).
#[inline]
pub(crate) fn netns_member_made() {
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    NETNS_MEMBERS.fetch_add(1, Ordering::Relaxed);
}

/// A member was freed, a grace period after it was unlinked.
#[inline]
pub(crate) fn netns_member_freed() {
    #[cfg(CONFIG_AUDIT_CONTID_BENCH)]
    NETNS_MEMBERS.fetch_sub(1, Ordering::Relaxed);
}

/// The counts of contid objects and of network-namespace members.
#[cfg(CONFIG_AUDIT_CONTID_BENCH)]
pub(crate) fn objects() -> (isize, isize) {
    (
        CONTIDS.load(Ordering::Relaxed),
        NETNS_MEMBERS.load(Ordering::Relaxed),
    )
}
