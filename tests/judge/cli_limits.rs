//! Issue 15 regressions through the real binary: out-of-range timeouts, every verdict an error,
//! keys echoed by the server, plain HTTP to another host.

use serde_json::{Value, json};
use testkit::{Response, TestServer};

use crate::common::{store, trawl, trawl_with_key};
use crate::util::text;

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
        let o = trawl(dir.home(), &judge_args(db, &base, &[&flag]));
        assert_eq!(o.status.code(), Some(2), "--timeout {bad}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--timeout") && !err.contains("panicked"),
            "{err}"
        );
    }
    let o = trawl(
        dir.home(),
        &judge_args(db, &base, &["--max-retry-wait", "1e30"]),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert_eq!(srv.request_count(), 0);

    let o = trawl(
        dir.home(),
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
    let o = trawl(dir.home(), &judge_args(db, &base, &["--limit", "3"]));
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
        dir.home(),
        &judge_args(
            db,
            &mixed.base_url(),
            &["--limit", "3", "--concurrency", "1", "--force"],
        ),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));

    let o = trawl(dir.home(), &["judge", "--help"]);
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
        &judge_args(db, &srv.base_url(), &["--limit", "1", "--force"]),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("plain http"),
        "{}",
        text(&o)
    );
}
