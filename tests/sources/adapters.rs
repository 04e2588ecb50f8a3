//! Golden tests of the non-OTLP sources: the two real `llm` logs.db files, and Langfuse,
//! LangSmith, Phoenix and ConsoleSpanExporter files built from their documented schemas
//! (`*.synthetic.*`, see tests/fixtures/README.md). Also content-based detection.

use std::collections::BTreeSet;
use std::path::Path;

use trawl::import::{ImportOptions, import_file};
use trawl::ingest::{Format, IngestReport, detect_format};
use trawl::model::{CostSource, ScoreSource, Span, SpanKind, StatusCode, Trace, Verdict};
use trawl::store::{SortKey, Store, TraceFilter};

use crate::util::fixture;

const LLM_036: &str = "llm-logs-0.36.db";
const LLM_027: &str = "llm-logs-0.27.1.db";
const LF_TRACE: &str = "langfuse_trace.synthetic.json";
const LF_OBS: &str = "langfuse_observations.synthetic.jsonl";
const LF_INGEST: &str = "langfuse_ingestion.synthetic.json";
const LANGSMITH: &str = "langsmith_runs.synthetic.json";
const CONSOLE: &str = "console_exporter.synthetic.txt";

fn import(path: &Path) -> (Store, IngestReport) {
    let mut s = Store::open_in_memory().unwrap();
    let r = import_file(&mut s, path, ImportOptions::default()).unwrap();
    assert!(r.fatal.is_none(), "{}: {:?}", path.display(), r.fatal);
    (s, r)
}

fn traces(s: &Store) -> Vec<Trace> {
    s.list_traces(&TraceFilter::default(), SortKey::Start, false, 10_000, 0)
        .unwrap()
}

fn all_spans(s: &Store) -> Vec<Span> {
    traces(s)
        .iter()
        .flat_map(|t| s.trace_spans(&t.trace_id).unwrap())
        .collect()
}

fn span<'a>(spans: &'a [Span], id: &str) -> &'a Span {
    spans
        .iter()
        .find(|s| s.span_id == id)
        .unwrap_or_else(|| panic!("no span {id}"))
}

// ---------------------------------------------------------------------------------------------
// llm logs.db (real files). Sums computed with sqlite3:
//   select count(*), sum(input_tokens), sum(output_tokens) from turns     -- 0.36:   16, 867, 528
//   select count(*), sum(input_tokens), sum(output_tokens) from responses -- 0.27.1: 16, 867, 528

fn check_llm_db(name: &str) {
    let (s, r) = import(&fixture(name));
    assert_eq!(r.format, "llm-logs");
    let ts = traces(&s);
    // One trace per command: the `-T llm_time` command's two model calls are one trace.
    assert_eq!(ts.len(), 15, "one trace per command");
    let sessions: BTreeSet<_> = ts.iter().filter_map(|t| t.session_id.clone()).collect();
    assert_eq!(sessions.len(), 12, "threads/conversations become sessions");
    assert_eq!(ts.iter().map(|t| t.input_tokens).sum::<i64>(), 867);
    assert_eq!(ts.iter().map(|t| t.output_tokens).sum::<i64>(), 528);
    // fake-* models have no price: cost is unknown, never 0.
    assert!(ts.iter().all(|t| t.cost_usd.is_none()));
    let spans = all_spans(&s);
    let llm: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Llm).collect();
    assert_eq!(llm.len(), 16);
    for l in &llm {
        // A call that only sends tool results back joins the trace of the call that asked.
        let continues = l.input_messages.last().is_some_and(|m| m.role == "tool");
        assert_eq!(l.trace_id == l.span_id, !continues, "{}", l.span_id);
        assert!(l.end_ns.unwrap() > l.start_ns);
        assert!(l.model.as_deref().unwrap().starts_with("fake-"));
        assert!(!l.output_messages.is_empty());
        assert_eq!(l.cost.as_ref().unwrap().source, CostSource::Unknown);
    }
    // The `-T llm_time` exchange: one TOOL span under the call that asked for it, with the
    // result that the next call sent back.
    let tools: Vec<_> = spans.iter().filter(|s| s.kind == SpanKind::Tool).collect();
    assert_eq!(tools.len(), 1);
    let t = tools[0];
    assert_eq!(t.name, "llm_time");
    assert_eq!(t.parent_id.as_deref(), Some(t.trace_id.as_str()));
    let info = t.tool.as_ref().unwrap();
    assert_eq!(
        info.call_id.as_deref(),
        Some("call_8870138072072fa7cc0cc69d")
    );
    assert!(info.result.as_deref().unwrap().contains("utc_time"));
    // The fragment-based prompt is resolved, not left as a reference: the typed text is the
    // question, the fragment an attached message of its own (and a document of the call).
    let frag = llm
        .iter()
        .find(|l| {
            l.last_user_message()
                .is_some_and(|m| m.starts_with("Summarize the attached policy"))
        })
        .expect("fragment prompt");
    assert!(
        frag.input_messages
            .iter()
            .any(|m| m.content.contains("Fernhill Outfitters"))
    );
    assert!(
        !frag
            .last_user_message()
            .unwrap()
            .contains("Fernhill Outfitters")
    );
}

