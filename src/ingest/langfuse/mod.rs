//! Langfuse: the single-trace download (`{…trace, observations:[…], scores:[…]}`), batch
//! exports of traces, observations and scores (JSON array or JSON Lines), API list responses
//! (`{data:[…], meta}`), the legacy ingestion envelope (`{batch:[{id,type,timestamp,body}]}`),
//! and a post-pass for Langfuse SDK spans inside OTLP (`langfuse.observation.*` attributes).
//!
//! Langfuse's `usageDetails` buckets exclude each other (formats.md §4.1); trawl's are
//! inclusive (§10.3), so input = Σ keys containing "input" and output likewise.

mod otel;
mod usage;

pub use otel::{apply_otel, is_langfuse_otel};
pub use usage::{cost_from_details, usage_from_details};

use super::Imported;
use super::annotation::{apply_binary_verdicts, imported_score_key, label_verdict};
use super::semconv::apply_io_evidence;
use super::semconv::value::{f64_of, jsonish, scalar_string, str_of};
use super::util::{messages_from, parse_time_ns, raw_value, ttft_from};
use crate::model::{Document, Score, ScoreSource, Span, SpanKind, StatusCode, Verdict};
use serde_json::{Map, Value};
use std::collections::HashMap;
use usage::{cost, usage};

pub const SOURCE_FORMAT: &str = "langfuse";

#[derive(Default)]
struct Collected {
    traces: HashMap<String, Value>,
    trace_order: Vec<String>,
    observations: HashMap<String, Value>,
    obs_order: Vec<String>,
    scores: Vec<Value>,
}

impl Collected {
    fn add_trace(&mut self, v: Value) {
        let Some(id) = str_of(&v, "id") else { return };
        match self.traces.get_mut(&id) {
            Some(old) => merge(old, v),
            None => {
                self.trace_order.push(id.clone());
                self.traces.insert(id, v);
            }
        }
    }
    fn add_observation(&mut self, v: Value) {
        let Some(id) = str_of(&v, "id") else { return };
        // `-update` events carry only the changed fields.
        match self.observations.get_mut(&id) {
            Some(old) => merge(old, v),
            None => {
                self.obs_order.push(id.clone());
                self.observations.insert(id, v);
            }
        }
    }
}

fn merge(old: &mut Value, new: Value) {
    if let (Value::Object(o), Value::Object(n)) = (old, new) {
        for (k, v) in n {
            if !v.is_null() {
                o.insert(k, v);
            }
        }
    }
}

/// Parses a Langfuse export (any of the shapes above).
pub fn parse(bytes: &[u8]) -> Imported {
    let (records, mut out) = Imported::from_json_records(bytes);
    let mut c = Collected::default();
    for (n, rec) in records {
        if !classify(rec, &mut c, None) {
            out.bad
                .push((n, "not a Langfuse trace, observation or score".into()));
        }
    }
    build(c, &mut out);
    out
}

/// Files one record; false when it is none of the known shapes.
fn classify(rec: Value, c: &mut Collected, trace_hint: Option<&str>) -> bool {
    let Value::Object(mut o) = rec else {
        return false;
    };
    if let Some(Value::Array(batch)) = o.remove("batch") {
        for ev in batch {
            let kind = str_of(&ev, "type").unwrap_or_default();
            let Some(mut body) = ev.get("body").cloned() else {
                continue;
            };
            match kind.as_str() {
                "trace-create" => c.add_trace(body),
                "score-create" => c.scores.push(body),
                "sdk-log" => {}
                k if k.ends_with("-create") || k.ends_with("-update") => {
                    if body.get("type").is_none() {
                        let t = k.rsplit_once('-').map(|x| x.0).unwrap_or("span");
                        if t != "observation"
                            && let Value::Object(b) = &mut body
                        {
                            b.insert("type".into(), Value::String(t.to_ascii_uppercase()));
                        }
                    }
                    c.add_observation(body);
                }
                _ => {}
            }
        }
        return true;
    }
    if let Some(Value::Array(data)) = o.get("data").cloned()
        && o.contains_key("meta")
    {
        for d in data {
            classify(d, c, None);
        }
        return true;
    }
    let obs = o.remove("observations");
    let scores = o.remove("scores");
    if obs.is_some() || scores.is_some() {
        let tid = o
            .get("id")
            .and_then(scalar_string)
            .or_else(|| trace_hint.map(str::to_string));
        if let Some(Value::Array(obs)) = obs {
            for mut ob in obs {
                // The list API gives observation ids only; the download gives full objects.
                if let (Value::Object(m), Some(t)) = (&mut ob, &tid) {
                    m.entry("traceId")
                        .or_insert_with(|| Value::String(t.clone()));
                    c.add_observation(ob);
                }
            }
        }
        if let Some(Value::Array(scores)) = scores {
            for mut s in scores {
                if let (Value::Object(m), Some(t)) = (&mut s, &tid) {
                    m.entry("traceId")
                        .or_insert_with(|| Value::String(t.clone()));
                    c.scores.push(s);
                }
            }
        }
        if o.contains_key("id") {
            c.add_trace(Value::Object(o));
        }
        return true;
    }
    let has = |k: &str| o.contains_key(k);
    if has("dataType") || (has("name") && has("value") && !has("startTime") && !has("type")) {
        c.scores.push(Value::Object(o));
        return true;
    }
    if has("startTime") || has("parentObservationId") || (has("type") && has("traceId")) {
        c.add_observation(Value::Object(o));
        return true;
    }
    if has("id") && (has("timestamp") || has("sessionId") || has("name")) {
        c.add_trace(Value::Object(o));
        return true;
    }
    false
}

