//! Judge runner against a local HTTP server speaking the OpenAI and Anthropic wire formats.

use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};
use testkit::{Response, TestServer};
use trawl::judge::{
    JudgeEvent, ProviderConfig, ProviderKind, StopReason, StopSignal, Summary, run_blocking,
    spawn_run,
};
use trawl::model::{ScoreSource, Verdict};
use trawl::store::Store;

use crate::common::{openai_request, rule, store};

fn run(st: &Store, req: &trawl::judge::JudgeRequest) -> Summary {
    run_blocking(st, req, &StopSignal::new(), &mut |_| true, &mut |_| {}).unwrap()
}

fn latest(st: &Store, trace: &str, rule: &str) -> Option<trawl::model::Score> {
    st.latest_scores(&[trace.to_string()], ScoreSource::Judge)
        .unwrap()
        .into_iter()
        .find(|s| s.name == rule)
}

#[test]
fn openai_true_false_na_are_stored_with_reasoning_hash_and_tokens() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        let v = ["TRUE", "FALSE", "NA"][n % 3];
        Response::openai_verdict(v, &format!("because {v}"))
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..3].to_vec());
    req.concurrency = 1;
    let s = run(&st, &req);
    assert_eq!(
        (s.judged, s.true_, s.false_, s.na, s.errors),
        (3, 1, 1, 1, 0),
        "{s:?}"
    );
    assert_eq!(s.input_tokens, 3 * 812);
    assert_eq!(s.output_tokens, 3 * 64);
    assert!(s.cost_unknown, "judge-model has no price");

    let reqs = srv.requests();
    assert_eq!(reqs.len(), 3);
    let r0 = &reqs[0];
    assert_eq!(r0.method, "POST");
    assert_eq!(r0.path, "/v1/chat/completions");
    assert!(
        r0.header("authorization").is_none(),
        "no key set → no header"
    );
    let body = r0.json();
    assert_eq!(body["model"], "judge-model");
    assert_eq!(body["temperature"], 0.0);
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    assert_eq!(body["messages"][0]["role"], "system");
    let user = body["messages"][1]["content"].as_str().unwrap();
    assert!(user.contains("<data>") && user.contains("<retrieved_documents>"));
    assert!(user.contains("not instructions"));
    // Fixed block order.
    let pos = |t: &str| user.find(t).unwrap();
    assert!(pos("<last_user_message>") < pos("<retrieved_documents>"));
    assert!(pos("<retrieved_documents>") < pos("<tool_results>"));
    assert!(pos("<tool_results>") < pos("<final_answer>"));

    let mut got: Vec<Verdict> = ids[..3]
        .iter()
        .map(|t| latest(&st, t, "grounded").unwrap().verdict.unwrap())
        .collect();
    got.sort_by_key(|v| v.as_str());
    assert_eq!(got, vec![Verdict::False, Verdict::Na, Verdict::True]);
    let row = latest(&st, &ids[0], "grounded").unwrap();
    assert_eq!(
        row.rule_hash.as_deref(),
        Some(rule("grounded").hash().as_str())
    );
    assert_eq!(row.model.as_deref(), Some("judge-model-2025-01-01"));
    assert_eq!((row.samples, row.agree), (Some(1), Some(1)));
    assert_eq!(row.input_tokens, Some(812));
    assert!(row.explanation.unwrap().starts_with("because"));
    assert!(row.cache_key.is_some());
}

#[test]
fn api_key_from_env_is_sent_as_bearer() {
    // A variable only this test uses, so parallel tests don't see it.
    unsafe { std::env::set_var("TRAWL_TEST_JUDGE_KEY_A", "sk-test-dummy") };
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.api_key_env = "TRAWL_TEST_JUDGE_KEY_A".into();
    run(&st, &req);
    assert_eq!(
        srv.requests()[0].header("authorization"),
        Some("Bearer sk-test-dummy")
    );
}

#[test]
fn json_in_code_fences_is_parsed() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::openai_content(
            "Here is my verdict:\n```json\n{\"reasoning\": \"kb-ship-01 says $50\", \"verdict\": \"FALSE\"}\n```",
        )
    })
    .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!(s.false_, 1, "{s:?}");
    assert_eq!(s.results[0].explanation, "kb-ship-01 says $50");
}

#[test]
fn rate_limit_429_honours_retry_after_then_succeeds() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        if n == 0 {
            Response::json(
                429,
                json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
            )
            .with_header("retry-after", "1")
        } else {
            Response::openai_verdict("TRUE", "fine")
        }
    })
    .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    let t0 = Instant::now();
    let s = run(&st, &req);
    assert_eq!(s.true_, 1, "{s:?}");
    assert_eq!(srv.request_count(), 2);
    assert!(
        t0.elapsed() >= Duration::from_millis(900),
        "retry-after: 1 was honoured"
    );
    assert_eq!(s.calls, 2);
}

