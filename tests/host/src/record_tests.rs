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
    assert_eq!(DECIMAL_MAX_LEN, u64::MAX.to_string().len());
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
        prop_assert!(text.as_bytes().len() <= DECIMAL_MAX_LEN);
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

/// Whether a list whose entries are `lens` long takes more than one
/// record: a second pass of its own over the list.
pub(crate) fn needs_parts<I: IntoIterator<Item = usize>>(budget: usize, lens: I) -> bool {
    let mut splitter = ListSplitter::new(budget);
    lens.into_iter()
        .filter(|len| splitter.place(*len) == Placement::NewRecord)
        .nth(1)
        .is_some()
}

/// The CONTAINER_ID records of a network namespace's list of `chains`,
/// entry by entry, split at `budget` bytes: the reference for the text
/// `netns.rs` renders once per change of the list ([`rendered_records`]).
pub(crate) fn netns_records(chains: &[Vec<u64>], budget: usize) -> Vec<String> {
    let parts = needs_parts(budget, chains.iter().map(|c| chain_len(c.clone())));
    let mut splitter = ListSplitter::new(budget);
    let mut records: Vec<String> = Vec::new();
    for chain in chains {
        let first = splitter.place(chain_len(chain.clone())) == Placement::NewRecord;
        if first {
            let part = parts.then_some(records.len() as u32 + 1);
            records.push(ListHead { record: 1, part }.to_string());
        }
        let entry = ListEntry {
            first,
            chain: chain.clone(),
        };
        records.last_mut().unwrap().push_str(&entry.to_string());
    }
    records
}

/// The same records as `netns.rs` logs them: the list rendered once
/// ([`ListRenderer`]), each record its head and its slice of the text.
fn rendered_records(chains: &[Vec<u64>], budget: usize) -> Vec<String> {
    let mut renderer = ListRenderer::new(budget);
    let mut text = String::new();
    let mut starts = Vec::new();
    for chain in chains {
        if let Some(start) = renderer.push(&mut text, chain.clone()).unwrap() {
            starts.push(start);
        }
    }
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    let several = starts.len() > 1;
    starts
        .iter()
        .zip(ends)
        .enumerate()
        .map(|(index, (&start, end))| {
            let part = several.then_some(index as u32 + 1);
            format!("{}{}", ListHead { record: 1, part }, &text[start..end])
        })
        .collect()
}

#[test]
fn rendered_list_is_the_entry_by_entry_text() {
    let deep: Vec<u64> = (1..=400).collect();
    let lists: [Vec<Vec<u64>>; 5] = [
        vec![],
        vec![vec![123452], vec![123451]],
        vec![vec![2, 1], vec![3, 1], vec![u64::MAX - 1, 0]],
        (0..2000)
            .map(|id| vec![10_000_000_000_000_000_000 - id])
            .collect(),
        vec![vec![7], deep.clone(), vec![8], deep],
    ];
    for list in &lists {
        for budget in [0, 1, 25, 26, NETNS_LIST_BUDGET, usize::MAX] {
            assert_eq!(
                rendered_records(list, budget),
                netns_records(list, budget),
                "budget {budget}"
            );
        }
    }
}

/// The list of one record: the text after `contid=`.
fn list_of(record: &str) -> &str {
    record.split_once(" contid=").expect("contid= field").1
}

#[test]
fn netns_list_matches_spec_examples() {
    // K10-00: 123451 set first, then 123452; the kernel lists newest first.
    assert_eq!(
        netns_records(&[vec![123452], vec![123451]], NETNS_LIST_BUDGET),
        ["record=1 contid=123452,123451"]
    );
    // K10-10: "2 in 1, and 3 in 1".
    assert_eq!(
        netns_records(&[vec![2, 1], vec![3, 1]], NETNS_LIST_BUDGET),
        ["record=1 contid=2,^1,3,^1"]
    );
}

#[test]
fn netns_list_splits_between_entries_and_numbers_the_parts() {
    assert_eq!(
        netns_records(&[vec![11111], vec![22222, 1], vec![33333]], 13),
        [
            "record=1 part=1 contid=11111",
            "record=1 part=2 contid=22222,^1",
            "record=1 part=3 contid=33333"
        ]
    );
    // Exactly the budget still fits one record.
    assert_eq!(
        netns_records(&[vec![11111], vec![22222]], 11),
        ["record=1 contid=11111,22222"]
    );
}

#[test]
fn netns_list_gives_an_oversized_chain_a_record_of_its_own() {
    assert_eq!(
        netns_records(&[vec![1], vec![123456789, 2], vec![3]], 5),
        [
            "record=1 part=1 contid=1",
            "record=1 part=2 contid=123456789,^2",
            "record=1 part=3 contid=3"
        ]
    );
}

#[test]
fn decimal_and_chain_lengths_match_the_text() {
    for value in [0, 9, 10, 99, 100, 4294967295, u64::MAX] {
        assert_eq!(decimal_len(value), value.to_string().len());
    }
    let chain = [4, 20, 18446744073709551614];
    assert_eq!(chain_len(chain), text(|w| write_chain(w, chain)).len());
}

proptest! {
    /// However a namespace's list is split, the records read back to the
    /// whole list in order, no record's list is over the budget unless it
    /// is a single entry, and the parts are numbered 1..n when there are
    /// several.
    #[test]
    fn netns_list_reassembles(
        chains in proptest::collection::vec(
            proptest::collection::vec(0u64..u64::MAX, 1..5), 0..60),
        budget in 1usize..200,
    ) {
        let records = netns_records(&chains, budget);
        let whole: Vec<String> = chains.iter().map(|c| text(|w| write_chain(w, c.clone()))).collect();
        let joined: Vec<&str> = records.iter().map(|r| list_of(r)).collect();
        prop_assert_eq!(joined.join(","), whole.join(","));
        for (index, record) in records.iter().enumerate() {
            let list = list_of(record);
            let single = !list.split(',').skip(1).any(|id| !id.starts_with('^'));
            prop_assert!(list.len() <= budget || single, "{record}");
            let numbered = record.contains(&format!(" part={} ", index + 1));
            prop_assert_eq!(numbered, records.len() > 1, "{}", record);
            prop_assert!(record.starts_with("record=1 "));
        }
        prop_assert_eq!(records.is_empty(), chains.is_empty());
    }
}
