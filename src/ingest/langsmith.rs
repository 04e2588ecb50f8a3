//! LangSmith runs as `Client.list_runs()` / `POST /runs/query` return them, saved as a JSON
//! array or JSON Lines (formats.md §5). Feedback objects (in the same file, or inline under a
//! run's `feedback`) become imported scores.
//!
//! The server rolls tokens and cost up to parent runs, so a chain carries its subtree's totals:
//! such parents are marked `usage.aggregate` and never added again (§10.2).

use super::Imported;
use super::annotation::{apply_binary_verdicts, imported_score_key};
use super::semconv::value::{as_f64, as_token_count, f64_of, scalar_string, str_of};
use super::util::{messages_from, parse_time_ns, raw_value, ttft_from};
use crate::model::{
    Cost, CostSource, Document, Message, Provenance, Score, ScoreSource, Span, SpanKind,
    StatusCode, Usage, Verdict,
};
use serde_json::{Map, Value};
use std::collections::HashMap;

pub const SOURCE_FORMAT: &str = "langsmith";

pub fn parse(bytes: &[u8]) -> Imported {
    let (records, mut out) = Imported::from_json_records(bytes);
    let mut feedback: Vec<Value> = Vec::new();
    for (n, rec) in records {
        // `{runs:[…]}` (the query API's page) holds the runs one level down.
        let items = match rec {
            Value::Object(mut o) if o.get("runs").is_some_and(Value::is_array) => {
                match o.remove("runs") {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                }
            }
            other => vec![other],
        };
        for rec in items {
            if rec.get("run_id").is_some() && rec.get("key").is_some() {
                feedback.push(rec);
                continue;
            }
            match run_span(&rec) {
                Some(s) => {
                    if let Some(Value::Array(fb)) = rec.get("feedback") {
                        for f in fb {
                            let mut f = f.clone();
                            if let Value::Object(m) = &mut f {
                                m.entry("run_id")
                                    .or_insert_with(|| Value::String(s.span_id.clone()));
                                m.entry("trace_id")
                                    .or_insert_with(|| Value::String(s.trace_id.clone()));
                            }
                            feedback.push(f);
                        }
                    }
                    out.spans.push(s);
                }
                None => out
                    .bad
                    .push((n, "not a LangSmith run (no id or start_time)".into())),
            }
        }
    }
    mark_server_rollups(&mut out.spans);
    let trace_of: HashMap<&str, &str> = out
        .spans
        .iter()
        .map(|s| (s.span_id.as_str(), s.trace_id.as_str()))
        .collect();
    for f in &feedback {
        if let Some(s) = feedback_score(f, &trace_of) {
            out.scores.push(s);
        }
    }
    apply_binary_verdicts(&mut out.scores);
    out
}

/// The run UUID at the end of a `dotted_order` segment (`<timestamp>Z<uuid>`).
fn segment_id(seg: &str) -> Option<String> {
    let n = seg.len();
    (n > 36).then(|| seg[n - 36..].to_string())
}

