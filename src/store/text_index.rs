//! The full-text index by field: what a span was asked (question), what it answered (answer),
//! the passages and tool results it read (docs), and its system prompt (system). A bare search
//! looks in questions and answers only: system prompts repeat in every trace and retrieved
//! passages mention everything, so searching them by default matches nearly every trace.

use super::Result;
use crate::model::{Message, RawValue, Span, SpanKind};
use rusqlite::Connection;

/// The index table (schema migration 2 created it; `span_fts` before held one text column).
pub const TABLE: &str = "span_fields_fts";

/// Per-field index input, capped so a huge payload cannot dominate.
const FIELD_MAX_BYTES: usize = 32 * 1024;

/// A span's indexed text.
#[derive(Debug, Default, PartialEq)]
pub struct SpanText {
    pub question: String,
    pub answer: String,
    pub docs: String,
    pub system: String,
    /// A hash of each piece of text a field got (a passage, a message, a question), by
    /// [`Field`], so that a span whose every field holds only pieces another span of its trace
    /// holds in that field can be left out of the index (see [`super::text_cover::TraceText`]).
    pub(super) pieces: [Vec<u64>; 4],
}

/// The index's columns, in [`SpanText::pieces`] order.
#[derive(Debug, Clone, Copy)]
enum Field {
    Question = 0,
    Answer = 1,
    Docs = 2,
    System = 3,
}

impl SpanText {
    pub fn is_empty(&self) -> bool {
        self.question.is_empty()
            && self.answer.is_empty()
            && self.docs.is_empty()
            && self.system.is_empty()
    }

    /// Bytes of text to index.
    pub fn len(&self) -> usize {
        self.question.len() + self.answer.len() + self.docs.len() + self.system.len()
    }