#[test]
fn llm_logs_036_new_schema() {
    check_llm_db(LLM_036);
    // Multi-turn threads carry their history as input.
    let (s, _) = import(&fixture(LLM_036));
    let spans = all_spans(&s);
    let third = span(&spans, "01m5yqj70cs75d3zk1zx5eq02x");
    assert_eq!(third.input_messages.len(), 5);
    assert_eq!(
        third.session_id.as_deref(),
        Some("01m5yq8dhcq2qffddnetr670wd")
    );
}

#[test]
fn llm_logs_0271_legacy_schema() {
    check_llm_db(LLM_027);
    let (s, _) = import(&fixture(LLM_027));
    let spans = all_spans(&s);
    let sys = span(&spans, "01m5vp4jc9193fjv5ga6fbve42");
    assert_eq!(sys.input_messages[0].role, "system");
    // The call that sent the tool result back sees the chain: question, tool call, result.
    let with_result = span(&spans, "01m6dz9gx4rh4grc8272f5mjrv");
    let roles: Vec<&str> = with_result
        .input_messages
        .iter()
        .map(|m| m.role.as_str())
        .collect();
    assert_eq!(roles, ["user", "assistant", "tool"]);
}

#[test]
fn llm_logs_reimport_adds_nothing() {
    let mut s = Store::open_in_memory().unwrap();
    import_file(&mut s, &fixture(LLM_036), ImportOptions::default()).unwrap();
    let r = import_file(&mut s, &fixture(LLM_036), ImportOptions::default()).unwrap();
    assert_eq!(r.spans_new, 0);
    assert_eq!(traces(&s).len(), 15);
}

// ---------------------------------------------------------------------------------------------
// Langfuse.

#[test]
fn langfuse_single_trace_download() {
    let (s, r) = import(&fixture(LF_TRACE));
    assert_eq!(r.format, "langfuse");
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    let t = &ts[0];
    assert_eq!(t.session_id.as_deref(), Some("sess-lf-1"));
    assert_eq!(t.user_id.as_deref(), Some("user-7"));
    let spans = s.trace_spans(&t.trace_id).unwrap();
    assert_eq!(spans.len(), 4, "trace root + 3 observations");
    let gen_ = span(&spans, "eee19b7ec3c1b174");
    assert_eq!(gen_.kind, SpanKind::Llm);
    let u = gen_.usage.as_ref().unwrap();
    // Exclusive buckets → inclusive: input = 101 + 128, output = 21 + 7.
    assert_eq!(u.input, Some(229));
    assert_eq!(u.output, Some(28));
    assert_eq!(u.cache_read, Some(128));
    assert_eq!(u.reasoning, Some(7));
    assert_eq!(u.total, Some(257));
    let c = gen_.cost.as_ref().unwrap();
    assert_eq!(c.source, CostSource::Reported);
    assert!((c.total.unwrap() - 0.00062).abs() < 1e-12);
    assert!((c.input.unwrap() - 0.00041).abs() < 1e-12);
    assert_eq!(gen_.ttft_ns, Some(410_000_000));
    assert_eq!(gen_.input_messages.len(), 2);
    assert_eq!(gen_.output_messages[0].content, "2001");
    assert_eq!(t.input_tokens, 229);
    assert!((t.cost_usd.unwrap() - 0.00062).abs() < 1e-12);
    let tool = span(&spans, "eee19b7ec3c1b175");
    assert_eq!(tool.kind, SpanKind::Tool);
    assert_eq!(tool.status, StatusCode::Error);
    // Scores.
    let scores = s.scores_for_trace(&t.trace_id).unwrap();
    assert_eq!(scores.len(), 3);
    // Langfuse's score source says who scored: EVAL → judge, ANNOTATION → human, API → imported.
    let h = scores.iter().find(|x| x.name == "helpfulness").unwrap();
    assert_eq!(h.source, ScoreSource::Judge);
    assert_eq!(h.verdict, Some(Verdict::True));
    assert_eq!(h.span_id.as_deref(), Some("eee19b7ec3c1b174"));
    let a = scores.iter().find(|x| x.name == "accuracy").unwrap();
    assert_eq!(a.value, Some(0.9));
    assert_eq!(a.source, ScoreSource::Imported);
    let tone = scores.iter().find(|x| x.name == "tone").unwrap();
    assert_eq!(tone.label.as_deref(), Some("friendly"));
    assert_eq!(tone.source, ScoreSource::Human);
    // A categorical score's value is its category's code, not a judgement: no verdict.
    assert_eq!(tone.verdict, None);
    // Re-importing does not duplicate the scores.
    let mut s = s;
    import_file(&mut s, &fixture(LF_TRACE), ImportOptions::default()).unwrap();
    assert_eq!(s.scores_for_trace(&t.trace_id).unwrap().len(), 3);
}

