//! Which recorded LLM calls a replay re-sends: a trace's final call (the one whose output
//! became the answer), or every call in order. Pure.

use crate::model::{Span, SpanKind};

/// The LLM calls of a trace in start order.
pub fn llm_calls(spans: &[Span]) -> Vec<&Span> {
    let mut calls: Vec<&Span> = spans.iter().filter(|s| s.kind == SpanKind::Llm).collect();
    calls.sort_by_key(|s| (s.start_ns, s.end_ns));
    calls
}

/// The final LLM call: the last one whose answer is the trace's answer (the root's output),
/// else the last one that answered with text, else the last one.
pub fn final_call(spans: &[Span]) -> Option<&Span> {
    let calls = llm_calls(spans);
    let root_answer = spans
        .iter()
        .find(|s| s.parent_id.is_none())
        .and_then(Span::output_text)
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty());
    let answer_of = |s: &Span| answer_text(s).map(|t| t.trim().to_string());
    if let Some(root) = &root_answer
        && let Some(s) = calls
            .iter()
            .rev()
            .find(|s| answer_of(s).is_some_and(|a| !a.is_empty() && root.contains(a.as_str())))
    {
        return Some(s);
    }
    calls
        .iter()
        .rev()
        .find(|s| answer_of(s).is_some_and(|a| !a.is_empty()))
        .or(calls.last())
        .copied()
}

/// The recorded answer of an LLM call: its last assistant text, else its raw output.
pub fn answer_text(s: &Span) -> Option<String> {
    s.output_messages
        .iter()
        .rev()
        .find(|m| !m.content.trim().is_empty())
        .map(|m| m.content.clone())
        .or_else(|| s.output_text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Message, RawValue};

    fn llm(id: &str, start: i64, answer: &str) -> Span {
        Span {
            span_id: id.into(),
            parent_id: Some("root".into()),
            kind: SpanKind::Llm,
            start_ns: start,
            output_messages: vec![Message {
                role: "assistant".into(),
                content: answer.into(),
                ..Message::default()
            }],
            ..Span::default()
        }
    }

    #[test]
    fn the_final_call_is_the_one_whose_answer_the_trace_returned() {
        let root = Span {
            span_id: "root".into(),
            output: Some(RawValue {
                value: "Express costs $14.95.".into(),
                mime: None,
            }),
            ..Span::default()
        };
        // A later call (a summariser of the chat title, say) did not produce the answer.
        let spans = vec![
            root,
            llm("a", 1, ""),
            llm("b", 2, "Express costs $14.95."),
            llm("c", 3, "Shipping question"),
        ];
        assert_eq!(final_call(&spans).map(|s| s.span_id.as_str()), Some("b"));
        let ids: Vec<&str> = llm_calls(&spans)
            .iter()
            .map(|s| s.span_id.as_str())
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        // Without a root answer: the last call that answered with text.
        let spans = vec![llm("a", 1, "x"), llm("b", 2, "")];
        assert_eq!(final_call(&spans).map(|s| s.span_id.as_str()), Some("a"));
        assert!(final_call(&[]).is_none());
    }
}
