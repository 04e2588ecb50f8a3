//! Spans whose text another span of their trace holds are left out of the index (see
//! `TraceText`), and no search finds a different set of traces for it: on every real capture
//! the results equal those of an index holding every span's text (`rebuild`).

use super::{SpanText, rebuild};
use crate::filter::{TextField, TraceFilter};
use crate::store::{Store, write::PreparedSpan};

const FIELDS: [TextField; 4] = [
    TextField::Question,
    TextField::Answer,
    TextField::Docs,
    TextField::System,
];

fn fixture(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name)
}

fn imported(name: &str) -> Store {
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    crate::import::import_file(&mut store, &fixture(name), Default::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    store
}

/// Every stored span's index text, as `rebuild` computes it.
fn stored_texts(store: &Store) -> Vec<SpanText> {
    let mut st = store
        .conn
        .prepare(&format!(
            "SELECT d.data, {} FROM {} ORDER BY d.id",
            crate::store::row_fields::COLUMNS,
            crate::store::row_fields::FROM
        ))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut rows = st.query([]).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    while let Some(r) = rows.next().unwrap_or_else(|e| panic!("{e}")) {
        let data = r.get_ref(0).and_then(|v| Ok(v.as_blob()?));
        let data = data.unwrap_or_else(|e| panic!("{e}"));
        let fields =
            crate::store::row_fields::RowFields::at(r, 1).unwrap_or_else(|e| panic!("{e}"));
        let span = crate::store::codec::decode_in_row(data, &fields, crate::store::decode_span)
            .unwrap_or_else(|e| panic!("{e}"));
        out.push(SpanText::of(&span));
    }
    out
}

fn field_text(t: &SpanText, f: TextField) -> &str {
    match f {
        TextField::Question => &t.question,
        TextField::Answer => &t.answer,
        TextField::Docs => &t.docs,
        TextField::System => &t.system,
    }
}

fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .collect()
}

/// Searches each span's text answers: in each field, its first and last word (most often in
/// different passages or messages), a phrase of its first line, and a bare search for a word
/// of its question with one of its answer.
fn searches(texts: &[SpanText]) -> Vec<TraceFilter> {
    let mut out = Vec::new();
    for t in texts {
        for f in FIELDS {
            let text = field_text(t, f);
            let w = words(text);
            let (Some(first), Some(last)) = (w.first(), w.last()) else {
                continue;
            };
            out.push(TraceFilter {
                scoped: vec![(f, format!("{first} {last}"))],
                ..TraceFilter::default()
            });
            // Every token of the line (as the tokenizer splits it), so the two are adjacent.
            let line: Vec<&str> = text
                .lines()
                .next()
                .unwrap_or_default()
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            if line.len() >= 2 {
                let mid = line.len() / 2;
                out.push(TraceFilter {
                    scoped: vec![(f, format!("\"{} {}\"", line[mid - 1], line[mid]))],
                    ..TraceFilter::default()
                });
            }
        }
        if let (Some(q), Some(a)) = (words(&t.question).last(), words(&t.answer).first()) {
            out.push(TraceFilter {
                search: Some(format!("{q} {a}")),
                ..TraceFilter::default()
            });
        }
    }
    out
}