#[test]
fn langfuse_batch_jsonl() {
    let (s, r) = import(&fixture(LF_OBS));
    assert_eq!(r.bad_lines_total, 1, "{:?}", r.bad_lines);
    assert_eq!(r.bad_lines[0].line, 4);
    let ts = traces(&s);
    assert_eq!(ts.len(), 2);
    let spans = all_spans(&s);
    let a2 = span(&spans, "obs-a2");
    let u = a2.usage.as_ref().unwrap();
    assert_eq!(
        (u.input, u.output, u.cache_read),
        (Some(50), Some(12), Some(10))
    );
    assert_eq!(a2.cost.as_ref().unwrap().total, Some(0.0001));
    assert_eq!(a2.parent_id.as_deref(), Some("obs-a1"));
    let b1 = span(&spans, "obs-b1");
    let u = b1.usage.as_ref().unwrap();
    assert_eq!((u.input, u.output, u.total), (Some(30), Some(5), Some(35)));
}

#[test]
fn langfuse_ingestion_envelope() {
    let (s, _) = import(&fixture(LF_INGEST));
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].session_id.as_deref(), Some("sess-ing"));
    let spans = s.trace_spans("trace-ing-1").unwrap();
    assert_eq!(
        spans.len(),
        3,
        "trace root, generation (create+update merged), span"
    );
    let g = span(&spans, "gen-1");
    assert_eq!(g.kind, SpanKind::Llm);
    assert!(g.end_ns.is_some(), "the update's endTime is merged");
    assert_eq!(g.output_messages[0].content, "hi there");
    assert_eq!(g.usage.as_ref().unwrap().input, Some(8));
    let sc = s.scores_for_trace("trace-ing-1").unwrap();
    assert_eq!(sc.len(), 1);
    assert_eq!(sc[0].verdict, Some(Verdict::False));
}

#[test]
fn langfuse_sdk_spans_inside_otlp() {
    let line = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"lf-app"}}]},"scopeSpans":[{"scope":{"name":"langfuse-sdk","version":"3.2.0"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"chat","kind":1,"startTimeUnixNano":"1735732800000000000","endTimeUnixNano":"1735732801000000000","attributes":[{"key":"langfuse.observation.type","value":{"stringValue":"generation"}},{"key":"langfuse.observation.model.name","value":{"stringValue":"gpt-4o"}},{"key":"langfuse.observation.usage_details","value":{"stringValue":"{\"input\":10,\"input_cached_tokens\":5,\"output\":4}"}},{"key":"langfuse.observation.cost_details","value":{"stringValue":"{\"total\":0.001}"}},{"key":"langfuse.observation.input","value":{"stringValue":"[{\"role\":\"user\",\"content\":\"hi\"}]"}},{"key":"langfuse.observation.level","value":{"stringValue":"ERROR"}},{"key":"session.id","value":{"stringValue":"s-otel"}}]}]}]}]}"#;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = dir.join("dump.json");
    std::fs::write(&p, format!("{line}\n")).unwrap();
    let (s, _) = import(&p);
    let spans = all_spans(&s);
    let g = &spans[0];
    assert_eq!(g.kind, SpanKind::Llm);
    assert_eq!(g.model.as_deref(), Some("gpt-4o"));
    let u = g.usage.as_ref().unwrap();
    assert_eq!(
        (u.input, u.output, u.cache_read),
        (Some(15), Some(4), Some(5))
    );
    assert_eq!(g.cost.as_ref().unwrap().total, Some(0.001));
    assert_eq!(g.status, StatusCode::Error);
    assert_eq!(g.input_messages[0].content, "hi");
    assert_eq!(g.session_id.as_deref(), Some("s-otel"));
}