#[test]
fn server_errors_500_are_retried_then_succeed() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        if n < 2 {
            Response::json(500, json!({"error": {"message": "upstream exploded"}}))
        } else {
            Response::openai_verdict("NA", "nothing to check")
        }
    })
    .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!(s.na, 1, "{s:?}");
    assert_eq!(srv.request_count(), 3);
}

#[test]
fn persistent_500s_give_an_error_verdict_after_five_tries() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| Response::json(503, json!({"error": {"message": "down"}})))
        .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!((s.errors, s.false_), (1, 0), "{s:?}");
    assert_eq!(srv.request_count(), 5);
    assert!(s.results[0].explanation.contains("gave up after 5 tries"));
    let row = latest(&st, &ids[0], "grounded").unwrap();
    assert_eq!(row.verdict, Some(Verdict::Error));
    assert!(row.cache_key.is_none(), "errors are not cached");
}

#[test]
fn timeout_is_retried_then_errors() {
    let (_d, _p, st, ids) = store();
    // First request too slow, second fine.
    let srv = TestServer::start(|_, n| {
        let r = Response::openai_verdict("TRUE", "ok");
        if n == 0 {
            r.with_delay(Duration::from_secs(2))
        } else {
            r
        }
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    req.provider.timeout = Duration::from_millis(300);
    let s = run(&st, &req);
    assert_eq!(s.true_, 1, "{s:?}");
    assert_eq!(srv.request_count(), 2);

    // Always too slow: an error verdict, never FALSE.
    let slow = TestServer::start(|_, _| {
        Response::openai_verdict("FALSE", "x").with_delay(Duration::from_secs(2))
    })
    .unwrap();
    let mut req = openai_request(&slow.base_url(), vec![rule("answered")], ids[..1].to_vec());
    req.provider.timeout = Duration::from_millis(200);
    req.retry.tries = 2;
    let s = run(&st, &req);
    assert_eq!((s.errors, s.false_), (1, 0), "{s:?}");
    assert!(s.results[0].explanation.contains("timed out"), "{s:?}");
    assert_eq!(slow.request_count(), 2);
}

#[test]
fn unauthorized_pauses_the_run_without_storing_verdicts() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::json(
            401,
            json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}),
        )
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..10].to_vec());
    req.concurrency = 2;
    let mut paused = None;
    let s = run_blocking(&st, &req, &StopSignal::new(), &mut |_| true, &mut |e| {
        if let JudgeEvent::Paused(r) = e {
            paused = Some(r)
        }
    })
    .unwrap();
    match &s.stopped {
        Some(StopReason::Paused(m)) => assert!(m.contains("401"), "{m}"),
        other => panic!("expected a pause, got {other:?}"),
    }
    assert!(paused.is_some());
    assert_eq!(s.judged, 0);
    assert_eq!(s.skipped, 10);
    assert!(
        srv.request_count() <= 2,
        "not retried, no new calls after the pause"
    );
    assert!(latest(&st, &ids[0], "grounded").is_none());
}

#[test]
fn insufficient_quota_429_pauses_instead_of_retrying() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::json(
            429,
            json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "code": "insufficient_quota"}}),
        )
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..3].to_vec());
    req.concurrency = 1;
    let s = run(&st, &req);
    assert!(matches!(s.stopped, Some(StopReason::Paused(_))), "{s:?}");
    assert_eq!(srv.request_count(), 1);
}

#[test]
fn unparseable_answer_is_an_error_verdict_not_false() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::openai_content("I think the answer is mostly fine, though it is a bit terse.")
    })
    .unwrap();
    let req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!((s.errors, s.false_), (1, 0), "{s:?}");
    assert!(s.results[0].explanation.contains("unparseable"));
    let row = latest(&st, &ids[0], "grounded").unwrap();
    assert_eq!(row.verdict, Some(Verdict::Error));
}

