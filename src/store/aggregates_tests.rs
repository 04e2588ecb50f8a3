//! The statistics cells give exactly the span path's figures: on varied imported data (groups,
//! calls starting a day after their trace, offsets in quarter hours), after a later import
//! rewrites spans, with replays hidden, with judge verdicts, read before and after the dirty
//! cells are recomputed, and on a store migrated from before the cells existed.

use super::*;
use crate::import::{ImportOptions, import_file};
use crate::metrics::Bucket;
use crate::store::stats::{BucketFigures, NO_GROUP, Ranked, WantedPercentiles, figures_of};
use chrono::FixedOffset;
use std::collections::BTreeMap as Map;
use std::path::Path;

/// 2026-03-20T00:00:00Z
const T0: i64 = 1_773_964_800_000_000_000;
pub(in crate::store) const MIN: i64 = 60_000_000_000;

fn wanted() -> WantedPercentiles {
    WantedPercentiles {
        latency: vec![50, 95, 99],
        llm: vec![50, 95],
        ttft: vec![50, 90],
    }
}

/// A small deterministic generator (64-bit LCG), so the data varies without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

fn attr(key: &str, value: &str) -> String {
    format!(r#"{{"key":"{key}","value":{value}}}"#)
}

fn text(s: &str) -> String {
    format!(r#"{{"stringValue":"{s}"}}"#)
}

/// One OTLP/JSON line holding one span.
#[allow(clippy::too_many_arguments)]
fn span_line(
    trace: &str,
    span: &str,
    parent: Option<&str>,
    service: &str,
    start: i64,
    end: i64,
    error: bool,
    attrs: &[String],
) -> String {
    let parent = parent.map_or(String::new(), |p| format!(r#""parentSpanId":"{p}","#));
    let status = if error { r#"{"code":2}"# } else { "{}" };
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{}]}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{{"traceId":"{trace}","spanId":"{span}",{parent}"name":"n-{span}","kind":1,"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}","attributes":[{}],"status":{status}}}]}}]}}]}}"#,
        attr("service.name", &text(service)),
        attrs.join(",")
    ) + "\n"
}

/// `traces` traces over ten days: a root chain span (name, user, tags) and 0–3 LLM calls
/// (model, tokens, sometimes a time to first token) starting up to two hours after the root,
/// so some calls fall in the next day.
fn generated(traces: u64, seed: u64) -> String {
    generated_over(traces, seed, 10)
}

