use super::*;
use crate::model::{Cost, CostSource, Document, Message, RawValue, StatusCode, Usage};

fn span(id: &str, parent: Option<&str>, kind: SpanKind, name: &str, start: i64, end: i64) -> Span {
    Span {
        trace_id: "t".into(),
        span_id: id.into(),
        parent_id: parent.map(str::to_string),
        kind,
        name: name.into(),
        start_ns: start,
        end_ns: Some(end),
        ..Span::default()
    }
}

fn llm(id: &str, model: &str, inp: i64, out: i64, cost: f64, answer: &str) -> Span {
    let mut s = span(id, Some("r"), SpanKind::Llm, "chat", 10, 1_000_010);
    s.model = Some(model.into());
    s.usage = Some(Usage {
        input: Some(inp),
        output: Some(out),
        ..Usage::default()
    });
    s.cost = Some(Cost {
        total: Some(cost),
        source: CostSource::Reported,
        ..Cost::default()
    });
    s.input_messages = vec![Message {
        role: "system".into(),
        content: "Be brief.".into(),
        ..Message::default()
    }];
    s.output_messages = vec![Message {
        role: "assistant".into(),
        content: answer.into(),
        ..Message::default()
    }];
    s
}

fn retriever(id: &str, docs: &[&str]) -> Span {
    let mut s = span(id, Some("r"), SpanKind::Retriever, "search", 5, 9);
    s.documents = docs
        .iter()
        .map(|d| Document {
            id: Some((*d).into()),
            ..Document::default()
        })
        .collect();
    s
}

fn root(answer: &str) -> Span {
    let mut r = span("r", None, SpanKind::Chain, "answer", 0, 2_000_000);
    r.input = Some(RawValue {
        value: "How much is express?".into(),
        mime: None,
    });
    r.output = Some(RawValue {
        value: answer.into(),
        mime: None,
    });
    r
}

#[test]
fn trees_align_by_path_and_report_every_difference() {
    let a = vec![
        root("It costs $14.95."),
        retriever("ra", &["kb-1", "kb-2", "kb-3"]),
        llm("la", "gpt-4o-mini", 500, 30, 0.001, "It costs $14.95."),
    ];
    let mut lb = llm("lb", "gpt-4.1", 520, 40, 0.003, "It costs $9.95.");
    lb.status = StatusCode::Error;
    let mut tool = span("tb", Some("r"), SpanKind::Tool, "lookup", 20, 30);
    tool.end_ns = Some(30);
    let b = vec![
        root("It costs $9.95."),
        retriever("rb", &["kb-2", "kb-1", "kb-9"]),
        lb,
        tool,
    ];
    let d = diff("A", &a, "B", &b);
    assert_eq!(d.added.len(), 1);
    assert_eq!(d.added[0].path, "chain:answer/tool:lookup");
    assert!(d.removed.is_empty());
    let llm_change = d.changed.iter().find(|c| c.a_span_id == "la").unwrap();
    assert_eq!(llm_change.b_span_id, "lb");
    assert_eq!(
        llm_change.input_tokens,
        Delta {
            a: Some(500),
            b: Some(520)
        }
    );
    assert_eq!(
        llm_change.output_tokens,
        Delta {
            a: Some(30),
            b: Some(40)
        }
    );
    assert_eq!(
        llm_change.cost_usd,
        Delta {
            a: Some(0.001),
            b: Some(0.003)
        }
    );
    assert_eq!(
        llm_change.model,
        Some(Delta {
            a: Some("gpt-4o-mini".into()),
            b: Some("gpt-4.1".into())
        })
    );
    assert_eq!(
        llm_change.status,
        Some(Delta {
            a: "unset".into(),
            b: "error".into()
        })
    );
    // Identical spans (the root's timing, the retriever's) are not listed as changed.
    assert!(d.changed.iter().all(|c| c.a_span_id != "ra"));
    assert_eq!(d.totals.input_tokens, Delta { a: 500, b: 520 });
    assert_eq!(d.totals.output_tokens, Delta { a: 30, b: 40 });
    assert!(!d.question.changed);
    assert!(d.answer.changed);
    assert_eq!(
        words::render_plain(&d.answer.diff),
        "It costs [-$14.95.-]{+$9.95.+}"
    );
    assert!(!d.system_prompt.changed);
    assert_eq!(d.documents.added, vec!["kb-9".to_string()]);
    assert_eq!(d.documents.dropped, vec!["kb-3".to_string()]);
    assert_eq!(
        d.documents.moved,
        vec![
            DocMove {
                id: "kb-1".into(),
                from: 1,
                to: 2
            },
            DocMove {
                id: "kb-2".into(),
                from: 2,
                to: 1
            }
        ]
    );
}