// ---------------------------------------------------------------------------------------------
// LangSmith.

#[test]
fn langsmith_runs_not_double_counted() {
    let (s, r) = import(&fixture(LANGSMITH));
    assert_eq!(r.format, "langsmith");
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    let t = &ts[0];
    assert_eq!(
        t.session_id.as_deref(),
        Some("t-1"),
        "thread_id is the session"
    );
    let spans = s.trace_spans(&t.trace_id).unwrap();
    assert_eq!(spans.len(), 4);
    let llm_sum: i64 = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Llm)
        .map(|s| s.usage.as_ref().unwrap().total.unwrap())
        .sum();
    assert_eq!(llm_sum, 38);
    assert_eq!(
        t.total_tokens, llm_sum,
        "the root's rolled-up 38 is not added again"
    );
    let root = span(&spans, "0190f7a2-8b00-7c00-8000-000000000001");
    assert!(root.usage.as_ref().unwrap().aggregate);
    assert_eq!(root.kind, SpanKind::Chain);
    // Parent from dotted_order when parent_run_id is absent.
    let first = span(&spans, "0190f7a2-8c1e-7b3a-9f00-6a1d2c3b4e5f");
    assert_eq!(first.parent_id.as_deref(), Some(root.span_id.as_str()));
    assert_eq!(first.model.as_deref(), Some("gpt-4o-mini"));
    assert_eq!(first.input_messages[0].role, "user");
    assert_eq!(first.output_messages[0].tool_calls[0].name, "clock");
    assert_eq!(first.cost.as_ref().unwrap().source, CostSource::Reported);
    let second = span(&spans, "0190f7a2-8e00-7000-8000-000000000004");
    assert_eq!(second.usage.as_ref().unwrap().cache_read, Some(16));
    assert_eq!(second.output_messages[0].content, "Hello! It is noon.");
    let tool = span(&spans, "0190f7a2-8d00-7000-8000-000000000003");
    assert_eq!(tool.kind, SpanKind::Tool);
    assert!(
        tool.usage.is_none(),
        "zero tokens on a tool run are no usage"
    );
    assert!((t.cost_usd.unwrap() - 0.0000102).abs() < 1e-12);
    let sc = s.scores_for_trace(&t.trace_id).unwrap();
    assert_eq!(sc.len(), 2);
    let c = sc.iter().find(|x| x.name == "correctness").unwrap();
    assert_eq!(c.verdict, Some(Verdict::True));
    let h = sc.iter().find(|x| x.name == "helpfulness").unwrap();
    assert_eq!(h.value, Some(0.75));
    assert_eq!(h.span_id.as_deref(), Some(second.span_id.as_str()));
}

// ---------------------------------------------------------------------------------------------
// Phoenix (databases built here from the documented schema, formats.md §6).

