//! `trawl::metrics` against hand-computed figures on a constructed store (see stats_store.rs).

use chrono::FixedOffset;
use trawl::metrics::{
    Bucket, BucketStats, CheckWindow, GroupBy, compute_stats, evaluate, nearest_rank, parse_expr,
    percentile_of,
};
use trawl::store::{Store, TraceFilter};

use crate::stats_store::{self, MS, T, memory_store, ns};

fn utc() -> FixedOffset {
    FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn assert_close(a: Option<f64>, b: f64, what: &str) {
    match a {
        Some(a) if close(a, b) => {}
        other => panic!("{what}: got {other:?}, want {b}"),
    }
}

fn daily(store: &Store) -> Vec<BucketStats> {
    compute_stats(store, &TraceFilter::default(), Bucket::Day, None, utc())
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn daily_figures_match_hand_computed_values() {
    let store = memory_store();
    let b = daily(&store);
    assert_eq!(b.len(), 2);
    let (d1, d2) = (&b[0], &b[1]);
    assert_eq!(d1.bucket, "2026-11-02");
    assert_eq!(d1.start_ns, ns("2026-11-02T00:00:00Z"));
    assert_eq!(d1.end_ns, ns("2026-11-03T00:00:00Z"));
    assert_eq!(d1.group, None);
    assert_eq!(d1.traces, 5);
    assert!(close(d1.error_rate, 0.2));
    // Durations 100..500 ms: p50 rank ceil(2.5)=3, p95 rank ceil(4.75)=5, p99 rank 5.
    assert_eq!(d1.latency_p50_ms, Some(300.0));
    assert_eq!(d1.latency_p95_ms, Some(500.0));
    assert_eq!(d1.latency_p99_ms, Some(500.0));
    assert_eq!(d1.llm_latency_p95_ms, Some(450.0));
    // TTFT known on 4 spans (20, 40, 60, 80): p50 on even n is rank 2 = 40 (no interpolation).
    assert_eq!(d1.ttft_p50_ms, Some(40.0));
    assert_eq!((d1.input_tokens, d1.output_tokens), (150, 75));
    assert!(close(d1.cost_usd, 0.12), "known cost only: {}", d1.cost_usd);
    assert_close(d1.cost_per_trace_usd, 0.03, "mean over fully priced traces");
    assert_eq!(d1.unknown_cost_traces, 1);
    assert!(d1.change.is_none(), "first bucket has no change");

    // Day 2: n=2, p50 is the lower value (rank 1), p95/p99 the upper.
    assert_eq!(d2.bucket, "2026-11-03");
    assert_eq!(d2.traces, 2);
    assert!(close(d2.error_rate, 0.5));
    assert_eq!(d2.latency_p50_ms, Some(1000.0));
    assert_eq!(d2.latency_p95_ms, Some(3000.0));
    assert_eq!(d2.latency_p99_ms, Some(3000.0));
    assert_eq!(d2.llm_latency_p95_ms, Some(2000.0));
    assert_eq!(d2.ttft_p50_ms, Some(100.0));
    assert!(close(d2.cost_usd, 0.40));
    assert_close(d2.cost_per_trace_usd, 0.20, "day 2 cost per trace");
    assert_eq!(d2.unknown_cost_traces, 0);

    let c = d2
        .change
        .as_ref()
        .unwrap_or_else(|| panic!("day 2 has a previous day"));
    assert_close(c.traces, -0.6, "traces change");
    assert_close(c.error_rate, 0.3, "error rate change is a difference (pp)");
    assert_close(c.latency_p50_ms, 700.0 / 300.0, "p50 change");
    assert_close(c.latency_p95_ms, 5.0, "p95 change");
    assert_close(c.llm_latency_p95_ms, 2000.0 / 450.0 - 1.0, "llm p95 change");
    assert_close(c.ttft_p50_ms, 1.5, "ttft change");
    assert_close(c.input_tokens, 200.0 / 150.0 - 1.0, "input change");
    assert_close(c.cost_usd, 0.40 / 0.12 - 1.0, "cost change");
    assert_close(
        c.cost_per_trace_usd,
        0.20 / 0.03 - 1.0,
        "cost per trace change",
    );
    assert_close(c.unknown_cost_traces, -1.0, "unknown cost change");
}

#[test]
fn judge_false_rate_uses_latest_judge_verdict_and_excludes_na_and_errors() {
    let store = memory_store();
    let b = daily(&store);
    // Day 1 latest judge verdicts: t1 T, t2 F, t3 NA, t4 T (an older F superseded), t5 error.
    // The human FALSE on t1 is not a judge verdict.
    let g1 = &b[0].rules["grounded"];
    assert_eq!(g1.n, 3);
    assert_close(g1.false_rate, 1.0 / 3.0, "day 1 false rate");
    let g2 = &b[1].rules["grounded"];
    assert_eq!(g2.n, 2);
    assert_close(g2.false_rate, 1.0, "day 2 false rate");
    let ch = &b[1]
        .change
        .as_ref()
        .unwrap_or_else(|| panic!("change"))
        .rules["grounded"];
    assert_close(ch.false_rate, 2.0 / 3.0, "false rate change in points");
    assert_close(ch.n, -1.0 / 3.0, "n change");
}

#[test]
fn judge_cost_is_kept_apart_from_application_cost() {
    let store = memory_store();
    let b = daily(&store);
    // Six judge calls on day 1 (t4 judged twice: both were paid for), two on day 2.
    let judge = |i: usize| b[i].judge_cost_usd.unwrap_or(-1.0);
    assert!(close(judge(0), 0.006), "{:?}", b[0].judge_cost_usd);
    assert!(close(judge(1), 0.002));
    assert!(
        close(b[0].cost_usd, 0.12),
        "judge cost never enters cost_usd"
    );
    let j = serde_json::to_value(&b[0]).unwrap_or_default();
    assert!(close(j["judge_cost_usd"].as_f64().unwrap_or(-1.0), 0.006));
    assert!(close(j["cost_usd"].as_f64().unwrap_or(-1.0), 0.12));
}

#[test]
fn json_fields_are_the_public_names() {
    let store = memory_store();
    let b = daily(&store);
    let j = serde_json::to_value(&b).unwrap_or_default();
    let first = &j[0];
    for k in [
        "bucket",
        "traces",
        "error_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
        "llm_latency_p95_ms",
        "ttft_p50_ms",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "cost_per_trace_usd",
        "unknown_cost_traces",
        "judge_cost_usd",
        "rules",
        "change",
    ] {
        assert!(first.get(k).is_some(), "missing {k}");
    }
    assert!(first.get("group").is_none(), "group only when grouped");
    assert!(first["change"].is_null());
    assert_eq!(first["rules"]["grounded"]["n"], 3);
    let ch = &j[1]["change"];
    for k in [
        "traces",
        "error_rate",
        "latency_p95_ms",
        "cost_per_trace_usd",
        "rules",
    ] {
        assert!(ch.get(k).is_some(), "change.{k}");
    }
    assert!(close(
        ch["rules"]["grounded"]["false_rate"]
            .as_f64()
            .unwrap_or(0.0),
        2.0 / 3.0
    ));
}

#[test]
fn group_by_model_and_tag() {
    let store = memory_store();
    let f = TraceFilter::default();
    let by_model = compute_stats(&store, &f, Bucket::Day, Some(GroupBy::Model), utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(String, String, i64)> = by_model
        .iter()
        .map(|b| {
            (
                b.bucket.clone(),
                b.group.clone().unwrap_or_default(),
                b.traces,
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("2026-11-02".into(), "gpt-4o".into(), 2),
            ("2026-11-02".into(), "gpt-4o-mini".into(), 2),
            ("2026-11-02".into(), "mystery-1".into(), 1),
            ("2026-11-03".into(), "gpt-4o".into(), 2),
        ]
    );
    let mini = &by_model[1];
    assert_eq!(mini.latency_p50_ms, Some(400.0));
    assert_close(mini.cost_per_trace_usd, 0.045, "gpt-4o-mini cost per call");
    let mystery = &by_model[2];
    assert_eq!(mystery.unknown_cost_traces, 1);
    assert_eq!(mystery.cost_per_trace_usd, None);
    // gpt-4o day 2 vs day 1: same trace count, cost 0.40 vs 0.03.
    let c = by_model[3]
        .change
        .as_ref()
        .unwrap_or_else(|| panic!("change"));
    assert_close(c.traces, 0.0, "gpt-4o traces change");
    assert_close(c.cost_usd, 0.40 / 0.03 - 1.0, "gpt-4o cost change");
    assert!(by_model[1].change.is_none());

    let by_tag = compute_stats(&store, &f, Bucket::Week, Some(GroupBy::Tag), utc())
        .unwrap_or_else(|e| panic!("{e}"));
    let rows: Vec<(String, String, i64, f64)> = by_tag
        .iter()
        .map(|b| {
            (
                b.bucket.clone(),
                b.group.clone().unwrap_or_default(),
                b.traces,
                b.cost_usd,
            )
        })
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2),
        ("2026-11-02", "faq", 4)
    );
    assert!(close(rows[0].3, 0.43));
    assert_eq!((rows[1].1.as_str(), rows[1].2), ("refund", 3));
    assert!(close(rows[1].3, 0.09));
    // Judge cost per feature: faq = t1, t2, t6, t7 = 4 calls.
    assert!(close(by_tag[0].judge_cost_usd.unwrap_or(-1.0), 0.004));
    let j = serde_json::to_value(&by_tag[0]).unwrap_or_default();
    assert_eq!(j["group"], "faq");

    let by_name = compute_stats(&store, &f, Bucket::Week, Some(GroupBy::Name), utc())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].group.as_deref(), Some("answer"));
    assert_eq!(by_name[0].traces, 7);
}

