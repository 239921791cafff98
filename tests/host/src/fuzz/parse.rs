//! Fuzzing the `/proc` write parsers (`parse_contid`, `parse_capcontid`)
//! with arbitrary bytes, mutations of well-formed writes and long writes.
//!
//! Three oracles:
//! - the grammar of spec §2.1 as a state machine (`[+]DIGITS[\n]`, at most
//!   66 bytes, ERANGE beyond 2^64-1 by comparing digit strings);
//! - a model of the kernel's `kstrtou64_from_user` / `kstrtou32_from_user`
//!   (lib/kstrtox.c, 6.12), which the parser must agree with except for
//!   the surprises it refuses on purpose: a write longer than the helper
//!   copies, a NUL, digits that overflow followed by garbage;
//! - the text the kernel prints for an accepted value, which must read
//!   back to it.

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::TestCaseResult;

use super::run;
use crate::decisions::CONTID_UNSET;
use crate::errno::{EINVAL, ERANGE};
use crate::grant::parse_capcontid;
use crate::parse::{parse_contid, ParseError, MAX_CONTID_INPUT};
use crate::record::{decimal_len, write_chain, write_op_set, ProcText};

/// 2^64-1, the largest number that fits.
const U64_MAX_TEXT: &[u8] = b"18446744073709551615";

/// Bytes a mutation likes to put in: the grammar's own, their neighbours
/// in ASCII, whitespace, NUL and a few high bytes.
const DICTIONARY: &[u8] = b"+-\n\r \t\x000123456789/:xX\x7f\xff\xa0";

/// Numbers at the edges: of `u64` and `u32`, of the kernel helper's
/// overflow check (2^60), of the digit count.
const EDGE_NUMBERS: &[&str] = &[
    "0",
    "1",
    "2",
    "9",
    "10",
    "4294967295",
    "4294967296",
    "1152921504606846975",
    "1152921504606846976",
    "1844674407370955161",
    "1844674407370955162",
    "9999999999999999999",
    "10000000000000000000",
    "18446744073709551614",
    "18446744073709551615",
    "18446744073709551616",
    "18446744073709551620",
    "18446744073709551705",
    "18446744073709552000",
    "19999999999999999999",
    "99999999999999999999",
    "100000000000000000000",
    "340282366920938463463374607431768211455",
];

/// What the spec's grammar says about `input`: the state machine of
/// `[+]DIGITS[\n]`, then the digits as a number.
fn grammar(input: &[u8]) -> Result<u64, ParseError> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum State {
        Start,
        Sign,
        Digits,
        Newline,
    }
    if input.len() > MAX_CONTID_INPUT {
        return Err(ParseError::Invalid);
    }
    let mut state = State::Start;
    let mut digits = Vec::new();
    for &byte in input {
        state = match (state, byte) {
            (State::Start, b'+') => State::Sign,
            (State::Start | State::Sign | State::Digits, b'0'..=b'9') => {
                digits.push(byte);
                State::Digits
            }
            (State::Digits, b'\n') => State::Newline,
            _ => return Err(ParseError::Invalid),
        };
    }
    match state {
        State::Digits | State::Newline => number(&digits).ok_or(ParseError::OutOfRange),
        State::Start | State::Sign => Err(ParseError::Invalid),
    }
}

/// `digits` without leading zeros (`0` for zero): the one spelling of the
/// number that the kernel prints.
fn canonical(digits: &[u8]) -> &[u8] {
    let start = digits.iter().position(|&d| d != b'0');
    start.map_or(&b"0"[..], |start| &digits[start..])
}

/// The value of a digit string, if it fits in a `u64`: compared as text
/// with 2^64-1, so no arithmetic can overflow.
fn number(digits: &[u8]) -> Option<u64> {
    let digits = canonical(digits);
    let fits = digits.len() < U64_MAX_TEXT.len()
        || digits.len() == U64_MAX_TEXT.len() && digits <= U64_MAX_TEXT;
    fits.then(|| {
        digits
            .iter()
            .fold(0u64, |value, digit| value * 10 + u64::from(digit - b'0'))
    })
}

/// `kstrtoull(s, 10, ..)` on the C string `s` (lib/kstrtox.c): an
/// optional `+`, then `_parse_integer_limit`, which flags an overflow
/// before the tail is looked at, then one optional `\n` and the end.
fn kstrtoull(s: &[u8]) -> Result<u64, i32> {
    let s = s.strip_prefix(b"+").unwrap_or(s);
    let mut result = 0u64;
    let mut overflow = false;
    let mut count = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            // Hex digits are read too, but are >= base 10 and stop it.
            break;
        }
        let val = u64::from(c - b'0');
        if result & (!0u64 << 60) != 0 && result > (u64::MAX - val) / 10 {
            overflow = true;
        }
        result = result.wrapping_mul(10).wrapping_add(val);
        count += 1;
    }
    if overflow {
        return Err(ERANGE);
    }
    if count == 0 {
        return Err(EINVAL);
    }
    let tail = &s[count..];
    if !tail.strip_prefix(b"\n").unwrap_or(tail).is_empty() {
        return Err(EINVAL);
    }
    Ok(result)
}

