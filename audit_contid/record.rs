// SPDX-License-Identifier: GPL-2.0

//! The text of contid audit records and of the procfs read.
//!
//! Decides how contids are spelled: record bodies (the text after
//! `msg=audit(...): `) of CONTAINER_OP (1020) and CONTAINER_ID (1340), and
//! the `/proc/PID/audit_containerid` read (spec §2.1, §3.2, §3.3). Records
//! print "no contid" as `-1`, procfs prints the raw unset number. Everything
//! goes to any [`Write`], so the kernel formats straight into an audit
//! buffer or a stack buffer without allocating.

use core::fmt::{self, Write};

use super::ladder::CONTID_UNSET;

/// Text used in records for "no contid".
pub(crate) const UNSET_TEXT: &str = "-1";

/// Longest text write_proc_value can produce (20).
pub(crate) const PROC_VALUE_MAX_LEN: usize = 20;

/// Writes a contid and the chain of contids it is nested in, innermost
/// first, as `own[,^parent[,^grandparent...]]` (spec §1.4, §3.3).
///
/// For now chains have length 1; the nesting issue makes them longer. An
/// empty chain prints [`UNSET_TEXT`].
pub(crate) fn write_chain<W: Write, I: IntoIterator<Item = u64>>(
    out: &mut W,
    chain: I,
) -> fmt::Result {
    let mut chain = chain.into_iter();
    let Some(own) = chain.next() else {
        return out.write_str(UNSET_TEXT);
    };
    write!(out, "{own}")?;
    for outer in chain {
        write!(out, ",^{outer}")?;
    }
    Ok(())
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
    write!(out, "record={record} contid=")?;
    write_chain(out, chain)
}

/// The /proc/PID/audit_containerid read text: decimal, no newline; no
/// contid prints 18446744073709551615.
pub(crate) fn write_proc_value<W: Write>(out: &mut W, contid: Option<u64>) -> fmt::Result {
    write!(out, "{}", contid.unwrap_or(CONTID_UNSET))
}
