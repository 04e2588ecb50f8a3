//! Issue 15 regressions (cases 3, 11, 12, 13, 14): the judge client against a server that
//! misbehaves. Waits are made small through `RetryPolicy` so nothing here sleeps for long; the
//! only timing checks are generous upper bounds that show a wait was capped (the uncapped wait
//! would be a day).

use serde_json::json;
use std::time::{Duration, Instant};
use testkit::{Response, TestServer};
use trawl::judge::{JudgeError, JudgeRequest, StopReason, StopSignal, Summary, run_blocking};
use trawl::model::{ScoreSource, Verdict};
use trawl::store::Store;

use crate::common::{openai_request, rule, store};

fn run(st: &Store, req: &JudgeRequest) -> Summary {
    run_blocking(st, req, &StopSignal::new(), &mut |_| true, &mut |_| {}).unwrap()
}

/// Every judge score row of these traces, rendered whole (every column) for searching.
fn stored_rows(st: &Store, ids: &[String]) -> Vec<String> {
    st.latest_scores(ids, ScoreSource::Judge)
        .unwrap()
        .iter()
        .map(|s| format!("{s:?}"))
        .collect()
}

/// Uncapped, the waits these tests provoke would take a day; capped they take milliseconds.
const GENEROUS: Duration = Duration::from_secs(30);

#[test]
fn case3_huge_retry_after_is_clamped_and_no_item_vanishes() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        if n == 0 {
            Response::json(429, json!({"error": {"message": "slow down"}}))
                .with_header("retry-after", "1e20")
        } else {
            Response::openai_verdict("TRUE", "fine")
        }
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..3].to_vec());
    req.concurrency = 1;
    req.retry.max_wait = Duration::from_millis(50);
    let t0 = Instant::now();
    let s = run(&st, &req);
    assert!(t0.elapsed() < GENEROUS, "the 1e20 s wait was capped");
    assert_eq!((s.judged, s.true_, s.skipped), (3, 3, 0), "{s:?}");
    assert_eq!(srv.request_count(), 4);
    assert_eq!(stored_rows(&st, &ids[..3]).len(), 3);
}

#[test]
fn case3_hostile_retry_after_values_never_panic() {
    for v in ["NaN", "inf", "-1", "1e308", "Fri, 31 Dec 9999 23:59:59 GMT"] {
        let (_d, _p, st, ids) = store();
        let srv = TestServer::start(move |_, n| {
            if n == 0 {
                Response::json(503, json!({"error": {"message": "busy"}}))
                    .with_header("retry-after", v)
            } else {
                Response::openai_verdict("TRUE", "fine")
            }
        })
        .unwrap();
        let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
        req.retry.max_wait = Duration::from_millis(20);
        let s = run(&st, &req);
        assert_eq!((s.judged, s.true_), (1, 1), "retry-after {v}: {s:?}");
    }
}

#[test]
fn case11_a_body_over_the_cap_is_an_error_verdict_not_stored() {
    let (_d, _p, st, ids) = store();
    let big = "A".repeat(5 * 1024 * 1024);
    let srv = TestServer::start(move |_, _| Response::openai_verdict("TRUE", &big)).unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!((s.errors, s.true_), (1, 0), "{s:?}");
    let why = &s.results[0].explanation;
    assert!(
        why.contains("too large") && why.contains("1.0 MB limit"),
        "{why}"
    );
    assert_eq!(srv.request_count(), 1, "too large is not retried");
    let rows = stored_rows(&st, &ids[..1]);
    assert!(
        rows[0].len() < 10_000,
        "stored row is {} bytes",
        rows[0].len()
    );
}

#[test]
fn case11_a_body_without_length_is_cut_off_while_reading() {
    let (_d, _p, st, ids) = store();
    let big = "B".repeat(3 * 1024 * 1024);
    let srv = TestServer::start(move |_, _| Response::openai_verdict("TRUE", &big).until_close())
        .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.max_response_bytes = 64 * 1024;
    let s = run(&st, &req);
    assert_eq!(s.errors, 1, "{s:?}");
    assert!(
        s.results[0]
            .explanation
            .contains("too large (more than the 64 KB limit)"),
        "{}",
        s.results[0].explanation
    );
}

