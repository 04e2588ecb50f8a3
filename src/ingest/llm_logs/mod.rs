//! Simon Willison's `llm` CLI `logs.db` (formats.md §7): the legacy `responses` tables and the
//! 0.32+ `threads`/`turns`/`messages`/`parts` tables, merged (a response id that is also a turn
//! is read once, from the turn). Every turn or response is its own trace with one LLM span
//! (trace id = span id = the ULID); tool calls become untimed child TOOL spans; the
//! conversation or thread is the session. No cost is stored: pricing computes it later.

mod responses;
mod turns;

use super::Imported;
use super::phoenix::{open_read_only, tables};
use super::semconv::value::as_i64;
use super::util::parse_time_ns;
use crate::model::{
    Document, Message, Provenance, Span, SpanKind, StatusCode, ToolCall, ToolInfo, Usage,
};
use responses::read_responses;
use rusqlite::Connection;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;
use turns::read_turns;

pub const SOURCE_FORMAT: &str = "llm-logs";

pub fn read(path: &Path) -> Result<Imported, String> {
    let conn = open_read_only(path).map_err(|e| format!("cannot open llm logs.db: {e}"))?;
    read_conn(&conn).map_err(|e| format!("reading llm logs.db: {e}"))
}

/// One call, from either table generation.
struct Call {
    id: String,
    session: Option<String>,
    model: Option<String>,
    resolved_model: Option<String>,
    options: Option<String>,
    input_tokens: Option<i64>,
    output_tokens: Option<i64>,
    token_details: Option<String>,
    duration_ms: Option<i64>,
    datetime: Option<String>,
    input: Vec<Message>,
    output: Vec<Message>,
    /// (call id, name, arguments) of tools the model asked for.
    tool_calls: Vec<ToolCall>,
    /// The first call of the tool-call chain this call continues (it sends tool results back
    /// for the same command): its trace is that call's. It stays a root span beside that call:
    /// under it, the first call would read as an aggregate of its usage (rollup.rs).
    chain_root: Option<String>,
}

fn read_conn(conn: &Connection) -> rusqlite::Result<Imported> {
    let tables = tables(conn)?;
    let mut out = Imported::default();
    let mut calls: Vec<Call> = Vec::new();
    // Tool results by call id, from either generation, to fill the TOOL spans.
    let mut results: HashMap<String, String> = HashMap::new();
    let mut seen: HashSet<String> = HashSet::new();
    if tables.contains("turns") && tables.contains("messages") && tables.contains("parts") {
        read_turns(conn, &tables, &mut calls, &mut results)?;
        seen.extend(calls.iter().map(|c| c.id.clone()));
    }
    if tables.contains("responses") {
        read_responses(conn, &tables, &seen, &mut calls, &mut results)?;
    }
    link_tool_chains(&mut calls);
    out.records = calls.len() as u64;
    for c in calls {
        match call_spans(c, &results) {
            Ok(spans) => out.spans.extend(spans),
            Err(bad) => out.bad.push((0, bad)),
        }
    }
    Ok(out)
}

/// A call whose input ends with tool results (nothing typed after them) answering tool calls an
/// earlier call asked for is the same command going on: it joins that call's trace. Both `llm`
/// schemas log each model call of one `prompt()` with tools as its own turn or response.
fn link_tool_chains(calls: &mut [Call]) {
    calls.sort_by(|a, b| a.id.cmp(&b.id));
    let mut asked_by: HashMap<String, usize> = HashMap::new();
    for i in 0..calls.len() {
        if calls[i].chain_root.is_none() {
            let answered = calls[i]
                .input
                .iter()
                .rev()
                .take_while(|m| m.role == "tool")
                .find_map(|m| asked_by.get(m.tool_call_id.as_deref()?.trim()).copied());
            if let Some(j) = answered {
                let root = calls[j]
                    .chain_root
                    .clone()
                    .unwrap_or_else(|| calls[j].id.clone());
                calls[i].chain_root = Some(root);
            }
        }
        for tc in &calls[i].tool_calls {
            if let Some(id) = &tc.id {
                asked_by.insert(id.trim().to_string(), i);
            }
        }
    }
}

fn opt_col(cols: &HashSet<String>, prefix: &str, c: &str) -> String {
    if cols.contains(c) {
        format!("{prefix}.{c}")
    } else {
        "NULL".into()
    }
}

fn usage(c: &Call) -> Option<Usage> {
    if c.input_tokens.is_none() && c.output_tokens.is_none() {
        return None;
    }
    let d: Value = c
        .token_details
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or(Value::Null);
    let get = |path: &[&str]| -> Option<i64> {
        let mut v = &d;
        for p in path {
            v = v.get(*p)?;
        }
        as_i64(v)
    };
    // OpenAI plugin: counts include the cache; details say how much of it was cached.
    let mut cache_read = get(&["prompt_tokens_details", "cached_tokens"]);
    let reasoning = get(&["completion_tokens_details", "reasoning_tokens"]);
    let mut input = c.input_tokens;
    let mut cache_write = None;
    // Anthropic-native counts exclude the cache (formats.md §10.3): add it back.
    let a_read = get(&["cache_read_input_tokens"]);
    let a_write = get(&["cache_creation_input_tokens"]);
    if a_read.is_some() || a_write.is_some() {
        input = Some(
            input
                .unwrap_or(0)
                .saturating_add(a_read.unwrap_or(0))
                .saturating_add(a_write.unwrap_or(0)),
        );
        cache_read = a_read.or(cache_read);
        cache_write = a_write;
    }
    Some(Usage {
        input,
        output: c.output_tokens,
        total: None,
        cache_read,
        cache_write,
        reasoning,
        provenance: Provenance::Reported,
        aggregate: false,
    })
}