/// Writes `spans` in one call, as the receiver writes a request, and commits.
fn write_together(store: &mut Store, spans: Vec<crate::model::Span>) {
    let prepared: Vec<PreparedSpan> = spans
        .into_iter()
        .map(|s| PreparedSpan::new(s).unwrap_or_else(|e| panic!("{e}")))
        .collect();
    let mut writer = store
        .begin_import(&Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    writer.write_all(prepared).unwrap_or_else(|e| panic!("{e}"));
    writer
        .finish(&Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
}

fn indexed_rows(store: &Store) -> i64 {
    store
        .conn
        .query_row("SELECT count(*) FROM span_fields_fts_docsize", [], |r| {
            r.get(0)
        })
        .unwrap_or_else(|e| panic!("{e}"))
}

fn results(store: &Store, searches: &[TraceFilter]) -> Vec<Vec<String>> {
    searches
        .iter()
        .map(|f| {
            let mut ids = store
                .trace_ids(f, None)
                .unwrap_or_else(|e| panic!("{f:?}: {e}"));
            ids.sort();
            ids
        })
        .collect()
}

/// Rows indexed, then every search's traces with this index and with one of every span.
fn compare(store: &Store) -> (i64, usize) {
    let texts = stored_texts(store);
    let with_text = texts.iter().filter(|t| !t.is_empty()).count();
    let searches = searches(&texts);
    assert!(searches.len() > 50, "{} searches", searches.len());
    let deduplicated = results(store, &searches);
    let rows = indexed_rows(store);
    rebuild(&store.conn).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(indexed_rows(store), with_text as i64);
    let full = results(store, &searches);
    for ((s, d), f) in searches.iter().zip(&deduplicated).zip(&full) {
        assert_eq!(d, f, "{s:?}");
        assert!(!f.is_empty(), "{s:?} finds the span it came from");
    }
    (rows, with_text)
}

#[test]
fn every_search_finds_the_same_traces_as_an_index_of_every_span() {
    for name in [
        "tests/fixtures/openinference_support_bot_40.otlp.jsonl",
        "tests/fixtures/openllmetry_support_bot_dev.otlp.jsonl",
        "tests/fixtures/langfuse_support_bot_dev.otlp.jsonl",
        "tests/fixtures/phoenix_dev.db",
        "tests/fixtures/llm-logs-0.36.db",
        "assets/demo/support-bot.otlp.jsonl",
    ] {
        let store = imported(name);
        let (rows, with_text) = compare(&store);
        assert!(rows <= with_text as i64, "{name}: {rows} rows");
        eprintln!("{name}: {rows} of {with_text} spans with text indexed");
    }
    // The RAG captures repeat their passages and questions: some spans are left out.
    let store = imported("tests/fixtures/openinference_support_bot_40.otlp.jsonl");
    let (rows, with_text) = compare(&store);
    assert!(rows < with_text as i64, "{rows} of {with_text}");
}

/// The demo's spans written request by request as the receiver does, each trace's root first
/// (the order that leaves nothing out unless the writer orders the spans by size).
#[test]
fn spans_written_together_are_indexed_largest_first() {
    let source = imported("assets/demo/support-bot.otlp.jsonl");
    let mut spans: Vec<crate::model::Span> = Vec::new();
    for id in source
        .trace_ids(&TraceFilter::default(), None)
        .unwrap_or_else(|e| panic!("{e}"))
    {
        let mut s = source.trace_spans(&id).unwrap_or_else(|e| panic!("{e}"));
        s.sort_by_key(|s| s.parent_id.is_some());
        spans.extend(s);
    }
    // Each trace's root holds its LLM call's question and answer: left out, root first or not.
    let roots = spans
        .iter()
        .filter(|s| s.parent_id.is_none() && !SpanText::of(s).is_empty())
        .count() as i64;
    assert!(roots > 0);
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    write_together(&mut store, spans);
    let root_first = indexed_rows(&store);
    let (rows, with_text) = compare(&store);
    assert_eq!(rows, root_first);
    assert!(
        rows <= with_text as i64 - roots,
        "{rows} of {with_text}, {roots} roots"
    );
}

/// A span that covered another changes: the trace is indexed again, so the text only the
/// changed span held before is still found through the span it covered.
#[test]
fn a_changed_span_reindexes_its_trace() {
    use crate::model::{Document, Span, SpanKind};
    let doc = |text: &str| Document {
        content: Some(text.into()),
        ..Document::default()
    };
    let span = |id: &str, kind: SpanKind, docs: Vec<Document>| Span {
        trace_id: "t1".into(),
        span_id: id.into(),
        parent_id: Some("root".into()),
        name: id.into(),
        kind,
        start_ns: 1_790_000_000_000_000_000,
        end_ns: Some(1_790_000_001_000_000_000),
        documents: docs,
        ..Span::default()
    };
    let retriever = |docs| span("retrieve", SpanKind::Retriever, docs);
    let reranker = span(
        "rerank",
        SpanKind::Reranker,
        vec![doc("Tents may be returned within 30 days.")],
    );
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    let docs = |store: &Store, text: &str| {
        store
            .count_traces(&TraceFilter {
                scoped: vec![(TextField::Docs, text.into())],
                ..TraceFilter::default()
            })
            .unwrap_or_else(|e| panic!("{e}"))
    };
    write_together(
        &mut store,
        vec![
            retriever(vec![
                doc("Tents may be returned within 30 days."),
                doc("Stoves ship in two days."),
            ]),
            reranker.clone(),
        ],
    );
    assert_eq!(indexed_rows(&store), 1, "the reranker adds nothing");
    assert_eq!(docs(&store, "tents returned"), 1);
    // The retriever is sent again with other passages; the reranker is unchanged.
    write_together(
        &mut store,
        vec![retriever(vec![doc("Stoves ship in two days.")])],
    );
    assert_eq!(indexed_rows(&store), 2);
    assert_eq!(docs(&store, "tents returned"), 1);
    assert_eq!(docs(&store, "stoves"), 1);
}

/// A span is left out only when one indexed span holds every piece of it in the same fields:
/// not when its pieces are spread over two spans, nor when one field differs.
#[test]
fn one_span_must_cover_every_field() {
    use super::Field;
    use crate::store::text_cover::TraceText;
    let text = |parts: &[(Field, &str)]| {
        let mut t = SpanText::default();
        for (f, s) in parts {
            t.push(*f, s);
        }
        t
    };
    let mut trace = TraceText::default();
    trace.add(&text(&[
        (Field::Question, "Can I return a tent?"),
        (Field::Answer, "Within 30 days."),
        (Field::Docs, "Tents: 30 days."),
    ]));
    trace.add(&text(&[(Field::Docs, "Stoves ship in two days.")]));
    assert!(trace.covers(&text(&[(Field::Answer, "Within 30 days.")])));
    assert!(trace.covers(&text(&[
        (Field::Question, "Can I return a tent?"),
        (Field::Answer, "Within 30 days."),
    ])));
    // Another question with the same answer.
    assert!(!trace.covers(&text(&[
        (Field::Question, "Can I return a stove?"),
        (Field::Answer, "Within 30 days."),
    ])));
    // The same text in another field.
    assert!(!trace.covers(&text(&[(Field::System, "Within 30 days.")])));
    // Both passages, each held by a different span: a search for a word of each finds this
    // span only.
    assert!(!trace.covers(&text(&[
        (Field::Docs, "Tents: 30 days."),
        (Field::Docs, "Stoves ship in two days."),
    ])));
    assert!(trace.covers(&text(&[(Field::Docs, "Stoves ship in two days.")])));
    assert!(
        !trace.covers(&SpanText::default()),
        "nothing to index is not covered"
    );
}
