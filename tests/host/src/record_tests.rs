//! Tests for the record and procfs text: exact strings, and properties that
//! the text reads back to what was written.

use proptest::prelude::*;

use crate::decisions::CONTID_UNSET;
use crate::parse::parse_contid;
use crate::record::*;

/// Runs one of the writers into a `String`.
fn text(write: impl FnOnce(&mut String) -> std::fmt::Result) -> String {
    let mut out = String::new();
    write(&mut out).expect("String never fails");
    out
}

/// Reads a chain back: `own,^parent,^...` or `-1` for none.
fn read_chain(text: &str) -> Vec<u64> {
    if text == UNSET_TEXT {
        return Vec::new();
    }
    text.split(",^")
        .map(|id| id.parse().expect("decimal u64"))
        .collect()
}

#[test]
fn op_set_matches_spec_example() {
    assert_eq!(
        text(|w| write_op_set(w, 8730, 4515122123205246976, [], true)),
        "op=set opid=8730 contid=4515122123205246976 old-contid=-1 res=1"
    );
}

#[test]
fn op_set_prints_refused_unset_value_verbatim() {
    assert_eq!(
        text(|w| write_op_set(w, 8730, u64::MAX, [], false)),
        "op=set opid=8730 contid=18446744073709551615 old-contid=-1 res=0"
    );
}

#[test]
fn op_set_prints_old_chain() {
    assert_eq!(
        text(|w| write_op_set(w, 1, 5, [123456], false)),
        "op=set opid=1 contid=5 old-contid=123456 res=0"
    );
    assert_eq!(
        text(|w| write_op_set(w, -1, 0, [4, 2, 1], true)),
        "op=set opid=-1 contid=0 old-contid=4,^2,^1 res=1"
    );
    assert_eq!(
        text(|w| write_op_set(w, i32::MAX, 7, Some(9), true)),
        "op=set opid=2147483647 contid=7 old-contid=9 res=1"
    );
}

#[test]
fn op_drop_is_a_death_certificate() {
    assert_eq!(
        text(|w| write_op_drop(w, 42, [123456])),
        "op=drop opid=42 contid=-1 old-contid=123456 res=1"
    );
    assert_eq!(
        text(|w| write_op_drop(w, 42, [4, 2, 1])),
        "op=drop opid=42 contid=-1 old-contid=4,^2,^1 res=1"
    );
}

#[test]
fn container_id_prints_record_and_chain() {
    assert_eq!(
        text(|w| write_container_id(w, 1, [4, 2, 1])),
        "record=1 contid=4,^2,^1"
    );
    assert_eq!(
        text(|w| write_container_id(w, 1, [527940429489930240])),
        "record=1 contid=527940429489930240"
    );
    assert_eq!(
        text(|w| write_container_id(w, u32::MAX, [0])),
        "record=4294967295 contid=0"
    );
}

#[test]
fn chain_spellings() {
    assert_eq!(text(|w| write_chain(w, [])), "-1");
    assert_eq!(text(|w| write_chain(w, None)), UNSET_TEXT);
    assert_eq!(text(|w| write_chain(w, [0])), "0");
    assert_eq!(text(|w| write_chain(w, [2, 1])), "2,^1");
    assert_eq!(
        text(|w| write_chain(w, [CONTID_UNSET - 1])),
        "18446744073709551614"
    );
}

/// The `/proc` read's text as a string.
fn proc_text(contid: Option<u64>) -> String {
    String::from_utf8(ProcText::new(contid).as_bytes().to_vec()).expect("digits")
}

#[test]
fn proc_value_spellings() {
    assert_eq!(proc_text(None), "18446744073709551615");
    assert_eq!(proc_text(Some(0)), "0");
    assert_eq!(proc_text(Some(9)), "9");
    assert_eq!(proc_text(Some(10)), "10");
    assert_eq!(proc_text(Some(123456)), "123456");
    assert_eq!(proc_text(Some(CONTID_UNSET - 1)), "18446744073709551614");
    assert_eq!(PROC_VALUE_MAX_LEN, u64::MAX.to_string().len());
}

#[test]
fn records_display_as_their_writers_write() {
    let set = OpSet {
        opid: 8730,
        requested: 5,
        old_chain: [4, 2, 1],
        success: false,
    };
    assert_eq!(
        set.to_string(),
        text(|w| write_op_set(w, 8730, 5, [4, 2, 1], false))
    );
    // Displayed twice: the chain is walked afresh each time.
    assert_eq!(set.to_string(), set.to_string());
    let drop = OpDrop {
        opid: 42,
        dropped_chain: [123456].into_iter(),
    };
    assert_eq!(
        drop.to_string(),
        "op=drop opid=42 contid=-1 old-contid=123456 res=1"
    );
    let id = ContainerId {
        record: 3,
        chain: [2, 1].into_iter(),
    };
    assert_eq!(id.to_string(), "record=3 contid=2,^1");
}