#[test]
fn json_schema_400_falls_back_to_json_mode_then_verdict_line() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|r, _| {
        let body = r.json();
        match body["response_format"]["type"].as_str() {
            Some("json_schema") => Response::json(
                400,
                json!({"error": {"message": "response_format json_schema is not supported by this model", "type": "invalid_request_error", "param": "response_format"}}),
            ),
            Some("json_object") => Response::openai_verdict("FALSE", "json mode works"),
            _ => Response::openai_content("claims checked\nVERDICT: TRUE"),
        }
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..2].to_vec());
    req.concurrency = 1;
    let s = run(&st, &req);
    assert_eq!(s.false_, 2, "{s:?}");
    let kinds: Vec<String> = srv
        .requests()
        .iter()
        .map(|r| {
            r.json()["response_format"]["type"]
                .as_str()
                .unwrap_or("none")
                .to_string()
        })
        .collect();
    // The downgrade sticks for the rest of the run.
    assert_eq!(kinds, vec!["json_schema", "json_object", "json_object"]);

    // A server that accepts no response_format at all ends on the VERDICT line.
    let plain = TestServer::start(|r, _| {
        if r.json().get("response_format").is_some() {
            Response::json(
                400,
                json!({"error": {"message": "Unsupported parameter: response_format"}}),
            )
        } else {
            let last = r.json()["messages"].as_array().unwrap().last().unwrap()["content"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(last.contains("VERDICT:"));
            Response::openai_content("The answer cites kb-ship-02.\nVERDICT: TRUE")
        }
    })
    .unwrap();
    let req = openai_request(&plain.base_url(), vec![rule("answered")], ids[..1].to_vec());
    let s = run(&st, &req);
    assert_eq!(s.true_, 1, "{s:?}");
    assert_eq!(s.results[0].explanation, "The answer cites kb-ship-02.");
    assert_eq!(plain.request_count(), 3);
}

#[test]
fn anthropic_forced_tool_call() {
    unsafe { std::env::set_var("TRAWL_TEST_JUDGE_KEY_ANTHROPIC", "sk-ant-dummy") };
    let (_d, _p, st, ids) = store();
    let srv =
        TestServer::start(|_, _| Response::anthropic_verdict("FALSE", "kb-ship-01 contradicts it"))
            .unwrap();
    let mut p = ProviderConfig::new(ProviderKind::Anthropic);
    p.base_url = srv.root_url();
    p.api_key_env = "TRAWL_TEST_JUDGE_KEY_ANTHROPIC".into();
    let mut req = openai_request("unused", vec![rule("grounded")], ids[..1].to_vec());
    req.provider = p;
    let s = run(&st, &req);
    assert_eq!(s.false_, 1, "{s:?}");
    assert_eq!(s.input_tokens, 790);
    let r = &srv.requests()[0];
    assert_eq!(r.path, "/v1/messages");
    assert_eq!(r.header("x-api-key"), Some("sk-ant-dummy"));
    assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
    assert!(r.header("authorization").is_none());
    let b = r.json();
    assert_eq!(b["tool_choice"]["name"], "record_verdict");
    assert_eq!(b["tools"][0]["name"], "record_verdict");
    assert!(b["system"].as_str().unwrap().contains("grounded"));
    assert_eq!(b["model"], "claude-haiku-4-5");
    let row = latest(&st, &ids[0], "grounded").unwrap();
    assert_eq!(row.model.as_deref(), Some("claude-haiku-4-5-20251001"));
    // claude-haiku-4-5 is in the price table, so the verdict has a cost.
    assert!(row.cost_usd.is_some_and(|c| c > 0.0), "{row:?}");
}

#[test]
fn rerun_is_served_from_cache_and_force_asks_again() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let req = openai_request(
        &srv.base_url(),
        vec![rule("grounded"), rule("answered")],
        ids[..4].to_vec(),
    );
    let s1 = run(&st, &req);
    assert_eq!((s1.judged, s1.cached), (8, 0));
    assert_eq!(srv.request_count(), 8);

    let est = trawl::judge::estimate(&st, &req).unwrap();
    assert_eq!((est.cached, est.calls, est.cost_usd), (8, 0, Some(0.0)));
    let s2 = run(&st, &req);
    assert_eq!((s2.judged, s2.cached, s2.true_), (8, 8, 8), "{s2:?}");
    assert_eq!(srv.request_count(), 8, "second run made zero HTTP requests");
    assert_eq!(s2.cost_usd, 0.0);

    let mut forced = req.clone();
    forced.force = true;
    let s3 = run(&st, &forced);
    assert_eq!(s3.cached, 0);
    assert_eq!(srv.request_count(), 16);

    // A changed rubric is a different rule hash: not a cache hit.
    let mut changed = req.clone();
    changed.rules[0].question.push_str(" Be strict.");
    let est = trawl::judge::estimate(&st, &changed).unwrap();
    assert_eq!((est.cached, est.calls), (4, 4));
}

#[test]
fn concurrency_bound_is_honoured() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::openai_verdict("TRUE", "ok").with_delay(Duration::from_millis(80))
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..10].to_vec());
    req.concurrency = 2;
    let s = run(&st, &req);
    assert_eq!(s.true_, 10);
    assert_eq!(
        srv.max_in_flight(),
        2,
        "never above 2, and it did run in parallel"
    );
}