#[test]
fn buckets_follow_the_offset_and_weeks_start_monday() {
    let store = memory_store();
    let f = TraceFilter::default();
    let week =
        compute_stats(&store, &f, Bucket::Week, None, utc()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(week.len(), 1);
    assert_eq!(week[0].bucket, "2026-11-02");
    assert_eq!(week[0].traces, 7);
    // Seven durations: p50 rank ceil(3.5)=4 → 400 ms; p95 rank ceil(6.65)=7 → 3 s.
    assert_eq!(week[0].latency_p50_ms, Some(400.0));
    assert_eq!(week[0].latency_p95_ms, Some(3000.0));
    // At -12:00, 10:00Z is 22:00 the day before.
    let west = FixedOffset::west_opt(12 * 3600).unwrap_or_else(|| unreachable!());
    let d = compute_stats(&store, &f, Bucket::Day, None, west).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d[0].bucket, "2026-11-01");
    assert_eq!(d[0].start_ns, ns("2026-11-01T12:00:00Z"));
    let h = compute_stats(&store, &f, Bucket::Hour, None, utc()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].bucket, "2026-11-02T10:00:00Z");
    // The next hour bucket is a day later, not the previous hour: no change.
    assert!(h[1].change.is_none());
}

#[test]
fn nearest_rank_edge_cases_on_the_store() {
    let mut store = trawl::store::Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    let one = T {
        id: "s1",
        start: "2026-11-05T08:00:00Z",
        dur_ms: 250,
        llm_ms: 10,
        ttft_ms: Some(7),
        input: 1,
        output: 1,
        cost: Some(0.5),
        model: "m",
        tag: "x",
        error: false,
    };
    stats_store::write(&mut store, &[one]);
    let b = daily(&store);
    assert_eq!(b.len(), 1);
    // n=1: every percentile is the single value.
    assert_eq!(b[0].latency_p50_ms, Some(250.0));
    assert_eq!(b[0].latency_p95_ms, Some(250.0));
    assert_eq!(b[0].latency_p99_ms, Some(250.0));
    assert_eq!(b[0].ttft_p50_ms, Some(7.0));
    assert!(b[0].rules.is_empty());
    assert_eq!(b[0].judge_cost_usd, Some(0.0));

    assert_eq!(nearest_rank(50, 1), 1);
    assert_eq!(nearest_rank(50, 2), 1);
    assert_eq!(nearest_rank(95, 2), 2);
    assert_eq!(nearest_rank(50, 4), 2);
    assert_eq!(nearest_rank(99, 100), 99);
    assert_eq!(nearest_rank(99, 101), 100);
    assert_eq!(percentile_of(&[5], 99), Some(5));
    assert_eq!(percentile_of(&[9, 3], 50), Some(3));
    assert_eq!(percentile_of(&[4, 1, 3, 2], 50), Some(2));
}

