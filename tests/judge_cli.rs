//! `trawl judge` end to end: the real binary against a local OpenAI-compatible server.

mod judge_common;

use judge_common::store;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use trawl::judge::testserver::{Response, TestServer};

/// The binary with a private environment: no user config, logs or store leak in or out.
fn trawl(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("OPENAI_API_KEY", "sk-dummy-never-printed")
        .env_remove("TRAWL_STORE")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn judge_one_trace_then_find_it_with_traces_verdict_filter() {
    let (dir, db, st, ids) = store();
    drop(st);
    let srv = TestServer::start(|_, _| {
        Response::openai_verdict(
            "FALSE",
            "kb-ship-01 says free only over $50; the answer says always free.",
        )
    })
    .unwrap();
    let db = db.to_str().unwrap();
    let base = srv.base_url();
    let trace = &ids[0][..12];
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db,
            "--base-url",
            &base,
            "--model",
            "judge-model",
            "--rule",
            "grounded",
            "--trace",
            trace,
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("FALSE 1"), "{out}");
    assert!(!out.contains("sk-dummy"), "the key is never printed");
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        reqs[0].header("authorization"),
        Some("Bearer sk-dummy-never-printed")
    );
    assert_eq!(reqs[0].json()["model"], "judge-model");

    // Re-running costs nothing: zero requests, reported as cached.
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db,
            "--base-url",
            &base,
            "--model",
            "judge-model",
            "--rule",
            "grounded",
            "--trace",
            trace,
            "--yes",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(s["cached"], 1, "{s}");
    assert_eq!(s["false"], 1);
    assert_eq!(s["results"][0]["trace_id"], ids[0].as_str());
    assert_eq!(srv.request_count(), 1);

    // The verdict shows in the list's `scores` object…
    let o = trawl(
        dir.path(),
        &["traces", "--store", db, "--json", "--limit", "100"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = v
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["trace_id"] == ids[0].as_str())
        .unwrap();
    assert_eq!(row["scores"]["grounded"]["verdict"], "false", "{row}");

    // …and the --verdict filter finds exactly that trace.
    let o = trawl(
        dir.path(),
        &[
            "traces",
            "--store",
            db,
            "--verdict",
            "grounded=false",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 1, "{v}");
    assert_eq!(arr[0]["trace_id"], ids[0].as_str());
    assert_eq!(arr[0]["scores"]["grounded"]["verdict"], "false");
}

#[test]
fn unauthorized_exits_1_with_a_clear_message() {
    let (dir, db, _st, _ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::json(
            401,
            json!({"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}),
        )
    })
    .unwrap();
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db.to_str().unwrap(),
            "--base-url",
            &srv.base_url(),
            "--model",
            "judge-model",
            "--rule",
            "answered",
            "--limit",
            "5",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("paused") && err.contains("401") && err.contains("OPENAI_API_KEY"),
        "{err}"
    );
    assert!(!err.contains("sk-dummy"));
}

#[test]
fn unknown_rule_is_a_usage_error_listing_known_rules() {
    let (dir, db, _st, _ids) = store();
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db.to_str().unwrap(),
            "--rule",
            "grounded,nonsense",
            "--yes",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("nonsense") && err.contains("answered, grounded, escalated"),
        "{err}"
    );

    let o = trawl(dir.path(), &["judge", "--list-rules"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for id in ["answered", "grounded", "escalated"] {
        assert!(out.contains(id), "{out}");
    }
}

#[test]
fn official_api_without_key_is_refused_and_unattended_costly_runs_need_yes() {
    let (dir, db, _st, _ids) = store();
    let db = db.to_str().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(["judge", "--store", db, "--rule", "grounded", "--yes"])
        .env("XDG_CONFIG_HOME", dir.path().join("config"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("OPENAI_API_KEY"));

    // A priced model whose estimate is ≥ $1 is not started without --yes when stdin is no TTY.
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db,
            "--base-url",
            &srv.base_url(),
            "--model",
            "o1",
            "--rule",
            "grounded,answered,escalated",
            "--samples",
            "5",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--yes"),
        "{}",
        text(&o)
    );
    assert_eq!(srv.request_count(), 0);
}

/// The binary with `key` in OPENAI_API_KEY instead of the usual dummy.
fn trawl_with_key(home: &Path, key: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_trawl"))
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("OPENAI_API_KEY", key)
        .env_remove("TRAWL_STORE")
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .unwrap()
}

fn judge_args<'a>(db: &'a str, base: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "judge",
        "--store",
        db,
        "--base-url",
        base,
        "--model",
        "judge-model",
        "--rule",
        "answered",
        "--yes",
        "--retry-base-ms",
        "1",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn case3_timeout_out_of_range_is_a_usage_error_and_huge_retry_after_loses_nothing() {
    let (dir, db, _st, _ids) = store();
    let db = db.to_str().unwrap();
    let srv = TestServer::start(|_, n| {
        if n == 0 {
            Response::json(429, json!({"error": {"message": "slow down"}}))
                .with_header("retry-after", "1e20")
        } else {
            Response::openai_verdict("TRUE", "fine")
        }
    })
    .unwrap();
    let base = srv.base_url();
    for bad in ["1e30", "0", "-1", "NaN", "inf"] {
        let flag = format!("--timeout={bad}");
        let o = trawl(dir.path(), &judge_args(db, &base, &[&flag]));
        assert_eq!(o.status.code(), Some(2), "--timeout {bad}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--timeout") && !err.contains("panicked"),
            "{err}"
        );
    }
    let o = trawl(
        dir.path(),
        &judge_args(db, &base, &["--max-retry-wait", "1e30"]),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(srv.request_count(), 0);

    let o = trawl(
        dir.path(),
        &judge_args(
            db,
            &base,
            &[
                "--limit",
                "3",
                "--concurrency",
                "1",
                "--max-retry-wait",
                "0.05",
                "--json",
            ],
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("panicked"),
        "{}",
        text(&o)
    );
    let s: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        (s["judged"].as_u64(), s["true"].as_u64()),
        (Some(3), Some(3)),
        "{s}"
    );
    assert_eq!(srv.request_count(), 4);
}

#[test]
fn case12_exit_1_when_every_verdict_errored_and_help_says_so() {
    let (dir, db, _st, _ids) = store();
    let db = db.to_str().unwrap();
    let srv = TestServer::start(|_, _| Response::json(500, json!({"error": {"message": "boom"}})))
        .unwrap();
    let base = srv.base_url();
    let o = trawl(dir.path(), &judge_args(db, &base, &["--limit", "3"]));
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("errors 3") && out.contains("gave up"), "{out}");

    // One good verdict among errors: the judge works, the run completed.
    let mixed = TestServer::start(|_, n| {
        if n == 0 {
            Response::openai_verdict("TRUE", "fine")
        } else {
            Response::json(500, json!({"error": {"message": "boom"}}))
        }
    })
    .unwrap();
    let o = trawl(
        dir.path(),
        &judge_args(
            db,
            &mixed.base_url(),
            &["--limit", "3", "--concurrency", "1", "--force"],
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = trawl(dir.path(), &["judge", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(help.contains("--max-retry-wait"), "{help}");
    assert!(
        help.contains("every verdict the run asked the judge for"),
        "{help}"
    );
}

#[test]
fn case13_an_echoed_key_is_neither_printed_nor_stored() {
    const KEY: &str = "sk-proj-HARDENINGSECRET0123456789";
    let (dir, db, st, ids) = store();
    drop(st);
    let dbs = db.to_str().unwrap();
    let answer = TestServer::start(|r, _| {
        let auth = r.header("authorization").unwrap_or("");
        Response::openai_verdict("FALSE", &format!("your header was {auth}"))
    })
    .unwrap();
    let o = trawl_with_key(
        dir.path(),
        KEY,
        &judge_args(dbs, &answer.base_url(), &["--limit", "2"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("[redacted key]"), "{}", text(&o));
    assert!(!text(&o).contains(&KEY[..12]), "{}", text(&o));

    let err = TestServer::start(|r, _| {
        let auth = r.header("authorization").unwrap_or("");
        Response::json(
            401,
            json!({"error": {"message": format!("invalid key: {auth}")}}),
        )
    })
    .unwrap();
    let o = trawl_with_key(
        dir.path(),
        KEY,
        &judge_args(dbs, &err.base_url(), &["--limit", "1", "--force"]),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(!text(&o).contains(&KEY[..12]), "{}", text(&o));

    let st = trawl::store::Store::open(&db).unwrap();
    let rows = st
        .latest_scores(&ids, trawl::model::ScoreSource::Judge)
        .unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert!(!format!("{r:?}").contains(&KEY[..12]), "{r:?}");
    }
}

#[test]
fn case13_plain_http_to_another_host_warns_and_needs_confirmation() {
    let (dir, db, _st, _ids) = store();
    let db = db.to_str().unwrap();
    let remote = "http://192.0.2.1:9/v1";
    // No terminal and no --yes: refused before anything is sent.
    let o = trawl(
        dir.path(),
        &[
            "judge",
            "--store",
            db,
            "--base-url",
            remote,
            "--rule",
            "answered",
            "--limit",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("plain http") && err.contains("192.0.2.1"),
        "{err}"
    );
    assert!(!err.contains("judging:"), "nothing was sent: {err}");

    // --yes still warns, then goes ahead (and fails fast: nothing listens there).
    let o = trawl(
        dir.path(),
        &judge_args(db, remote, &["--limit", "1", "--timeout", "0.2"]),
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("warning") && err.contains("plain http"),
        "{}",
        text(&o)
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "every verdict errored: {}",
        text(&o)
    );

    // Loopback is exempt: no warning.
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let o = trawl(
        dir.path(),
        &judge_args(db, &srv.base_url(), &["--limit", "1", "--force"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("plain http"),
        "{}",
        text(&o)
    );
}