fn phoenix_db(path: &Path, old_revision: bool) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch("CREATE TABLE alembic_version (version_num TEXT);
        CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT UNIQUE, description TEXT, created_at TEXT, updated_at TEXT);
        INSERT INTO projects VALUES (1, 'support-bot', NULL, '2025-01-01 00:00:00', '2025-01-01 00:00:00');").unwrap();
    if old_revision {
        c.execute_batch("INSERT INTO alembic_version VALUES ('cf03bd6bae1d');
            CREATE TABLE traces (id INTEGER PRIMARY KEY, project_rowid INTEGER, trace_id TEXT UNIQUE, start_time TEXT, end_time TEXT);
            CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_rowid INTEGER, span_id TEXT UNIQUE, parent_id TEXT, name TEXT,
              span_kind TEXT, start_time TEXT, end_time TEXT, attributes JSONB, events JSONB, status_code TEXT,
              status_message TEXT, cumulative_error_count INTEGER);").unwrap();
    } else {
        c.execute_batch("INSERT INTO alembic_version VALUES ('a20694b15f82');
            CREATE TABLE project_sessions (id INTEGER PRIMARY KEY, session_id TEXT UNIQUE, project_id INTEGER, start_time TEXT, end_time TEXT);
            INSERT INTO project_sessions VALUES (1, 's-42', 1, '2025-01-01 12:00:00', '2025-01-01 12:00:02');
            CREATE TABLE traces (id INTEGER PRIMARY KEY, project_rowid INTEGER, trace_id TEXT UNIQUE, project_session_rowid INTEGER, start_time TEXT, end_time TEXT);
            CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_rowid INTEGER, span_id TEXT UNIQUE, parent_id TEXT, name TEXT,
              span_kind TEXT, start_time TEXT, end_time TEXT, attributes JSONB, events JSONB, status_code TEXT,
              status_message TEXT, cumulative_error_count INTEGER,
              cumulative_llm_token_count_prompt INTEGER, cumulative_llm_token_count_completion INTEGER,
              llm_token_count_prompt INTEGER, llm_token_count_completion INTEGER);
            CREATE TABLE span_annotations (id INTEGER PRIMARY KEY, span_rowid INTEGER, name TEXT, label TEXT, score REAL,
              explanation TEXT, metadata JSONB, annotator_kind TEXT, identifier TEXT, source TEXT, user_id INTEGER,
              created_at TEXT, updated_at TEXT);
            CREATE TABLE trace_annotations (id INTEGER PRIMARY KEY, trace_rowid INTEGER, name TEXT, label TEXT, score REAL,
              explanation TEXT, metadata JSONB, annotator_kind TEXT, identifier TEXT, source TEXT, user_id INTEGER,
              created_at TEXT, updated_at TEXT);
            CREATE TABLE span_costs (id INTEGER PRIMARY KEY, span_rowid INTEGER, trace_rowid INTEGER, span_start_time TEXT,
              model_id INTEGER, total_cost REAL, total_tokens REAL, prompt_cost REAL, prompt_tokens REAL,
              completion_cost REAL, completion_tokens REAL);").unwrap();
    }
    let session_col = if old_revision {
        ""
    } else {
        ", project_session_rowid"
    };
    let session_val = if old_revision { "" } else { ", 1" };
    c.execute(&format!("INSERT INTO traces (id, project_rowid, trace_id{session_col}, start_time, end_time)
        VALUES (1, 1, '5b8efff798038103d269b633813fc60c'{session_val}, '2025-01-01 12:00:00.000000', '2025-01-01 12:00:02.000000')"), []).unwrap();
    let chain_attrs = r#"{"openinference":{"span":{"kind":"CHAIN"}},"input":{"value":"Where is my order?"},"output":{"value":"It ships today."},"user":{"id":"u-1"},"tag":{"tags":["prod"]},"metadata":{"tenant":"acme"}}"#;
    let llm_attrs = r#"{"openinference":{"span":{"kind":"LLM"}},"llm":{"model_name":"gpt-4o-mini","token_count":{"prompt":229,"completion":21,"total":250},"input_messages":[{"message":{"role":"system","content":"Be brief."}},{"message":{"role":"user","content":"Where is my order?"}}],"output_messages":[{"message":{"role":"assistant","content":"It ships today."}}]},"input":{"value":"{}","mime_type":"application/json"}}"#;
    let ret_attrs = r#"{"openinference":{"span":{"kind":"RETRIEVER"}},"retrieval":{"documents":[{"document":{"id":"kb-1","content":"Orders ship in 1 day.","score":0.9}},{"document":{"id":"kb-2","content":"Returns take 5 days.","score":0.4}}]}}"#;
    let events = r#"[{"name":"exception","timestamp":"2025-01-01T12:00:01.200000+00:00","attributes":{"exception.message":"slow"}}]"#;
    let cols = if old_revision {
        ""
    } else {
        ", llm_token_count_prompt, llm_token_count_completion"
    };
    #[allow(clippy::type_complexity)]
    let rows: [(
        i64,
        &str,
        Option<&str>,
        &str,
        &str,
        &str,
        &str,
        &str,
        &str,
        &str,
    ); 3] = [
        (
            1,
            "aaaaaaaaaaaaaaa1",
            None,
            "answer",
            "CHAIN",
            "2025-01-01 12:00:00.000000",
            "2025-01-01 12:00:02.000000",
            chain_attrs,
            "[]",
            "OK",
        ),
        (
            2,
            "aaaaaaaaaaaaaaa2",
            Some("aaaaaaaaaaaaaaa1"),
            "retrieve",
            "RETRIEVER",
            "2025-01-01 12:00:00.100000",
            "2025-01-01 12:00:00.300000",
            ret_attrs,
            "[]",
            "UNSET",
        ),
        (
            3,
            "aaaaaaaaaaaaaaa3",
            Some("aaaaaaaaaaaaaaa1"),
            "ChatCompletion",
            "LLM",
            "2025-01-01 12:00:00.400000",
            "2025-01-01 12:00:01.900000",
            llm_attrs,
            events,
            "ERROR",
        ),
    ];
    for (id, sid, parent, name, kind, st, en, attrs, ev, status) in rows {
        let extra = if old_revision {
            String::new()
        } else if id == 3 {
            ", 229, 21".into()
        } else {
            ", NULL, NULL".into()
        };
        c.execute(&format!("INSERT INTO spans (id, trace_rowid, span_id, parent_id, name, span_kind, start_time, end_time, attributes, events, status_code, status_message, cumulative_error_count{cols})
            VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, 0{extra})"),
            rusqlite::params![id, sid, parent, name, kind, st, en, attrs, ev, status]).unwrap();
    }
    if !old_revision {
        c.execute_batch("INSERT INTO span_costs VALUES (1, 3, 1, '2025-01-01 12:00:00.400000', NULL, 0.0005, 250, 0.0003, 229, 0.0002, 21);
            INSERT INTO span_annotations VALUES (1, 3, 'correctness', 'correct', 1.0, 'matches the KB', NULL, 'LLM', '', 'API', NULL, '2025-01-01 13:00:00', '2025-01-01 13:00:00');
            INSERT INTO trace_annotations VALUES (1, 1, 'user_feedback', 'thumbs_down', 0.0, NULL, NULL, 'HUMAN', '', 'APP', NULL, '2025-01-01 13:01:00', '2025-01-01 13:01:00');").unwrap();
    }
}

#[test]
fn phoenix_current_revision() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = dir.join("phoenix.db");
    phoenix_db(&p, false);
    let (s, r) = import(&p);
    assert_eq!(r.format, "phoenix");
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    let t = &ts[0];
    assert_eq!(
        t.session_id.as_deref(),
        Some("s-42"),
        "session from project_sessions"
    );
    assert_eq!(t.user_id.as_deref(), Some("u-1"));
    assert_eq!(t.service.as_deref(), Some("support-bot"));
    let spans = s.trace_spans(&t.trace_id).unwrap();
    let llm = span(&spans, "aaaaaaaaaaaaaaa3");
    assert_eq!(llm.kind, SpanKind::Llm);
    assert_eq!(llm.input_messages.len(), 2);
    assert_eq!(llm.input_messages[1].content, "Where is my order?");
    assert_eq!(llm.output_messages[0].content, "It ships today.");
    assert_eq!(llm.usage.as_ref().unwrap().input, Some(229));
    let c = llm.cost.as_ref().unwrap();
    assert_eq!(c.source, CostSource::Reported);
    assert_eq!(c.total, Some(0.0005));
    assert_eq!(llm.status, StatusCode::Error);
    assert_eq!(llm.events.len(), 1);
    let ret = span(&spans, "aaaaaaaaaaaaaaa2");
    assert_eq!(ret.documents.len(), 2);
    assert_eq!(ret.documents[0].id.as_deref(), Some("kb-1"));
    let root = span(&spans, "aaaaaaaaaaaaaaa1");
    assert_eq!(root.tags, vec!["prod".to_string()]);
    assert_eq!(t.total_tokens, 250);
    let sc = s.scores_for_trace(&t.trace_id).unwrap();
    assert_eq!(sc.len(), 2);
    let c = sc.iter().find(|x| x.name == "correctness").unwrap();
    assert_eq!(c.verdict, Some(Verdict::True));
    assert_eq!(c.span_id.as_deref(), Some("aaaaaaaaaaaaaaa3"));
    let f = sc.iter().find(|x| x.name == "user_feedback").unwrap();
    assert_eq!(f.label.as_deref(), Some("thumbs_down"));
    assert_eq!(f.span_id, None);
}

#[test]
fn phoenix_old_revision_without_token_cost_session_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let p = dir.join("phoenix.db");
    phoenix_db(&p, true);
    let (s, _) = import(&p);
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    let spans = s.trace_spans(&ts[0].trace_id).unwrap();
    assert_eq!(spans.len(), 3);
    let llm = span(&spans, "aaaaaaaaaaaaaaa3");
    // Tokens still come from the attributes; the cost is computed by trawl's price table.
    assert_eq!(llm.usage.as_ref().unwrap().input, Some(229));
    assert!(matches!(
        llm.cost.as_ref().unwrap().source,
        CostSource::Computed { .. }
    ));
    assert!(s.scores_for_trace(&ts[0].trace_id).unwrap().is_empty());
}