fn run_span(r: &Value) -> Option<Span> {
    let id = str_of(r, "id")?;
    let dotted = str_of(r, "dotted_order");
    let segs: Vec<&str> = dotted
        .as_deref()
        .map(|d| d.split('.').collect())
        .unwrap_or_default();
    let parent_id = str_of(r, "parent_run_id").or_else(|| {
        (segs.len() >= 2)
            .then(|| segment_id(segs[segs.len() - 2]))
            .flatten()
    });
    let trace_id = str_of(r, "trace_id")
        .or_else(|| segs.first().and_then(|s| segment_id(s)))
        .unwrap_or_else(|| id.clone());
    let start_ns = r
        .get("start_time")
        .and_then(Value::as_str)
        .and_then(parse_time_ns)?;
    let run_type = str_of(r, "run_type").unwrap_or_default();
    let kind = match run_type.as_str() {
        "llm" => SpanKind::Llm,
        "chain" | "parser" => SpanKind::Chain,
        "tool" => SpanKind::Tool,
        "retriever" => SpanKind::Retriever,
        "embedding" => SpanKind::Embedding,
        "prompt" => SpanKind::Prompt,
        other => SpanKind::parse(other).unwrap_or(SpanKind::Span),
    };
    let extra = r.get("extra").cloned().unwrap_or(Value::Null);
    let meta = extra.get("metadata").cloned().unwrap_or(Value::Null);
    let invocation = extra
        .get("invocation_params")
        .filter(|v| !v.is_null())
        .cloned();
    let inputs = r.get("inputs").cloned().unwrap_or(Value::Null);
    let outputs = r.get("outputs").cloned().unwrap_or(Value::Null);
    let mut span = Span {
        trace_id,
        span_id: id,
        parent_id,
        name: str_of(r, "name").unwrap_or_else(|| run_type.clone()),
        kind,
        start_ns,
        end_ns: r
            .get("end_time")
            .and_then(Value::as_str)
            .and_then(parse_time_ns),
        model: str_of(&meta, "ls_model_name")
            .or_else(|| invocation.as_ref().and_then(|p| str_of(p, "model")))
            .or_else(|| invocation.as_ref().and_then(|p| str_of(p, "model_name"))),
        provider: str_of(&meta, "ls_provider"),
        invocation_params: invocation,
        input: raw_value(&inputs),
        output: raw_value(&outputs),
        session_id: ["session_id", "thread_id", "conversation_id"]
            .iter()
            .find_map(|k| str_of(&meta, k)),
        user_id: str_of(&meta, "user_id"),
        tags: r
            .get("tags")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(scalar_string).collect())
            .unwrap_or_default(),
        metadata: meta.is_object().then(|| meta.clone()),
        source_format: SOURCE_FORMAT.into(),
        ..Span::default()
    };
    span.request_model = span.model.clone();
    span.input_messages = input_messages(&inputs);
    span.output_messages = output_messages(&outputs);
    if let Some(err) = str_of(r, "error") {
        span.status = StatusCode::Error;
        span.status_message = Some(err);
    } else if str_of(r, "status").as_deref() == Some("error") {
        span.status = StatusCode::Error;
    } else if str_of(r, "status").as_deref() == Some("success") {
        span.status = StatusCode::Ok;
    }
    span.ttft_ns = ttft_from(r, "first_token_time", start_ns);
    span.usage = usage(r);
    if let Some(total) = f64_of(r, "total_cost") {
        span.cost = Some(Cost {
            input: f64_of(r, "prompt_cost"),
            output: f64_of(r, "completion_cost"),
            total: Some(total),
            source: CostSource::Reported,
        });
    }
    match kind {
        SpanKind::Tool => span.tool = Some(super::util::tool_from_io(&span)),
        SpanKind::Retriever => span.documents = documents(&outputs),
        _ => {}
    }
    let mut attrs = Map::new();
    for k in [
        "run_type",
        "status",
        "dotted_order",
        "session_id",
        "reference_example_id",
    ] {
        if let Some(v) = r.get(k).filter(|v| !v.is_null()) {
            attrs.insert(k.into(), v.clone());
        }
    }
    span.attributes = attrs;
    Some(span)
}

fn usage(r: &Value) -> Option<Usage> {
    let input = r.get("prompt_tokens").and_then(as_token_count);
    let output = r.get("completion_tokens").and_then(as_token_count);
    let total = r.get("total_tokens").and_then(as_token_count);
    if input.is_none() && output.is_none() && total.is_none() {
        return None;
    }
    // A run that used no model reports zeros; that is no usage, not "free".
    if input.unwrap_or(0) == 0 && output.unwrap_or(0) == 0 && total.unwrap_or(0) == 0 {
        return None;
    }
    let pd = r
        .get("prompt_token_details")
        .cloned()
        .unwrap_or(Value::Null);
    let cd = r
        .get("completion_token_details")
        .cloned()
        .unwrap_or(Value::Null);
    Some(Usage {
        input,
        output,
        total,
        cache_read: pd.get("cache_read").and_then(as_token_count),
        cache_write: pd.get("cache_creation").and_then(as_token_count),
        reasoning: cd.get("reasoning").and_then(as_token_count),
        provenance: Provenance::Reported,
        aggregate: false,
    })
}

fn input_messages(inputs: &Value) -> Vec<Message> {
    if let Some(m) = inputs.get("messages") {
        return messages_from(m);
    }
    if let Some(p) = inputs.get("prompts").and_then(Value::as_array) {
        return p
            .iter()
            .filter_map(Value::as_str)
            .map(|t| Message {
                role: "user".into(),
                content: t.into(),
                ..Message::default()
            })
            .collect();
    }
    Vec::new()
}

fn output_messages(outputs: &Value) -> Vec<Message> {
    if let Some(g) = outputs.get("generations") {
        // `[[{text, message?}]]`: one list per prompt.
        let mut out = Vec::new();
        let flat: Vec<&Value> = match g {
            Value::Array(a) => a
                .iter()
                .flat_map(|x| match x {
                    Value::Array(inner) => inner.iter().collect::<Vec<_>>(),
                    other => vec![other],
                })
                .collect(),
            _ => Vec::new(),
        };
        for gen_ in flat {
            let mut m = gen_
                .get("message")
                .and_then(super::util::message_from)
                .unwrap_or_else(|| Message {
                    role: "assistant".into(),
                    ..Message::default()
                });
            if m.content.is_empty()
                && let Some(t) = gen_.get("text").and_then(Value::as_str)
            {
                m.content = t.to_string();
            }
            if m.role.is_empty() {
                m.role = "assistant".into();
            }
            m.finish_reason = gen_
                .get("generation_info")
                .and_then(|i| str_of(i, "finish_reason"));
            out.push(m);
        }
        return out;
    }
    if let Some(m) = outputs.get("messages") {
        return messages_from(m);
    }
    if let Some(c) = outputs.get("choices").and_then(Value::as_array) {
        return c
            .iter()
            .filter_map(|c| c.get("message").and_then(super::util::message_from))
            .collect();
    }
    if let Some(m) = outputs.get("output").and_then(super::util::message_from) {
        return vec![m];
    }
    Vec::new()
}

