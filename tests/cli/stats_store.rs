//! A small hand-made store whose figures are computed by hand in the `check` and `metrics`
//! tests.

use chrono::DateTime;
use trawl::model::{
    Cost, CostSource, Score, ScoreSource, Span, SpanKind, StatusCode, Usage, Verdict,
};
use trawl::store::{SourceOutcome, SourceRecord, Store};

pub const MS: i64 = 1_000_000;

pub fn ns(rfc3339: &str) -> i64 {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
        .timestamp_nanos_opt()
        .unwrap_or_else(|| panic!("{rfc3339}: out of range"))
}

/// One trace: a root chain span and one LLM call under it.
pub struct T {
    pub id: &'static str,
    pub start: &'static str,
    pub dur_ms: i64,
    pub llm_ms: i64,
    pub ttft_ms: Option<i64>,
    pub input: i64,
    pub output: i64,
    /// `None` = unknown cost.
    pub cost: Option<f64>,
    pub model: &'static str,
    pub tag: &'static str,
    pub error: bool,
}

/// Day 1 (Monday 2026-11-02): five traces of 100..500 ms; day 2: two of 1 s and 3 s.
pub const TRACES: &[T] = &[
    T {
        id: "t1",
        start: "2026-11-02T10:00:00Z",
        dur_ms: 100,
        llm_ms: 50,
        ttft_ms: Some(20),
        input: 10,
        output: 5,
        cost: Some(0.01),
        model: "gpt-4o",
        tag: "faq",
        error: false,
    },
    T {
        id: "t2",
        start: "2026-11-02T10:01:00Z",
        dur_ms: 200,
        llm_ms: 150,
        ttft_ms: Some(40),
        input: 20,
        output: 10,
        cost: Some(0.02),
        model: "gpt-4o",
        tag: "faq",
        error: true,
    },
    T {
        id: "t3",
        start: "2026-11-02T10:02:00Z",
        dur_ms: 300,
        llm_ms: 250,
        ttft_ms: None,
        input: 30,
        output: 15,
        cost: None,
        model: "mystery-1",
        tag: "refund",
        error: false,
    },
    T {
        id: "t4",
        start: "2026-11-02T10:03:00Z",
        dur_ms: 400,
        llm_ms: 350,
        ttft_ms: Some(60),
        input: 40,
        output: 20,
        cost: Some(0.04),
        model: "gpt-4o-mini",
        tag: "refund",
        error: false,
    },
    T {
        id: "t5",
        start: "2026-11-02T10:04:00Z",
        dur_ms: 500,
        llm_ms: 450,
        ttft_ms: Some(80),
        input: 50,
        output: 25,
        cost: Some(0.05),
        model: "gpt-4o-mini",
        tag: "refund",
        error: false,
    },
    T {
        id: "t6",
        start: "2026-11-03T10:00:00Z",
        dur_ms: 1000,
        llm_ms: 900,
        ttft_ms: Some(100),
        input: 100,
        output: 50,
        cost: Some(0.10),
        model: "gpt-4o",
        tag: "faq",
        error: false,
    },
    T {
        id: "t7",
        start: "2026-11-03T10:01:00Z",
        dur_ms: 3000,
        llm_ms: 2000,
        ttft_ms: Some(300),
        input: 100,
        output: 50,
        cost: Some(0.30),
        model: "gpt-4o",
        tag: "faq",
        error: true,
    },
];

fn trace_id(id: &str) -> String {
    format!("{:0>32}", id)
}

pub fn spans(t: &T) -> Vec<Span> {
    let start = ns(t.start);
    let tid = trace_id(t.id);
    let root = Span {
        trace_id: tid.clone(),
        span_id: format!("{:0>16}", format!("{}r", t.id)),
        name: "answer".into(),
        kind: SpanKind::Chain,
        start_ns: start,
        end_ns: Some(start + t.dur_ms * MS),
        status: if t.error {
            StatusCode::Error
        } else {
            StatusCode::Ok
        },
        tags: vec![t.tag.to_string()],
        service_name: Some("bot".into()),
        user_id: Some(format!("user-{}", t.id)),
        source_format: "test".into(),
        ..Default::default()
    };
    let llm = Span {
        trace_id: tid,
        span_id: format!("{:0>16}", format!("{}l", t.id)),
        parent_id: Some(root.span_id.clone()),
        name: "chat".into(),
        kind: SpanKind::Llm,
        start_ns: start,
        end_ns: Some(start + t.llm_ms * MS),
        status: StatusCode::Ok,
        model: Some(t.model.to_string()),
        usage: Some(Usage {
            input: Some(t.input),
            output: Some(t.output),
            ..Default::default()
        }),
        cost: Some(match t.cost {
            Some(c) => Cost {
                total: Some(c),
                source: CostSource::Reported,
                ..Default::default()
            },
            None => Cost::unknown(),
        }),
        ttft_ns: t.ttft_ms.map(|m| m * MS),
        source_format: "test".into(),
        ..Default::default()
    };
    vec![root, llm]
}

pub fn write(store: &mut Store, traces: &[T]) {
    let mut w = store
        .begin_import(&SourceRecord {
            path: "constructed".into(),
            format: "test".into(),
            ..Default::default()
        })
        .unwrap_or_else(|e| panic!("{e}"));
    for t in traces {
        for s in spans(t) {
            w.write(&s).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    w.finish(&SourceOutcome::default())
        .unwrap_or_else(|e| panic!("{e}"));
}

pub fn score(store: &Store, source: ScoreSource, id: &str, rule: &str, v: Verdict, cost: f64) {
    store
        .insert_score(&Score {
            verdict: Some(v),
            cost_usd: Some(cost),
            ..Score::new(source, trace_id(id), rule)
        })
        .unwrap_or_else(|e| panic!("{e}"));
}

/// The constructed store: TRACES plus judge verdicts for `grounded`.
/// Latest judge verdicts: t1 T, t2 F, t3 NA, t4 T (after an earlier F), t5 error, t6 F, t7 F.
/// A human FALSE on t1 must be ignored. Every judge call costs $0.001.
pub fn build(store: &mut Store) {
    write(store, TRACES);
    use Verdict::*;
    for (id, v) in [
        ("t1", True),
        ("t2", False),
        ("t3", Na),
        ("t4", False),
        ("t4", True),
        ("t5", Error),
        ("t6", False),
        ("t7", False),
    ] {
        score(store, ScoreSource::Judge, id, "grounded", v, 0.001);
    }
    score(store, ScoreSource::Human, "t1", "grounded", False, 0.0);
}

pub fn memory_store() -> Store {
    let mut s = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    build(&mut s);
    s
}