    /// Appends a piece of text to a field (on its own line), up to the field's cap, and
    /// remembers the hash of what was appended.
    fn push(&mut self, field: Field, text: &str) {
        let out = match field {
            Field::Question => &mut self.question,
            Field::Answer => &mut self.answer,
            Field::Docs => &mut self.docs,
            Field::System => &mut self.system,
        };
        let text = text.trim();
        if out.len() >= FIELD_MAX_BYTES || text.is_empty() {
            return;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        let room = FIELD_MAX_BYTES - out.len();
        let kept = crate::sanitize::truncate_bytes(text, room);
        out.push_str(kept);
        self.pieces[field as usize].push(piece_hash(kept));
    }

    pub fn of(s: &Span) -> SpanText {
        let mut t = SpanText::default();
        push_prompt_parts(&s.input_messages, &mut t);
        for d in &s.documents {
            if let Some(c) = &d.content {
                t.push(Field::Docs, c);
            }
        }
        match s.kind {
            SpanKind::Embedding => {}
            SpanKind::Retriever | SpanKind::Reranker => {
                // The query is the application's, often this turn's question joined with earlier
                // ones ("… | …"): context for a search, not what the user asked.
                if let Some(q) = s.input_text() {
                    t.push(Field::Docs, &q);
                }
                if s.documents.is_empty()
                    && let Some(o) = s.output_text()
                {
                    t.push(Field::Docs, &o);
                }
            }
            SpanKind::Tool => {
                for text in [s.input_text(), s.output_text()].into_iter().flatten() {
                    t.push(Field::Docs, &text);
                }
            }
            SpanKind::Llm => {
                if let Some(q) = last_question(&s.input_messages)
                    .map(str::to_string)
                    .or_else(|| {
                        s.input_messages
                            .is_empty()
                            .then(|| s.input_text())
                            .flatten()
                    })
                {
                    t.push(Field::Question, &q);
                }
                push_answer(s, &mut t);
            }
            // The root is the application's own question and answer.
            _ if s.parent_id.is_none() => {
                if let Some(q) = s
                    .input_text()
                    .or_else(|| last_question(&s.input_messages).map(str::to_string))
                {
                    t.push(Field::Question, &q);
                }
                push_answer(s, &mut t);
            }
            // Steps in between (building a prompt, a guardrail) pass passages and prompts along.
            // One whose input or output is a chat (the prompt it built for the next LLM call)
            // is split as that call's input is: an earlier turn's answer in the history is
            // neither a passage nor this trace's answer.
            _ => {
                let raw = [
                    (s.input.as_ref(), s.input_text()),
                    (s.output.as_ref(), s.output_text()),
                ];
                for (raw, text) in raw {
                    match raw.and_then(chat_in) {
                        Some(chat) => {
                            push_prompt_parts(&chat, &mut t);
                            if let Some(q) = last_question(&chat) {
                                t.push(Field::Question, q);
                            }
                        }
                        None => {
                            if let Some(text) = text {
                                t.push(Field::Docs, &text);
                            }
                        }
                    }
                }
            }
        }
        t
    }
}

/// The parts of a prompt's messages that are not this turn's question or an earlier turn:
/// the system prompt, and retrieved context and tool results as docs.
fn push_prompt_parts(messages: &[Message], t: &mut SpanText) {
    for m in messages {
        match m.role.as_str() {
            "system" | "developer" => t.push(Field::System, &m.content),
            "tool" | "function" | "ipython" => t.push(Field::Docs, &m.content),
            "user" | "human" if looks_like_context(&m.content) => t.push(Field::Docs, &m.content),
            // Earlier turns belong to their own traces; only the last question is this one's.
            _ => {}
        }
    }
}

/// A raw payload that is a chat: a list of messages (or `{"messages": […]}`) whose every role
/// is a chat role. Anything else (a template and its variables, a document list, an answer's
/// text) is not.
fn chat_in(raw: &RawValue) -> Option<Vec<Message>> {
    const ROLES: [&str; 9] = [
        "system",
        "developer",
        "user",
        "human",
        "assistant",
        "tool",
        "function",
        "ipython",
        "model",
    ];
    let text = raw.value.trim();
    if !(text.starts_with('[') || text.starts_with('{') || text.starts_with('"')) {
        return None;
    }
    let mut v: serde_json::Value = serde_json::from_str(text).ok()?;
    // Some SDKs encode the JSON once more.
    if let serde_json::Value::String(inner) = &v {
        v = serde_json::from_str(inner).ok()?;
    }
    let is_list = v.is_array() || v.get("messages").is_some_and(serde_json::Value::is_array);
    if !is_list {
        return None;
    }
    let chat = crate::ingest::util::messages_from(&v);
    let all_chat = chat.iter().all(|m| ROLES.contains(&m.role.as_str()));
    (!chat.is_empty() && all_chat).then_some(chat)
}

fn push_answer(s: &Span, t: &mut SpanText) {
    let from_messages: Vec<&str> = s
        .output_messages
        .iter()
        .map(|m| m.content.as_str())
        .filter(|c| !c.is_empty())
        .collect();
    if from_messages.is_empty() {
        if let Some(o) = s.output_text() {
            t.push(Field::Answer, &o);
        }
    } else {
        for c in from_messages {
            t.push(Field::Answer, c);
        }
    }
}

/// This turn's question: the last user message that is a question rather than a block of
/// retrieved context. A turn ends at an assistant reply that called no tool, so an earlier
/// turn's question in the chat history is never this one's. When the turn's only user text is
/// a RAG prompt that ends with its question ("Context: [1] … Question: …"), the question is
/// what follows the marker.
fn last_question(messages: &[Message]) -> Option<&str> {
    let turn_start = messages
        .iter()
        .rposition(|m| m.role == "assistant" && m.tool_calls.is_empty())
        .map_or(0, |i| i + 1);
    let turn = messages.get(turn_start..).unwrap_or_default();
    let users = || {
        turn.iter()
            .rev()
            .filter(|m| matches!(m.role.as_str(), "user" | "human"))
    };
    users()
        .find(|m| !looks_like_context(&m.content))
        .map(|m| m.content.as_str())
        .or_else(|| users().find_map(|m| question_after_context(&m.content)))
}

/// The question a RAG prompt ends with: the text after its last line that starts with a
/// question marker (`Question:`, `Q:`, `Query:`, `User question:`, …).
fn question_after_context(text: &str) -> Option<&str> {
    const MARKERS: [&str; 5] = [
        "question:",
        "q:",
        "query:",
        "user question:",
        "customer question:",
    ];
    let mut found = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let lead = line.len() - trimmed.len();
        let lower: String = trimmed.chars().take(24).collect::<String>().to_lowercase();
        if let Some(m) = MARKERS.iter().find(|m| lower.starts_with(*m)) {
            // The markers are ASCII, so their length in `trimmed` is the same as lowercased.
            found = Some(offset + lead + m.len());
        }
        offset += line.len();
    }
    found
        .and_then(|at| text.get(at..))
        .map(str::trim)
        .filter(|q| !q.is_empty())
}