fn call_spans(c: Call, results: &HashMap<String, String>) -> Result<Vec<Span>, String> {
    let Some(start_ns) = c.datetime.as_deref().and_then(parse_time_ns) else {
        return Err(format!("{}: no readable datetime_utc", c.id));
    };
    let end_ns = c
        .duration_ms
        .filter(|d| *d >= 0)
        .map(|d| start_ns.saturating_add(d.saturating_mul(1_000_000)));
    let model = c
        .resolved_model
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| c.model.clone());
    let options: Option<Value> = c
        .options
        .as_deref()
        .and_then(|t| serde_json::from_str(t).ok())
        .filter(|v: &Value| v.as_object().is_some_and(|o| !o.is_empty()));
    let usage = usage(&c);
    let mut attrs = serde_json::Map::new();
    attrs.insert("llm.id".into(), Value::String(c.id.clone()));
    if let Some(m) = &c.model {
        attrs.insert("llm.model".into(), Value::String(m.clone()));
    }
    if let Some(d) = &c.token_details {
        attrs.insert("llm.token_details".into(), Value::String(d.clone()));
    }
    let trace_id = c.chain_root.clone().unwrap_or_else(|| c.id.clone());
    let documents = attached_documents(&c.input);
    let span = Span {
        trace_id: trace_id.clone(),
        span_id: c.id.clone(),
        name: c.model.clone().unwrap_or_else(|| "llm".into()),
        kind: SpanKind::Llm,
        start_ns,
        end_ns,
        status: StatusCode::Unset,
        model,
        request_model: c.model.clone(),
        invocation_params: options,
        usage,
        input_messages: c.input,
        output_messages: c.output,
        documents,
        session_id: c.session.clone(),
        attributes: attrs,
        source_format: SOURCE_FORMAT.into(),
        ..Span::default()
    };
    let mut out = vec![span];
    for (i, tc) in c.tool_calls.into_iter().enumerate() {
        let call_id = tc.id.clone().unwrap_or_else(|| i.to_string());
        let result = tc
            .id
            .as_deref()
            .and_then(|id| results.get(id.trim()).cloned());
        out.push(Span {
            trace_id: trace_id.clone(),
            span_id: format!("{}:tool:{}", c.id, call_id),
            parent_id: Some(c.id.clone()),
            name: tc.name.clone(),
            kind: SpanKind::Tool,
            // llm does not time tool runs; they happen after the model asked for them.
            start_ns: end_ns.unwrap_or(start_ns),
            end_ns: None,
            session_id: c.session.clone(),
            tool: Some(ToolInfo {
                name: Some(tc.name),
                call_id: tc.id,
                arguments: tc.arguments,
                result,
                ..ToolInfo::default()
            }),
            source_format: SOURCE_FORMAT.into(),
            ..Span::default()
        });
    }
    Ok(out)
}

/// The fragments attached to this call's own prompt (after the last answer in its history), as
/// the call's documents: the Documents tab and `show --json` list them by source, like passages
/// a retriever put in a prompt.
fn attached_documents(input: &[Message]) -> Vec<Document> {
    let new_from = input
        .iter()
        .rposition(|m| m.role == "assistant")
        .map_or(0, |i| i + 1);
    input[new_from..]
        .iter()
        .filter_map(|m| {
            let name = m.name.as_deref()?;
            let source = name.strip_prefix(turns::FRAGMENT_NAME)?.trim();
            Some(Document {
                id: Some(
                    if source.is_empty() {
                        turns::FRAGMENT_NAME
                    } else {
                        source
                    }
                    .to_string(),
                ),
                content: Some(m.content.clone()),
                ..Document::default()
            })
        })
        .collect()
}

/// One call from a row whose session is column 1 and whose model, resolved model, options,
/// token counts, token details, duration and time are eight consecutive columns from `model_col`
/// (both `llm` schemas select them in that order).
fn call_from_row(
    r: &rusqlite::Row<'_>,
    id: String,
    model_col: usize,
    input: Vec<Message>,
    output: Vec<Message>,
    tool_calls: Vec<ToolCall>,
) -> rusqlite::Result<Call> {
    Ok(Call {
        id,
        session: r.get(1)?,
        model: r.get(model_col)?,
        resolved_model: r.get(model_col + 1)?,
        options: r.get(model_col + 2)?,
        input_tokens: r.get(model_col + 3)?,
        output_tokens: r.get(model_col + 4)?,
        token_details: r.get(model_col + 5)?,
        duration_ms: r.get(model_col + 6)?,
        datetime: r.get(model_col + 7)?,
        input,
        output,
        tool_calls,
        chain_root: None,
    })
}
