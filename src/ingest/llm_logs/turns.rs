//! The 0.32+ `threads`/`turns`/`messages`/`parts` tables, with fragment-backed part text.

use super::{Call, call_from_row, opt_col};
use crate::ingest::phoenix::columns;
use crate::ingest::semconv::value::as_i64;
use crate::model::{Message, ToolCall};
use rusqlite::Connection;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

pub(super) fn read_turns(
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
    // A message's parts; fragments in a text part become messages of their own, before the
    // typed text (llm's docs: fragments are attached to a prompt, the literal is the prompt).
    let to_messages = |hash: &str| -> Vec<Message> {
        let Some((_, role)) = msgs.get(hash) else {
            return Vec::new();
        };
        let mut m = Message {
            role: role.clone(),
            ..Message::default()
        };
        let mut attached: Vec<Message> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        for p in parts.get(hash).map(Vec::as_slice).unwrap_or(&[]) {
            match p.kind.as_str() {
                "text" => {
                    let t = part_text(p, &fragments, &part_frags);
                    attached.extend(t.fragments.into_iter().map(|f| f.into_message(role)));
                    if !t.typed.is_empty() {
                        texts.push(t.typed);
                    }
                }
                "reasoning" => {
                    let t = part_text(p, &fragments, &part_frags).all_text();
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
        let only_fragments = !attached.is_empty()
            && m.content.is_empty()
            && m.tool_calls.is_empty()
            && m.reasoning.is_none();
        if !only_fragments {
            attached.push(m);
        }
        attached
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
            // Pushed in reverse, like the walk; the whole list is reversed at the end.
            out.extend(to_messages(&h).into_iter().rev());
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

pub(super) struct Part {
    id: i64,
    kind: String,
    tool_name: Option<String>,
    text: Option<String>,
    payload: Option<Value>,
}

/// The name of a message that holds a fragment (followed by its source when known).
pub(super) const FRAGMENT_NAME: &str = "fragment";

/// A stored fragment: its text and where `llm` read it from (a file path, a URL, an alias).
#[derive(Clone)]
pub(super) struct Fragment {
    pub content: String,
    pub source: Option<String>,
}

impl Fragment {
    /// The fragment as a message of `role` of its own, named after its source, so the typed text
    /// stays the question and the attachment stays readable next to it.
    pub fn into_message(self, role: &str) -> Message {
        Message {
            role: role.to_string(),
            content: self.content,
            name: Some(match self.source {
                Some(s) if !s.is_empty() => format!("{FRAGMENT_NAME} {s}"),
                _ => FRAGMENT_NAME.into(),
            }),
            ..Message::default()
        }
    }
}

pub(super) fn fragments(
    conn: &Connection,
    tables: &HashSet<String>,
) -> rusqlite::Result<HashMap<i64, Fragment>> {
    let mut out = HashMap::new();
    if !tables.contains("fragments") {
        return Ok(out);
    }
    let cols = columns(conn, "fragments")?;
    let source = opt_col(&cols, "f", "source");
    let mut st = conn.prepare(&format!(
        "SELECT f.id, f.content, {source} FROM fragments f"
    ))?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        out.insert(
            r.get(0)?,
            Fragment {
                content: r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                source: r.get(2)?,
            },
        );
    }
    Ok(out)
}

/// Fragment ids per part, in order.
pub(super) fn part_fragments(
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

/// A text part split as a person reads it: the fragments it attaches and the text typed
/// around them.
pub(super) struct PartText {
    pub fragments: Vec<Fragment>,
    pub typed: String,
}

impl PartText {
    /// Everything in order, as the model received it.
    fn all_text(self) -> String {
        let mut out: Vec<String> = self.fragments.into_iter().map(|f| f.content).collect();
        out.push(self.typed);
        out.retain(|t| !t.is_empty());
        out.join("\n")
    }
}

/// A part's text; `{"text_ref":[{"fragment":n},{"literal":"…"}]}` is resolved against the
/// fragments table (the n-th fragment linked to the part, else fragment id n), with a
/// placeholder when the fragment is gone. Literals are what the user typed (llm's own
/// `turn_search` indexes only them); fragments are attachments.
pub(super) fn part_text(
    p: &Part,
    fragments: &HashMap<i64, Fragment>,
    links: &HashMap<i64, Vec<i64>>,
) -> PartText {
    let mut out = PartText {
        fragments: Vec::new(),
        typed: String::new(),
    };
    if let Some(t) = p.text.as_ref().filter(|t| !t.is_empty()) {
        out.typed = t.clone();
        return out;
    }
    let Some(refs) = p
        .payload
        .as_ref()
        .and_then(|pl| pl.get("text_ref"))
        .and_then(Value::as_array)
    else {
        out.typed = p
            .payload
            .as_ref()
            .and_then(|pl| pl.get("text"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        return out;
    };
    for r in refs {
        if let Some(l) = r.get("literal").and_then(Value::as_str) {
            out.typed.push_str(l);
        } else if let Some(n) = r.get("fragment").and_then(as_i64) {
            let linked = links
                .get(&p.id)
                .and_then(|ids| usize::try_from(n - 1).ok().and_then(|i| ids.get(i)));
            let fragment = linked
                .and_then(|id| fragments.get(id))
                .or_else(|| fragments.get(&n))
                .cloned()
                .unwrap_or_else(|| Fragment {
                    content: format!("[fragment {n}]"),
                    source: None,
                });
            out.fragments.push(fragment);
        }
    }
    // The literal after a fragment starts with the separator llm put between them.
    if !out.fragments.is_empty() {
        out.typed = out.typed.trim_start_matches('\n').to_string();
    }
    out
}

pub(super) fn payload_text(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}