/// [`generated`] over `days` days from [`T0`].
pub(in crate::store) fn generated_over(traces: u64, seed: u64, days: u64) -> String {
    let mut rng = Lcg(seed);
    let mut out = String::new();
    for t in 0..traces {
        let trace = format!("{:032x}", seed * 1_000_000 + t);
        let root = format!("{:016x}", t * 16 + 1);
        let start = T0 + (rng.next(days * 24 * 60) as i64) * MIN + rng.next(MIN as u64) as i64;
        let mut end = start + rng.next(5_000) as i64 * 1_000_000;
        let mut root_attrs = vec![attr("openinference.span.kind", &text("CHAIN"))];
        if rng.next(4) > 0 {
            root_attrs.push(attr("user.id", &text(&format!("user-{}", rng.next(4)))));
        }
        let tags: Vec<String> = ["a", "b", "c"]
            .iter()
            .filter(|_| rng.next(2) == 0)
            .map(|t| text(t))
            .collect();
        if !tags.is_empty() {
            root_attrs.push(attr(
                "tag.tags",
                &format!(r#"{{"arrayValue":{{"values":[{}]}}}}"#, tags.join(",")),
            ));
        }
        let service = ["bot", "api"][rng.next(2) as usize];
        let mut lines = Vec::new();
        for c in 0..rng.next(4) {
            let cs = start + rng.next(120) as i64 * MIN;
            let ce = cs + rng.next(9_000) as i64 * 1_000_000;
            end = end.max(ce);
            let model =
                ["gpt-4o-2024-08-06", "GPT-4o-mini", "claude-3-5-sonnet"][rng.next(3) as usize];
            let mut a = vec![
                attr("openinference.span.kind", &text("LLM")),
                attr("llm.model_name", &text(model)),
                attr(
                    "llm.token_count.prompt",
                    &format!(r#"{{"intValue":"{}"}}"#, rng.next(900)),
                ),
                attr(
                    "llm.token_count.completion",
                    &format!(r#"{{"intValue":"{}"}}"#, rng.next(300)),
                ),
            ];
            if rng.next(2) == 0 {
                a.push(attr(
                    "gen_ai.response.time_to_first_chunk",
                    &format!(r#"{{"doubleValue":{}}}"#, rng.next(2_000) as f64 / 1000.0),
                ));
            }
            let id = format!("{:016x}", t * 16 + 2 + c);
            lines.push(span_line(
                &trace,
                &id,
                Some(&root),
                service,
                cs,
                ce,
                rng.next(9) == 0,
                &a,
            ));
        }
        let error = rng.next(7) == 0;
        lines.insert(
            0,
            span_line(&trace, &root, None, service, start, end, error, &root_attrs),
        );
        out.extend(lines);
    }
    out
}

pub(in crate::store) fn import_text(store: &mut Store, dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    let r = import_file(store, &path, ImportOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert!(r.bad_lines.is_empty(), "{:?}", r.bad_lines);
}

fn tz(secs: i32) -> FixedOffset {
    FixedOffset::east_opt(secs).unwrap_or_else(|| panic!("offset {secs}"))
}

/// Every bucketing the cells answer: hours, days and ISO weeks in UTC and at offsets of whole
/// hours, half and quarter hours, east and west; and the whole store.
fn bucketings() -> Vec<Buckets> {
    let mut out = vec![Buckets::Whole];
    for b in Bucket::ALL {
        for secs in [0, 3_600, -12_600, 20_700, 34_200] {
            out.push(b.store_buckets(tz(secs)));
        }
    }
    out
}

/// Every grouping the cells answer (all but users, which read the spans: see `DIMS`).
fn groupings() -> Vec<Option<GroupBy>> {
    std::iter::once(None)
        .chain(GroupBy::ALL.into_iter().map(Some))
        .filter(|g| *g != Some(GroupBy::User))
        .collect()
}

pub(in crate::store) fn reference(
    store: &Store,
    b: Buckets,
    g: Option<GroupBy>,
) -> Map<(i64, String), BucketFigures> {
    let has = store.has_replays().unwrap_or_else(|e| panic!("{e}"));
    let p = scan(
        &store.conn,
        &TraceFilter::default(),
        b,
        g,
        SeriesWanted::ALL,
        None,
        has,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    figures_of(p, &wanted())
}

pub(in crate::store) fn cells(
    store: &Store,
    writable: bool,
    b: Buckets,
    g: Option<GroupBy>,
) -> Map<(i64, String), BucketFigures> {
    let has = store.has_replays().unwrap_or_else(|e| panic!("{e}"));
    let p = from_cells(
        &store.conn,
        writable,
        &TraceFilter::default(),
        b,
        g,
        SeriesWanted::ALL,
        has,
    )
    .unwrap_or_else(|e| panic!("{e}"))
    .unwrap_or_else(|| panic!("{b:?} {g:?}: the cells should answer"));
    figures_of(p, &wanted())
}

/// Float sums are added cell by cell, each with its rounding error: the same float as the
/// span path's one pass, not merely a close one.
fn close(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits()
}

fn same_ranked(a: &Ranked, b: &Ranked) -> bool {
    a == b
}

/// Every figure exactly, float sums to the bit.
fn assert_same(
    what: &str,
    got: &Map<(i64, String), BucketFigures>,
    want: &Map<(i64, String), BucketFigures>,
) {
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "{what}: buckets"
    );
    for (k, w) in want {
        let g = &got[k];
        let ok = g.traces == w.traces
            && g.errors == w.errors
            && g.llm_calls == w.llm_calls
            && g.llm_errors == w.llm_errors
            && g.input_tokens == w.input_tokens
            && g.output_tokens == w.output_tokens
            && close(g.cost_known, w.cost_known)
            && g.cost_full_n == w.cost_full_n
            && close(g.cost_full_sum, w.cost_full_sum)
            && g.unknown_cost_traces == w.unknown_cost_traces
            && close(g.judge_cost, w.judge_cost)
            && g.judge_cost_unknown == w.judge_cost_unknown
            && same_ranked(&g.latency, &w.latency)
            && same_ranked(&g.llm, &w.llm)
            && same_ranked(&g.ttft, &w.ttft)
            && g.rules == w.rules;
        assert!(ok, "{what} {k:?}:\n cells {g:?}\n spans {w:?}");
    }
}

/// Cells == span path for every bucketing and grouping.
pub(in crate::store) fn assert_everywhere(store: &Store, writable: bool, what: &str) {
    for b in bucketings() {
        for g in groupings() {
            let want = reference(store, b, g);
            let got = cells(store, writable, b, g);
            assert_same(&format!("{what} {b:?} {g:?}"), &got, &want);
        }
    }
}

pub(in crate::store) fn dirty_rows(store: &Store) -> i64 {
    store
        .conn
        .query_row("SELECT count(*) FROM stats_dirty", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn seeded_store() -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    import_text(&mut store, d.path(), "a.jsonl", &generated(300, 7));
    (d, store)
}

#[test]
fn cells_equal_the_span_path_on_varied_data() {
    let (_d, store) = seeded_store();
    assert_eq!(
        dirty_rows(&store),
        0,
        "the import leaves its cells computed"
    );
    let cells: i64 = store
        .conn
        .query_row("SELECT count(*) FROM stats_cells", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cells > 100, "{cells} cells");
    // The data has what the comparison should exercise.
    let day = Bucket::Day.store_buckets(tz(0));
    let by_model = reference(&store, day, Some(GroupBy::Model));
    assert!(by_model.keys().any(|(_, g)| g == NO_GROUP));
    assert!(by_model.values().any(|f| f.ttft.n > 0 && f.errors > 0));
    assert_everywhere(&store, true, "fresh import");
}

#[test]
fn a_later_import_rewriting_spans_moves_their_figures() {
    let (d, mut store) = seeded_store();
    // Every span of the first trace moves three days later (its old cells must lose it, and
    // the new range does not cover the old one), the calls of the second one get longer, and
    // a second batch of traces lands among the first.
    let text = generated(300, 7);
    let mut rewritten = String::new();
    let mut traces_seen: Vec<String> = Vec::new();
    for line in text.lines() {
        let mut v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}"));
        let span = &mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        let trace = span["traceId"].as_str().unwrap_or_default().to_string();
        if !traces_seen.contains(&trace) {
            traces_seen.push(trace);
        }
        let ns = |s: &serde_json::Value| -> i64 {
            s.as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{s}"))
        };
        let (start, end) = (ns(&span["startTimeUnixNano"]), ns(&span["endTimeUnixNano"]));
        let (start, end) = match traces_seen.len() {
            1 => (start + 3 * 24 * 60 * MIN, end + 3 * 24 * 60 * MIN),
            2 if span.get("parentSpanId").is_some() => (start, end + 7 * MIN),
            _ => break,
        };
        span["startTimeUnixNano"] = start.to_string().into();
        span["endTimeUnixNano"] = end.to_string().into();
        rewritten.push_str(&v.to_string());
        rewritten.push('\n');
    }
    let before = reference(&store, Buckets::Whole, None);
    import_text(&mut store, d.path(), "b.jsonl", &rewritten);
    assert_everywhere(&store, true, "after a rewrite");
    import_text(&mut store, d.path(), "c.jsonl", &generated(120, 8));
    assert_ne!(
        format!("{before:?}"),
        format!("{:?}", reference(&store, Buckets::Whole, None)),
        "the rewrite changes the figures"
    );
    assert_eq!(dirty_rows(&store), 0);
    assert_everywhere(&store, true, "after another import");
}

#[test]
fn replays_and_judge_verdicts_read_alike_before_and_after_the_cells_are_recomputed() {
    let (_d, store) = seeded_store();
    let ids: Vec<String> = {
        let mut st = store
            .conn
            .prepare("SELECT trace_id FROM traces ORDER BY trace_id LIMIT 24")
            .unwrap_or_else(|e| panic!("{e}"));
        st.query_map([], |r| r.get(0))
            .and_then(|rows| rows.collect())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Two replays (hidden from the statistics) and judge verdicts, one superseded, some
    // without a price.
    for id in &ids[..2] {
        store
            .conn
            .execute(
                "INSERT INTO replays(trace_id, replay_of_trace, replay_of_span, created_at_ns) VALUES (?1, ?2, 'x', 0)",
                [id, &ids[23]],
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (i, id) in ids[2..].iter().enumerate() {
        for (rule, verdict) in [
            ("grounded", ["true", "false", "na"][i % 3]),
            ("polite", "true"),
        ] {
            store
                .conn
                .execute(
                    "INSERT INTO scores(trace_id, name, verdict, source, cost_usd, created_at_ns)
                     VALUES (?1, ?2, ?3, 'judge', CASE WHEN ?4 % 5 = 0 THEN NULL ELSE 0.0003 END, 0)",
                    rusqlite::params![id, rule, verdict, i as i64],
                )
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    store
        .conn
        .execute(
            "INSERT INTO scores(trace_id, name, verdict, source, cost_usd, created_at_ns) VALUES (?1, 'grounded', 'false', 'judge', 0.001, 1)",
            [&ids[5]],
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        dirty_rows(&store) > 0,
        "replays and verdicts mark their cells"
    );
    let day = Bucket::Day.store_buckets(tz(0));
    assert!(
        reference(&store, day, None)
            .values()
            .any(|f| f.rules.get("grounded").is_some_and(|r| r.0 > 0))
    );
    // Read-only: the dirty cells are computed from the spans on the fly.
    assert_everywhere(&store, false, "dirty, read-only");
    assert!(dirty_rows(&store) > 0);
    // Writable: recomputed once, then read from the cells.
    assert_everywhere(&store, true, "recomputed");
    assert_eq!(dirty_rows(&store), 0);
}

#[test]
fn filters_and_odd_offsets_take_the_span_path() {
    let (_d, store) = seeded_store();
    let day = Bucket::Day.store_buckets(tz(0));
    let filtered = TraceFilter {
        user: Some("user-1".into()),
        ..Default::default()
    };
    let with_replays = TraceFilter {
        replays: true,
        ..Default::default()
    };
    for (f, b) in [
        (&filtered, day),
        (&with_replays, day),
        (
            &TraceFilter::default(),
            Bucket::Day.store_buckets(tz(20 * 60)),
        ),
    ] {
        let got = from_cells(&store.conn, true, f, b, None, SeriesWanted::ALL, false)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(got.is_none(), "{f:?} {b:?}");
    }
    // Users are not kept in cells: `--group-by user` reads the spans, with the same figures.
    let by_user = from_cells(
        &store.conn,
        true,
        &TraceFilter::default(),
        day,
        Some(GroupBy::User),
        SeriesWanted::ALL,
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(by_user.is_none());
    assert!(
        !store
            .bucket_figures(&TraceFilter::default(), day, Some(GroupBy::User), &wanted())
            .unwrap_or_else(|e| panic!("{e}"))
            .is_empty()
    );
    // And the public entry point still answers them, from the spans.
    let figures = store
        .bucket_figures(&filtered, day, None, &wanted())
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!figures.is_empty());
}

#[test]
fn a_store_from_before_the_cells_gets_them_from_the_migration() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("old.db");
    {
        let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
        import_text(&mut store, d.path(), "a.jsonl", &generated(200, 9));
        // Back to schema 3: no cells, no triggers.
        store
            .conn
            .execute_batch(
                "DROP TABLE stats_cells; DROP TABLE stats_rule_cells; DROP TABLE stats_dirty;
                 DROP TRIGGER stats_dirty_score_new; DROP TRIGGER stats_dirty_score_gone;
                 DROP TRIGGER stats_dirty_score_changed; DROP TRIGGER stats_dirty_replay_new;
                 DROP TRIGGER stats_dirty_replay_gone; PRAGMA user_version = 3;",
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dirty_rows(&store), 0, "the migration computed the cells");
    let cells: i64 = store
        .conn
        .query_row("SELECT count(*) FROM stats_cells", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(cells > 0);
    assert_everywhere(&store, false, "migrated");
}

/// Appends of `size` values each, merged as the writer merges them: returns the most parts a
/// cell held and how many times a value was rewritten on average.
fn simulate_appends(appends: usize, size: impl Fn(usize) -> i64) -> (usize, f64) {
    let mut parts: Vec<i64> = Vec::new();
    let (mut most, mut rewritten, mut total) = (0, 0i64, 0i64);
    for a in 0..appends {
        parts.push(size(a));
        total += size(a);
        if parts.len() as i64 >= super::super::cell_delta::MAX_PARTS
            && let Some(from) = super::tail_to_merge(&parts)
        {
            let merged: i64 = parts.drain(from..).sum();
            rewritten += merged;
            parts.push(merged);
        }
        most = most.max(parts.len());
    }
    (most, rewritten as f64 / total as f64)
}

#[test]
fn a_cell_filled_by_many_commits_keeps_few_parts_and_rewrites_each_value_a_few_times() {
    // A live receiver's current cell: one part per commit, for an hour of commits.
    let (most, rewrites) = simulate_appends(20_000, |_| 340);
    assert!(most <= 20, "{most} parts");
    // Merging every part each time rewrote each value about appends / MAX_PARTS / 2 times.
    assert!(rewrites < 16.0, "each value rewritten {rewrites:.1} times");
    let (most, rewrites) = simulate_appends(5_000, |a| [1, 900, 40, 3][a % 4]);
    assert!(most <= 20, "uneven sizes: {most} parts");
    assert!(rewrites < 16.0, "uneven sizes: {rewrites:.1} rewrites");
}

#[test]
fn only_parts_no_bigger_than_what_follows_them_are_merged() {
    assert_eq!(super::tail_to_merge(&[1000, 12, 5, 5]), Some(2));
    assert_eq!(super::tail_to_merge(&[1000, 10, 5, 4]), None);
    assert_eq!(super::tail_to_merge(&[1000, 10, 5, 5]), Some(1));
    assert_eq!(super::tail_to_merge(&[7, 1, 1, 1, 1, 1, 1, 1]), Some(0));
    assert_eq!(super::tail_to_merge(&[9, 1, 1, 1, 1, 1, 1, 1]), Some(1));
    assert_eq!(super::tail_to_merge(&[5]), None);
    assert_eq!(super::tail_to_merge(&[]), None);
}
