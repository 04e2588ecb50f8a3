//! Bounded fuzzing of every input adapter, on stable Rust and inside `cargo test` (so CI's
//! `.ci/run` runs it): a seeded, deterministic mutator ([`mutate`]) damages the fixtures
//! (`tests/fixtures`, `assets/demo`) and each adapter must read the result without panicking.
//! OTLP lines where exactly one span was damaged must still yield every other span of the line
//! ([`otlp_lines`]).
//!
//! Each adapter gets [`DEFAULT_CASES`] cases (the whole run stays well under 20 s in a debug
//! build). A long run, with another seed:
//!
//! ```text
//! TRAWL_FUZZ_CASES=200000 TRAWL_FUZZ_SEED=7 cargo test --release --lib ingest::fuzz -- --nocapture
//! ```
//!
//! Every case has its own generator seeded from the run's seed and the case number, so a failure
//! reported as `case N` replays alone with the same seed.

mod mutate;
mod otlp_lines;
mod sqlite;

use std::panic::{AssertUnwindSafe, catch_unwind};

use fastrand::Rng;

use super::{Imported, console, detect, langfuse, langsmith};
use crate::pricing::{self, PriceBook};
use crate::store::PreparedSpan;

/// Cases per adapter in CI.
const DEFAULT_CASES: usize = 2000;
const DEFAULT_SEED: u64 = 0x7452_4157_4c15;

/// `TRAWL_FUZZ_CASES`, or [`DEFAULT_CASES`].
fn cases() -> usize {
    std::env::var("TRAWL_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// `TRAWL_FUZZ_SEED`, or a fixed seed.
fn seed() -> u64 {
    std::env::var("TRAWL_FUZZ_SEED")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_SEED)
}

/// A fixture's bytes (paths relative to the crate root). Missing fixtures fail the test.
fn fixture(path: &str) -> Vec<u8> {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    match std::fs::read(&full) {
        Ok(b) if !b.is_empty() => b,
        Ok(_) => panic!("fuzz fixture {} is empty", full.display()),
        Err(e) => panic!("fuzz fixture {}: {e}", full.display()),
    }
}

/// Runs `n` cases of `case`, each under `catch_unwind` with its own seeded generator, and fails
/// with the first few failures (a panic, or an `Err` from a property check).
fn run_cases(name: &str, n: usize, mut case: impl FnMut(&mut Rng) -> Result<(), String>) {
    let seed = seed();
    let mut failures = Vec::new();
    for i in 0..n {
        let mut rng = Rng::with_seed(seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let outcome = catch_unwind(AssertUnwindSafe(|| case(&mut rng)));
        let failure = match outcome {
            Ok(Ok(())) => continue,
            Ok(Err(why)) => why,
            Err(payload) => {
                let msg = payload
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| payload.downcast_ref::<&str>().copied())
                    .unwrap_or("(no message)");
                format!("panic: {msg}")
            }
        };
        failures.push(format!("case {i}: {failure}"));
    }
    eprintln!(
        "fuzz {name}: {n} cases (seed {seed}), {} failures",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "fuzz {name}: {} of {n} cases failed (seed {seed}); first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// A prefix of `input` for a failure message.
fn excerpt(input: &[u8]) -> String {
    let text = String::from_utf8_lossy(&input[..input.len().min(400)]);
    format!("{text:?}")
}

/// What the importer does to every span after its adapter: pricing and preparing for the
/// store (serialisation, compression). A panic there is as bad as one in the adapter.
fn finish_like_import(book: &PriceBook, spans: Vec<crate::model::Span>) {
    for mut s in spans {
        if langfuse::is_langfuse_otel(&s) {
            langfuse::apply_otel(&mut s);
        }
        pricing::apply(book, &mut s);
        let _ = PreparedSpan::new(s);
    }
}

/// Fuzzes a whole-file JSON adapter over its fixtures.
fn fuzz_whole_file(name: &str, fixtures: &[&str], parse: fn(&[u8]) -> Imported) {
    let inputs: Vec<Vec<u8>> = fixtures.iter().map(|f| fixture(f)).collect();
    for (f, input) in fixtures.iter().zip(&inputs) {
        let clean = parse(input);
        assert!(
            !clean.spans.is_empty(),
            "{f}: the unmutated fixture yields spans"
        );
    }
    let book = PriceBook::embedded();
    run_cases(name, cases(), |rng| {
        let input = &inputs[rng.usize(0..inputs.len())];
        let bytes = mutate::mutate_json_input(rng, input);
        let imported = catch_unwind(AssertUnwindSafe(|| parse(&bytes)))
            .map_err(|_| format!("{name} parser panicked on {}", excerpt(&bytes)))?;
        finish_like_import(book, imported.spans);
        let _ = catch_unwind(AssertUnwindSafe(|| detect::detect_bytes(&bytes)))
            .map_err(|_| format!("detect_bytes panicked on {}", excerpt(&bytes)))?;
        Ok(())
    });
}

#[test]
fn fuzz_langfuse_exports() {
    fuzz_whole_file(
        "langfuse",
        &[
            "tests/fixtures/langfuse_trace.synthetic.json",
            "tests/fixtures/langfuse_observations.synthetic.jsonl",
            "tests/fixtures/langfuse_ingestion.synthetic.json",
        ],
        langfuse::parse,
    );
}

#[test]
fn fuzz_langsmith_runs() {
    fuzz_whole_file(
        "langsmith",
        &["tests/fixtures/langsmith_runs.synthetic.json"],
        langsmith::parse,
    );
}

#[test]
fn fuzz_console_exporter_text() {
    fuzz_whole_file(
        "console",
        &["tests/fixtures/console_exporter.synthetic.txt"],
        console::parse,
    );
}
