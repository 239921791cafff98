//! A fuzz pass over the decisions, built on proptest's runner: hostile,
//! arbitrary input for the `/proc` parsers, the ladder and the record
//! writers, checked for crash-freedom and against oracles.
//!
//! The property tests next to it (`*_tests.rs`) state the rules on inputs
//! shaped to hit them; this pass throws mostly malformed input, mutations
//! of well-formed input and long histories at the same code, with a budget
//! that can be raised far beyond what `make check` runs:
//!
//! - `CONTID_FUZZ_CASES=N`: cases per target and round (default: each
//!   target's own, a few hundred milliseconds of a debug build);
//! - `CONTID_FUZZ_SECONDS=S`: keep running rounds, each with the next
//!   seed, until each target has run for `S` seconds (default: one round);
//! - `CONTID_FUZZ_SEED=X`: the first round's seed, decimal or `0x` hex
//!   (default: fixed, so that `make check` runs the same cases every time).
//!
//! A failure names the target, the round's seed and the case count, and
//! shrinks to a small input; the command it prints runs that round again.
//! A long run: `make fuzz`, or
//! `CONTID_FUZZ_CASES=1000000 cargo test --profile fuzz --locked fuzz:: -- --nocapture`
//! (the `fuzz` profile of `Cargo.toml` is `release` with overflow checks).

use std::env;
use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseResult, TestRng, TestRunner};

mod ladder;
mod parse;
mod record;

/// The seed of the first round when `CONTID_FUZZ_SEED` is not set.
const DEFAULT_SEED: u64 = 0x636f_6e74_6964_2031; // "contid 1"

/// How much fuzzing one target does.
struct Budget {
    cases: u32,
    seed: u64,
    time: Option<Duration>,
}

/// The value of environment variable `name`, parsed; `None` when unset.
/// A malformed value fails the test rather than being ignored.
fn env_number(name: &str) -> Option<u64> {
    let text = env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}={text:?} is not a number")))
}

impl Budget {
    fn from_env(default_cases: u32) -> Self {
        let cases = env_number("CONTID_FUZZ_CASES").map_or(default_cases, |cases| {
            u32::try_from(cases.max(1)).expect("CONTID_FUZZ_CASES fits in a u32")
        });
        Budget {
            cases,
            seed: env_number("CONTID_FUZZ_SEED").unwrap_or(DEFAULT_SEED),
            time: env_number("CONTID_FUZZ_SECONDS").map(Duration::from_secs),
        }
    }
}

/// The 16-byte XorShift seed of `target`'s round with seed `seed`: each
/// target gets its own stream from the same number (splitmix64).
fn rng_seed(target: &str, seed: u64) -> [u8; 16] {
    let mut state = target.bytes().fold(seed, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut next = || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let mut bytes = [0; 16];
    bytes[..8].copy_from_slice(&next().to_le_bytes());
    bytes[8..].copy_from_slice(&next().to_le_bytes());
    bytes
}

/// Runs `test` on `budget.cases` inputs of `strategy` per round, for one
/// round or until the time budget is spent; panics with the shrunk input
/// and the command that replays the failing round.
fn run<S>(target: &str, default_cases: u32, strategy: S, test: impl Fn(S::Value) -> TestCaseResult)
where
    S: Strategy,
    S::Value: Debug,
{
    let budget = Budget::from_env(default_cases);
    let start = Instant::now();
    let mut round = 0u64;
    loop {
        let seed = budget.seed.wrapping_add(round);
        let config = Config {
            cases: budget.cases,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::XorShift,
            ..Config::default()
        };
        let rng = TestRng::from_seed(RngAlgorithm::XorShift, &rng_seed(target, seed));
        let mut runner = TestRunner::new_with_rng(config, rng);
        if let Err(error) = runner.run(&strategy, &test) {
            panic!(
                "fuzz target {target}, seed {seed:#x}, {} cases: {error}\n\
                 replay: CONTID_FUZZ_SEED={seed:#x} CONTID_FUZZ_CASES={} \
                 cargo test --locked {target} -- --exact",
                budget.cases, budget.cases,
            );
        }
        round += 1;
        if budget.time.is_none_or(|time| start.elapsed() >= time) {
            break;
        }
    }
    // Shown with `-- --nocapture` (as `make fuzz` runs it).
    println!(
        "fuzz target {target}: {round} round(s) of {} cases from seed {:#x}, {:.2?}",
        budget.cases,
        budget.seed,
        start.elapsed()
    );
}
