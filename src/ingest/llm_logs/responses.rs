//! The legacy `responses` table (with its tool calls and tool results).

use super::turns::{Fragment, fragments};
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
        "SELECT r.id, {conv}, {model}, {resolved}, {opts}, {it}, {ot}, {td}, {dur}, {dt}, {prompt}, {system}, {response} FROM responses r ORDER BY r.id",
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
    // Fragments are attachments: messages of their own before the typed text (see turns.rs).
    let frag_messages = |ids: Option<&Vec<i64>>, role: &str| -> Vec<Message> {
        ids.map(|ids| {
            ids.iter()
                .map(|id| {
                    fragments
                        .get(id)
                        .cloned()
                        .unwrap_or_else(|| Fragment {
                            content: format!("[fragment {id}]"),
                            source: None,
                        })
                        .into_message(role)
                })
                .collect()
        })
        .unwrap_or_default()
    };
    let typed = |role: &str, text: Option<String>| -> Option<Message> {
        text.filter(|t| !t.is_empty()).map(|content| Message {
            role: role.into(),
            content,
            ..Message::default()
        })
    };
    // Where each tool call was asked for, and the conversation each response ended with, so a
    // response that only sends tool results back continues the chain it answers (llm 0.27 logs
    // one response per model call of a `prompt()` with tools; the person typed one command).
    let mut asked_by: HashMap<String, String> = HashMap::new();
    for (rid, tcs) in &calls_by_response {
        for tc in tcs {
            if let Some(id) = &tc.id {
                asked_by.insert(id.trim().to_string(), rid.clone());
            }
        }
    }
    let mut chain_end: HashMap<String, (Vec<Message>, String)> = HashMap::new();
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: String = r.get(0)?;
        if seen.contains(&id) {
            continue;
        }
        let mut input = frag_messages(system_frags.get(&id), "system");
        input.extend(typed("system", r.get(11)?));
        let results = results_by_response.remove(&id).unwrap_or_default();
        // The response whose tool calls these results answer, when there is one.
        let answered = results.iter().find_map(|m| {
            let call = m.tool_call_id.as_deref()?.trim();
            asked_by.get(call).filter(|rid| **rid != id).cloned()
        });
        let continued = answered.and_then(|rid| chain_end.get(&rid).cloned());
        let root = match continued {
            Some((before, root)) => {
                // The earlier call's system prompt, question and tool calls, then the results.
                input = before;
                Some(root)
            }
            None => None,
        };
        input.extend(results);
        input.extend(frag_messages(prompt_frags.get(&id), "user"));
        input.extend(typed("user", r.get(10)?));
        let tool_calls = calls_by_response.remove(&id).unwrap_or_default();
        let response: Option<String> = r.get(12)?;
        let output = vec![Message {
            role: "assistant".into(),
            content: response.unwrap_or_default(),
            tool_calls: tool_calls.clone(),
            ..Message::default()
        }];
        let mut conversation = input.clone();
        conversation.extend(output.iter().cloned());
        chain_end.insert(
            id.clone(),
            (conversation, root.clone().unwrap_or_else(|| id.clone())),
        );
        let mut call = call_from_row(r, id, 2, input, output, tool_calls)?;
        call.chain_root = root;
        calls.push(call);
    }
    Ok(())
}
