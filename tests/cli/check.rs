//! `trawl check` and `trawl stats` through the real binary: exit codes, caret messages, empty
//! windows, JSON shapes.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::stats_store;
use crate::util::{Trawl, fixture_store, streams as text};

/// The hand-made stats store (see stats_store.rs) in `dir`.
fn store_file(dir: &Path) -> PathBuf {
    let p = dir.join("t.db");
    let mut s = trawl::store::Store::open(&p).unwrap_or_else(|e| panic!("{e}"));
    stats_store::build(&mut s);
    drop(s);
    p
}

/// The sandboxed binary (home: the store's directory) on 2026-11-04, with `--store STORE`.
fn trawl(store: &Path, args: &[&str]) -> Output {
    Trawl::new(store.parent().unwrap_or(store))
        .now("2026-11-04T00:00:00Z")
        .args(args)
        .arg("--store")
        .arg(store)
        .output()
}

#[test]
fn exit_codes_pass_fail_usage() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());

    let o = trawl(
        &db,
        &[
            "check",
            "p50(latency) < 800ms",
            "p99(llm_latency) <= 5s",
            "cost <= 10",
            "traces >= 7",
        ],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    assert!(out.contains("PASS"), "{out}");
    assert!(out.contains("400ms"), "value is shown: {out}");
    assert!(!out.contains("FAIL"));

    let o = trawl(
        &db,
        &["check", "p50(latency) < 800ms", "p95(latency) <= 2s"],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        out.contains("FAIL") && out.contains("3.00s") && out.contains("2.00s"),
        "{out}"
    );

    let o = trawl(&db, &["check", "p95(latency) <== 2s"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(2), "{out}{err}");
    assert!(
        err.contains("p95(latency) <== 2s\n               ^ expected a number"),
        "caret under the offending column: {err}"
    );

    let o = trawl(&db, &["check", "p95(latncy) <= 2s"]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("p95(latncy) <= 2s\n    ^ expected latency, llm_latency or ttft"),
        "{err}"
    );

    // Usage errors from clap (no expression) are 2 as well.
    let o = trawl(&db, &["check"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_operator_through_the_binary() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    // traces = 7 in the store.
    let cases = [
        ("traces < 8", 0),
        ("traces < 7", 1),
        ("traces <= 7", 0),
        ("traces <= 6", 1),
        ("traces > 6", 0),
        ("traces > 7", 1),
        ("traces >= 7", 0),
        ("traces >= 8", 1),
        ("traces == 7", 0),
        ("traces == 6", 1),
        ("traces != 6", 0),
        ("traces != 7", 1),
    ];
    for (expr, code) in cases {
        let o = trawl(&db, &["check", expr]);
        let (out, err) = text(&o);
        assert_eq!(o.status.code(), Some(code), "{expr}: {out}{err}");
    }
}

#[test]
fn rates_accept_fractions_and_percentages() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    // fail_rate(grounded) = 3/5 = 60%; error_rate = 2/7.
    for (expr, code) in [
        ("fail_rate(grounded) <= 0.6", 0),
        ("fail_rate(grounded) <= 60%", 0),
        ("fail_rate(grounded) < 59%", 1),
        ("error_rate < 0.3", 0),
        ("error_rate < 28%", 1),
    ] {
        let o = trawl(&db, &["check", expr]);
        assert_eq!(o.status.code(), Some(code), "{expr}: {:?}", text(&o));
    }
}

#[test]
fn empty_window_is_not_a_pass_unless_allowed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    let o = trawl(&db, &["check", "--on", "2026-12-01", "error_rate < 0.01"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("no traces in the window"), "{out}");
    assert!(out.contains("--allow-empty"), "{out}");

    let o = trawl(
        &db,
        &[
            "check",
            "--on",
            "2026-12-01",
            "--allow-empty",
            "error_rate < 0.01",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));

    // A rule without verdicts is also "no data".
    let o = trawl(&db, &["check", "fail_rate(polite) <= 0.1"]);
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
}

#[test]
fn change_uses_the_previous_window_of_the_same_length() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    // Nov 3 vs Nov 2: p95 500 ms → 3 s = +500%.
    let o = trawl(
        &db,
        &["check", "--on", "2026-11-03", "p95(latency) change <= 20%"],
    );
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(out.contains("+500.0%"), "{out}");
    let o = trawl(
        &db,
        &["check", "--on", "2026-11-03", "p95(latency) change <= 500%"],
    );
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    // No time filter: last 7 days (TRAWL_NOW = Nov 4) vs the 7 before, which are empty.
    let o = trawl(&db, &["check", "p95(latency) change <= 500%"]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("previous window"), "{out}");
}

#[test]
fn check_json_shape() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    let o = trawl(
        &db,
        &[
            "check",
            "--json",
            "p95(latency) <= 2s",
            "cost_per_trace <= 0.05",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    let a = v.as_array().unwrap_or_else(|| panic!("array"));
    assert_eq!(a.len(), 2);
    let keys: Vec<&str> = a[0]
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let mut keys = keys;
    keys.sort_unstable();
    assert_eq!(
        keys,
        ["expr", "metric", "n", "ok", "op", "threshold", "value"]
    );
    assert_eq!(a[0]["expr"], "p95(latency) <= 2s");
    assert_eq!(a[0]["metric"], "p95(latency)");
    assert_eq!(a[0]["value"], 3000.0);
    assert_eq!(a[0]["threshold"], 2000.0);
    assert_eq!(a[0]["op"], "<=");
    assert_eq!(a[0]["ok"], false);
    assert_eq!(a[0]["n"], 7);
}

#[test]
fn stats_json_and_text() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = store_file(dir.path());
    let o = trawl(&db, &["stats", "--by", "day", "--json"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let b = v["buckets"].as_array().unwrap_or_else(|| panic!("buckets"));
    assert_eq!(b.len(), 2);
    assert_eq!(b[0]["bucket"], "2026-11-02");
    assert_eq!(b[0]["latency_p50_ms"], 300.0);
    assert!(b[0]["change"].is_null());
    assert_eq!(b[1]["change"]["latency_p95_ms"], 5.0);

    let o = trawl(&db, &["stats", "--by", "day"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(
        out.contains("2026-11-02") && out.contains("+500%") && out.contains("+30.0pp"),
        "{out}"
    );
    assert!(out.contains("grounded 33.3% false (n=3)"), "{out}");

    let o = trawl(
        &db,
        &["stats", "--by", "week", "--group-by", "tag", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["buckets"][0]["group"], "faq");

    let o = trawl(&db, &["stats", "--help"]);
    let (out, _) = text(&o);
    assert!(
        out.contains("nearest-rank") && out.contains("never estimated"),
        "{out}"
    );

    let o = trawl(&db, &["stats", "--tz", "Mars/Base"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn stats_on_the_real_fixture_by_week() {
    let fx = fixture_store();
    let db = &fx.path;
    let o = trawl(db, &["stats", "--by", "week", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", text(&o)));
    let b = v["buckets"].as_array().unwrap_or_else(|| panic!("buckets"));
    let labels: Vec<&str> = b.iter().filter_map(|x| x["bucket"].as_str()).collect();
    let total: i64 = b.iter().filter_map(|x| x["traces"].as_i64()).sum();
    assert_eq!(total, 40);
    assert_eq!(labels, WEEKS);
}

/// The capture runs from Monday 2026-10-26 11:19 UTC to Sunday 2026-11-15 16:24 UTC: three
/// Monday-based weeks, not four.
const WEEKS: &[&str] = &["2026-10-26", "2026-11-02", "2026-11-09"];