#[test]
fn three_samples_take_the_majority_and_record_agreement() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, n| {
        Response::openai_verdict(["TRUE", "FALSE", "TRUE"][n % 3], &format!("sample {n}"))
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..1].to_vec());
    req.samples = 3;
    let s = run(&st, &req);
    assert_eq!(s.true_, 1, "{s:?}");
    assert_eq!((s.results[0].samples, s.results[0].agree), (3, 2));
    let seeds: Vec<i64> = srv
        .requests()
        .iter()
        .map(|r| r.json()["seed"].as_i64().unwrap())
        .collect();
    assert_eq!(seeds.len(), 3);
    assert!(seeds[0] != seeds[1] && seeds[1] != seeds[2]);
    let row = latest(&st, &ids[0], "grounded").unwrap();
    assert_eq!(
        (row.verdict, row.samples, row.agree),
        (Some(Verdict::True), Some(3), Some(2))
    );
    assert_eq!(row.input_tokens, Some(3 * 812));
}

#[test]
fn max_cost_refuses_a_run_whose_estimate_is_above_it() {
    let (_d, _p, st, ids) = store();
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "ok")).unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids.clone());
    req.provider.model = "gpt-4o".into();
    req.max_cost_usd = Some(0.0001);
    let s = run(&st, &req);
    assert!(matches!(s.stopped, Some(StopReason::Budget(_))), "{s:?}");
    assert_eq!(srv.request_count(), 0);
}

#[test]
fn max_cost_stops_a_run_that_spends_it() {
    let (_d, _p, st, ids) = store();
    // The server reports a huge prompt: the first verdict alone blows the budget.
    let srv = TestServer::start(|_, _| {
        Response::json(
            200,
            json!({"model": "gpt-4o", "choices": [{"message": {"role": "assistant",
                "content": "{\"reasoning\": \"ok\", \"verdict\": \"TRUE\"}"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 2_000_000, "completion_tokens": 10}}),
        )
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids[..10].to_vec());
    req.provider.model = "gpt-4o".into();
    req.concurrency = 1;
    req.max_cost_usd = Some(1.0);
    let s = run(&st, &req);
    assert!(matches!(s.stopped, Some(StopReason::Budget(_))), "{s:?}");
    assert_eq!(s.judged, 1);
    assert_eq!(s.skipped, 9);
    assert!(s.cost_usd > 1.0);
    assert_eq!(srv.request_count(), 1);
}

#[test]
fn spawn_run_reports_events_and_can_be_cancelled() {
    let (_d, path, _st, ids) = store();
    let srv = TestServer::start(|_, _| {
        Response::openai_verdict("TRUE", "ok").with_delay(Duration::from_millis(300))
    })
    .unwrap();
    let mut req = openai_request(&srv.base_url(), vec![rule("grounded")], ids.clone());
    req.concurrency = 1;
    let (tx, rx) = mpsc::channel();
    let h = spawn_run(path, req, tx);
    let mut saw_estimate = false;
    let mut summary = None;
    let mut verdicts = 0;
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(20)) {
        match e {
            JudgeEvent::Estimate(est) => {
                saw_estimate = true;
                assert_eq!(est.calls, 40);
            }
            JudgeEvent::Verdict { verdict, .. } => {
                assert_eq!(verdict, Verdict::True);
                verdicts += 1;
                h.cancel();
            }
            JudgeEvent::Finished(s) => {
                summary = Some(s);
                break;
            }
            _ => {}
        }
    }
    h.join();
    let s = summary.expect("finished");
    assert!(saw_estimate);
    assert_eq!(s.stopped, Some(StopReason::Cancelled));
    assert!(verdicts >= 1 && s.judged < 40, "{s:?}");
    assert_eq!(s.judged + s.skipped, 40);
}

#[test]
fn span_target_rule_from_a_rules_file_judges_each_llm_span() {
    let (d, _p, st, ids) = store();
    let file = d.home().join("polite.toml");
    std::fs::write(
        &file,
        r#"
id = "polite"
question = "Is the assistant polite?"
pass_when = ["polite"]
fail_when = ["rude"]
inputs = ["final_answer", "last_user_message"]
target = "llm_span"
"#,
    )
    .unwrap();
    let rules = trawl::judge::load_rules_from(None, Some(&file)).unwrap();
    let polite = trawl::judge::select_rules(&rules, &["polite".into()]).unwrap();
    let srv = TestServer::start(|_, _| Response::openai_verdict("TRUE", "polite")).unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let req = openai_request(&srv.base_url(), polite, ids.clone());
    let s = run_blocking(&st, &req, &StopSignal::new(), &mut |_| true, &mut |e| {
        if let JudgeEvent::Verdict { span_id, .. } = e {
            assert!(span_id.is_some());
            n.fetch_add(1, Ordering::SeqCst);
        }
    })
    .unwrap();
    // 48 LLM spans in the fixture.
    assert_eq!(s.judged, 48, "{s:?}");
    assert_eq!(n.load(Ordering::SeqCst), 48);
    let rows = st.scores_for_trace(&ids[0]).unwrap();
    assert!(rows.iter().all(|r| r.span_id.is_some()));
}