#[test]
fn case11_long_reasoning_under_the_cap_is_stored_truncated() {
    let (_d, _p, st, ids) = store();
    let long = "word ".repeat(40_000);
    let srv = TestServer::start(move |_, _| Response::openai_verdict("FALSE", &long)).unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!(s.false_, 1, "{s:?}");
    let row = &st.latest_scores(&ids[..1], ScoreSource::Judge).unwrap()[0];
    let e = row.explanation.as_deref().unwrap();
    assert!(
        e.len() < 10_000 && e.ends_with("(truncated)"),
        "{}",
        e.len()
    );
}

#[test]
fn case12_retry_after_a_day_is_capped_at_max_wait_and_explained() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::json(429, json!({"error": {"message": "come back tomorrow"}}))
            .with_header("retry-after", "86400")
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.retry.tries = 3;
    req.retry.max_wait = Duration::from_millis(50);
    let t0 = Instant::now();
    let s = run(&st, &req);
    assert!(t0.elapsed() < GENEROUS, "waits were capped at 50 ms");
    assert_eq!(s.errors, 1, "{s:?}");
    assert_eq!(srv.request_count(), 3, "capped waits, then retried");
    let why = &s.results[0].explanation;
    assert!(
        why.contains("gave up after 3 tries")
            && why.contains("asked to wait 86400 s")
            && why.contains("capped at 50 ms by --max-retry-wait"),
        "{why}"
    );
}

#[test]
fn case12_a_hung_server_is_bounded_by_the_item_budget() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| Response::hang()).unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..3].to_vec());
    req.provider.timeout = Duration::from_secs(600);
    req.retry.item_budget = Some(Duration::from_millis(300));
    let t0 = Instant::now();
    let s = run(&st, &req);
    assert!(t0.elapsed() < GENEROUS, "bounded by the 300 ms budget");
    assert_eq!((s.judged, s.errors), (3, 3), "{s:?}");
    assert!(
        s.results.iter().all(|r| r
            .explanation
            .contains("time budget of 300 ms per item ran out")),
        "{s:?}"
    );
}

#[test]
fn case12_a_budget_too_short_for_the_next_wait_gives_up_at_once() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::json(503, json!({"error": {"message": "busy"}})).with_header("retry-after", "30")
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.retry.item_budget = Some(Duration::from_secs(5));
    let t0 = Instant::now();
    let s = run(&st, &req);
    assert!(t0.elapsed() < GENEROUS);
    assert_eq!(
        srv.request_count(),
        1,
        "no point waiting 30 s with 5 s left"
    );
    assert!(s.results[0].explanation.contains("time budget"), "{s:?}");
}

const KEY: &str = "sk-proj-HARDENINGSECRET0123456789";

fn assert_no_key(what: &str, text: &str) {
    assert!(!text.contains(&KEY[..12]), "{what} holds the key: {text}");
}

