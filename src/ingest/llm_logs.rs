//! Simon Willison's `llm` CLI `logs.db` (formats.md §7): the legacy `responses` tables and the
//! 0.32+ `threads`/`turns`/`messages`/`parts` tables, merged (a response id that is also a turn
//! is read once, from the turn). Every turn or response is its own trace with one LLM span
//! (trace id = span id = the ULID); tool calls become untimed child TOOL spans; the
//! conversation or thread is the session. No cost is stored: pricing computes it later.

use super::Imported;
use super::phoenix::{columns, open_read_only, tables};
use super::semconv::value::as_i64;
use super::util::parse_time_ns;
use crate::model::{Message, Provenance, Span, SpanKind, StatusCode, ToolCall, ToolInfo, Usage};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::Path;

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
    out.records = calls.len() as u64;
    for c in calls {
        match call_spans(c, &results) {
            Ok(spans) => out.spans.extend(spans),
            Err(bad) => out.bad.push((0, bad)),
        }
    }
    Ok(out)
}

fn opt_col(cols: &HashSet<String>, prefix: &str, c: &str) -> String {
    if cols.contains(c) {
        format!("{prefix}.{c}")
    } else {
        "NULL".into()
    }
}

fn read_turns(
    conn: &Connection,
    tables: &HashSet<String>,
    calls: &mut Vec<Call>,
    results: &mut HashMap<String, String>,
) -> rusqlite::Result<()> {
    // The message tree: hash → (parent, role, parts).
    let mut msgs: HashMap<String, (Option<String>, String)> = HashMap::new();
    {
        let mut st = conn.prepare("SELECT hash, parent_hash, role FROM messages")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let h: String = r.get(0)?;
            msgs.insert(
                h,
                (
                    r.get(1)?,
                    r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                ),
            );
        }
    }
    let fragments = fragments(conn, tables)?;
    let part_frags = part_fragments(conn, tables)?;
    let mut parts: HashMap<String, Vec<Part>> = HashMap::new();
    {
        let mut st = conn.prepare(
            "SELECT id, message_hash, type, tool_name, text, payload FROM parts ORDER BY message_hash, position",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let p = Part {
                id: r.get(0)?,
                kind: r.get::<_, Option<String>>(2)?.unwrap_or_default(),
                tool_name: r.get(3)?,
                text: r.get(4)?,
                payload: r
                    .get::<_, Option<String>>(5)?
                    .and_then(|t| serde_json::from_str(&t).ok()),
            };
            if p.kind == "tool_result"
                && let Some(pl) = &p.payload
                && let Some(id) = pl.get("tool_call_id").and_then(Value::as_str)
            {
                results.insert(id.trim().to_string(), payload_text(pl.get("output")));
            }
            parts.entry(r.get(1)?).or_default().push(p);
        }
    }
    let resolve = |p: &Part| -> String { part_text(p, &fragments, &part_frags) };
    let to_message = |hash: &str| -> Option<Message> {
        let (_, role) = msgs.get(hash)?;
        let mut m = Message {
            role: role.clone(),
            ..Message::default()
        };
        let mut texts: Vec<String> = Vec::new();
        for p in parts.get(hash).map(Vec::as_slice).unwrap_or(&[]) {
            match p.kind.as_str() {
                "text" => texts.push(resolve(p)),
                "reasoning" => {
                    let t = resolve(p);
                    m.reasoning = Some(if t.is_empty() { "[redacted]".into() } else { t });
                }
                "tool_call" => {
                    let pl = p.payload.clone().unwrap_or(Value::Null);
                    m.tool_calls.push(ToolCall {
                        id: pl
                            .get("tool_call_id")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        name: pl
                            .get("name")
                            .and_then(Value::as_str)
                            .map(str::to_string)
                            .or_else(|| p.tool_name.clone())
                            .unwrap_or_default(),
                        arguments: pl.get("arguments").map(|a| a.to_string()),
                    });
                }
                "tool_result" => {
                    let pl = p.payload.clone().unwrap_or(Value::Null);
                    m.role = "tool".into();
                    m.name = p.tool_name.clone();
                    m.tool_call_id = pl
                        .get("tool_call_id")
                        .and_then(Value::as_str)
                        .map(str::to_string);
                    texts.push(payload_text(pl.get("output")));
                }
                other => texts.push(format!("[{other}]")),
            }
        }
        m.content = texts.join("\n");
        Some(m)
    };
    // Messages from the root down to `hash` (inclusive), stopping at `stop` (exclusive).
    let chain = |hash: Option<&str>, stop: Option<&str>| -> Vec<Message> {
        let mut out = Vec::new();
        let mut cur = hash.map(str::to_string);
        let mut guard = 0;
        while let Some(h) = cur {
            if Some(h.as_str()) == stop || guard > 10_000 {
                break;
            }
            guard += 1;
            if let Some(m) = to_message(&h) {
                out.push(m);
            }
            cur = msgs.get(&h).and_then(|(p, _)| p.clone());
        }
        out.reverse();
        out
    };
    let cols = columns(conn, "turns")?;
    let sql = format!(
        "SELECT t.id, {thread}, {parent}, {tip}, {model}, {resolved}, {opts}, {it}, {ot}, {td}, {dur}, {dt} FROM turns t",
        thread = opt_col(&cols, "t", "thread_id"),
        parent = opt_col(&cols, "t", "parent_message_hash"),
        tip = opt_col(&cols, "t", "tip_message_hash"),
        model = opt_col(&cols, "t", "model"),
        resolved = opt_col(&cols, "t", "resolved_model"),
        opts = opt_col(&cols, "t", "options_json"),
        it = opt_col(&cols, "t", "input_tokens"),
        ot = opt_col(&cols, "t", "output_tokens"),
        td = opt_col(&cols, "t", "token_details"),
        dur = opt_col(&cols, "t", "duration_ms"),
        dt = opt_col(&cols, "t", "datetime_utc"),
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let parent: Option<String> = r.get(2)?;
        let tip: Option<String> = r.get(3)?;
        let input = chain(parent.as_deref(), None);
        let output = chain(tip.as_deref(), parent.as_deref());
        let tool_calls = output
            .iter()
            .flat_map(|m| m.tool_calls.iter().cloned())
            .collect();
        calls.push(call_from_row(r, r.get(0)?, 4, input, output, tool_calls)?);
    }
    Ok(())
}

