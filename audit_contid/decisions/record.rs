// SPDX-License-Identifier: GPL-2.0

//! The text of contid audit records and of the procfs read.
//!
//! Decides how contids are spelled: record bodies (the text after
//! `msg=audit(...): `) of CONTAINER_OP (1020), SET_CAPCONTID (1022) and
//! CONTAINER_ID (1340), and the `/proc/PID/audit_containerid` read.
//! Records print "no contid" as `-1`, procfs prints the raw unset number.
//!
//! Each record is a type that implements [`Display`]: the kernel hands it
//! to the audit buffer as text the kernel made itself (numbers, `,^` and
//! fixed words; nothing from user space), without allocating.

use core::fmt::{self, Display, Write};

use super::CONTID_UNSET;

/// Text used in records for "no contid".
pub(crate) const UNSET_TEXT: &str = "-1";

/// Writes a contid and the chain of contids it is nested in, innermost
/// first, as `own[,^parent[,^grandparent...]]`.
///
/// An empty chain prints [`UNSET_TEXT`].
pub(crate) fn write_chain<W: Write, I: IntoIterator<Item = u64>>(
    out: &mut W,
    chain: I,
) -> fmt::Result {
    let mut chain = chain.into_iter();
    let Some(own) = chain.next() else {
        return out.write_str(UNSET_TEXT);
    };
    out.write_str(Decimal::new(own).as_str())?;
    for outer in chain {
        out.write_str(",^")?;
        out.write_str(Decimal::new(outer).as_str())?;
    }
    Ok(())
}

/// A number's decimal digits, made on the stack.
///
/// A packet's list names a hundred contids; spelling each with
/// `write!(out, "{id}")` went through the formatting machinery (arguments,
/// a `Formatter`, padding checks), which cost more than the digits.
///
/// # Invariants
///
/// `digits[start..]` holds the digits, ASCII `0`..=`9`, most significant
/// first, with no leading zero (save for the number 0 itself).
pub(crate) struct Decimal {
    digits: [u8; DECIMAL_MAX_LEN],
    start: usize,
}

/// The most digits of a `u64`, so the longest `/proc` read (2^64-1 has
/// 20).
pub(crate) const DECIMAL_MAX_LEN: usize = 20;

impl Decimal {
    /// The digits of `value`.
    pub(crate) fn new(mut value: u64) -> Self {
        let mut decimal = Decimal {
            digits: [0; DECIMAL_MAX_LEN],
            start: DECIMAL_MAX_LEN,
        };
        // Least significant digit first, from the end; at most 20 rounds,
        // so `start` never underflows.
        loop {
            decimal.start -= 1;
            // INVARIANT: `value % 10` is a digit.
            decimal.digits[decimal.start] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 {
                return decimal;
            }
        }
    }

