//! `llm` logs and Phoenix databases read as the person who made them reads them, checked
//! against the raw tables (queried here with SQLite, not through the adapters):
//! - a prompt with an attached fragment: the typed text is the question, the fragment an
//!   attachment (llm docs/fragments.md; llm's own `turn_search` indexes only the literal);
//! - a command with a tool (`llm -T llm_time`): one trace, one question, the tool call, its
//!   result and the final answer, the same from the 0.27.1 and 0.36 schemas;
//! - a failed Phoenix LLM call without `llm.token_count`: tokens and cost unknown, not zero.

use rusqlite::{Connection, OpenFlags};
use trawl::import::{ImportOptions, import_file};
use trawl::judge::input::trace_input;
use trawl::model::{Span, SpanKind, Trace};
use trawl::store::{SortKey, Store, TraceFilter};

use crate::util::fixture;

const LLM_036: &str = "llm-logs-0.36.db";
const LLM_027: &str = "llm-logs-0.27.1.db";
const PHOENIX: &str = "phoenix_dev.db";

fn store_of(name: &str) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let r = import_file(&mut s, &fixture(name), ImportOptions::default()).unwrap();
    assert!(r.fatal.is_none(), "{name}: {:?}", r.fatal);
    s
}

fn raw(name: &str) -> Connection {
    Connection::open_with_flags(fixture(name), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

fn traces(s: &Store) -> Vec<Trace> {
    s.list_traces(&TraceFilter::default(), SortKey::Start, false, 10_000, 0)
        .unwrap()
}

/// The trace holding span `id` and its spans.
fn trace_with_span(s: &Store, id: &str) -> (Trace, Vec<Span>) {
    for t in traces(s) {
        let spans = s.trace_spans(&t.trace_id).unwrap();
        if spans.iter().any(|x| x.span_id == id) {
            return (t, spans);
        }
    }
    panic!("no trace holds span {id}")
}

/// (turn id, typed literal, fragment content) of the one 0.36 prompt that attaches a fragment.
fn raw_fragment_prompt_036() -> (String, String, String) {
    let c = raw(LLM_036);
    let (turn, payload): (String, String) = c
        .query_row(
            // The turn whose prompt (the message its output follows) attaches a fragment.
            "SELECT t.id, p.payload FROM turns t JOIN parts p ON p.message_hash = t.parent_message_hash
             WHERE p.payload LIKE '%\"fragment\"%'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let refs = v["text_ref"].as_array().unwrap();
    let literal: String = refs.iter().filter_map(|r| r["literal"].as_str()).collect();
    let fragment: String = c
        .query_row("SELECT content FROM fragments WHERE id = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    (turn, literal.trim().to_string(), fragment)
}

#[test]
fn llm_fragment_is_an_attachment_and_the_typed_text_the_question() {
    // 0.36: the literal of the text_ref part.
    let (turn, literal, fragment) = raw_fragment_prompt_036();
    assert!(literal.starts_with("Summarize the attached policy"));
    // 0.27.1: responses.prompt, with the fragment in prompt_fragments.
    let c = raw(LLM_027);
    let (response, prompt, frag_027): (String, String, String) = c
        .query_row(
            "SELECT r.id, r.prompt, f.content FROM responses r
             JOIN prompt_fragments pf ON pf.response_id = r.id
             JOIN fragments f ON f.id = pf.fragment_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(prompt, literal, "both versions logged the same command");
    for (db, id, fragment) in [(LLM_036, turn, fragment), (LLM_027, response, frag_027)] {
        let s = store_of(db);
        let (t, spans) = trace_with_span(&s, &id);
        // The list and the judge read the typed text as the question.
        assert_eq!(t.input_preview.as_deref(), Some(prompt.as_str()), "{db}");
        let judge = trace_input(&t.trace_id, &spans);
        assert_eq!(judge.last_user_message.as_deref(), Some(prompt.as_str()));
        // The fragment stays visible: in the conversation the model saw, and as a document of
        // the call named by its source.
        assert!(
            judge
                .conversation
                .iter()
                .any(|m| m.role == "user" && m.content == fragment),
            "{db}: the judge sees the attached fragment"
        );
        let call = spans.iter().find(|x| x.span_id == id).unwrap();
        assert_eq!(call.documents.len(), 1, "{db}");
        assert_eq!(
            call.documents[0].content.as_deref(),
            Some(fragment.as_str())
        );
        assert!(
            call.documents[0]
                .id
                .as_deref()
                .unwrap()
                .ends_with("llm-policy.txt")
        );
        assert_eq!(call.last_user_message(), Some(prompt.as_str()));
    }
}

#[test]
fn llm_tool_call_command_is_one_trace_in_both_schemas() {
    // 0.27.1: the response that asked for the tool and the one that sent its result back.
    let c = raw(LLM_027);
    let (asked, question, call_id): (String, String, String) = c
        .query_row(
            "SELECT r.id, r.prompt, tc.tool_call_id FROM responses r
             JOIN tool_calls tc ON tc.response_id = r.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    let (answered, answer, result, in_sum, out_sum): (String, String, String, i64, i64) = c
        .query_row(
            "SELECT r.id, r.response, tr.output,
                    (SELECT sum(input_tokens) FROM responses WHERE conversation_id = r.conversation_id),
                    (SELECT sum(output_tokens) FROM responses WHERE conversation_id = r.conversation_id)
             FROM responses r JOIN tool_results tr ON tr.response_id = r.id
             WHERE tr.tool_call_id = ?1",
            [&call_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap();
    let s27 = store_of(LLM_027);
    let (t, spans) = trace_with_span(&s27, &asked);
    assert!(
        spans.iter().any(|x| x.span_id == answered),
        "both model calls of the command are one trace"
    );
    let listed: Vec<_> = traces(&s27)
        .into_iter()
        .filter(|x| x.session_id == t.session_id)
        .collect();
    assert_eq!(listed.len(), 1, "the command is listed once");
    assert_eq!(t.input_preview.as_deref(), Some(question.as_str()));
    // Previews are cut with an ellipsis; the full answer is the judge's below.
    let preview = t.output_preview.as_deref().unwrap();
    assert!(
        answer.starts_with(preview.trim_end_matches('…')),
        "{preview}"
    );
    assert_eq!((t.input_tokens, t.output_tokens), (in_sum, out_sum));
    assert_eq!(t.llm_calls, 2);
    let tool = spans.iter().find(|x| x.kind == SpanKind::Tool).unwrap();
    let info = tool.tool.as_ref().unwrap();
    assert_eq!(info.call_id.as_deref(), Some(call_id.as_str()));
    assert_eq!(info.result.as_deref(), Some(result.as_str()));
    let judge = trace_input(&t.trace_id, &spans);
    assert_eq!(judge.last_user_message.as_deref(), Some(question.as_str()));
    assert_eq!(judge.final_answer.as_deref(), Some(answer.as_str()));
    let roles: Vec<&str> = judge.conversation.iter().map(|m| m.role.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);

    // 0.36 reads the same command the same way.
    let s36 = store_of(LLM_036);
    let with_tool: Vec<_> = traces(&s36)
        .into_iter()
        .filter(|x| x.input_preview.as_deref() == Some(question.as_str()))
        .collect();
    assert_eq!(with_tool.len(), 1);
    let t36 = &with_tool[0];
    assert_eq!(t36.llm_calls, 2);
    assert_eq!(
        (t36.input_tokens, t36.output_tokens),
        (t.input_tokens, t.output_tokens)
    );
    assert!(
        t36.output_preview
            .as_deref()
            .unwrap()
            .contains("llm_time tool says")
    );
}

#[test]
fn phoenix_failed_call_without_token_counts_has_unknown_tokens_and_cost() {
    let c = raw(PHOENIX);
    // LLM spans whose attributes carry no token count and which have no span_costs row.
    let mut st = c
        .prepare(
            "SELECT s.span_id, s.llm_token_count_prompt, s.llm_token_count_completion, s.status_code
             FROM spans s
             WHERE s.span_kind = 'LLM' AND json_extract(s.attributes, '$.llm.token_count') IS NULL
               AND NOT EXISTS (SELECT 1 FROM span_costs x WHERE x.span_rowid = s.id)",
        )
        .unwrap();
    let rows: Vec<(String, Option<i64>, Option<i64>, String)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!rows.is_empty());
    // Phoenix stored zeros for them: the columns are not a report.
    assert!(
        rows.iter()
            .any(|(_, p, c, _)| *p == Some(0) && *c == Some(0))
    );
    let s = store_of(PHOENIX);
    for (id, _, _, status) in &rows {
        let (_, spans) = trace_with_span(&s, id);
        let span = spans.iter().find(|x| &x.span_id == id).unwrap();
        assert_eq!(status, "ERROR");
        assert!(
            span.usage
                .as_ref()
                .is_none_or(|u| u.input.is_none() && u.output.is_none()),
            "{id}: tokens unknown, got {:?}",
            span.usage
        );
        assert!(
            span.cost.as_ref().is_none_or(|c| c.total.is_none()),
            "{id}: cost unknown, got {:?}",
            span.cost
        );
    }
    // A reported count still reads as reported (nonzero columns match the attributes).
    let (id, p): (String, i64) = c
        .query_row(
            "SELECT span_id, llm_token_count_prompt FROM spans
             WHERE span_kind = 'LLM' AND llm_token_count_prompt > 0 LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let (_, spans) = trace_with_span(&s, &id);
    let span = spans.iter().find(|x| x.span_id == id).unwrap();
    assert_eq!(span.usage.as_ref().unwrap().input, Some(p));
}