/// A user message that carries retrieved passages (`Context:\n[1] …`, `<documents>`) rather
/// than the user's words, as RAG prompts often do.
fn looks_like_context(text: &str) -> bool {
    let t = text.trim_start();
    let head: String = t.chars().take(24).collect::<String>().to_lowercase();
    [
        "context:",
        "context\n",
        "documents:",
        "sources:",
        "passages:",
        "<context",
        "<documents",
        "[1]",
    ]
    .iter()
    .any(|p| head.starts_with(p))
}

fn piece_hash(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Compared only within one process (never stored), so any hash will do.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

/// Indexes one span under its `spans` rowid.
pub fn insert(conn: &Connection, rowid: i64, t: &SpanText) -> Result<()> {
    if t.is_empty() {
        return Ok(());
    }
    conn.prepare_cached(
        "INSERT INTO span_fields_fts(rowid, question, answer, docs, system) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![rowid, t.question, t.answer, t.docs, t.system])?;
    Ok(())
}

pub fn delete(conn: &Connection, rowid: i64) -> Result<()> {
    conn.prepare_cached("DELETE FROM span_fields_fts WHERE rowid = ?1")?
        .execute([rowid])?;
    Ok(())
}

/// Fills the index from every stored span (a store from before the index had fields).
pub fn rebuild(conn: &Connection) -> Result<usize> {
    conn.execute("DELETE FROM span_fields_fts", [])?;
    let mut n = 0;
    each_stored_text(conn, "", [], |id, text| {
        if let Some(t) = text {
            insert(conn, id, &t)?;
            n += 1;
        }
        Ok(())
    })?;
    Ok(n)
}

/// The index text of each stored span that `where_sql` selects (over `span_data d`, `spans s`,
/// `traces t`), by row id; `None` for a span that cannot be decoded, which is unreadable
/// everywhere else too and so is not indexed.
pub(super) fn each_stored_text(
    conn: &Connection,
    where_sql: &str,
    params: impl rusqlite::Params,
    mut f: impl FnMut(i64, Option<SpanText>) -> Result<()>,
) -> Result<()> {
    let mut st = conn.prepare_cached(&format!(
        "SELECT d.id, d.data, {} FROM {} {where_sql}",
        super::row_fields::COLUMNS,
        super::row_fields::FROM
    ))?;
    let mut rows = st.query(params)?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let data = r.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        let fields = super::row_fields::RowFields::at(r, 2)?;
        let text = match super::codec::decode_in_row(data, &fields, super::decode_span) {
            Ok(span) => Some(SpanText::of(&span)),
            Err(e) => {
                tracing::warn!("span row {id}: not indexed ({e})");
                None
            }
        };
        f(id, text)?;
    }
    Ok(())
}

/// Decides which traces a free-text search matches before they are stored, with the store's
/// own index definition and query (an in-memory copy of the index), so a pull filtered by
/// `--search` keeps exactly the traces `trawl traces --search` would list after a full pull.
/// A remote database can only pre-select candidates (it has no question/answer fields).
pub struct SearchMatcher {
    conn: Connection,
    /// One FTS query per text condition of the filter; a trace must meet each (with any span).
    queries: Vec<String>,
}

impl SearchMatcher {
    /// `None` when the filter has no text condition with a searchable word.
    pub fn new(filter: &super::TraceFilter) -> Result<Option<SearchMatcher>> {
        let queries = super::filter_sql::text_queries(filter);
        if queries.is_empty() {
            return Ok(None);
        }
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE {TABLE} USING fts5(question, answer, docs, system, tokenize='unicode61 remove_diacritics 2');"
        ))?;
        Ok(Some(SearchMatcher { conn, queries }))
    }

    /// The trace ids among `spans` (trace id, indexed text) that meet every text condition.
    pub fn matching_traces<'a>(
        &self,
        spans: impl IntoIterator<Item = (&'a str, &'a SpanText)>,
    ) -> Result<std::collections::HashSet<String>> {
        let mut traces: Vec<&str> = Vec::new();
        for (trace, text) in spans {
            traces.push(trace);
            insert(&self.conn, traces.len() as i64, text)?;
        }
        let mut found: Option<std::collections::HashSet<String>> = None;
        for q in &self.queries {
            let mut hits = std::collections::HashSet::new();
            let mut st = self
                .conn
                .prepare_cached(&format!("SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH ?1"))?;
            let rows = st.query_map([q], |r| r.get::<_, i64>(0))?;
            for rowid in rows {
                if let Some(t) = traces.get((rowid? - 1) as usize) {
                    hits.insert((*t).to_string());
                }
            }
            found = Some(match found {
                None => hits,
                Some(prev) => prev.intersection(&hits).cloned().collect(),
            });
        }
        self.conn.execute_batch(&format!("DELETE FROM {TABLE};"))?;
        Ok(found.unwrap_or_default())
    }
}

