// SPDX-License-Identifier: GPL-2.0

//! What an audit rule's `contid` field matches.
//!
//! `contid=X` matches a task whose chain (its own contid and every contid
//! it is nested in) contains X; `contid=unset` matches a task without a
//! contid. The kernel accepts only `=` and `!=`, and `!=` is the negation,
//! which the caller applies, as it does for the other boolean fields
//! (`exe`). The chain is walked element by element: unlike the last C
//! series, nothing here looks at a hash bucket, so an unrelated container
//! never matches and an ancestor always does.

use super::CONTID_UNSET;

/// Does `rule_value`, the value of an `=` rule, match the task whose
/// contid chain is `chain` (innermost first, empty without a contid)?
pub(crate) fn chain_matches<I: IntoIterator<Item = u64>>(chain: I, rule_value: u64) -> bool {
    let mut chain = chain.into_iter();
    if rule_value == CONTID_UNSET {
        // No contid can be unset (the set path refuses it), so only the
        // empty chain matches.
        return chain.next().is_none();
    }
    chain.any(|id| id == rule_value)
}
