//! Host build of the `core`-only modules of the audit_contid kernel crate.
//!
//! `audit_contid/audit_contid.rs` includes `filter.rs`, `parse.rs`,
//! `ladder.rs` and `record.rs` as submodules; this crate includes the very same files so
//! they are unit- and property-tested with cargo, without a kernel build.
//! Outside `cargo test` the crate is `no_std`, which proves the modules
//! need nothing beyond `core`.

#![cfg_attr(not(test), no_std)]

// The kernel crate uses every item; this library has no callers of its own
// and only the tests use them.
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../../../audit_contid/filter.rs"]
mod filter;
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../../../audit_contid/ladder.rs"]
mod ladder;
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../../../audit_contid/parse.rs"]
mod parse;
#[cfg_attr(not(test), allow(dead_code))]
#[path = "../../../audit_contid/record.rs"]
mod record;

#[cfg(test)]
mod filter_tests;
#[cfg(test)]
mod fixed_buf;
#[cfg(test)]
mod ladder_tests;
#[cfg(test)]
mod model;
#[cfg(test)]
mod parse_tests;
#[cfg(test)]
mod record_tests;
