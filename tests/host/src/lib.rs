//! Host build of the `core`-only decision modules of the audit_contid
//! kernel crate.
//!
//! `audit_contid/decisions/` is a module of the kernel crate; this crate
//! includes the very same folder, so its modules are unit- and
//! property-tested with cargo, without a kernel build. Outside `cargo test`
//! the crate is `no_std`, which proves the modules need nothing beyond
//! `core`.

#![cfg_attr(not(test), no_std)]

// The kernel crate uses every item; this library has no callers of its own
// and only the tests use them.
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../../../audit_contid/decisions/mod.rs"]
mod decisions;

#[cfg(test)]
use decisions::{errno, filter, grant, ladder, parse, record};

#[cfg(test)]
mod errno_tests;
#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod fuzz;
#[cfg(test)]
mod grant_tests;
#[cfg(test)]
mod ladder_tests;
#[cfg(test)]
mod model;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod record_tests;