// ---------------------------------------------------------------------------------------------
// ConsoleSpanExporter.

#[test]
fn console_exporter_multiline_objects() {
    let (s, r) = import(&fixture(CONSOLE));
    assert_eq!(r.format, "otel-console");
    assert_eq!(r.bad_lines_total, 0);
    let ts = traces(&s);
    assert_eq!(ts.len(), 1);
    assert_eq!(ts[0].trace_id, "7c9d0e1f2a3b4c5d6e7f8091a2b3c4d5");
    assert_eq!(ts[0].session_id.as_deref(), Some("sess-console"));
    assert_eq!(ts[0].service.as_deref(), Some("console-demo"));
    let spans = s.trace_spans(&ts[0].trace_id).unwrap();
    assert_eq!(spans.len(), 2);
    let llm = span(&spans, "c0c0c0c0c0c0c174");
    assert_eq!(llm.kind, SpanKind::Llm);
    assert_eq!(llm.otel_kind, Some(3));
    assert_eq!(llm.parent_id.as_deref(), Some("c0c0c0c0c0c0c173"));
    assert_eq!(llm.usage.as_ref().unwrap().total, Some(15));
    assert_eq!(llm.end_ns.unwrap() - llm.start_ns, 1_250_000_000);
    let root = span(&spans, "c0c0c0c0c0c0c173");
    assert_eq!(root.status, StatusCode::Error);
    assert_eq!(root.events[0].name, "exception");
}