#[cfg(test)]
#[path = "text_index_langfuse_tests.rs"]
mod langfuse_tests;

#[cfg(test)]
#[path = "text_index_dedup_tests.rs"]
mod dedup_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Message;

    fn msg(role: &str, content: &str) -> Message {
        Message {
            role: role.into(),
            content: content.into(),
            ..Message::default()
        }
    }

    #[test]
    fn an_llm_call_splits_into_question_answer_context_and_system() {
        let span = Span {
            kind: SpanKind::Llm,
            input_messages: vec![
                msg("system", "You are the support bot. Mention refunds rarely."),
                msg("user", "How long do I have?"),
                msg("assistant", "An earlier answer."),
                msg("user", "Can I return a tent?"),
                msg("user", "Context:\n[1] (kb-ret-01) Returns within 14 days."),
            ],
            output_messages: vec![msg("assistant", "Yes, within 30 days for a refund.")],
            ..Span::default()
        };
        let t = SpanText::of(&span);
        assert_eq!(t.question, "Can I return a tent?");
        assert_eq!(t.answer, "Yes, within 30 days for a refund.");
        assert!(t.docs.contains("Returns within 14 days"), "{t:?}");
        assert!(t.system.contains("support bot"), "{t:?}");
    }

    #[test]
    fn an_earlier_turns_question_is_not_this_turns() {
        // A RAG prompt after a chat history: the passages and this turn's question in one
        // message, the previous turn's question and answer before it.
        let span = Span {
            kind: SpanKind::Llm,
            input_messages: vec![
                msg("system", "Answer from the context."),
                msg("user", "Can I send back the Lumen 400 Headlamp?"),
                msg(
                    "assistant",
                    "Yes, within 14 days; a restocking fee applies.",
                ),
                msg(
                    "user",
                    "Context:\n[1] (kb-account-01) Price adjustments within 14 days.\n\nCustomer: Raj\nQuestion: The fleece dropped $60. Can I get the difference?",
                ),
            ],
            ..Span::default()
        };
        let t = SpanText::of(&span);
        assert_eq!(
            t.question,
            "The fleece dropped $60. Can I get the difference?"
        );
        assert!(!t.question.contains("Lumen"), "{t:?}");
        // A context block without a question marker gives no question rather than an old one.
        let mut no_marker = span.clone();
        no_marker.input_messages[3].content = "Context:\n[1] Price adjustments.".into();
        assert_eq!(SpanText::of(&no_marker).question, "");
        // A tool call inside the turn does not end it.
        let tool_loop = Span {
            kind: SpanKind::Llm,
            input_messages: vec![
                msg("user", "What time is it?"),
                Message {
                    tool_calls: vec![crate::model::ToolCall::default()],
                    ..msg("assistant", "")
                },
                msg("tool", "12:00"),
            ],
            ..Span::default()
        };
        assert_eq!(SpanText::of(&tool_loop).question, "What time is it?");
        // A retriever's query (here joined with the previous turn's question) is context.
        let retriever = Span {
            kind: SpanKind::Retriever,
            input: Some(crate::model::RawValue {
                value: r#"{"query": "fleece price drop | Lumen 400 return"}"#.into(),
                mime: None,
            }),
            ..Span::default()
        };
        let t = SpanText::of(&retriever);
        assert_eq!(t.question, "");
        assert!(t.docs.contains("Lumen 400"), "{t:?}");
    }

    #[test]
    fn a_prompt_building_steps_chat_is_split_like_an_llm_calls_input() {
        // Langfuse's `build_prompt` chain: a template in, the chat for the next call out, with
        // the previous turn's question and answer in its history.
        let chat = serde_json::json!([
            {"role": "system", "content": "You are the support bot."},
            {"role": "user", "content": "Context:\n[1] (kb-ship-02) Express ships in 1-2 days.\nQuestion: How fast is express?"},
            {"role": "assistant", "content": "Express takes 1-2 business days via Zephyrcourier."},
            {"role": "user", "content": "Context:\n[1] (kb-ship-01) Orders ship in 2 days.\nQuestion: Where is my order FH-224662?"},
        ]);
        let step = Span {
            kind: SpanKind::Chain,
            parent_id: Some("root".into()),
            input: Some(RawValue {
                value: r#"{"template": "Context: {context}", "variables": {"question": "Where is my order?"}}"#.into(),
                mime: None,
            }),
            // Encoded once more, as the Langfuse SDK writes it.
            output: Some(RawValue {
                value: serde_json::Value::String(chat.to_string()).to_string(),
                mime: None,
            }),
            ..Span::default()
        };
        let t = SpanText::of(&step);
        assert!(!t.docs.contains("Zephyrcourier"), "{t:?}");
        assert!(!t.answer.contains("Zephyrcourier"), "{t:?}");
        assert!(t.docs.contains("Orders ship in 2 days"), "{t:?}");
        assert!(t.system.contains("support bot"), "{t:?}");
        assert_eq!(t.question, "Where is my order FH-224662?");
        // A step whose output is not a chat still passes its text along as docs.
        let plain = Span {
            output: Some(RawValue {
                value: "Zephyrcourier ships the order.".into(),
                mime: None,
            }),
            ..step.clone()
        };
        assert!(
            SpanText::of(&plain).docs.contains("Zephyrcourier"),
            "{plain:?}"
        );
    }

    /// One OpenInference LLM span whose answer promises a refund.
    const LLM_SPAN: &str = r#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"t"},"spans":[{"traceId":"0000000000000000000000000000abcd","spanId":"00000000000000aa","name":"chat","kind":1,"startTimeUnixNano":"1790000000000000000","endTimeUnixNano":"1790000001000000000","attributes":[{"key":"openinference.span.kind","value":{"stringValue":"LLM"}},{"key":"llm.input_messages.0.message.role","value":{"stringValue":"system"}},{"key":"llm.input_messages.0.message.content","value":{"stringValue":"Be kind about returns."}},{"key":"llm.input_messages.1.message.role","value":{"stringValue":"user"}},{"key":"llm.input_messages.1.message.content","value":{"stringValue":"My tent leaks."}},{"key":"llm.output_messages.0.message.role","value":{"stringValue":"assistant"}},{"key":"llm.output_messages.0.message.content","value":{"stringValue":"You will get a refund."}}],"status":{}}]}]}]}"#;

    #[test]
    fn a_schema_9_store_is_reindexed_with_this_turns_questions() {
        use crate::filter::{TextField, TraceFilter};
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (src, db) = (d.path().join("in.jsonl"), d.path().join("t.db"));
        std::fs::write(&src, format!("{LLM_SPAN}\n")).unwrap_or_else(|e| panic!("{e}"));
        let question = |text: &str| TraceFilter {
            scoped: vec![(TextField::Question, text.into())],
            ..TraceFilter::default()
        };
        {
            let mut store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
            crate::import::import_file(&mut store, &src, Default::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(store.count_traces(&question("leaks")).ok(), Some(1));
            // What schema 9 indexed differently: here, a question word the index lacks.
            store
                .conn
                .execute_batch("DELETE FROM span_fields_fts; PRAGMA user_version = 9;")
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(store.count_traces(&question("leaks")).ok(), Some(0));
        }
        let store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.count_traces(&question("leaks")).ok(), Some(1));
    }

    #[test]
    fn a_store_from_before_the_fields_is_reindexed_on_open() {
        use crate::filter::{TextField, TraceFilter};
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (src, db) = (d.path().join("in.jsonl"), d.path().join("t.db"));
        std::fs::write(&src, format!("{LLM_SPAN}\n")).unwrap_or_else(|e| panic!("{e}"));
        let answer = |text: &str| TraceFilter {
            scoped: vec![(TextField::Answer, text.into())],
            ..TraceFilter::default()
        };
        {
            let mut store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
            crate::import::import_file(&mut store, &src, Default::default())
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(store.count_traces(&answer("refund")).ok(), Some(1));
            // Back to schema 1: one text column, no field index.
            store
                .conn
                .execute_batch(
                    "DROP TABLE span_fields_fts;
                     CREATE VIRTUAL TABLE span_fts USING fts5(text, content='', contentless_delete=1);
                     PRAGMA user_version = 1;",
                )
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.count_traces(&answer("refund")).ok(), Some(1));
        assert_eq!(store.count_traces(&answer("tent")).ok(), Some(0));
        let bare = TraceFilter {
            search: Some("returns".into()),
            ..TraceFilter::default()
        };
        assert_eq!(
            store.count_traces(&bare).ok(),
            Some(0),
            "system prompts are not searched"
        );
    }
}