#[test]
fn case13_a_key_echoed_in_an_answer_or_error_is_never_stored() {
    // A variable only this test uses, so parallel tests don't see it.
    unsafe { std::env::set_var("TRAWL_TEST_JUDGE_KEY_ECHO", KEY) };
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|r, _| {
        let auth = r.header("authorization").unwrap_or("").to_string();
        let mut resp = Response::openai_verdict("FALSE", &format!("your header was {auth}"));
        resp.body = resp.body.replace("judge-model-2025-01-01", &auth);
        resp
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..2].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_ECHO".into();
    let s = run(&st, &req);
    assert_eq!(s.false_, 2, "{s:?}");
    assert!(s.results[0].explanation.contains("[redacted key]"), "{s:?}");
    assert_no_key("the summary", &format!("{s:?}"));
    for row in stored_rows(&st, &ids[..2]) {
        assert_no_key("a score row", &row);
    }

    // An error body that echoes a cut-off key (a 300-char message limit, say).
    let cut = TestServer::start(|r, _| {
        let auth = r.header("authorization").unwrap_or("");
        Response::json(
            500,
            json!({"error": {"message": format!("bad gateway for {}", &auth[..auth.len() - 9])}}),
        )
    })
    .unwrap();
    let mut req = openai_request(&cut.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_ECHO".into();
    req.retry.tries = 2;
    let s = run(&st, &req);
    assert_eq!(s.errors, 1, "{s:?}");
    assert!(s.results[0].explanation.contains("[redacted key]"), "{s:?}");
    assert_no_key("the error verdict", &format!("{s:?}"));
    assert_no_key("the stored error", &stored_rows(&st, &ids[..1]).join("\n"));

    // A 401 that echoes it pauses the run; the pause message is redacted too.
    let auth = TestServer::start(|r, _| {
        let auth = r.header("authorization").unwrap_or("");
        Response::json(
            401,
            json!({"error": {"message": format!("invalid key: {auth}")}}),
        )
    })
    .unwrap();
    let mut req = openai_request(&auth.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_ECHO".into();
    let s = run(&st, &req);
    match &s.stopped {
        Some(StopReason::Paused(m)) => {
            assert!(m.contains("401") && m.contains("[redacted key]"), "{m}");
            assert_no_key("the pause message", m);
        }
        other => panic!("expected a pause, got {other:?}"),
    }
}

#[test]
fn case13_a_key_is_not_sent_over_plain_http_to_another_host() {
    unsafe { std::env::set_var("TRAWL_TEST_JUDGE_KEY_HTTP", KEY) };
    let (_d, _p, st, ids) = store();
    let mut req = openai_request(
        "http://10.0.0.1:9/v1",
        vec![rule("answered")],
        ids[..1].to_vec(),
    );
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_HTTP".into();
    let err = run_blocking(&st, &req, &StopSignal::new(), &mut |_| true, &mut |_| {}).unwrap_err();
    match &err {
        JudgeError::InsecureKey { host, var } => {
            assert_eq!(
                (host.as_str(), var.as_str()),
                ("10.0.0.1", "TRAWL_TEST_JUDGE_KEY_HTTP")
            );
        }
        other => panic!("expected InsecureKey, got {other:?}"),
    }
    assert!(err.to_string().contains("plain http"), "{err}");
    assert_no_key("the error", &err.to_string());

    // Loopback is this machine: the key goes, over plain http.
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_HTTP".into();
    assert_eq!(run(&st, &req).true_, 1);
    assert_eq!(
        srv.requests()[0].header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
}

#[test]
fn case14_a_connection_dropped_mid_body_is_retried() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        let r = Response::openai_verdict("TRUE", "fine");
        if n == 0 {
            let half = r.body.len() / 2;
            r.cut_after(half)
        } else {
            r
        }
    })
    .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!((s.true_, s.errors), (1, 0), "{s:?}");
    assert_eq!(srv.request_count(), 2);
    let row = &st.latest_scores(&ids[..1], ScoreSource::Judge).unwrap()[0];
    assert_eq!(row.verdict, Some(Verdict::True));
}

#[test]
fn case14_persistent_drops_and_5xx_end_as_counted_errors() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        if n % 2 == 0 {
            let r = Response::openai_verdict("TRUE", "fine");
            let half = r.body.len() / 2;
            r.cut_after(half)
        } else {
            Response::json(502, json!({"error": {"message": "bad gateway"}}))
        }
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.retry.tries = 4;
    let s = run(&st, &req);
    assert_eq!((s.judged, s.errors), (1, 1), "{s:?}");
    assert_eq!(
        srv.request_count(),
        4,
        "both kinds are retried, up to the tries"
    );
    assert!(
        s.results[0].explanation.contains("gave up after 4 tries"),
        "{s:?}"
    );
}

#[test]
fn case13_redirects_are_not_followed_with_the_key() {
    unsafe { std::env::set_var("TRAWL_TEST_JUDGE_KEY_REDIRECT", KEY) };
    let (_d, _p, st, ids) = store();
    let target = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let location = format!("{}/chat/completions", target.base_url());
    let srv = TestServer::start(move |_, _| {
        Response::json(307, json!({})).with_header("location", &location)
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_REDIRECT".into();
    let s = run(&st, &req);
    assert_eq!(s.errors, 1, "{s:?}");
    assert!(s.results[0].explanation.contains("redirect"), "{s:?}");
    assert_eq!(target.request_count(), 0, "the key went nowhere else");
}