#[test]
fn percentiles_match_an_in_memory_reference_on_many_values() {
    // 101 traces in one day with scrambled durations: SQL ranks must equal the sorted slice.
    let mut store = trawl::store::Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    let starts: Vec<String> = (0..101)
        .map(|i| format!("2026-11-06T{:02}:{:02}:00Z", i / 60, i % 60))
        .collect();
    let ids: Vec<String> = (0..101).map(|i| format!("m{i}")).collect();
    let durs: Vec<i64> = (0..101).map(|i| (i * 37 % 101) + 1).collect();
    let traces: Vec<T> = (0..101)
        .map(|i| T {
            id: Box::leak(ids[i].clone().into_boxed_str()),
            start: Box::leak(starts[i].clone().into_boxed_str()),
            dur_ms: durs[i] * 10,
            llm_ms: durs[i],
            ttft_ms: None,
            input: 1,
            output: 1,
            cost: Some(0.001),
            model: "m",
            tag: "x",
            error: false,
        })
        .collect();
    stats_store::write(&mut store, &traces);
    let b = daily(&store);
    let all: Vec<i64> = durs.iter().map(|d| d * 10 * MS).collect();
    for (p, got) in [
        (50, b[0].latency_p50_ms),
        (95, b[0].latency_p95_ms),
        (99, b[0].latency_p99_ms),
    ] {
        let want = percentile_of(&all, p).map(|v| v as f64 / 1e6);
        assert_eq!(got, want, "p{p}");
    }
    assert_eq!(b[0].latency_p50_ms, Some(510.0));
    assert_eq!(b[0].ttft_p50_ms, None);
}

