//! The legacy `responses` table (with its tool calls and tool results).

use super::turns::fragments;
use super::{Call, call_from_row, opt_col};
use crate::ingest::phoenix::columns;
use crate::model::{Message, ToolCall};
use rusqlite::Connection;
use std::collections::{HashMap, HashSet};

pub(super) fn read_responses(
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
