//! `trawl replay` and `trawl diff` end to end: the real binary against local scripted
//! OpenAI-compatible and Anthropic servers that record every request.

use serde_json::{Value, json};
use std::path::Path;
use testkit::{Recorded, Response, TestServer};
use trawl::model::{Span, SpanKind};
use trawl::store::Store;

use crate::common::{store, trawl};
use crate::util::{fixture, text};

/// A replayed answer in the OpenAI shape.
fn openai_answer(content: &str) -> Response {
    Response::json(
        200,
        json!({
            "id": "chatcmpl-replay", "object": "chat.completion", "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 600, "completion_tokens": 20, "total_tokens": 620}
        }),
    )
}

/// The start of `s` as it appears inside a JSON request body.
fn probe(s: &str) -> String {
    let escaped = serde_json::to_string(s).unwrap();
    escaped.chars().skip(1).take(30).collect()
}

fn is_judge_call(r: &Recorded) -> bool {
    r.json()
        .pointer("/response_format/json_schema/name")
        .is_some_and(|n| n == "verdict")
}

fn final_llm(st: &Store, trace: &str) -> Span {
    let spans = st.trace_spans(trace).unwrap();
    trawl::replay::select::final_call(&spans).unwrap().clone()
}

fn json_out(o: &std::process::Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn attr<'a>(s: &'a Span, k: &str) -> &'a Value {
    s.attributes
        .get(k)
        .unwrap_or_else(|| panic!("no attribute {k}"))
}