    /// The digits as bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.start..]
    }

    /// The digits as text.
    pub(crate) fn as_str(&self) -> &str {
        // ASCII digits, by the type invariant, are always UTF-8.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// CONTAINER_OP (1020) for a /proc write attempt:
/// `op=set opid=<opid> contid=<requested> old-contid=<chain|-1> res=<1|0>`.
///
/// `requested` is printed verbatim, so a refused write of the unset value
/// shows `contid=18446744073709551615`.
pub(crate) fn write_op_set<W: Write, I: IntoIterator<Item = u64>>(
    out: &mut W,
    opid: i32,
    requested: u64,
    old_chain: I,
    success: bool,
) -> fmt::Result {
    write!(out, "op=set opid={opid} contid={requested} old-contid=")?;
    write_chain(out, old_chain)?;
    write!(out, " res={}", u8::from(success))
}

/// CONTAINER_OP (1020) death certificate:
/// `op=drop opid=<opid> contid=-1 old-contid=<chain> res=1`.
pub(crate) fn write_op_drop<W: Write, I: IntoIterator<Item = u64>>(
    out: &mut W,
    opid: i32,
    dropped_chain: I,
) -> fmt::Result {
    write!(out, "op=drop opid={opid} contid={UNSET_TEXT} old-contid=")?;
    write_chain(out, dropped_chain)?;
    out.write_str(" res=1")
}

/// CONTAINER_ID (1340) aux record: `record=<n> contid=<chain>`.
pub(crate) fn write_container_id<W: Write, I: IntoIterator<Item = u64>>(
    out: &mut W,
    record: u32,
    chain: I,
) -> fmt::Result {
    write!(out, "{}", ListHead { record, part: None })?;
    write_chain(out, chain)
}

/// Most bytes of the `contid=` list in one CONTAINER_ID record of a network
/// namespace's containers. auditd takes records of up to 8970 bytes
/// (`MAX_AUDIT_MESSAGE_LENGTH`, header included); what is left is room for
/// `type=CONTAINER_ID msg=audit(...): record=<n> part=<k> contid=`.
pub(crate) const NETNS_LIST_BUDGET: usize = 8000;

/// The number of decimal digits of `value`.
pub(crate) fn decimal_len(value: u64) -> usize {
    // `ilog10` is a few compares, not a division per digit; at most 19.
    value.checked_ilog10().map_or(1, |log| log as usize + 1)
}

/// The length of [`write_chain`]'s text for a non-empty `chain`.
pub(crate) fn chain_len<I: IntoIterator<Item = u64>>(chain: I) -> usize {
    chain
        .into_iter()
        .enumerate()
        .map(|(level, id)| decimal_len(id) + if level == 0 { 0 } else { 2 })
        .sum()
}

/// Where the next entry of a network namespace's list goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// At the start of a new CONTAINER_ID record (the first one, or one
    /// that continues the list because the entry does not fit the last).
    NewRecord,
    /// After the entries already in the current record, behind a comma.
    SameRecord,
}

/// Spreads the entries of a network namespace's list (each a contid chain)
/// over CONTAINER_ID records, each list at most `budget` bytes, in the
/// order given: the first record takes as many entries as fit, the next
/// continues, and so on. An entry is never split, so each record's list
/// parses on its own; an entry longer than the budget (a chain nested a
/// few hundred deep) gets a record to itself.
#[derive(Clone, Debug)]
pub(crate) struct ListSplitter {
    budget: usize,
    /// Bytes of the current record's list; `None` before the first entry.
    used: Option<usize>,
}

impl ListSplitter {
    /// A splitter for lists of at most `budget` bytes per record.
    pub(crate) fn new(budget: usize) -> Self {
        ListSplitter { budget, used: None }
    }

    /// Places an entry of `len` bytes.
    pub(crate) fn place(&mut self, len: usize) -> Placement {
        match self.used {
            // Saturating: a `usize::MAX` budget means no limit, not an
            // overflow.
            Some(used) if used.saturating_add(1).saturating_add(len) <= self.budget => {
                self.used = Some(used.saturating_add(1).saturating_add(len));
                Placement::SameRecord
            }
            _ => {
                self.used = Some(len);
                Placement::NewRecord
            }
        }
    }
}

/// The start of a CONTAINER_ID record of a network namespace's list:
/// `record=<n> contid=`, or `record=<n> part=<k> contid=` when the list
/// takes several records (numbered from 1, in the order they continue it).
pub(crate) struct ListHead {
    /// The number that ties it to the record it describes.
    pub(crate) record: u32,
    /// Which part of the list this is, if there are several.
    pub(crate) part: Option<u32>,
}

impl Display for ListHead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record={} ", self.record)?;
        if let Some(part) = self.part {
            write!(f, "part={part} ")?;
        }
        f.write_str("contid=")
    }
}

/// One entry of a network namespace's list: a contid chain, behind a comma
/// unless it is the first of its record (`contid=2,^1,3,^1`).
pub(crate) struct ListEntry<I> {
    /// Whether it starts the record's list.
    pub(crate) first: bool,
    /// The contid chain.
    pub(crate) chain: I,
}

impl<I: IntoIterator<Item = u64> + Clone> Display for ListEntry<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.first {
            f.write_str(",")?;
        }
        write_chain(f, self.chain.clone())
    }
}

/// Writes a network namespace's list once, for every packet that reports
/// it until the list changes: the entries of all its CONTAINER_ID records
/// one after another, [`ListSplitter`] deciding where each record's part
/// starts. A record is then its [`ListHead`] and its slice of the text.
#[derive(Clone, Debug)]
pub(crate) struct ListRenderer {
    splitter: ListSplitter,
    /// Bytes written so far.
    written: usize,
}

