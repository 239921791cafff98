//! Tests for what a `contid` rule matches: the spec's cases, and the
//! properties that `=` matches exactly the chain's members and that
//! `unset` matches exactly the tasks without a contid.

use proptest::prelude::*;

use crate::decisions::CONTID_UNSET;
use crate::filter::chain_matches;

#[test]
fn own_contid_matches() {
    assert!(chain_matches([123459], 123459));
}

#[test]
fn other_contid_does_not_match() {
    assert!(!chain_matches([123459], 123458));
}

#[test]
fn no_contid_matches_no_value() {
    assert!(!chain_matches([], 123459));
    assert!(!chain_matches([], 0));
}

#[test]
fn unset_matches_only_a_task_without_contid() {
    assert!(chain_matches([], CONTID_UNSET));
    assert!(!chain_matches([123459], CONTID_UNSET));
    assert!(!chain_matches([300, 200, 100], CONTID_UNSET));
}

#[test]
fn every_ancestor_matches_not_just_the_innermost() {
    for wanted in [300, 200, 100] {
        assert!(chain_matches([300, 200, 100], wanted), "{wanted}");
    }
    assert!(!chain_matches([300, 200, 100], 400));
}

#[test]
fn ids_that_would_share_a_hash_bucket_do_not_match() {
    // The v11 comparator looked up the bucket of the task's own id (hash
    // = id % 32) and matched anything in it.
    assert!(!chain_matches([1], 33));
    assert!(!chain_matches([33], 1));
}

#[test]
fn zero_is_an_ordinary_contid() {
    assert!(chain_matches([0], 0));
    assert!(!chain_matches([], 0));
}

proptest! {
    #[test]
    fn equal_matches_exactly_the_members_of_the_chain(
        chain in prop::collection::vec(0..CONTID_UNSET, 0..5),
        probe in 0..CONTID_UNSET,
    ) {
        prop_assert_eq!(chain_matches(chain.iter().copied(), probe), chain.contains(&probe));
        for &id in &chain {
            prop_assert!(chain_matches(chain.iter().copied(), id));
        }
    }

    #[test]
    fn unset_matches_exactly_the_empty_chain(
        chain in prop::collection::vec(0..CONTID_UNSET, 0..5),
    ) {
        prop_assert_eq!(chain_matches(chain.iter().copied(), CONTID_UNSET), chain.is_empty());
    }
}