fn documents(outputs: &Value) -> Vec<Document> {
    let Some(Value::Array(docs)) = outputs.get("documents") else {
        return Vec::new();
    };
    docs.iter()
        .map(|d| Document {
            id: d.get("metadata").and_then(|m| str_of(m, "id")),
            score: d.get("metadata").and_then(|m| f64_of(m, "score")),
            content: str_of(d, "page_content"),
            metadata: d.get("metadata").cloned(),
        })
        .collect()
}

/// Marks runs whose usage covers their descendants' (the server's roll-up) as aggregates:
/// a run with usage, a descendant with usage, and a total ≥ the sum of the deepest such
/// descendants. Unlike [`crate::model::mark_aggregates`] this applies to every run type:
/// LangSmith rolls usage up into chain runs too, and pricing must not price those again.
fn mark_server_rollups(spans: &mut [Span]) {
    let idx: HashMap<(String, String), usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| ((s.trace_id.clone(), s.span_id.clone()), i))
        .collect();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, s) in spans.iter().enumerate() {
        if let Some(p) = &s.parent_id
            && let Some(&pi) = idx.get(&(s.trace_id.clone(), p.clone()))
        {
            children.entry(pi).or_default().push(i);
        }
    }
    // Own (non-aggregate) usage under a node: the deepest spans with usage, summed.
    fn leaf_sum(
        i: usize,
        spans: &[Span],
        children: &HashMap<usize, Vec<usize>>,
        depth: usize,
    ) -> Option<i64> {
        if depth > 256 {
            return None;
        }
        let mut sum = None;
        for &c in children.get(&i).map(Vec::as_slice).unwrap_or(&[]) {
            let below = leaf_sum(c, spans, children, depth + 1);
            let own = spans[c].usage.as_ref().and_then(Usage::total_or_sum);
            if let Some(v) = below.or(own) {
                sum = Some(sum.unwrap_or(0i64).saturating_add(v));
            }
        }
        sum
    }
    let mut marks = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        let Some(own) = s.usage.as_ref().and_then(Usage::total_or_sum) else {
            continue;
        };
        if let Some(below) = leaf_sum(i, spans, &children, 0)
            && own >= below
        {
            marks.push(i);
        }
    }
    for i in marks {
        if let Some(u) = spans[i].usage.as_mut() {
            u.aggregate = true;
        }
    }
}

/// A model's feedback is a judge verdict; feedback a user left is a human label; anything else
/// (API scripts) stays imported.
fn feedback_source(fs: Option<&Value>) -> ScoreSource {
    let Some(fs) = fs else {
        return ScoreSource::Imported;
    };
    if str_of(fs, "type").is_some_and(|t| t.eq_ignore_ascii_case("model")) {
        ScoreSource::Judge
    } else if str_of(fs, "user_id").is_some() {
        ScoreSource::Human
    } else {
        ScoreSource::Imported
    }
}

fn feedback_score(f: &Value, trace_of: &HashMap<&str, &str>) -> Option<Score> {
    let run_id = str_of(f, "run_id");
    let trace_id = str_of(f, "trace_id")
        .or_else(|| {
            run_id
                .as_deref()
                .and_then(|r| trace_of.get(r).map(|t| t.to_string()))
        })
        .or_else(|| run_id.clone())?;
    let name = str_of(f, "key")?;
    let mut ns = Score {
        span_id: run_id.filter(|r| *r != trace_id),
        explanation: str_of(f, "comment"),
        author: f
            .get("feedback_source")
            .and_then(|s| str_of(s, "user_id").or_else(|| str_of(s, "type"))),
        created_at_ns: f
            .get("created_at")
            .and_then(Value::as_str)
            .and_then(parse_time_ns),
        ..Score::new(feedback_source(f.get("feedback_source")), trace_id, name)
    };
    match f.get("score") {
        Some(Value::Bool(b)) => ns.verdict = Some(if *b { Verdict::True } else { Verdict::False }),
        Some(v) => ns.value = as_f64(v),
        None => {}
    }
    if let Some(v) = f.get("value").filter(|v| !v.is_null()) {
        ns.label = scalar_string(v).or_else(|| Some(v.to_string()));
        if ns.verdict.is_none() {
            ns.verdict = ns.label.as_deref().and_then(Verdict::parse);
        }
    }
    ns.cache_key = Some(imported_score_key("langsmith", str_of(f, "id"), &ns));
    Some(ns)
}
