//! Tests for the record and procfs text: exact strings, and properties that
//! the text reads back to what was written.

use proptest::prelude::*;

use crate::fixed_buf::FixedBuf;
use crate::ladder::CONTID_UNSET;
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

#[test]
fn proc_value_spellings() {
    assert_eq!(text(|w| write_proc_value(w, None)), "18446744073709551615");
    assert_eq!(text(|w| write_proc_value(w, Some(0))), "0");
    assert_eq!(text(|w| write_proc_value(w, Some(123456))), "123456");
    assert_eq!(PROC_VALUE_MAX_LEN, u64::MAX.to_string().len());
}

#[test]
fn proc_value_fits_the_kernel_stack_buffer() {
    for contid in [None, Some(0), Some(u64::MAX - 1), Some(10_u64.pow(19))] {
        let mut buf = FixedBuf::<PROC_VALUE_MAX_LEN>::new();
        write_proc_value(&mut buf, contid).expect("fits");
        assert_eq!(buf.as_str(), text(|w| write_proc_value(w, contid)));
    }
}

#[test]
fn too_small_buffer_reports_error() {
    let mut buf = FixedBuf::<{ PROC_VALUE_MAX_LEN - 1 }>::new();
    assert!(write_proc_value(&mut buf, None).is_err());
    let mut buf = FixedBuf::<8>::new();
    assert!(write_container_id(&mut buf, 1, [4, 2, 1]).is_err());
    assert!(buf.as_bytes().len() <= 8);
    let mut exact = FixedBuf::<23>::new();
    write_container_id(&mut exact, 1, [4, 2, 1]).expect("exactly fits");
    assert_eq!(exact.as_str(), "record=1 contid=4,^2,^1");
}

#[test]
fn fixed_buffer_holds_a_whole_op_set() {
    let mut buf = FixedBuf::<128>::new();
    write_op_set(&mut buf, 8730, u64::MAX, [CONTID_UNSET - 1, 0], false).expect("fits");
    assert_eq!(
        buf.as_str(),
        "op=set opid=8730 contid=18446744073709551615 \
         old-contid=18446744073709551614,^0 res=0"
    );
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
        let mut buf = FixedBuf::<PROC_VALUE_MAX_LEN>::new();
        write_proc_value(&mut buf, contid).expect("fits");
        prop_assert!(buf.as_bytes().len() <= PROC_VALUE_MAX_LEN);
        prop_assert!(!buf.as_bytes().ends_with(b"\n"));
        prop_assert_eq!(parse_contid(buf.as_bytes()), Ok(contid.unwrap_or(CONTID_UNSET)));
    }
}
