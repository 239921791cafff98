//! Fuzzing the record writers: arbitrary ids, chains (deep ones too),
//! opids and record numbers, written into unbounded and bounded sinks.
//!
//! The text is read back with a strict reader of spec §3's grammar (fields
//! in order, one space apart; decimal in its one canonical spelling; `,^`
//! inside a chain, `,` between the entries of a list; `-1` for none). A
//! bounded sink never gets a byte past its end, and a writer never hides
//! a cut: into a sink that fails when full it fails too, having written a
//! prefix of the text; into the kernel's snprintf-style sink
//! (`reservation.rs`'s `CBuffer`) it reports the whole length.

use std::fmt::{self, Display, Write};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;

use super::run;
use crate::parse::parse_contid;
use crate::record::*;
use crate::record_tests::{needs_parts, netns_records as entry_by_entry};

/// A canonical decimal: digits, no leading zero unless it is `0`.
fn is_canonical(text: &str) -> bool {
    !text.is_empty()
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text == "0" || !text.starts_with('0'))
}

/// Reads a `u64` in its canonical spelling only.
pub(super) fn read_u64(text: &str) -> Option<u64> {
    is_canonical(text).then(|| text.parse().ok())?
}

/// Reads a chain: `-1` for none, or `own[,^outer...]`.
pub(super) fn read_chain(text: &str) -> Option<Vec<u64>> {
    if text == UNSET_TEXT {
        return Some(Vec::new());
    }
    text.split(",^").map(read_u64).collect()
}

/// Reads a network namespace's list: chains, `,` between them.
fn read_list(text: &str) -> Option<Vec<Vec<u64>>> {
    let mut list: Vec<Vec<u64>> = Vec::new();
    for token in text.split(',') {
        match token.strip_prefix('^') {
            Some(outer) => list.last_mut()?.push(read_u64(outer)?),
            None => list.push(vec![read_u64(token)?]),
        }
    }
    Some(list)
}

/// Splits `name=value name=value ...` with exactly the given names, in
/// order, one space apart; returns the values.
pub(super) fn read_fields<'a>(text: &'a str, names: &[&str]) -> Option<Vec<&'a str>> {
    let fields: Vec<&str> = text.split(' ').collect();
    if fields.len() != names.len() {
        return None;
    }
    fields
        .iter()
        .zip(names)
        .map(|(field, name)| field.strip_prefix(name)?.strip_prefix('='))
        .collect()
}

/// Reads an `i32` in its canonical spelling only.
pub(super) fn read_i32(text: &str) -> Option<i32> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    (is_canonical(digits) && text != "-0").then(|| text.parse().ok())?
}

/// A record's inputs.
#[derive(Debug, Clone)]
struct Inputs {
    opid: i32,
    requested: u64,
    record: u32,
    chain: Vec<u64>,
    flags: [bool; 3],
    /// Picks the size of the bounded sinks, relative to the text.
    size: Index,
}

/// Contids at the edges of their spelling, and any.
fn contid() -> impl Strategy<Value = u64> + Clone {
    prop_oneof![
        3 => any::<u64>(),
        1 => select(vec![0, 1, 9, 10, 99, 100, u64::MAX - 1, u64::MAX]),
        1 => (0u32..20).prop_map(|e| 10u64.pow(e)),
    ]
}

/// Chains: none, a few levels, or a deep nesting (spec §1.4: unbounded).
fn chain() -> impl Strategy<Value = Vec<u64>> {
    prop_oneof![
        8 => vec(contid(), 0..=4),
        1 => vec(contid(), 5..=400),
    ]
}

fn inputs() -> impl Strategy<Value = Inputs> {
    (
        any::<i32>(),
        contid(),
        any::<u32>(),
        chain(),
        any::<[bool; 3]>(),
        any::<Index>(),
    )
        .prop_map(|(opid, requested, record, chain, flags, size)| Inputs {
            opid,
            requested,
            record,
            chain,
            flags,
            size,
        })
}

/// A sink of `cap` bytes that fails a write that does not fit; `partial`
/// writes what fits first, as a sink that fills up would.
struct Bounded {
    out: String,
    cap: usize,
    partial: bool,
}

impl Write for Bounded {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.cap - self.out.len();
        if text.len() <= room {
            self.out.push_str(text);
            return Ok(());
        }
        if self.partial {
            // Records are ASCII, so any cut is a char boundary.
            self.out.push_str(&text[..room]);
        }
        Err(fmt::Error)
    }
}

