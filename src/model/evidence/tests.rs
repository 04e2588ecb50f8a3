//! Staging, dedup, prompt matching and claim terms: on hand-made spans and on the demo's
//! "30-day refund" trace (a9a71350, the KB says 14 days).

use super::*;
use crate::model::{Message, Reranker};

const DEMO: &str = include_str!("../../../assets/demo/support-bot.otlp.jsonl");

fn demo_trace(prefix: &str) -> Vec<Span> {
    let mut out = Vec::new();
    for line in DEMO.lines() {
        let spans = crate::ingest::otlp::parse_line(line.as_bytes()).unwrap_or_default();
        out.extend(spans.into_iter().filter(|s| s.trace_id.starts_with(prefix)));
    }
    assert!(!out.is_empty(), "no demo trace {prefix}");
    out
}

fn doc(id: &str, score: f64, content: &str) -> Document {
    Document {
        id: Some(id.into()),
        score: Some(score),
        content: (!content.is_empty()).then(|| content.to_string()),
        metadata: None,
    }
}

fn span(id: &str, kind: SpanKind, start: i64) -> Span {
    Span {
        trace_id: "t".into(),
        span_id: id.into(),
        kind,
        start_ns: start,
        ..Span::default()
    }
}

fn llm(start: i64, prompt: &str) -> Span {
    let mut s = span("llm", SpanKind::Llm, start);
    s.input_messages = vec![Message {
        role: "user".into(),
        content: prompt.into(),
        ..Message::default()
    }];
    s
}

fn ids(e: &Evidence) -> Vec<&str> {
    e.passages
        .iter()
        .map(|p| p.id.as_deref().unwrap_or("?"))
        .collect()
}

#[test]
fn the_demo_refund_answer_shows_its_staged_passages_and_the_numbers_it_touches() {
    let spans = demo_trace("a9a71350");
    let answer =
        "Yes, we refund price differences within 30 days of purchase, so you'll get $40 back.";
    let e = Evidence::of_trace(&spans, Some(answer));
    assert_eq!(e.prompt, PromptSource::Matched);
    // 5 retrieved, 4 reranked, the same 4 pasted into the prompt in prompt order; the fifth
    // (dropped by the reranker) comes last. No duplicates although two stages list them.
    assert_eq!(
        ids(&e),
        [
            "kb-account-01",
            "kb-ship-03",
            "kb-refund-06",
            "kb-ship-04",
            "kb-loyalty-01"
        ]
    );
    assert_eq!(e.retrieved(), 5);
    assert_eq!(e.in_prompt(), 4);
    let first = &e.passages[0];
    assert_eq!(first.retrieved.as_ref().map(|m| m.rank), Some(1));
    assert_eq!(first.retrieved.as_ref().and_then(|m| m.score), Some(0.449));
    assert_eq!(first.reranked.as_ref().and_then(|m| m.score), Some(0.3296));
    assert_eq!(first.in_prompt, Some(1));
    assert!(first.content.contains("14 days"), "{}", first.content);
    let dropped = &e.passages[4];
    assert!(dropped.reranked.is_none() && dropped.in_prompt.is_none());
    // The 14-day passage shares the answer's words; the tent passage its "30".
    assert!(first.touched(), "{:?}", first.shared);
    assert!(
        first.shared.contains(&"refund".to_string()),
        "{:?}",
        first.shared
    );
    let tents = &e.passages[2];
    assert_eq!(tents.shared.first().map(String::as_str), Some("30"));
    assert!(tents.touched());
    assert!(!e.passages[1].touched(), "{:?}", e.passages[1].shared);
    assert!(e.answer_terms.contains(&"30".to_string()));
    assert!(
        !e.answer_terms.contains(&"40".to_string()),
        "no passage says 40"
    );
}

#[test]
fn every_demo_trace_has_its_reranked_passages_in_the_prompt() {
    let mut traces: Vec<String> = Vec::new();
    for line in DEMO.lines() {
        for s in crate::ingest::otlp::parse_line(line.as_bytes()).unwrap_or_default() {
            if !traces.contains(&s.trace_id) {
                traces.push(s.trace_id);
            }
        }
    }
    assert_eq!(traces.len(), 40);
    for t in traces {
        let e = Evidence::of_trace(&demo_trace(&t), None);
        assert_eq!(e.in_prompt(), 4, "{t}: {:?}", ids(&e));
        assert!(
            e.passages
                .iter()
                .all(|p| p.in_prompt.is_some() == p.reranked.is_some()),
            "{t}"
        );
    }
}

