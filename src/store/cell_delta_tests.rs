//! New traces add to the statistics cells without recomputing them, with the same figures as
//! the span path: imports in slices that overlap in time, a slice that extends traces of an
//! earlier one, and a re-import.

use super::super::Store;
use super::super::aggregates::equality_tests::{
    MIN, assert_everywhere, cells, dirty_rows, generated_over, import_text, reference,
};
use super::super::stats::Buckets;

/// A store in memory and the folder its slices are written to before they are imported.
struct Slices {
    dir: tempfile::TempDir,
    store: Store,
}

impl Slices {
    fn new() -> Slices {
        Slices {
            dir: tempfile::tempdir().unwrap_or_else(|e| panic!("{e}")),
            store: Store::open_in_memory().unwrap_or_else(|e| panic!("{e}")),
        }
    }

    /// Imports `text` as the file `name`.
    fn import(&mut self, name: &str, text: &str) {
        import_text(&mut self.store, self.dir.path(), name, text);
    }

    /// Imports [`generated_over`]`(traces, seed, days)` as the file `name`.
    fn generated(&mut self, name: &str, traces: u64, seed: u64, days: u64) {
        self.import(name, &generated_over(traces, seed, days));
    }
}

/// The first trace id of [`generated_over`]'s `seed` (ids are `seed · 10⁶ + n` in hex).
fn first_id(seed: u64) -> String {
    format!("{:032x}", seed * 1_000_000)
}

fn whole_input_tokens(store: &Store, from_cells: bool) -> i64 {
    let figures = if from_cells {
        cells(store, false, Buckets::Whole, None)
    } else {
        reference(store, Buckets::Whole, None)
    };
    figures.values().map(|f| f.input_tokens).sum()
}

fn shift_tokens(store: &Store, below: &str, by: i64) -> usize {
    store
        .conn
        .execute(
            "UPDATE traces SET input_tokens = input_tokens + ?1 WHERE trace_id < ?2",
            rusqlite::params![by, below],
        )
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn slices_overlapping_in_time_add_to_the_cells() {
    let mut slices = Slices::new();
    slices.generated("s1.jsonl", 150, 11, 2);
    assert_everywhere(&slices.store, false, "slice 1");
    // Change slice 1's roll-ups behind the cells' back: if the next import recomputed the
    // cells of its range (the same two days), they would pick the change up.
    let tampered = shift_tokens(&slices.store, &first_id(12), 1000);
    assert_eq!(tampered, 150);
    slices.generated("s2.jsonl", 150, 12, 2);
    assert_eq!(dirty_rows(&slices.store), 0);
    assert_eq!(
        whole_input_tokens(&slices.store, true) + 1000 * 150,
        whole_input_tokens(&slices.store, false),
        "slice 2 added to the cells without recomputing slice 1's"
    );
    shift_tokens(&slices.store, &first_id(12), -1000);
    assert_everywhere(&slices.store, false, "slice 2");
    slices.generated("s3.jsonl", 150, 13, 2);
    assert_eq!(dirty_rows(&slices.store), 0);
    assert_everywhere(&slices.store, false, "slice 3");
    // A re-import changes nothing.
    let before = format!("{:?}", reference(&slices.store, Buckets::Whole, None));
    slices.generated("s2-again.jsonl", 150, 12, 2);
    assert_eq!(
        before,
        format!("{:?}", reference(&slices.store, Buckets::Whole, None))
    );
    assert_everywhere(&slices.store, false, "re-import");
}

#[test]
fn a_slice_extending_earlier_traces_recomputes_their_cells() {
    let mut slices = Slices::new();
    let first = generated_over(150, 21, 2);
    slices.import("s1.jsonl", &first);
    // Slice 2: every LLM call of slice 1 again under a new span id, 7 minutes longer (their
    // traces gain calls and may end later), beside traces new to the store.
    let mut extension = String::new();
    for line in first.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let span = &mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        if span.get("parentSpanId").is_none() {
            continue;
        }
        let id = span["spanId"]
            .as_str()
            .unwrap_or_default()
            .replace('0', "f");
        let end: i64 = span["endTimeUnixNano"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{span}"));
        span["spanId"] = id.into();
        span["endTimeUnixNano"] = (end + 7 * MIN).to_string().into();
        extension.push_str(&v.to_string());
        extension.push('\n');
    }
    assert!(extension.lines().count() > 50);
    let before = whole_input_tokens(&slices.store, false);
    extension.push_str(&generated_over(150, 22, 2));
    slices.import("s2.jsonl", &extension);
    assert!(whole_input_tokens(&slices.store, false) > before);
    assert_eq!(dirty_rows(&slices.store), 0);
    assert_everywhere(&slices.store, false, "extended");
}

#[test]
fn slices_spread_over_a_month_add_alike() {
    let mut slices = Slices::new();
    slices.generated("s1.jsonl", 200, 31, 30);
    slices.generated("s2.jsonl", 200, 32, 30);
    assert_eq!(dirty_rows(&slices.store), 0);
    assert_everywhere(&slices.store, false, "a month");
}

#[test]
fn many_imports_into_the_same_hours_keep_few_parts_per_cell() {
    let mut slices = Slices::new();
    for seed in 40..52 {
        slices.generated(&format!("s{seed}.jsonl"), 100, seed, 1);
    }
    assert_eq!(dirty_rows(&slices.store), 0);
    let most: i64 = slices
        .store
        .conn
        .query_row(
            "SELECT max(n) FROM (SELECT count(*) AS n FROM stats_cells GROUP BY dim, cell_ns, grp)",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        (2..super::MAX_PARTS).contains(&most),
        "{most} parts: appended, and merged before {}",
        super::MAX_PARTS
    );
    assert_everywhere(&slices.store, false, "twelve slices");
}
