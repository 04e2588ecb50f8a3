//! `trawl export`: eval cases on the support-bot fixture, and the OTLP/JSON round trip
//! (import → export --otlp → import into a fresh store) equal on every field of every span.

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use trawl::model::{CostSource, Score, ScoreSource, Verdict};
use trawl::store::{Store, TraceFilter};

use crate::util::{SUPPORT_BOT, Trawl, fixture, text};

/// The sandboxed binary, run by user `tester`.
fn trawl(home: &Path, args: &[&str]) -> Output {
    Trawl::new(home).user("tester").args(args).output()
}

/// A store in `dir` holding the fixture; returns its trace ids, sorted.
fn imported(dir: &Path, name: &str, file: &Path) -> (Store, Vec<String>) {
    let mut st = Store::open(&dir.join(name)).unwrap();
    let rep = trawl::import::import_file(&mut st, file, Default::default()).unwrap();
    assert!(rep.fatal.is_none(), "{:?}", rep.fatal);
    let mut ids = st.trace_ids(&TraceFilter::default(), None).unwrap();
    ids.sort();
    (st, ids)
}

fn lines(p: &Path) -> Vec<Value> {
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn eval_export_fields_filters_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (st, ids) = imported(dir.path(), "a.db", &fixture(SUPPORT_BOT));
    assert_eq!(ids.len(), 40);
    // Judge verdicts on three traces, human labels on two of them.
    for (i, v) in [Verdict::False, Verdict::False, Verdict::True]
        .into_iter()
        .enumerate()
    {
        st.insert_score(&Score {
            verdict: Some(v),
            explanation: Some(format!("judge reason {i}")),
            model: Some("judge-model".into()),
            ..Score::new(ScoreSource::Judge, ids[i].clone(), "grounded")
        })
        .unwrap();
    }
    st.insert_score(&Score {
        verdict: Some(Verdict::False),
        note: Some("cites the wrong policy".into()),
        author: Some("ann".into()),
        ..Score::new(ScoreSource::Human, ids[0].clone(), "grounded")
    })
    .unwrap();
    st.insert_score(&Score {
        verdict: Some(Verdict::True),
        author: Some("ann".into()),
        ..Score::new(ScoreSource::Human, ids[2].clone(), "grounded")
    })
    .unwrap();
    drop(st);
    let db = dir.path().join("a.db");
    let db = db.to_str().unwrap();
    let out = dir.path().join("cases.jsonl");
    let out_s = out.to_str().unwrap();

    // Everything.
    let o = trawl(
        dir.path(),
        &["export", "--store", db, "--eval", "--out", out_s],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("wrote 40 case(s) to"),
        "{}",
        text(&o)
    );
    let cases = lines(&out);
    assert_eq!(cases.len(), 40);
    for c in &cases {
        for k in [
            "trace_id",
            "session_id",
            "user_id",
            "start",
            "input",
            "question",
            "context",
            "output",
            "tool_calls",
            "human_labels",
            "judge_verdicts",
            "metadata",
            "tags",
            "vars",
        ] {
            assert!(c.get(k).is_some(), "missing {k} in {c}");
        }
        assert!(c["question"].as_str().is_some_and(|q| !q.is_empty()), "{c}");
        assert!(c["output"].as_str().is_some_and(|q| !q.is_empty()), "{c}");
        let input = c["input"].as_array().unwrap();
        assert!(!input.is_empty(), "{c}");
        assert!(
            input
                .iter()
                .all(|m| m["role"].is_string() && m["content"].is_string())
        );
        assert!(c["start"].as_str().unwrap().ends_with('Z'));
        assert_eq!(c["vars"]["question"], c["question"]);
    }
    // The fixture is a RAG bot: most answers cite retrieved documents with ids and scores.
    let with_ctx = cases
        .iter()
        .filter(|c| !c["context"].as_array().unwrap().is_empty())
        .count();
    assert!(with_ctx > 20, "{with_ctx} cases with context");
    let doc = cases
        .iter()
        .flat_map(|c| c["context"].as_array().unwrap())
        .next()
        .unwrap();
    assert!(doc["id"].is_string() && doc["content"].is_string(), "{doc}");
    assert!(doc["score"].is_number(), "{doc}");
    // Eval cases match the judge's view of the trace.
    let st = Store::open(Path::new(db)).unwrap();
    let first = cases
        .iter()
        .find(|c| c["trace_id"] == ids[0].as_str())
        .unwrap();
    let spans = st.trace_spans(&ids[0]).unwrap();
    let ji = trawl::judge::input::trace_input(&ids[0], &spans);
    assert_eq!(first["question"].as_str(), ji.last_user_message.as_deref());
    assert_eq!(first["output"].as_str(), ji.final_answer.as_deref());
    assert_eq!(
        first["context"].as_array().unwrap().len(),
        ji.documents.len()
    );
    let sum = st.trace_summary(&ids[0]).unwrap().unwrap();
    assert_eq!(first["session_id"].as_str(), sum.session_id.as_deref());
    assert_eq!(first["user_id"].as_str(), sum.user_id.as_deref());
    assert_eq!(
        first["human_labels"]["grounded"],
        serde_json::json!({
            "verdict": "false", "note": "cites the wrong policy", "author": "ann",
            "created_at": first["human_labels"]["grounded"]["created_at"].clone()
        })
    );
    assert_eq!(first["judge_verdicts"]["grounded"]["verdict"], "false");
    assert_eq!(
        first["judge_verdicts"]["grounded"]["explanation"],
        "judge reason 0"
    );
    assert_eq!(first["judge_verdicts"]["grounded"]["model"], "judge-model");

    // Confirmed failures: judge FALSE and a human label → only ids[0] (ids[1] is unlabelled).
    let o = trawl(
        dir.path(),
        &[
            "export",
            "--store",
            db,
            "--eval",
            "--out",
            out_s,
            "--verdict",
            "grounded=false",
            "--labelled",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("replaced"),
        "{}",
        text(&o)
    );
    let cases = lines(&out);
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0]["trace_id"], ids[0].as_str());

    // --labelled alone: the two labelled traces.
    let o = trawl(
        dir.path(),
        &[
            "export",
            "--store",
            db,
            "--eval",
            "--out",
            out_s,
            "--labelled",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(lines(&out).len(), 2);

    // Nothing matched: exit 1, says so, file untouched.
    let o = trawl(
        dir.path(),
        &[
            "export", "--store", db, "--eval", "--out", out_s, "--user", "nobody",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no traces matched"));
    assert_eq!(lines(&out).len(), 2);

    // Usage: neither or both of --eval/--otlp, bad verdict filter.
    for args in [
        vec!["export", "--store", db, "--out", out_s],
        vec!["export", "--store", db, "--eval", "--otlp", "--out", out_s],
    ] {
        let o = trawl(dir.path(), &args);
        assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    }
}

/// Every serialised field of two spans, compared one by one so a failure names the field.
fn assert_same_span(a: &trawl::model::Span, b: &trawl::model::Span) {
    let (Value::Object(ja), Value::Object(jb)) = (
        serde_json::to_value(a).unwrap(),
        serde_json::to_value(b).unwrap(),
    ) else {
        panic!("spans serialise to objects");
    };
    assert_eq!(ja.keys().collect::<Vec<_>>(), jb.keys().collect::<Vec<_>>());
    for (k, va) in &ja {
        assert_eq!(
            Some(va),
            jb.get(k),
            "span {} {}: field {k} differs",
            a.trace_id,
            a.span_id
        );
    }
    // Cost explicitly: a reported cost comes back from the attributes, a computed one is
    // recomputed from the same price table on import.
    let cost = |s: &trawl::model::Span| {
        s.cost
            .as_ref()
            .map(|c| (c.total, c.source.as_str().to_string()))
    };
    assert_eq!(
        cost(a),
        cost(b),
        "span {}: cost_usd / cost_source",
        a.span_id
    );
    // And the typed values (catches anything serde would hide, e.g. float vs int).
    assert_eq!(a, b);
}

#[test]
fn otlp_round_trip_keeps_every_span_field() {
    let dir = tempfile::tempdir().unwrap();
    let (a, ids) = imported(dir.path(), "a.db", &fixture(SUPPORT_BOT));
    drop(a);
    let db = dir.path().join("a.db");
    let out = dir.path().join("back.otlp.jsonl");
    let o = trawl(
        dir.path(),
        &[
            "export",
            "--store",
            db.to_str().unwrap(),
            "--otlp",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("wrote 40 trace(s)"),
        "{}",
        text(&o)
    );

    // The OTLP/JSON encoding: one request per trace, hex ids, int64 as strings, typed values.
    let reqs = lines(&out);
    assert_eq!(reqs.len(), 40);
    let raw = std::fs::read_to_string(&out).unwrap();
    assert!(raw.contains(r#""intValue":""#));
    assert!(raw.contains(r#""doubleValue":"#));
    assert!(raw.contains(r#""arrayValue":{"values":["#));
    let span = &reqs[0]["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
    assert!(span["startTimeUnixNano"].is_string(), "{span}");
    let tid = span["traceId"].as_str().unwrap();
    assert!(tid.len() == 32 && tid.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(reqs[0]["resourceSpans"][0]["resource"]["attributes"].is_array());
    for r in &reqs {
        let mut traces: Vec<&str> = r["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
            .flat_map(|ss| ss["spans"].as_array().unwrap())
            .map(|s| s["traceId"].as_str().unwrap())
            .collect();
        traces.dedup();
        assert_eq!(traces.len(), 1, "one trace per line");
    }

    let (a, _) = imported(dir.path(), "a.db", &fixture(SUPPORT_BOT));
    let (b, ids_b) = imported(dir.path(), "b.db", &out);
    assert_eq!(ids, ids_b);
    let (mut spans, mut with_usage, mut reported, mut computed) = (0, 0, 0, 0);
    for id in &ids {
        let sa = a.trace_spans(id).unwrap();
        let sb = b.trace_spans(id).unwrap();
        assert_eq!(sa.len(), sb.len(), "trace {id}");
        for (x, y) in sa.iter().zip(&sb) {
            assert_same_span(x, y);
            spans += 1;
            with_usage += usize::from(x.usage.is_some());
            match x.cost.as_ref().map(|c| &c.source) {
                Some(CostSource::Reported) => reported += 1,
                Some(CostSource::Computed { .. }) => computed += 1,
                _ => {}
            }
        }
        // The roll-ups (tokens, cost) agree too.
        let (ta, tb) = (
            a.trace_summary(id).unwrap().unwrap(),
            b.trace_summary(id).unwrap().unwrap(),
        );
        assert_eq!(ta.total_tokens, tb.total_tokens);
        assert_eq!(ta.cost_usd, tb.cost_usd);
        assert_eq!(ta.cost_known_usd, tb.cost_known_usd);
    }
    assert!(spans > 100, "{spans} spans");
    assert!(with_usage > 0, "the fixture has token counts");
    assert!(
        reported + computed > 0,
        "the fixture has costs ({reported} reported, {computed} computed)"
    );
    eprintln!(
        "{spans} spans, {with_usage} with usage, {reported} reported / {computed} computed costs"
    );
}

/// The other conventions (GenAI attributes and events, OpenLLMetry, the JS exporter) survive
/// the round trip as well.
#[test]
fn otlp_round_trip_other_conventions() {
    let mut reported = 0;
    for name in [
        "genai_current.synthetic.otlp.jsonl",
        "genai_events.synthetic.otlp.jsonl",
        "openllmetry_legacy.synthetic.otlp.jsonl",
        "js_exporter_crosscheck.otlp.jsonl",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (a, ids) = imported(dir.path(), "a.db", &fixture(name));
        let out = dir.path().join("back.otlp.jsonl");
        let mut f = std::fs::File::create(&out).unwrap();
        for id in &ids {
            let spans = a.trace_spans(id).unwrap();
            let req = trawl::export::otlp::trace_request(&spans);
            use std::io::Write;
            writeln!(f, "{req}").unwrap();
        }
        drop(f);
        let (b, ids_b) = imported(dir.path(), "b.db", &out);
        assert_eq!(ids, ids_b, "{name}");
        let mut n = 0;
        for id in &ids {
            let (sa, sb) = (a.trace_spans(id).unwrap(), b.trace_spans(id).unwrap());
            assert_eq!(sa.len(), sb.len(), "{name} {id}");
            for (x, y) in sa.iter().zip(&sb) {
                assert_same_span(x, y);
                n += 1;
                if x.cost
                    .as_ref()
                    .is_some_and(|c| c.source == CostSource::Reported)
                {
                    reported += 1;
                }
            }
        }
        assert!(n > 0, "{name}");
    }
    // genai_current carries gen_ai.usage.cost: a reported cost made the trip.
    assert!(reported > 0);
}
