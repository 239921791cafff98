//! Tests for granting capcontid: the values accepted, and the two checks
//! in their order.

use proptest::prelude::*;

use crate::errno::{EINVAL, EPERM, ERANGE, EXDEV};
use crate::grant::*;
use crate::ladder::{Privilege, SetError};
use crate::parse::ParseError;

#[test]
fn only_zero_and_one_parse() {
    assert_eq!(parse_capcontid(b"1"), Ok(true));
    assert_eq!(parse_capcontid(b"1\n"), Ok(true));
    assert_eq!(parse_capcontid(b"+0"), Ok(false));
    assert_eq!(parse_capcontid(b"0001"), Ok(true));
    for bad in [
        &b"2"[..],
        b"-1",
        b"",
        b"\n",
        b"1 ",
        b"0x1",
        b"yes",
        b"1\n\n",
    ] {
        assert_eq!(
            parse_capcontid(bad).map_err(ParseError::errno),
            Err(EINVAL),
            "{bad:?}"
        );
    }
    assert_eq!(
        parse_capcontid(b"4294967295").map_err(ParseError::errno),
        Err(EINVAL)
    );
    assert_eq!(
        parse_capcontid(b"4294967296").map_err(ParseError::errno),
        Err(ERANGE)
    );
    assert_eq!(
        parse_capcontid(b"99999999999999999999999").map_err(ParseError::errno),
        Err(ERANGE)
    );
}

#[test]
fn granter_needs_the_capability_or_capcontid() {
    assert_eq!(check_granter(Privilege::AuditControl), Ok(()));
    assert_eq!(check_granter(Privilege::Delegated), Ok(()));
    assert_eq!(
        check_granter(Privilege::Unprivileged).map_err(SetError::errno),
        Err(EPERM)
    );
}

#[test]
fn grantee_is_a_strict_descendant() {
    assert_eq!(check_grantee(false, true), Ok(()));
    for (is_writer, descends) in [(true, false), (true, true), (false, false)] {
        assert_eq!(
            check_grantee(is_writer, descends).map_err(SetError::errno),
            Err(EXDEV),
            "{is_writer} {descends}"
        );
    }
}

proptest! {
    #[test]
    fn any_number_but_zero_or_one_is_refused(value in 2u64..) {
        let text = value.to_string();
        prop_assert!(parse_capcontid(text.as_bytes()).is_err());
    }
}