/// `reservation.rs`'s `CBuffer` over a slice instead of a raw pointer:
/// takes the first `size` bytes of the text, counts them all, never fails.
/// The bytes after `size` stand for memory that is not the buffer's.
struct CBuffer {
    memory: Vec<u8>,
    size: usize,
    len: usize,
}

/// What the memory around a `CBuffer` holds before it is written.
const POISON: u8 = 0xa5;

impl Write for CBuffer {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let room = self.size.saturating_sub(self.len);
        let copied = text.len().min(room);
        if copied > 0 {
            // The kernel's SAFETY argument: `len + copied <= size`.
            assert!(self.len + copied <= self.size, "write past the buffer");
            self.memory[self.len..self.len + copied].copy_from_slice(&text.as_bytes()[..copied]);
        }
        self.len += text.len();
        Ok(())
    }
}

/// Writes with `write` into the sinks, sized by `size` around the length
/// of `full` (its text in a `String`), and checks that no cut goes
/// unreported and no byte lands past a buffer.
fn check_sinks(
    full: &str,
    size: &Index,
    write: impl Fn(&mut dyn Write) -> fmt::Result,
) -> TestCaseResult {
    let cap = size.index(full.len() + 2);
    for partial in [false, true] {
        let mut sink = Bounded {
            out: String::new(),
            cap,
            partial,
        };
        let result = write(&mut sink);
        prop_assert_eq!(result.is_ok(), full.len() <= cap, "cap {}: {:?}", cap, full);
        prop_assert!(sink.out.len() <= cap);
        prop_assert!(full.starts_with(&sink.out), "{:?} of {:?}", sink.out, full);
        if result.is_ok() {
            prop_assert_eq!(&sink.out, full);
        }
    }
    // Asked for its length first (size 0), then written in full; and cut.
    for size in [0, cap, full.len()] {
        let mut sink = CBuffer {
            memory: vec![POISON; size + 16],
            size,
            len: 0,
        };
        prop_assert!(write(&mut sink).is_ok());
        prop_assert_eq!(sink.len, full.len());
        let kept = size.min(full.len());
        prop_assert_eq!(&sink.memory[..kept], &full.as_bytes()[..kept]);
        prop_assert!(sink.memory[kept..].iter().all(|&b| b == POISON));
    }
    Ok(())
}

/// Writes `record` with `Display` into a `String`, twice, checking that
/// it writes what `write` writes.
fn displayed(
    record: &impl Display,
    write: impl Fn(&mut dyn Write) -> fmt::Result,
) -> Result<String, TestCaseError> {
    let text = record.to_string();
    prop_assert_eq!(&record.to_string(), &text, "a second Display differs");
    let mut direct = String::new();
    prop_assert!(write(&mut direct).is_ok());
    prop_assert_eq!(&direct, &text);
    Ok(text)
}

/// Every element of a chain's text also reads back through the `/proc`
/// parser, as the userspace tools read a record's number.
fn check_elements_parse(chain: &[u64]) -> TestCaseResult {
    for &id in chain {
        let text = id.to_string();
        prop_assert_eq!(parse_contid(text.as_bytes()), Ok(id));
        prop_assert_eq!(decimal_len(id), text.len());
    }
    Ok(())
}