/// The recorded messages of an OpenInference span, read straight from its flat attributes.
fn openinference_messages(s: &Span) -> Vec<(String, String)> {
    (0..)
        .map_while(|i| {
            let role = s
                .attributes
                .get(&format!("llm.input_messages.{i}.message.role"))?;
            let content = s
                .attributes
                .get(&format!("llm.input_messages.{i}.message.content"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            Some((role.as_str()?.to_string(), content.to_string()))
        })
        .collect()
}

fn replay(home: &Path, db: &str, base: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "replay",
        "--store",
        db,
        "--base-url",
        base,
        "--json",
        "--yes",
        "--retry-base-ms",
        "5",
    ];
    args.extend_from_slice(extra);
    trawl(home, &args)
}

#[test]
fn openinference_call_is_resent_exactly_as_recorded() {
    let (dir, db, st, ids) = store();
    let srv = TestServer::start(|_, _| openai_answer("Express costs $14.95.")).unwrap();
    let trace = &ids[0];
    let span = final_llm(&st, trace);
    drop(st);
    let o = replay(dir.home(), db.to_str().unwrap(), &srv.base_url(), &[trace]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    let body = reqs[0].json();

    // Messages: role and content byte for byte, in order.
    let want = openinference_messages(&span);
    assert!(want.len() >= 2, "{want:?}");
    let got: Vec<(String, String)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().to_string(),
                m["content"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(got, want);
    // Tool definitions: the recorded JSON schemas, in order.
    let tools: Vec<Value> = (0..)
        .map_while(|i| {
            span.attributes
                .get(&format!("llm.tools.{i}.tool.json_schema"))
        })
        .map(|v| serde_json::from_str(v.as_str().unwrap()).unwrap())
        .collect();
    assert!(!tools.is_empty());
    assert_eq!(body["tools"], Value::Array(tools));
    // Parameters as recorded; never streamed.
    let params: Value =
        serde_json::from_str(attr(&span, "llm.invocation_parameters").as_str().unwrap()).unwrap();
    for k in ["temperature", "max_tokens", "tool_choice"] {
        assert_eq!(body[k], params[k], "{k}");
    }
    assert_eq!(body["model"], params["model"]);
    assert!(body.get("stream").is_none());
    // The same body the recorded request payload (input.value) carried, message for message.
    let payload: Value =
        serde_json::from_str(attr(&span, "input.value").as_str().unwrap()).unwrap();
    assert_eq!(body["messages"], payload["messages"]);

    let out = json_out(&o);
    let item = &out["items"][0];
    assert_eq!(item["trace_id"], trace.as_str());
    assert_eq!(item["span_id"], span.span_id.as_str());
    assert_eq!(item["outcome"], "replayed");
    assert_eq!(item["replay"]["answer"], "Express costs $14.95.");
    assert_eq!(item["original"]["model"], span.model.as_deref().unwrap());
    assert_eq!(item["replay"]["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(
        item["original"]["output_tokens"],
        span.usage.as_ref().unwrap().output.unwrap()
    );
    assert_eq!(item["replay"]["input_tokens"], 600);
    assert_eq!(item["replay"]["output_tokens"], 20);
    assert!(item["replay"]["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(out["summary"]["replayed"], 1);
}

#[test]
fn model_system_file_and_set_change_exactly_what_they_name() {
    let (dir, db, st, ids) = store();
    drop(st);
    let srv = TestServer::start(|_, _| openai_answer("ok")).unwrap();
    let db = db.to_str().unwrap();
    let (base, trace) = (srv.base_url(), ids[1].clone());
    let o = replay(dir.home(), db, &base, &[&trace]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let sys = dir.home().join("prompt-v2.txt");
    std::fs::write(&sys, "You are Fernhill's assistant, v2.\nCite passages.").unwrap();
    let o = replay(
        dir.home(),
        db,
        &base,
        &[
            &trace,
            "--model",
            "gpt-4.1-mini",
            "--system-file",
            sys.to_str().unwrap(),
            "--set",
            "temperature=0",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2);
    let (before, after) = (reqs[0].json(), reqs[1].json());
    let mut expected = before.clone();
    expected["model"] = json!("gpt-4.1-mini");
    expected["temperature"] = json!(0);
    assert_eq!(expected["messages"][0]["role"], "system");
    expected["messages"][0]["content"] = json!("You are Fernhill's assistant, v2.\nCite passages.");
    assert_eq!(after, expected);
}

#[test]
fn genai_and_langfuse_spans_are_rebuilt_from_their_own_attributes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("trawl.db");
    let mut st = Store::open(&db).unwrap();
    for f in [
        "genai_current.synthetic.otlp.jsonl",
        "langfuse_support_bot_dev.otlp.jsonl",
    ] {
        trawl::import::import_file(&mut st, &fixture(f), Default::default()).unwrap();
    }
    let all = st
        .trace_ids(&trawl::store::TraceFilter::default(), None)
        .unwrap();
    let spans: Vec<Span> = all
        .iter()
        .flat_map(|t| st.trace_spans(t).unwrap())
        .filter(|s| s.kind == SpanKind::Llm)
        .collect();
    let genai_tool_turn = spans
        .iter()
        .find(|s| s.span_id == "2a3b4c5d6e7f8091")
        .unwrap()
        .clone();
    let genai_blob = spans
        .iter()
        .find(|s| s.span_id == "00f067aa0ba902b7")
        .unwrap()
        .clone();
    let langfuse = spans
        .iter()
        .find(|s| s.attributes.contains_key("langfuse.observation.input"))
        .unwrap()
        .clone();
    drop(st);
    let srv = TestServer::start(|_, _| openai_answer("It is rainy.")).unwrap();
    let db = db.to_str().unwrap();
    let o = replay(
        dir.path(),
        db,
        &srv.base_url(),
        &[
            &genai_tool_turn.span_id,
            &genai_blob.span_id,
            &langfuse.span_id,
            // One at a time, so the server sees the requests in this order.
            "--concurrency",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = json_out(&o);
    // The call with an image captured only as a blob size is refused, with the reason.
    let blob_item = &out["items"][1];
    assert_eq!(blob_item["outcome"], "error");
    assert!(
        blob_item["error"].as_str().unwrap().contains("`blob` part"),
        "{blob_item}"
    );
    assert_eq!(blob_item["replay"], Value::Null);
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 2, "the refused call is never sent");
    let (genai, lf) = (reqs[0].json(), reqs[1].json());
    assert_eq!(
        genai["messages"],
        json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [{"id": " call_1", "type": "function",
                "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}]},
            {"role": "tool", "tool_call_id": " call_1", "content": "rainy, 57F"}
        ])
    );
    assert_eq!(genai["model"], "gpt-4o");
    // Langfuse: the generation's recorded input is the request; parameters from the model's.
    let payload: Value = serde_json::from_str(
        attr(&langfuse, "langfuse.observation.input")
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(lf["messages"], payload["messages"]);
    assert_eq!(lf["tools"], payload["tools"]);
    let params: Value = serde_json::from_str(
        attr(&langfuse, "langfuse.observation.model.parameters")
            .as_str()
            .unwrap(),
    )
    .unwrap();
    for k in [
        "temperature",
        "max_tokens",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
    ] {
        assert_eq!(lf[k], params[k], "{k}");
    }
    assert!(lf.get("service_tier").is_none());
}

#[test]
fn anthropic_wire_format_and_refused_hidden_input() {
    let (dir, db, mut st, ids) = store();
    // A copy of a recorded call whose input the instrumentation hid (OpenInference hide_inputs).
    let mut hidden = final_llm(&st, &ids[2]);
    hidden.trace_id = "hidden00000000000000000000000001".into();
    hidden.parent_id = None;
    hidden
        .attributes
        .retain(|k, _| !k.starts_with("llm.input_messages"));
    hidden
        .attributes
        .insert("input.value".into(), json!("__REDACTED__"));
    hidden.input_messages.clear();
    let mut w = trawl::store::SpanWriter::begin(&mut st, &Default::default()).unwrap();
    w.write(&hidden).unwrap();
    w.finish(&Default::default()).unwrap();
    let span = final_llm(&st, &ids[3]);
    drop(st);

    let srv = TestServer::start(|_, _| {
        Response::json(
            200,
            json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
                   "stop_reason": "end_turn", "content": [{"type": "text", "text": "Replayed by Claude."}],
                   "usage": {"input_tokens": 500, "output_tokens": 12, "cache_read_input_tokens": 40}}),
        )
    })
    .unwrap();
    let o = replay(
        dir.home(),
        db.to_str().unwrap(),
        &srv.root_url(),
        &[
            &ids[3],
            &hidden.trace_id,
            "--provider",
            "anthropic",
            "--model",
            "claude-haiku-4-5",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = json_out(&o);
    let refused = &out["items"][1];
    assert_eq!(refused["outcome"], "error");
    assert!(
        refused["error"].as_str().unwrap().contains("hide_inputs"),
        "{refused}"
    );
    let reqs = srv.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/messages");
    assert_eq!(reqs[0].header("anthropic-version"), Some("2023-06-01"));
    let body = reqs[0].json();
    let want = openinference_messages(&span);
    assert_eq!(want[0].0, "system");
    assert_eq!(body["system"], want[0].1.as_str());
    assert_eq!(body["model"], "claude-haiku-4-5");
    let sent: Vec<&Value> = body["messages"].as_array().unwrap().iter().collect();
    assert_eq!(sent.len(), want.len() - 1);
    for (m, (role, content)) in sent.iter().zip(&want[1..]) {
        assert_eq!(m["role"], role.as_str());
        assert_eq!(m["content"], content.as_str());
    }
    assert!(
        body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("input_schema").is_some() && t.get("name").is_some())
    );
    assert_eq!(body["max_tokens"], 400);
    let item = &out["items"][0];
    assert_eq!(item["replay"]["answer"], "Replayed by Claude.");
    // Anthropic's input excludes cache reads; trawl's is inclusive.
    assert_eq!(item["replay"]["input_tokens"], 540);
}

/// Three flagged traces replayed against a scripted server that also judges: one fixed, one
/// regressed, one still failing.
#[test]
fn batch_replay_with_judge_reports_fixed_regressed_and_still_failing() {
    let (dir, db, st, ids) = store();
    // Three traces whose final calls ask different questions.
    let mut picked: Vec<(String, String, String)> = Vec::new(); // (trace, question, answer)
    for t in &ids {
        let s = final_llm(&st, t);
        let q = s.last_user_message().unwrap_or_default().to_string();
        let a = trawl::replay::select::answer_text(&s).unwrap_or_default();
        let distinct = picked
            .iter()
            .all(|(_, pq, pa)| !pq.contains(&q) && !q.contains(pq.as_str()) && pa != &a);
        if !q.is_empty() && a.len() > 20 && distinct && trawl::replay::from_span(&s).is_ok() {
            picked.push((t.clone(), q, a));
        }
        if picked.len() == 3 {
            break;
        }
    }
    assert_eq!(picked.len(), 3);
    drop(st);
    let fixed_q = picked[0].1.clone();
    let passing_answer = picked[1].2.clone();
    let srv = TestServer::start(move |r, _| {
        if is_judge_call(r) {
            let prompt = r.body.clone();
            let good = prompt.contains("REPLAY-GOOD")
                || (!prompt.contains("REPLAY-BAD") && prompt.contains(&probe(&passing_answer)));
            Response::openai_verdict(if good { "TRUE" } else { "FALSE" }, "scripted")
        } else if r.body.contains(&probe(&fixed_q)) {
            openai_answer("REPLAY-GOOD answer")
        } else {
            openai_answer("REPLAY-BAD answer")
        }
    })
    .unwrap();
    let base = srv.base_url();
    let db = db.to_str().unwrap();
    let traces: Vec<&str> = picked.iter().map(|p| p.0.as_str()).collect();
    let mut args = traces.clone();
    args.extend([
        "--judge",
        "grounded",
        "--judge-base-url",
        &base,
        "--judge-model",
        "judge-model",
    ]);
    let o = replay(dir.home(), db, &base, &args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = json_out(&o);
    let outcome = |t: &str| {
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["trace_id"] == t)
            .unwrap()["outcome"]
            .clone()
    };
    assert_eq!(outcome(traces[0]), "fixed", "{out}");
    assert_eq!(outcome(traces[1]), "regressed", "{out}");
    assert_eq!(outcome(traces[2]), "still_failing", "{out}");
    let s = &out["summary"];
    assert_eq!(
        (
            &s["fixed"],
            &s["regressed"],
            &s["still_failing"],
            &s["still_passing"],
            &s["error"]
        ),
        (&json!(1), &json!(1), &json!(1), &json!(0), &json!(0))
    );
    let fixed = &out["items"][0];
    assert_eq!(fixed["original"]["verdicts"]["grounded"], "false");
    assert_eq!(fixed["replay"]["verdicts"]["grounded"], "true");

    // Again with --fail-on-regression: exit 1; the originals' verdicts come from the cache.
    let judge_calls = srv.requests().iter().filter(|r| is_judge_call(r)).count();
    assert_eq!(judge_calls, 6);
    args.push("--fail-on-regression");
    let o = replay(dir.home(), db, &base, &args);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let judge_calls = srv.requests().iter().filter(|r| is_judge_call(r)).count();
    assert_eq!(
        judge_calls, 6,
        "the same answers to the same questions are judged from the cache"
    );
    // A reader that went away (a closed pipe) does not turn the regression into exit 0.
    let mut closed = vec!["replay", "--store", db, "--base-url", &base, "--yes"];
    closed.extend(args.iter().filter(|x| **x != "--json"));
    let mut child = crate::util::Trawl::new(dir.home())
        .args(&closed)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));

    // The text report closes with the table.
    args.retain(|a| *a != "--json");
    let o = trawl(dir.home(), &{
        let mut a = vec!["replay", "--store", db, "--base-url", &base, "--yes"];
        a.extend(args.iter().filter(|x| **x != "--fail-on-regression"));
        a
    });
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    for line in [
        "fixed               1",
        "regressed           1",
        "still failing       1",
    ] {
        assert!(out.contains(line), "{line}\n{out}");
    }
    assert!(out.contains("answer: [-"), "{out}");
}

#[test]
fn replays_change_neither_stats_nor_the_originals_and_show_lists_them() {
    let (dir, db, st, ids) = store();
    drop(st);
    let srv = TestServer::start(|_, _| openai_answer("A new answer.")).unwrap();
    let db = db.to_str().unwrap();
    let h = dir.home();
    let before_stats = trawl(h, &["stats", "--store", db, "--json"]);
    let before_traces = trawl(h, &["traces", "--store", db, "--json", "--limit", "100"]);
    let before_show = json_out(&trawl(h, &["show", "--store", db, &ids[4], "--json"]));
    let o = replay(h, db, &srv.base_url(), &[&ids[4]]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let replay_id = json_out(&o)["items"][0]["replay_trace_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        trawl(h, &["stats", "--store", db, "--json"]).stdout,
        before_stats.stdout
    );
    assert_eq!(
        trawl(h, &["traces", "--store", db, "--json", "--limit", "100"]).stdout,
        before_traces.stdout
    );
    let with = json_out(&trawl(
        h,
        &[
            "traces",
            "--store",
            db,
            "--json",
            "--limit",
            "100",
            "--replays",
        ],
    ));
    assert_eq!(with.as_array().unwrap().len(), 41);
    let mut after_show = json_out(&trawl(h, &["show", "--store", db, &ids[4], "--json"]));
    let replays = after_show
        .as_object_mut()
        .unwrap()
        .remove("replays")
        .unwrap();
    assert_eq!(replays[0]["trace_id"], replay_id.as_str());
    assert_eq!(replays[0]["replay_of_trace"], ids[4].as_str());
    assert_eq!(after_show, before_show, "the original is unchanged");
    let shown = json_out(&trawl(h, &["show", "--store", db, &replay_id, "--json"]));
    assert_eq!(shown["replay_of"]["trace_id"], ids[4].as_str());
    let text_show = trawl(h, &["show", "--store", db, &ids[4]]);
    assert!(String::from_utf8_lossy(&text_show.stdout).contains(&format!("replay {replay_id}")));
}

#[test]
fn usage_errors_exit_2() {
    let (dir, db, st, _) = store();
    drop(st);
    let db = db.to_str().unwrap();
    let o = trawl(dir.home(), &["replay", "--store", db]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = trawl(
        dir.home(),
        &["replay", "--store", db, "x", "--set", "model=y"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = trawl(
        dir.home(),
        &["replay", "--store", db, "x", "--judge", "no-such-rule"],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// Two runs of the stove-fire conversation in the support-bot capture: the first escalated
/// (two LLM calls and a tool), the follow-up answered in one call. Expected values were read
/// from the capture's raw attributes.
#[test]
fn diff_of_two_demo_traces_lists_spans_tokens_cost_and_documents() {
    let (dir, db, st, _) = store();
    drop(st);
    let db = db.to_str().unwrap();
    let (a, b) = (
        "471a51b49d5e1204d74301734abd62ab",
        "8dd97c2e7cb266da2119e2534d372f5e",
    );
    let o = trawl(
        dir.home(),
        &["diff", "--store", db, "471a51b4", "8dd97c2e", "--json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d = json_out(&o);
    assert_eq!((d["a"].as_str(), d["b"].as_str()), (Some(a), Some(b)));
    let t = &d["totals"];
    assert_eq!(t["spans"], json!({"a": 9, "b": 7}));
    assert_eq!(
        t["input_tokens"],
        json!({"a": 22 + 567 + 666, "b": 34 + 644})
    );
    assert_eq!(t["output_tokens"], json!({"a": 46 + 39, "b": 36}));
    let removed: Vec<(&str, &str)> = d["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["path"].as_str().unwrap(), s["span_id"].as_str().unwrap()))
        .collect();
    assert_eq!(
        removed,
        [
            (
                "chain:support_bot.answer_question/llm:ChatCompletion",
                "aa2b4e1fabf2c2e1"
            ),
            (
                "chain:support_bot.answer_question/tool:tool.escalate_to_human",
                "dd5da9c040eed1e4"
            ),
        ]
    );
    assert_eq!(d["added"], json!([]));
    let llm = d["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["a_span_id"] == "45f494a750dd81c1")
        .unwrap();
    assert_eq!(llm["b_span_id"], "6f8a6bddeceba35f");
    assert_eq!(llm["input_tokens"], json!({"a": 567, "b": 644}));
    assert_eq!(llm["output_tokens"], json!({"a": 46, "b": 36}));
    assert!(llm.get("model").is_none(), "same model: {llm}");
    let (ca, cb) = (
        llm["cost_usd"]["a"].as_f64().unwrap(),
        llm["cost_usd"]["b"].as_f64().unwrap(),
    );
    // gpt-4o: $2.50 / $10 per million input / output tokens.
    assert!((ca - (567.0 * 2.5e-6 + 46.0 * 1e-5)).abs() < 1e-9, "{ca}");
    assert!((cb - (644.0 * 2.5e-6 + 36.0 * 1e-5)).abs() < 1e-9, "{cb}");
    assert_eq!(
        d["documents"],
        json!({
            "added": ["kb-refund-06", "kb-refund-02"],
            "dropped": ["kb-ship-01", "kb-refund-04"],
            "moved": [{"id": "kb-warranty-03", "from": 2, "to": 4},
                      {"id": "kb-ship-02", "from": 3, "to": 5}]
        })
    );
    assert_eq!(d["system_prompt"]["changed"], false);
    assert_eq!(d["question"]["changed"], true);
    let text_out = trawl(dir.home(), &["diff", "--store", db, "471a51b4", "8dd97c2e"]);
    let out = String::from_utf8_lossy(&text_out.stdout);
    for want in [
        "- chain:support_bot.answer_question/tool:tool.escalate_to_human",
        "input tokens 1255 → 678 (-577)",
        "document dropped: kb-ship-01",
        "document moved: kb-ship-02 #3 → #5",
        "system prompt: (same)",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
}

#[test]
fn diff_of_an_original_and_its_replay_shows_the_new_answer_and_model() {
    let (dir, db, st, ids) = store();
    drop(st);
    // The server answers with the model it was asked for.
    let srv = TestServer::start(|r, _| {
        let mut resp = openai_answer("A different answer.");
        let mut body: Value = serde_json::from_str(&resp.body).unwrap();
        body["model"] = r.json()["model"].clone();
        resp.body = body.to_string();
        resp
    })
    .unwrap();
    let db = db.to_str().unwrap();
    let o = replay(
        dir.home(),
        db,
        &srv.base_url(),
        &[&ids[5], "--model", "gpt-4.1-mini"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let replay_id = json_out(&o)["items"][0]["replay_trace_id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = trawl(
        dir.home(),
        &["diff", "--store", db, &ids[5], &replay_id, "--json"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let d = json_out(&o);
    assert_eq!(d["answer"]["b"], "A different answer.");
    assert_eq!(d["answer"]["changed"], true);
    assert_eq!(d["question"]["changed"], false, "{}", d["question"]);
    assert_eq!(d["documents"]["added"], json!([]));
    assert_eq!(d["documents"]["dropped"], json!([]));
    // The trees align: the replayed call is a change (new model), not a removal and an addition.
    let llm = d["changed"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"] == "chain:support_bot.answer_question/llm:ChatCompletion")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(llm["model"]["b"], "gpt-4.1-mini");
    assert!(d["added"].as_array().unwrap().is_empty(), "{}", d["added"]);
}

#[test]
fn filter_flags_select_the_flagged_traces_and_max_cost_refuses_before_sending() {
    let (dir, db, st, ids) = store();
    drop(st);
    let srv = TestServer::start(|_, _| openai_answer("ok")).unwrap();
    let db = db.to_str().unwrap();
    let h = dir.home();
    for t in [&ids[6], &ids[7]] {
        let o = trawl(
            h,
            &[
                "label",
                "--store",
                db,
                t,
                "--rule",
                "grounded",
                "--verdict",
                "false",
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    }
    // Above the cap: nothing is sent.
    let o = replay(
        h,
        db,
        &srv.base_url(),
        &["--verdict", "grounded=false", "--max-cost", "0.0000001"],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--max-cost"));
    assert_eq!(srv.request_count(), 0);

    let o = replay(h, db, &srv.base_url(), &["--verdict", "grounded=false"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = json_out(&o);
    let mut replayed: Vec<&str> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["trace_id"].as_str().unwrap())
        .collect();
    replayed.sort();
    let mut want = vec![ids[6].as_str(), ids[7].as_str()];
    want.sort();
    assert_eq!(replayed, want);
    assert_eq!(srv.request_count(), 2);
    let replay_ids: Vec<String> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["replay_trace_id"].as_str().unwrap().to_string())
        .collect();
    // A filter never selects replays, though they keep the original's root name and are the
    // newest traces: the three newest support_bot.answer_question traces are originals.
    let o = replay(
        h,
        db,
        &srv.base_url(),
        &["--name", "support_bot.answer_question", "--limit", "3"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let picked: Vec<String> = json_out(&o)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["trace_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(picked.len(), 3);
    assert!(
        picked
            .iter()
            .all(|t| ids.contains(t) && !replay_ids.contains(t))
    );
}