/// `kstrto*_from_user(buf, count, 10, ..)`: copies at most `copied` bytes
/// (sign, one digit per bit, newline: 66 for `u64`, 34 for `u32`), and
/// the string ends at the first NUL.
fn kstrto_from_user(input: &[u8], copied: usize) -> Result<u64, i32> {
    let copy = &input[..input.len().min(copied)];
    let end = copy.iter().position(|&b| b == 0).unwrap_or(copy.len());
    kstrtoull(&copy[..end])
}

/// The writes the parser refuses although the kernel helper would read a
/// number from them: longer than the helper copies, or with a NUL.
fn helper_surprise(input: &[u8], copied: usize) -> bool {
    input.len() > copied || input.contains(&0)
}

/// One change to a write, as a mutating fuzzer makes them.
#[derive(Debug, Clone)]
enum Mutation {
    FlipBit(Index, u8),
    Replace(Index, u8),
    Insert(Index, u8),
    Delete(Index),
    /// Copies `len` bytes from one place to another.
    Duplicate(Index, Index, u8),
    Truncate(Index),
    /// Leading zeros (after a `+`) up to a length around the limit.
    PadTo(usize),
    Append(u8),
}

impl Mutation {
    fn apply(&self, input: &mut Vec<u8>) {
        let at = |index: &Index, len: usize| index.index(len.max(1)).min(len);
        match *self {
            Mutation::FlipBit(ref index, bit) if !input.is_empty() => {
                let i = index.index(input.len());
                input[i] ^= 1 << (bit % 8);
            }
            Mutation::Replace(ref index, byte) if !input.is_empty() => {
                let i = index.index(input.len());
                input[i] = byte;
            }
            Mutation::Insert(ref index, byte) => {
                let i = at(index, input.len() + 1);
                input.insert(i, byte);
            }
            Mutation::Delete(ref index) if !input.is_empty() => {
                input.remove(index.index(input.len()));
            }
            Mutation::Duplicate(ref from, ref to, len) if !input.is_empty() => {
                let from = from.index(input.len());
                let end = (from + usize::from(len % 24) + 1).min(input.len());
                let chunk = input[from..end].to_vec();
                let to = at(to, input.len() + 1);
                input.splice(to..to, chunk);
            }
            Mutation::Truncate(ref index) => input.truncate(at(index, input.len())),
            Mutation::PadTo(len) => {
                let sign = usize::from(input.first() == Some(&b'+'));
                while input.len() < len {
                    input.insert(sign, b'0');
                }
            }
            Mutation::Append(byte) => input.push(byte),
            _ => {}
        }
    }
}

fn byte() -> impl Strategy<Value = u8> {
    prop_oneof![any::<u8>(), select(DICTIONARY)]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::FlipBit(i, b)),
        (any::<Index>(), byte()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<Index>(), byte()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<Index>().prop_map(Mutation::Delete),
        (any::<Index>(), any::<Index>(), any::<u8>())
            .prop_map(|(f, t, l)| Mutation::Duplicate(f, t, l)),
        any::<Index>().prop_map(Mutation::Truncate),
        (MAX_CONTID_INPUT - 2..=MAX_CONTID_INPUT + 1).prop_map(Mutation::PadTo),
        (30usize..=36).prop_map(Mutation::PadTo),
        byte().prop_map(Mutation::Append),
    ]
}

/// A well-formed write, or one that is well-formed but for its size:
/// `[+][zeros]NUMBER[\n]`.
fn decorated() -> impl Strategy<Value = Vec<u8>> {
    let digits = prop_oneof![
        select(EDGE_NUMBERS).prop_map(str::to_string),
        any::<u64>().prop_map(|v| v.to_string()),
        any::<u128>().prop_map(|v| v.to_string()),
        "[0-9]{1,70}",
    ];
    (
        digits,
        any::<bool>(),
        0usize..=70,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(digits, plus, zeros, pad, newline)| {
            let mut input = Vec::new();
            if plus {
                input.push(b'+');
            }
            input.resize(input.len() + if pad { zeros } else { 0 }, b'0');
            input.extend_from_slice(digits.as_bytes());
            if newline {
                input.push(b'\n');
            }
            input
        })
}

/// Writes longer than the parser reads: a number padded past the limit,
/// a good write with a tail, or garbage.
fn long_input() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        (MAX_CONTID_INPUT + 1..=4096, any::<u64>()).prop_map(|(len, value)| {
            let text = value.to_string();
            let mut input = vec![b'0'; len - text.len()];
            input.extend_from_slice(text.as_bytes());
            input
        }),
        (decorated(), vec(byte(), 1..=512)).prop_map(|(mut input, tail)| {
            input.extend(tail);
            input
        }),
        vec(any::<u8>(), MAX_CONTID_INPUT + 1..=1024),
    ]
}