struct Part {
    id: i64,
    kind: String,
    tool_name: Option<String>,
    text: Option<String>,
    payload: Option<Value>,
}

fn fragments(
    conn: &Connection,
    tables: &HashSet<String>,
) -> rusqlite::Result<HashMap<i64, String>> {
    let mut out = HashMap::new();
    if !tables.contains("fragments") {
        return Ok(out);
    }
    let mut st = conn.prepare("SELECT id, content FROM fragments")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        out.insert(
            r.get(0)?,
            r.get::<_, Option<String>>(1)?.unwrap_or_default(),
        );
    }
    Ok(out)
}

/// Fragment ids per part, in order.
fn part_fragments(
    conn: &Connection,
    tables: &HashSet<String>,
) -> rusqlite::Result<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    if !tables.contains("part_fragments") {
        return Ok(out);
    }
    let mut st = conn
        .prepare("SELECT part_id, fragment_id FROM part_fragments ORDER BY part_id, \"order\"")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        out.entry(r.get(0)?).or_default().push(r.get(1)?);
    }
    Ok(out)
}

/// A part's text; `{"text_ref":[{"fragment":n},{"literal":"…"}]}` is resolved against the
/// fragments table (the n-th fragment linked to the part, else fragment id n), with a
/// placeholder when the fragment is gone.
fn part_text(p: &Part, fragments: &HashMap<i64, String>, links: &HashMap<i64, Vec<i64>>) -> String {
    if let Some(t) = p.text.as_ref().filter(|t| !t.is_empty()) {
        return t.clone();
    }
    let Some(refs) = p
        .payload
        .as_ref()
        .and_then(|pl| pl.get("text_ref"))
        .and_then(Value::as_array)
    else {
        return p
            .payload
            .as_ref()
            .and_then(|pl| pl.get("text"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
    };
    let mut out = String::new();
    for r in refs {
        if let Some(l) = r.get("literal").and_then(Value::as_str) {
            out.push_str(l);
        } else if let Some(n) = r.get("fragment").and_then(as_i64) {
            let linked = links
                .get(&p.id)
                .and_then(|ids| usize::try_from(n - 1).ok().and_then(|i| ids.get(i)));
            let text = linked
                .and_then(|id| fragments.get(id))
                .or_else(|| fragments.get(&n));
            match text {
                Some(t) => out.push_str(t),
                None => out.push_str(&format!("[fragment {n}]")),
            }
        }
    }
    out
}

fn payload_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

fn read_responses(
    conn: &Connection,
    tables: &HashSet<String>,
    seen: &HashSet<String>,
    calls: &mut Vec<Call>,
    results: &mut HashMap<String, String>,
) -> rusqlite::Result<()> {
    let cols = columns(conn, "responses")?;
    let fragments = fragments(conn, tables)?;
    let mut prompt_frags: HashMap<String, Vec<i64>> = HashMap::new();
    let mut system_frags: HashMap<String, Vec<i64>> = HashMap::new();
    for (table, map) in [
        ("prompt_fragments", &mut prompt_frags),
        ("system_fragments", &mut system_frags),
    ] {
        if tables.contains(table) {
            let mut st = conn.prepare(&format!(
                "SELECT response_id, fragment_id FROM {table} ORDER BY response_id, \"order\""
            ))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                map.entry(r.get(0)?).or_default().push(r.get(1)?);
            }
        }
    }
    // Tool results belong to the response that sent them back to the model.
    let mut results_by_response: HashMap<String, Vec<Message>> = HashMap::new();
    if tables.contains("tool_results") {
        let mut st = conn.prepare(
            "SELECT response_id, name, output, tool_call_id FROM tool_results ORDER BY id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let rid: String = r.get(0)?;
            let out: String = r.get::<_, Option<String>>(2)?.unwrap_or_default();
            let call_id: Option<String> = r.get(3)?;
            if let Some(c) = &call_id {
                results.insert(c.trim().to_string(), out.clone());
            }
            results_by_response.entry(rid).or_default().push(Message {
                role: "tool".into(),
                content: out,
                name: r.get(1)?,
                tool_call_id: call_id,
                ..Message::default()
            });
        }
    }
    let mut calls_by_response: HashMap<String, Vec<ToolCall>> = HashMap::new();
    if tables.contains("tool_calls") {
        let mut st = conn.prepare(
            "SELECT response_id, name, arguments, tool_call_id FROM tool_calls ORDER BY id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            calls_by_response
                .entry(r.get(0)?)
                .or_default()
                .push(ToolCall {
                    name: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                    arguments: r.get(2)?,
                    id: r.get(3)?,
                });
        }
    }
    let sql = format!(
        "SELECT r.id, {conv}, {model}, {resolved}, {opts}, {it}, {ot}, {td}, {dur}, {dt}, {prompt}, {system}, {response} FROM responses r",
        conv = opt_col(&cols, "r", "conversation_id"),
        model = opt_col(&cols, "r", "model"),
        resolved = opt_col(&cols, "r", "resolved_model"),
        opts = opt_col(&cols, "r", "options_json"),
        it = opt_col(&cols, "r", "input_tokens"),
        ot = opt_col(&cols, "r", "output_tokens"),
        td = opt_col(&cols, "r", "token_details"),
        dur = opt_col(&cols, "r", "duration_ms"),
        dt = opt_col(&cols, "r", "datetime_utc"),
        prompt = opt_col(&cols, "r", "prompt"),
        system = opt_col(&cols, "r", "system"),
        response = opt_col(&cols, "r", "response"),
    );
    let frag_text = |ids: Option<&Vec<i64>>| -> String {
        ids.map(|ids| {
            ids.iter()
                .map(|id| {
                    fragments
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| format!("[fragment {id}]"))
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
    };
    let join = |a: String, b: Option<String>| -> String {
        match (a.is_empty(), b.filter(|b| !b.is_empty())) {
            (true, Some(b)) => b,
            (false, Some(b)) => format!("{a}\n{b}"),
            (_, None) => a,
        }
    };
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        if seen.contains(&id) {
            continue;
        }
        let system = join(frag_text(system_frags.get(&id)), r.get(11)?);
        let prompt = join(frag_text(prompt_frags.get(&id)), r.get(10)?);
        let mut input = Vec::new();
        if !system.is_empty() {
            input.push(Message {
                role: "system".into(),
                content: system,
                ..Message::default()
            });
        }
        if let Some(rs) = results_by_response.remove(&id) {
            input.extend(rs);
        }
        if !prompt.is_empty() {
            input.push(Message {
                role: "user".into(),
                content: prompt,
                ..Message::default()
            });
        }
        let tool_calls = calls_by_response.remove(&id).unwrap_or_default();
        let response: Option<String> = r.get(12)?;
        let output = vec![Message {
            role: "assistant".into(),
            content: response.unwrap_or_default(),
            tool_calls: tool_calls.clone(),
            ..Message::default()
        }];
        calls.push(call_from_row(r, id, 2, input, output, tool_calls)?);
    }
    Ok(())
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
    let span = Span {
        trace_id: c.id.clone(),
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
            trace_id: c.id.clone(),
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
    })
}