#[test]
fn checks_evaluate_against_hand_computed_values() {
    let store = memory_store();
    let exprs: Vec<_> = [
        "p50(latency) < 800ms",
        "p95(latency) <= 2s",
        "p99(llm_latency) <= 5s",
        "error_rate < 0.01",
        "traces >= 10",
        "fail_rate(grounded) <= 0.03",
        "cost_per_trace <= 0.05",
        "cost <= 10",
        "p50(ttft) == 60ms",
        "judge_cost != 0",
    ]
    .iter()
    .map(|e| parse_expr(e).unwrap_or_else(|e| panic!("{e}")))
    .collect();
    let w = CheckWindow {
        filter: TraceFilter::default(),
        now_ns: ns("2026-11-27T00:00:00Z"),
    };
    let r = evaluate(&store, &w, &exprs).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(Option<f64>, bool, i64)> = r.iter().map(|r| (r.value, r.ok, r.n)).collect();
    let want: Vec<(f64, bool, i64)> = vec![
        (400.0, true, 7),
        (3000.0, false, 7),
        (2000.0, true, 7),
        (2.0 / 7.0, false, 7),
        (7.0, false, 7),
        (3.0 / 5.0, false, 5),
        (0.52 / 6.0, false, 6),
        (0.52, true, 7),
        // TTFT known on 6 spans: 20 40 60 80 100 300 → rank 3 = 60 ms.
        (60.0, true, 6),
        (0.008, true, 7),
    ];
    for (i, ((v, ok, n), (wv, wok, wn))) in got.iter().zip(want).enumerate() {
        assert!(
            v.is_some_and(|v| close(v, wv)),
            "{}: value {v:?} want {wv}",
            r[i].expr
        );
        assert_eq!((*ok, *n), (wok, wn), "{}", r[i].expr);
    }
    assert_eq!(r[1].metric, "p95(latency)");
    assert_eq!(r[1].op, "<=");
    assert_eq!(r[1].threshold, 2000.0);
}

#[test]
fn change_checks_compare_with_the_previous_window() {
    let store = memory_store();
    let exprs: Vec<_> = [
        "p95(latency) change <= 20%",
        "p95(latency) change <= 600%",
        "error_rate change > 0.25",
        "traces change == -60%",
    ]
    .iter()
    .map(|e| parse_expr(e).unwrap_or_else(|e| panic!("{e}")))
    .collect();
    let w = CheckWindow {
        filter: TraceFilter {
            since_ns: Some(ns("2026-11-03T00:00:00Z")),
            until_ns: Some(ns("2026-11-04T00:00:00Z")),
            ..Default::default()
        },
        now_ns: ns("2026-11-27T00:00:00Z"),
    };
    let r = evaluate(&store, &w, &exprs).unwrap_or_else(|e| panic!("{e}"));
    assert!(r[0].value.is_some_and(|v| close(v, 5.0)));
    assert!(!r[0].ok);
    assert!(r[1].ok);
    assert!(
        r[2].value.is_some_and(|v| close(v, 0.3)),
        "{:?}",
        r[2].value
    );
    assert!(r[2].ok);
    assert!(r[3].ok, "{:?}", r[3].value);
    assert_eq!(r[0].metric, "p95(latency) change");
    // A window whose previous window is empty has no change.
    let w = CheckWindow {
        filter: TraceFilter {
            since_ns: Some(ns("2026-11-02T00:00:00Z")),
            until_ns: Some(ns("2026-11-03T00:00:00Z")),
            ..Default::default()
        },
        now_ns: 0,
    };
    let r = evaluate(&store, &w, &exprs[..1]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r[0].value, None);
    assert!(!r[0].ok);
    assert!(
        r[0].no_data
            .as_deref()
            .unwrap_or("")
            .contains("previous window")
    );
}