// ---------------------------------------------------------------------------------------------
// Detection by content, whatever the file is called.

#[test]
fn detects_each_format_from_content_not_name() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let cases: [(&str, &str, Format); 7] = [
        (LF_TRACE, "trace.csv", Format::Langfuse),
        (LF_OBS, "obs.db", Format::Langfuse),
        (LF_INGEST, "ingest.jsonl", Format::Langfuse),
        (LANGSMITH, "runs.otlp.jsonl", Format::LangSmith),
        (CONSOLE, "spans.json", Format::Console),
        (LLM_036, "export.jsonl", Format::LlmLogs),
        (LLM_027, "phoenix.db", Format::LlmLogs),
    ];
    for (src, name, want) in cases {
        let p = dir.join(name);
        std::fs::copy(fixture(src), &p).unwrap();
        assert_eq!(detect_format(&p).unwrap(), want, "{src} as {name}");
    }
    let p = dir.join("logs.db");
    phoenix_db(&p, false);
    assert_eq!(detect_format(&p).unwrap(), Format::Phoenix);
    let p = dir.join("traces.jsonl");
    std::fs::write(&p, "name,value\nx,1\n").unwrap();
    let mut s = Store::open_in_memory().unwrap();
    let r = import_file(&mut s, &p, ImportOptions::default()).unwrap();
    let fatal = r.fatal.unwrap();
    assert!(
        fatal.contains("Langfuse") && fatal.contains("Phoenix"),
        "{fatal}"
    );
    // `--format` overrides detection.
    let r = import_file(
        &mut s,
        &fixture(CONSOLE),
        ImportOptions {
            format: Format::from_flag("console"),
            ..ImportOptions::default()
        },
    )
    .unwrap();
    assert_eq!(r.format, "otel-console");
    for f in ["langfuse", "langsmith", "phoenix", "llm", "console", "otlp"] {
        assert!(Format::from_flag(f).is_some(), "{f}");
    }
}