impl ListRenderer {
    /// A renderer for lists of at most `budget` bytes per record.
    pub(crate) fn new(budget: usize) -> Self {
        ListRenderer {
            splitter: ListSplitter::new(budget),
            written: 0,
        }
    }

    /// Writes the entry of `chain`, a non-empty contid chain, to `out`,
    /// which holds the entries written so far. Returns where its record's
    /// part starts in the text if the entry starts one.
    pub(crate) fn push<W: Write, I: IntoIterator<Item = u64> + Clone>(
        &mut self,
        out: &mut W,
        chain: I,
    ) -> Result<Option<usize>, fmt::Error> {
        let len = chain_len(chain.clone());
        let first = self.splitter.place(len) == Placement::NewRecord;
        let start = self.written;
        write!(out, "{}", ListEntry { first, chain })?;
        self.written += len + usize::from(!first);
        Ok(first.then_some(start))
    }
}

/// SET_CAPCONTID (1022) for a `/proc/PID/audit_capcontainerid` write
/// attempt: `opid=<opid> capcontid=<requested> old-capcontid=<old>
/// res=<1|0>`.
pub(crate) fn write_set_capcontid<W: Write>(
    out: &mut W,
    opid: i32,
    requested: bool,
    old: bool,
    success: bool,
) -> fmt::Result {
    write!(
        out,
        "opid={opid} capcontid={} old-capcontid={} res={}",
        u8::from(requested),
        u8::from(old),
        u8::from(success)
    )
}

/// The SET_CAPCONTID record of one grant attempt; see
/// [`write_set_capcontid`].
pub(crate) struct SetCapcontid {
    /// The target's thread-group id.
    pub(crate) opid: i32,
    /// The value written.
    pub(crate) requested: bool,
    /// The target's capcontid before the write.
    pub(crate) old: bool,
    /// Whether the write changed the target's capcontid.
    pub(crate) success: bool,
}

impl Display for SetCapcontid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_set_capcontid(f, self.opid, self.requested, self.old, self.success)
    }
}

/// The `op=set` record of one write attempt; see [`write_op_set`].
pub(crate) struct OpSet<I> {
    /// The target's thread-group id.
    pub(crate) opid: i32,
    /// The value written.
    pub(crate) requested: u64,
    /// The target's contid chain before the write (empty: none).
    pub(crate) old_chain: I,
    /// Whether the write labelled the target.
    pub(crate) success: bool,
}

impl<I: IntoIterator<Item = u64> + Clone> Display for OpSet<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_op_set(
            f,
            self.opid,
            self.requested,
            self.old_chain.clone(),
            self.success,
        )
    }
}

/// The `op=drop` record of a container; see [`write_op_drop`].
pub(crate) struct OpDrop<I> {
    /// The thread-group id of the container's last task.
    pub(crate) opid: i32,
    /// The dropped contid's chain.
    pub(crate) dropped_chain: I,
}

impl<I: IntoIterator<Item = u64> + Clone> Display for OpDrop<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_op_drop(f, self.opid, self.dropped_chain.clone())
    }
}

/// The CONTAINER_ID record of one task in an event; see
/// [`write_container_id`].
pub(crate) struct ContainerId<I> {
    /// The number that ties it to the record it describes.
    pub(crate) record: u32,
    /// The task's contid chain.
    pub(crate) chain: I,
}

impl<I: IntoIterator<Item = u64> + Clone> Display for ContainerId<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_container_id(f, self.record, self.chain.clone())
    }
}

/// The text of a `/proc/PID/audit_containerid` read: decimal, no newline;
/// no contid reads 18446744073709551615. Made on the stack, for the kernel
/// to copy to user space.
pub(crate) struct ProcText(Decimal);

impl ProcText {
    /// The text for a task whose contid is `contid`.
    pub(crate) fn new(contid: Option<u64>) -> Self {
        ProcText(Decimal::new(contid.unwrap_or(CONTID_UNSET)))
    }

    /// The bytes to copy to user space.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl AsRef<[u8]> for ProcText {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}
