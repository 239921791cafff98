// SPDX-License-Identifier: GPL-2.0

//! The audit rule field `contid`: the match on a task, for
//! `audit_filter_rules()` and `audit_filter()` (patch 0009).

use core::iter;

use crate::{contid::Contid, decisions::filter};

/// Does a task whose contid is `contid` match the audit rule field
/// `contid=rule_value`? See [`filter::chain_matches`]; the C caller
/// applies `!=`. A contid that is not announced yet counts as none, as in
/// the task's records.
pub(crate) fn matches(contid: Option<&Contid>, rule_value: u64) -> bool {
    match contid {
        Some(contid) if contid.is_announced() => {
            filter::chain_matches(contid.nesting_ids(), rule_value)
        }
        _ => filter::chain_matches(iter::empty(), rule_value),
    }
}