/// What the kernel's trusted-text path relies on: records hold no byte
/// that the audit helpers would have to escape (control characters, `"`,
/// bytes above 0x7e), so nothing in them can pass for another field.
fn is_plain_record_text(text: &str) -> bool {
    text.bytes()
        .all(|b| b == b' ' || (0x21..0x7f).contains(&b) && b != b'"')
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn chain_reads_back(chain in proptest::collection::vec(0..CONTID_UNSET, 0..8)) {
        let written = text(|w| write_chain(w, chain.iter().copied()));
        prop_assert_eq!(read_chain(&written), chain);
    }

    #[test]
    fn container_id_reads_back(
        record in any::<u32>(),
        chain in proptest::collection::vec(0..CONTID_UNSET, 1..8),
    ) {
        let written = text(|w| write_container_id(w, record, chain.iter().copied()));
        let (record_field, contid_field) = written.split_once(' ').expect("two fields");
        prop_assert_eq!(record_field, format!("record={record}"));
        let contids = contid_field.strip_prefix("contid=").expect("contid field");
        prop_assert_eq!(read_chain(contids), chain);
    }

    #[test]
    fn op_set_fields_read_back(
        opid in any::<i32>(),
        requested in any::<u64>(),
        old in proptest::collection::vec(0..CONTID_UNSET, 0..4),
        success in any::<bool>(),
    ) {
        let written = text(|w| write_op_set(w, opid, requested, old.iter().copied(), success));
        let fields: Vec<&str> = written.split(' ').collect();
        prop_assert_eq!(fields.len(), 5);
        prop_assert_eq!(fields[0], "op=set");
        prop_assert_eq!(fields[1], format!("opid={opid}"));
        prop_assert_eq!(fields[2], format!("contid={requested}"));
        let old_field = fields[3].strip_prefix("old-contid=").expect("old-contid field");
        prop_assert_eq!(read_chain(old_field), old);
        prop_assert_eq!(fields[4], if success { "res=1" } else { "res=0" });
    }

    #[test]
    fn proc_value_reads_back(contid in proptest::option::of(any::<u64>())) {
        let text = ProcText::new(contid);
        prop_assert!(text.as_bytes().len() <= PROC_VALUE_MAX_LEN);
        prop_assert_eq!(proc_text(contid), contid.unwrap_or(CONTID_UNSET).to_string());
        prop_assert_eq!(parse_contid(text.as_bytes()), Ok(contid.unwrap_or(CONTID_UNSET)));
    }

    #[test]
    fn records_are_plain_text(
        opid in any::<i32>(),
        requested in any::<u64>(),
        record in any::<u32>(),
        chain in proptest::collection::vec(any::<u64>(), 0..6),
        success in any::<bool>(),
    ) {
        let chain = chain.into_iter();
        let texts = [
            OpSet { opid, requested, old_chain: chain.clone(), success }.to_string(),
            OpDrop { opid, dropped_chain: chain.clone() }.to_string(),
            ContainerId { record, chain }.to_string(),
            SetCapcontid { opid, requested: success, old: !success, success }.to_string(),
        ];
        for text in texts {
            prop_assert!(is_plain_record_text(&text), "{}", text);
        }
    }
}

#[test]
fn set_capcontid_names_both_values_and_result() {
    assert_eq!(
        text(|w| write_set_capcontid(w, 812, true, false, true)),
        "opid=812 capcontid=1 old-capcontid=0 res=1"
    );
    assert_eq!(
        SetCapcontid {
            opid: 9,
            requested: false,
            old: true,
            success: false
        }
        .to_string(),
        "opid=9 capcontid=0 old-capcontid=1 res=0"
    );
}

#[test]
fn nesting_chain_reads_innermost_first() {
    assert_eq!(
        ContainerId {
            record: 1,
            chain: [4, 2, 1]
        }
        .to_string(),
        "record=1 contid=4,^2,^1"
    );
    assert_eq!(
        text(|w| write_op_set(w, 77, 4, [2, 1], true)),
        "op=set opid=77 contid=4 old-contid=2,^1 res=1"
    );
    assert_eq!(
        text(|w| write_op_drop(w, 77, [4, 2, 1])),
        "op=drop opid=77 contid=-1 old-contid=4,^2,^1 res=1"
    );
}