#[test]
fn a_reranker_listing_ids_only_takes_the_retrieved_text() {
    let mut ret = span("r", SpanKind::Retriever, 1);
    ret.documents = vec![doc("a", 0.9, "alpha text here"), doc("b", 0.8, "beta text")];
    let mut rr = span("rr", SpanKind::Reranker, 2);
    rr.reranker = Some(Reranker {
        output_documents: vec![doc("b", 0.7, ""), doc("a", 0.2, "")],
        ..Reranker::default()
    });
    let e = Evidence::of_trace(&[ret, rr, llm(3, "[1] (b) beta text\n[2] (a) alpha")], None);
    assert_eq!(ids(&e), ["b", "a"]);
    assert_eq!(e.passages[0].content, "beta text");
    assert_eq!(e.passages[0].reranked.as_ref().map(|m| m.rank), Some(1));
    assert_eq!(e.passages[0].retrieved.as_ref().map(|m| m.rank), Some(2));
    assert_eq!(e.reranker_span.as_deref(), Some("rr"));
    assert_eq!(e.retriever_span.as_deref(), Some("r"));
}

#[test]
fn an_id_inside_a_longer_id_is_not_in_the_prompt() {
    let mut ret = span("r", SpanKind::Retriever, 1);
    ret.documents = vec![doc("kb-1", 0.9, "short"), doc("kb-12", 0.8, "other")];
    let e = Evidence::of_trace(&[ret, llm(2, "context: (kb-12) other")], None);
    assert_eq!(ids(&e), ["kb-12", "kb-1"]);
    assert_eq!(e.passages[1].in_prompt, None);
}

#[test]
fn passages_pasted_without_ids_match_by_text_across_whitespace() {
    let mut ret = span("r", SpanKind::Retriever, 1);
    ret.documents = vec![
        Document {
            content: Some("Returns are accepted\nwithin thirty days of delivery.".into()),
            ..Document::default()
        },
        Document {
            content: Some("Returns are accepted\nwithin thirty days of delivery.".into()),
            ..Document::default()
        },
        Document {
            content: Some("Gift cards never expire and cannot be refunded.".into()),
            ..Document::default()
        },
    ];
    let e = Evidence::of_trace(
        &[
            ret,
            llm(
                2,
                "Use: returns are  accepted within thirty days of delivery.",
            ),
        ],
        None,
    );
    assert_eq!(e.passages.len(), 2, "same text, no id: one passage");
    assert_eq!(e.in_prompt(), 1);
    assert_eq!(e.passages[0].in_prompt, Some(1));
}

#[test]
fn without_prompt_text_the_last_stage_is_assumed_and_said_so() {
    let mut ret = span("r", SpanKind::Retriever, 1);
    ret.documents = vec![doc("a", 0.9, "x"), doc("b", 0.8, "y")];
    let mut rr = span("rr", SpanKind::Reranker, 2);
    rr.documents = vec![doc("b", 0.5, "")];
    let e = Evidence::of_trace(&[ret.clone(), rr, span("llm", SpanKind::Llm, 3)], None);
    assert_eq!(e.prompt, PromptSource::Inferred);
    assert_eq!(ids(&e), ["b", "a"]);
    assert_eq!(e.in_prompt(), 1);
    let none = Evidence::of_trace(std::slice::from_ref(&ret), None);
    assert_eq!(none.prompt, PromptSource::NoResponse);
    assert_eq!(none.in_prompt(), 0);
    assert_eq!(none.passages.len(), 2);
}

#[test]
fn stages_after_the_response_are_not_its_evidence() {
    let mut late = span("r2", SpanKind::Retriever, 9);
    late.documents = vec![doc("late", 0.9, "late text")];
    let mut early = span("r1", SpanKind::Retriever, 1);
    early.documents = vec![doc("early", 0.9, "early text")];
    let call = llm(5, "(early) early text");
    let e = Evidence::of_span(&[early, call.clone(), late], &call, None);
    assert_eq!(ids(&e), ["early"]);
}

#[test]
fn claim_terms_are_numbers_then_distinctive_words() {
    let t = claim_terms("Yes, we refund price differences within 30 days, so you'll get $40 back.");
    assert_eq!(t, ["30", "40", "refund", "price", "difference"]);
    assert_eq!(
        claim_terms("It costs 1,250.50 (7-14 days)."),
        ["1,250.50", "7", "14"]
    );
    assert!(claim_terms("").is_empty());
}

#[test]
fn term_ranges_find_every_form_of_a_term() {
    let text = "Refunds: refund the price difference within 14 days.";
    let terms = vec!["refund".to_string(), "14".to_string()];
    let hits: Vec<&str> = term_ranges(text, &terms)
        .into_iter()
        .map(|r| &text[r])
        .collect();
    assert_eq!(hits, ["Refunds", "refund", "14"]);
    assert!(term_ranges(text, &[]).is_empty());
}