fn build(mut c: Collected, out: &mut Imported) {
    let mut by_trace: HashMap<String, Vec<Span>> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    for id in &c.obs_order {
        let Some(o) = c.observations.remove(id) else {
            continue;
        };
        let Some(span) = observation_span(&o) else {
            out.bad
                .push((0, format!("observation {id} has no traceId or startTime")));
            continue;
        };
        if !by_trace.contains_key(&span.trace_id) {
            order.push(span.trace_id.clone());
        }
        by_trace
            .entry(span.trace_id.clone())
            .or_default()
            .push(span);
    }
    for tid in &c.trace_order {
        if !by_trace.contains_key(tid) {
            order.push(tid.clone());
        }
    }
    for tid in order {
        let mut spans = by_trace.remove(&tid).unwrap_or_default();
        if let Some(t) = c.traces.get(&tid) {
            apply_trace(t, &tid, &mut spans);
        }
        out.spans.extend(spans);
    }
    // The 0/1 rule applies to numeric scores only: a categorical score's value is the code of
    // its category, not a judgement.
    let mut numeric = Vec::new();
    for s in c.scores {
        if let Some(ns) = score(&s) {
            if ns.verdict.is_none() && ns.label.is_none() {
                numeric.push(ns);
            } else {
                out.scores.push(ns);
            }
        }
    }
    apply_binary_verdicts(&mut numeric);
    out.scores.extend(numeric);
}

/// Adds the trace as a root span over its observations (as Langfuse's UI shows it) and copies
/// its session, user and tags onto every span.
fn apply_trace(t: &Value, tid: &str, spans: &mut Vec<Span>) {
    let session = str_of(t, "sessionId");
    let user = str_of(t, "userId");
    let tags: Vec<String> = t
        .get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(scalar_string).collect())
        .unwrap_or_default();
    let start = t
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(parse_time_ns)
        .or_else(|| spans.iter().map(|s| s.start_ns).min())
        .unwrap_or(0);
    let end = spans
        .iter()
        .filter_map(|s| s.end_ns.or(Some(s.start_ns)))
        .max()
        .filter(|e| *e >= start);
    let root_id = tid.to_string();
    let root_taken = spans.iter().any(|s| s.span_id == root_id);
    if !root_taken {
        for s in spans.iter_mut() {
            if s.parent_id.is_none() {
                s.parent_id = Some(root_id.clone());
            }
        }
        let mut root = Span {
            trace_id: tid.to_string(),
            span_id: root_id,
            name: str_of(t, "name").unwrap_or_else(|| "trace".into()),
            kind: SpanKind::Chain,
            start_ns: start,
            end_ns: end,
            input: t.get("input").and_then(raw_value),
            output: t.get("output").and_then(raw_value),
            input_messages: t.get("input").map(messages_from).unwrap_or_default(),
            output_messages: t.get("output").map(messages_from).unwrap_or_default(),
            metadata: t.get("metadata").filter(|m| !m.is_null()).cloned(),
            source_format: SOURCE_FORMAT.into(),
            ..Span::default()
        };
        root.attributes = scalar_fields(t);
        spans.insert(0, root);
    }
    for s in spans.iter_mut() {
        if s.session_id.is_none() {
            s.session_id = session.clone();
        }
        if s.user_id.is_none() {
            s.user_id = user.clone();
        }
        if s.tags.is_empty() {
            s.tags = tags.clone();
        }
    }
}

/// Top-level fields for the inspector, without the (large) I/O payloads.
fn scalar_fields(v: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    if let Value::Object(o) = v {
        for (k, v) in o {
            if matches!(k.as_str(), "input" | "output" | "observations" | "scores") || v.is_null() {
                continue;
            }
            m.insert(k.clone(), v.clone());
        }
    }
    m
}