/// The bytes of one write, shown escaped when a case fails.
#[derive(Clone)]
struct Bytes(Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\" ({} bytes)", self.0.escape_ascii(), self.0.len())
    }
}

/// The writes thrown at the parsers.
fn writes() -> impl Strategy<Value = Bytes> {
    let writes = prop_oneof![
        4 => vec(any::<u8>(), 0..=64),
        2 => decorated(),
        6 => (decorated(), vec(mutation(), 1..=4)).prop_map(|(mut input, mutations)| {
            for mutation in &mutations {
                mutation.apply(&mut input);
            }
            input
        }),
        1 => long_input(),
    ];
    writes.prop_map(Bytes)
}

/// What an accepted value reads back as: the `/proc` read, the `op=set`
/// record's `contid=` and a chain all spell it the one canonical way, and
/// that text parses to the same value.
fn check_round_trip(input: &[u8], value: u64) -> TestCaseResult {
    let digits: Vec<u8> = input.iter().copied().filter(u8::is_ascii_digit).collect();
    let spelled = canonical(&digits);
    let proc_text = ProcText::new(Some(value));
    prop_assert_eq!(proc_text.as_bytes(), spelled);
    prop_assert_eq!(decimal_len(value), spelled.len());
    prop_assert_eq!(parse_contid(proc_text.as_bytes()), Ok(value));
    let mut record = String::new();
    write_op_set(&mut record, 1, value, [], false).expect("String never fails");
    let field = record
        .split(' ')
        .find_map(|field| field.strip_prefix("contid="))
        .expect("contid= field");
    prop_assert_eq!(field.as_bytes(), spelled);
    prop_assert_eq!(parse_contid(field.as_bytes()), Ok(value));
    if value != CONTID_UNSET {
        let mut chain = String::new();
        write_chain(&mut chain, [value]).expect("String never fails");
        prop_assert_eq!(chain.as_bytes(), spelled);
    }
    Ok(())
}

/// `parse_contid`: never panics, accepts exactly the spec's grammar, agrees
/// with `kstrtou64_from_user` but for the refused surprises, and accepted
/// values read back.
#[test]
fn contid_write() {
    run(
        "fuzz::parse::contid_write",
        6000,
        writes(),
        |Bytes(input)| {
            let parsed = parse_contid(&input);
            prop_assert_eq!(parsed, grammar(&input));
            let helper = kstrto_from_user(&input, MAX_CONTID_INPUT);
            let expected = match helper {
                Ok(value) => Ok(value),
                Err(errno) if errno == ERANGE => Err(ParseError::OutOfRange),
                Err(_) => Err(ParseError::Invalid),
            };
            if parsed != expected {
                let surprise = helper_surprise(&input, MAX_CONTID_INPUT)
                // Overflowing digits and then garbage: the helper says
                // ERANGE before it looks at the garbage.
                || helper == Err(ERANGE) && parsed == Err(ParseError::Invalid);
                prop_assert!(
                    surprise,
                    "parser {:?}, kstrtou64_from_user {:?}",
                    parsed,
                    helper
                );
                prop_assert!(parsed.is_err(), "accepted what the helper reads otherwise");
            }
            if let Ok(value) = parsed {
                check_round_trip(&input, value)?;
            }
            Ok(())
        },
    );
}

/// `parse_capcontid`: never panics, accepts `0` and `1` in the grammar of
/// a contid write, ERANGE beyond `u32` as `kstrtou32_from_user`, and
/// agrees with that helper but for the refused surprises.
#[test]
fn capcontid_write() {
    run(
        "fuzz::parse::capcontid_write",
        3000,
        writes(),
        |Bytes(input)| {
            let parsed = parse_capcontid(&input);
            let expected = match grammar(&input) {
                Ok(0) => Ok(false),
                Ok(1) => Ok(true),
                Ok(value) if value > u64::from(u32::MAX) => Err(ParseError::OutOfRange),
                Ok(_) => Err(ParseError::Invalid),
                Err(error) => Err(error),
            };
            prop_assert_eq!(parsed, expected);
            // kstrtouint: kstrtoull on at most 34 bytes, then ERANGE beyond u32.
            let helper = kstrto_from_user(&input, 34)
                .and_then(|value| u32::try_from(value).map_err(|_| ERANGE));
            let from_helper = match helper {
                Ok(0) => Ok(false),
                Ok(1) => Ok(true),
                Ok(_) => Err(ParseError::Invalid),
                Err(errno) if errno == ERANGE => Err(ParseError::OutOfRange),
                Err(_) => Err(ParseError::Invalid),
            };
            if parsed != from_helper {
                let surprise = helper_surprise(&input, 34)
                    || helper == Err(ERANGE) && parsed == Err(ParseError::Invalid);
                prop_assert!(
                    surprise,
                    "parser {:?}, kstrtou32_from_user {:?}",
                    parsed,
                    helper
                );
            }
            Ok(())
        },
    );
}