/// The per-task records and the chain: crash-free, strict read-back, no
/// hidden cut in any sink.
#[test]
fn records() {
    run("fuzz::record::records", 1000, inputs(), |inputs| {
        let Inputs {
            opid,
            requested,
            record,
            ref chain,
            flags: [success, requested_cap, old_cap],
            ref size,
        } = inputs;
        let ids = || chain.iter().copied();
        check_elements_parse(chain)?;

        let write = |mut out: &mut dyn Write| write_chain(&mut out, ids());
        let mut text = String::new();
        prop_assert!(write(&mut text).is_ok());
        prop_assert_eq!(read_chain(&text), Some(chain.clone()));
        if !chain.is_empty() {
            prop_assert_eq!(chain_len(ids()), text.len());
        }
        check_sinks(&text, size, write)?;

        let set = OpSet {
            opid,
            requested,
            old_chain: ids(),
            success,
        };
        let write =
            |mut out: &mut dyn Write| write_op_set(&mut out, opid, requested, ids(), success);
        let text = displayed(&set, write)?;
        let fields = read_fields(&text, &["op", "opid", "contid", "old-contid", "res"]);
        prop_assert!(fields.is_some(), "{}", text);
        let fields = fields.unwrap_or_default();
        prop_assert_eq!(fields[0], "set");
        prop_assert_eq!(read_i32(fields[1]), Some(opid));
        prop_assert_eq!(read_u64(fields[2]), Some(requested));
        prop_assert_eq!(read_chain(fields[3]), Some(chain.clone()));
        prop_assert_eq!(fields[4], if success { "1" } else { "0" });
        check_sinks(&text, size, write)?;

        let drop = OpDrop {
            opid,
            dropped_chain: ids(),
        };
        let write = |mut out: &mut dyn Write| write_op_drop(&mut out, opid, ids());
        let text = displayed(&drop, write)?;
        let fields = read_fields(&text, &["op", "opid", "contid", "old-contid", "res"]);
        prop_assert!(fields.is_some(), "{}", text);
        let fields = fields.unwrap_or_default();
        prop_assert_eq!(fields[0], "drop");
        prop_assert_eq!(read_i32(fields[1]), Some(opid));
        prop_assert_eq!(fields[2], UNSET_TEXT);
        prop_assert_eq!(read_chain(fields[3]), Some(chain.clone()));
        prop_assert_eq!(fields[4], "1");
        check_sinks(&text, size, write)?;

        let id = ContainerId {
            record,
            chain: ids(),
        };
        let write = |mut out: &mut dyn Write| write_container_id(&mut out, record, ids());
        let text = displayed(&id, write)?;
        let fields = read_fields(&text, &["record", "contid"]);
        prop_assert!(fields.is_some(), "{}", text);
        let fields = fields.unwrap_or_default();
        prop_assert_eq!(read_u64(fields[0]), Some(u64::from(record)));
        prop_assert_eq!(read_chain(fields[1]), Some(chain.clone()));
        check_sinks(&text, size, write)?;

        let cap = SetCapcontid {
            opid,
            requested: requested_cap,
            old: old_cap,
            success,
        };
        let write = |mut out: &mut dyn Write| {
            write_set_capcontid(&mut out, opid, requested_cap, old_cap, success)
        };
        let text = displayed(&cap, write)?;
        let fields = read_fields(&text, &["opid", "capcontid", "old-capcontid", "res"]);
        prop_assert!(fields.is_some(), "{}", text);
        let fields = fields.unwrap_or_default();
        prop_assert_eq!(read_i32(fields[0]), Some(opid));
        let bit = |b: bool| if b { "1" } else { "0" };
        prop_assert_eq!(fields[1], bit(requested_cap));
        prop_assert_eq!(fields[2], bit(old_cap));
        prop_assert_eq!(fields[3], bit(success));
        check_sinks(&text, size, write)?;

        let text = ProcText::new((!success).then_some(requested));
        prop_assert!(text.as_bytes().len() <= DECIMAL_MAX_LEN);
        let value = if success { u64::MAX } else { requested };
        prop_assert_eq!(
            read_u64(std::str::from_utf8(text.as_bytes()).unwrap_or("")),
            Some(value)
        );
        Ok(())
    });
}

/// Longest header auditd puts before a CONTAINER_ID body:
/// `type=CONTAINER_ID msg=audit(<20 digits>.<3>:<10>): `.
const MAX_HEADER: usize = "type=CONTAINER_ID msg=audit(".len() + 20 + 1 + 3 + 1 + 10 + "): ".len();

/// Longest record auditd reads (`MAX_AUDIT_MESSAGE_LENGTH`).
const MAX_AUDIT_MESSAGE_LENGTH: usize = 8970;

/// A network namespace's list and the budget it is split at.
fn netns_list() -> impl Strategy<Value = (Vec<Vec<u64>>, usize)> {
    let shallow = vec(contid(), 1..=3);
    let entry = prop_oneof![
        12 => shallow.clone(),
        1 => vec(contid(), 4..=500),
    ];
    let budget = prop_oneof![
        Just(0),
        1usize..64,
        Just(NETNS_LIST_BUDGET),
        Just(usize::MAX),
    ];
    // Long enough to take several records at the kernel's budget.
    let list = prop_oneof![4 => vec(entry, 0..=40), 1 => vec(shallow, 200..=500)];
    (list, budget)
}

