//! Tests for `parse_contid`: every rule of the accepted grammar, a table of
//! malformed writes with their exact error, and round-trip properties.

use proptest::prelude::*;

use crate::errno::{EINVAL, ERANGE};
use crate::parse::{parse_contid, ParseError, MAX_CONTID_INPUT};

/// Bytes that may appear in an accepted write.
const ALPHABET: &[u8] = b"+0123456789\n";

/// `u64::MAX + 1`, the smallest value that is out of range.
const FIRST_OUT_OF_RANGE: u128 = u64::MAX as u128 + 1;

fn invalid_inputs() -> Vec<(String, Vec<u8>)> {
    let fixed: &[&[u8]] = &[
        b"",
        b" ",
        b"\n",
        b"\n\n",
        b"+",
        b"+\n",
        b"++1",
        b"+-1",
        b"-1",
        b"-0",
        b"0x10",
        b"0X10",
        b"x10",
        b"1 2",
        b" 1",
        b"1 ",
        b"1\n ",
        b"1\n\n",
        b"\n1",
        b"1\0",
        b"\x001",
        b"1\x002",
        b"1\0\n",
        b"1\t",
        b"\t1",
        b"1\r\n",
        b"1\r",
        b"1e3",
        b"1.0",
        b"1_000",
        b"1,000",
        b"1+",
        b"+ 1",
        b"+\n1",
        "\u{ff11}".as_bytes(), // fullwidth one
        "\u{663}".as_bytes(),  // arabic-indic three
        "1\u{a0}".as_bytes(),  // trailing no-break space
        b"\xff1",
        b"one",
        b"99999999999999999999999x",
        b"18446744073709551616x",
        b"18446744073709551615 ",
        b"\n18446744073709551615",
    ];
    let mut inputs: Vec<(String, Vec<u8>)> = fixed
        .iter()
        .map(|input| (input.escape_ascii().to_string(), input.to_vec()))
        .collect();
    inputs.push(("67 zeros".into(), vec![b'0'; MAX_CONTID_INPUT + 1]));
    inputs.push(("66 zeros then newline".into(), {
        let mut input = vec![b'0'; MAX_CONTID_INPUT];
        input.push(b'\n');
        input
    }));
    inputs.push(("4096 bytes of garbage".into(), {
        (0..4096u32).map(|i| (i * 7 + 13) as u8).collect()
    }));
    inputs.push(("4096 digits".into(), vec![b'7'; 4096]));
    inputs
}

#[test]
fn malformed_inputs_are_invalid() {
    let inputs = invalid_inputs();
    assert!(inputs.len() >= 30);
    for (name, input) in inputs {
        assert_eq!(
            parse_contid(&input),
            Err(ParseError::Invalid),
            "input {name}"
        );
    }
}

#[test]
fn too_large_values_are_out_of_range() {
    let inputs: &[&[u8]] = &[
        b"18446744073709551616",
        b"18446744073709551616\n",
        b"+18446744073709551616",
        b"00018446744073709551616",
        b"99999999999999999999",
        b"99999999999999999999999",
        b"100000000000000000000",
        b"340282366920938463463374607431768211456",
    ];
    for input in inputs {
        assert_eq!(
            parse_contid(input),
            Err(ParseError::OutOfRange),
            "input {}",
            input.escape_ascii()
        );
    }
    let longest = [b'9'; MAX_CONTID_INPUT];
    assert_eq!(parse_contid(&longest), Err(ParseError::OutOfRange));
}

#[test]
fn valid_inputs_parse() {
    let mut padded_one = vec![b'0'; MAX_CONTID_INPUT - 1];
    padded_one.push(b'1');
    let mut padded_max = vec![b'0'; MAX_CONTID_INPUT - 21];
    padded_max.extend_from_slice(b"18446744073709551615\n");
    let cases: &[(&[u8], u64)] = &[
        (b"0", 0),
        (b"0\n", 0),
        (b"+0", 0),
        (b"1", 1),
        (b"+7", 7),
        (b"007\n", 7),
        (b"+007\n", 7),
        (b"123456\n", 123456),
        (b"4515122123205246976", 4515122123205246976),
        (b"18446744073709551614", u64::MAX - 1),
        (b"18446744073709551615", u64::MAX),
        (b"+18446744073709551615\n", u64::MAX),
        (&padded_one, 1),
        (&padded_max, u64::MAX),
    ];
    for &(input, value) in cases {
        assert_eq!(
            parse_contid(input),
            Ok(value),
            "input {}",
            input.escape_ascii()
        );
    }
}

