//! `trawl judge` end to end: the real binary against a local OpenAI-compatible server.

use serde_json::{Value, json};
use testkit::{Response, TestServer};

use crate::common::{store, trawl};
use crate::util::{Trawl, text};

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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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
        dir.home(),
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

    let o = trawl(dir.home(), &["judge", "--list-rules"]);
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
    // The sandbox has no API key variable at all.
    let o = Trawl::new(dir.home())
        .args(["judge", "--store", db, "--rule", "grounded", "--yes"])
        .output();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("OPENAI_API_KEY"));

    // A priced model whose estimate is ≥ $1 is not started without --yes when stdin is no TTY.
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let o = trawl(
        dir.home(),
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