/// The CONTAINER_ID records of a list as `netns.rs` writes them: the
/// list rendered once ([`ListRenderer`]), then each record its head and
/// its part of the text. Returns each record's text and the entries it
/// holds.
fn netns_records(list: &[Vec<u64>], budget: usize) -> Vec<(String, Vec<Vec<u64>>)> {
    let mut renderer = ListRenderer::new(budget);
    let mut text = String::new();
    let mut parts: Vec<(usize, Vec<Vec<u64>>)> = Vec::new();
    for chain in list {
        if let Some(start) = renderer
            .push(&mut text, chain.iter().copied())
            .expect("String never fails")
        {
            parts.push((start, Vec::new()));
        }
        if let Some((_, entries)) = parts.last_mut() {
            entries.push(chain.clone());
        }
    }
    let ends: Vec<usize> = parts
        .iter()
        .skip(1)
        .map(|(start, _)| *start)
        .chain([text.len()])
        .collect();
    let several = parts.len() > 1;
    parts
        .into_iter()
        .zip(ends)
        .enumerate()
        .map(|(index, ((start, entries), end))| {
            let part = several.then_some(index as u32 + 1);
            (
                format!("{}{}", ListHead { record: 1, part }, &text[start..end]),
                entries,
            )
        })
        .collect()
}

/// The records of a network namespace's list: they read back, in order,
/// to the list; each is within the budget unless it holds a single entry;
/// an entry starts a record only when it does not fit the last one; the
/// parts are numbered when there are several; and at the kernel's budget
/// a record of several entries fits in what auditd reads.
#[test]
fn netns_lists() {
    run(
        "fuzz::record::netns_lists",
        120,
        netns_list(),
        |(list, budget)| {
            let records = netns_records(&list, budget);
            prop_assert_eq!(records.is_empty(), list.is_empty());
            let mut read: Vec<Vec<u64>> = Vec::new();
            let mut previous_len: Option<usize> = None;
            for (index, (text, entries)) in records.iter().enumerate() {
                let (head, body) = text.split_once(" contid=").unwrap_or_default();
                let expected_head = if records.len() > 1 {
                    format!("record=1 part={}", index + 1)
                } else {
                    "record=1".to_string()
                };
                prop_assert_eq!(head, expected_head);
                let entries_read = read_list(body);
                prop_assert_eq!(entries_read, Some(entries.clone()), "{}", text);
                prop_assert!(!entries.is_empty());
                prop_assert!(body.len() <= budget || entries.len() == 1, "{}", text);
                if let Some(previous) = previous_len {
                    // Greedy: the first entry did not fit the previous record.
                    let first = chain_len(entries[0].iter().copied());
                    prop_assert!(previous.saturating_add(1 + first) > budget);
                }
                if budget == NETNS_LIST_BUDGET && entries.len() > 1 {
                    prop_assert!(MAX_HEADER + text.len() <= MAX_AUDIT_MESSAGE_LENGTH);
                }
                previous_len = Some(body.len());
                read.extend(entries.iter().cloned());
            }
            prop_assert_eq!(read, list.clone());
            prop_assert_eq!(
                needs_parts(budget, list.iter().map(|c| chain_len(c.clone()))),
                records.len() > 1
            );
            // The rendering, cut into records, is the text written entry
            // by entry.
            let texts: Vec<String> = records.into_iter().map(|(text, _)| text).collect();
            prop_assert_eq!(texts, entry_by_entry(&list, budget));
            Ok(())
        },
    );
}

/// The splitter alone, on entry lengths up to 4 GiB and any budget: it
/// never panics, and an entry shares the current record exactly when it
/// fits behind a comma.
#[test]
fn splitter() {
    let lens = vec(
        prop_oneof![3 => 0usize..64, 1 => 0usize..=u32::MAX as usize],
        0..=64,
    );
    let budget = prop_oneof![0usize..128, any::<usize>()];
    run(
        "fuzz::record::splitter",
        2000,
        (lens, budget),
        |(lens, budget)| {
            let mut splitter = ListSplitter::new(budget);
            let mut used: Option<u128> = None;
            let mut records = 0;
            for &len in &lens {
                let placement = splitter.place(len);
                let fits = used.is_some_and(|used| used + 1 + len as u128 <= budget as u128);
                prop_assert_eq!(placement == Placement::SameRecord, fits);
                used = Some(if fits { used.unwrap_or(0) + 1 } else { 0 } + len as u128);
                records += usize::from(!fits);
            }
            prop_assert_eq!(needs_parts(budget, lens.iter().copied()), records > 1);
            Ok(())
        },
    );
}