#[test]
fn length_limit_counts_every_byte() {
    let mut digits = vec![b'0'; MAX_CONTID_INPUT - 1];
    digits.push(b'5');
    assert_eq!(parse_contid(&digits), Ok(5));
    let mut with_newline = digits[1..].to_vec();
    with_newline.push(b'\n');
    assert_eq!(with_newline.len(), MAX_CONTID_INPUT);
    assert_eq!(parse_contid(&with_newline), Ok(5));
    let mut too_long = digits.clone();
    too_long.push(b'\n');
    assert_eq!(parse_contid(&too_long), Err(ParseError::Invalid));
    let mut signed_too_long = vec![b'+'];
    signed_too_long.extend_from_slice(&digits);
    assert_eq!(parse_contid(&signed_too_long), Err(ParseError::Invalid));
}

#[test]
fn errors_map_to_errnos() {
    assert_eq!(ParseError::Invalid.errno(), EINVAL);
    assert_eq!(ParseError::OutOfRange.errno(), ERANGE);
    assert_eq!((EINVAL, ERANGE), (22, 34));
}

/// Straightforward reference: check the shape, then let std do the number.
fn reference_parse(input: &[u8]) -> Result<u64, ParseError> {
    if input.is_empty() || input.len() > MAX_CONTID_INPUT {
        return Err(ParseError::Invalid);
    }
    let mut text = std::str::from_utf8(input).map_err(|_| ParseError::Invalid)?;
    if let Some(line) = text.strip_suffix('\n') {
        text = line;
    }
    if let Some(number) = text.strip_prefix('+') {
        text = number;
    }
    if text.is_empty() || text.chars().any(|c| !c.is_ascii_digit()) {
        return Err(ParseError::Invalid);
    }
    text.parse::<u64>().map_err(|_| ParseError::OutOfRange)
}

/// Decimal text of `value` with optional sign, zero padding and newline,
/// cut to fit in [`MAX_CONTID_INPUT`] by dropping padding.
fn decorate(value: &str, plus: bool, zeros: usize, newline: bool) -> Vec<u8> {
    let room = MAX_CONTID_INPUT - value.len() - usize::from(plus) - usize::from(newline);
    let mut text = Vec::new();
    if plus {
        text.push(b'+');
    }
    text.resize(text.len() + zeros.min(room), b'0');
    text.extend_from_slice(value.as_bytes());
    if newline {
        text.push(b'\n');
    }
    text
}

/// Digit strings whose value exceeds `u64::MAX`, up to 64 characters.
fn out_of_range_digits() -> impl Strategy<Value = String> {
    prop_oneof![
        (FIRST_OUT_OF_RANGE..=FIRST_OUT_OF_RANGE + 1000).prop_map(|v| v.to_string()),
        (FIRST_OUT_OF_RANGE..=u128::MAX).prop_map(|v| v.to_string()),
        "[1-9][0-9]{20,63}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn decorated_values_round_trip(
        value in any::<u64>(),
        plus in any::<bool>(),
        zeros in 0usize..=MAX_CONTID_INPUT,
        newline in any::<bool>(),
    ) {
        let input = decorate(&value.to_string(), plus, zeros, newline);
        prop_assert!(input.len() <= MAX_CONTID_INPUT);
        prop_assert_eq!(parse_contid(&input), Ok(value));
    }

    #[test]
    fn byte_outside_alphabet_is_invalid(
        prefix in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40),
        bad in any::<u8>().prop_filter("outside the alphabet", |b| !ALPHABET.contains(b)),
        suffix in proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40),
    ) {
        let mut input = prefix;
        input.push(bad);
        input.extend(suffix);
        prop_assert_eq!(parse_contid(&input), Err(ParseError::Invalid));
    }

    #[test]
    fn overflowing_values_are_out_of_range(
        digits in out_of_range_digits(),
        plus in any::<bool>(),
        zeros in 0usize..=MAX_CONTID_INPUT,
        newline in any::<bool>(),
    ) {
        let input = decorate(&digits, plus, zeros, newline);
        prop_assert_eq!(parse_contid(&input), Err(ParseError::OutOfRange));
    }

    #[test]
    fn agrees_with_reference_on_near_misses(
        input in proptest::collection::vec(
            proptest::sample::select(b"+-0123456789\n \tx\0".as_slice()),
            0..=70,
        ),
    ) {
        prop_assert_eq!(parse_contid(&input), reference_parse(&input));
    }

    #[test]
    fn agrees_with_reference_on_any_bytes(input in proptest::collection::vec(any::<u8>(), 0..=80)) {
        prop_assert_eq!(parse_contid(&input), reference_parse(&input));
    }
}