fn observation_span(o: &Value) -> Option<Span> {
    let trace_id = str_of(o, "traceId")?;
    let span_id = str_of(o, "id")?;
    let start_ns = o
        .get("startTime")
        .and_then(Value::as_str)
        .and_then(parse_time_ns)?;
    let ty = str_of(o, "type").unwrap_or_else(|| "SPAN".into());
    let kind = SpanKind::parse(&ty).unwrap_or(SpanKind::Span);
    let end_ns = o
        .get("endTime")
        .and_then(Value::as_str)
        .and_then(parse_time_ns);
    let input = o.get("input").map(jsonish).unwrap_or(Value::Null);
    let output = o.get("output").map(jsonish).unwrap_or(Value::Null);
    let mut span = Span {
        trace_id,
        span_id,
        parent_id: str_of(o, "parentObservationId"),
        name: str_of(o, "name").unwrap_or_else(|| ty.to_ascii_lowercase()),
        kind,
        start_ns,
        end_ns,
        model: str_of(o, "model"),
        request_model: str_of(o, "model"),
        invocation_params: o.get("modelParameters").filter(|v| !v.is_null()).cloned(),
        input: raw_value(&input),
        output: raw_value(&output),
        input_messages: messages_from(&input),
        output_messages: messages_from(&output),
        metadata: o.get("metadata").filter(|v| !v.is_null()).cloned(),
        status_message: str_of(o, "statusMessage"),
        source_format: SOURCE_FORMAT.into(),
        ..Span::default()
    };
    if str_of(o, "level").as_deref() == Some("ERROR") {
        span.status = StatusCode::Error;
    }
    span.ttft_ns = ttft_from(o, "completionStartTime", start_ns);
    span.usage = usage(o);
    span.cost = cost(o);
    match kind {
        SpanKind::Tool => span.tool = Some(super::util::tool_from_io(&span)),
        SpanKind::Retriever => span.documents = documents(&output),
        // Langfuse has no reranker type: a SPAN is one, or a retriever, by evidence.
        SpanKind::Span => apply_io_evidence(&mut span, Some(&input), Some(&output)),
        _ => {}
    }
    span.attributes = scalar_fields(o);
    Some(span)
}

/// Documents from a retriever's output: a list, or an object with `documents`.
fn documents(v: &Value) -> Vec<Document> {
    let list = match v {
        Value::Array(a) => a,
        Value::Object(o) => match o.get("documents") {
            Some(Value::Array(a)) => a,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter()
        .map(|d| Document {
            id: str_of(d, "id"),
            score: f64_of(d, "score"),
            content: d
                .get("page_content")
                .or_else(|| d.get("content"))
                .or_else(|| d.get("text"))
                .and_then(scalar_string)
                .or_else(|| d.as_str().map(str::to_string)),
            metadata: d.get("metadata").cloned(),
        })
        .collect()
}

/// A Langfuse score as an imported score. Session- and dataset-run scores (no trace) are
/// skipped: trawl scores belong to traces.
/// Langfuse's score `source`: ANNOTATION is a reviewer in the UI, EVAL an LLM-as-judge
/// evaluator; API scores can be anything, so they stay imported.
fn score_source(source: Option<&str>) -> ScoreSource {
    match source.map(str::to_ascii_uppercase).as_deref() {
        Some("ANNOTATION") => ScoreSource::Human,
        Some("EVAL") => ScoreSource::Judge,
        _ => ScoreSource::Imported,
    }
}

fn score(s: &Value) -> Option<Score> {
    let trace_id = str_of(s, "traceId")?;
    let name = str_of(s, "name")?;
    let data_type = str_of(s, "dataType").unwrap_or_else(|| "NUMERIC".into());
    let value = f64_of(s, "value");
    let string_value = str_of(s, "stringValue");
    let mut ns = Score {
        span_id: str_of(s, "observationId"),
        explanation: str_of(s, "comment"),
        author: str_of(s, "authorUserId").or_else(|| str_of(s, "source")),
        created_at_ns: s
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(parse_time_ns),
        ..Score::new(score_source(str_of(s, "source").as_deref()), trace_id, name)
    };
    match data_type.as_str() {
        "BOOLEAN" => {
            ns.verdict = string_value
                .as_deref()
                .and_then(Verdict::parse)
                .or(value.map(|v| {
                    if v >= 0.5 {
                        Verdict::True
                    } else {
                        Verdict::False
                    }
                }));
            ns.value = value;
        }
        "CATEGORICAL" => {
            ns.verdict = string_value.as_deref().and_then(label_verdict);
            ns.label = string_value;
            ns.value = value;
        }
        "TEXT" | "CORRECTION" => ns.label = string_value,
        _ => ns.value = value,
    }
    ns.cache_key = Some(imported_score_key("langfuse", str_of(s, "id"), &ns));
    Some(ns)
}
