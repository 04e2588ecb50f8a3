//! The evidence pane and the staged passages: opened from the trace view (the final answer or
//! the selected LLM call) and from triage (loading the trace itself), the judge's reasoning
//! about the response, and `model::evidence` on the other RAG fixtures (OpenLLMetry's and
//! Langfuse's rerankers list documents by id only).

use trawl::import::{ImportOptions, import_file};
use trawl::model::evidence::{Evidence, PromptSource};
use trawl::model::{Score, ScoreSource, SpanKind, Verdict};
use trawl::store::{SortKey, Store, TraceFilter};
use trawl::tui::keys::Mode;
use trawl::tui::{Action, App, Cmd};

use crate::drive::{cmd, now, type_text};
use crate::util::{fixture, fixture_store};

fn screen(app: &App, w: u16, h: u16) -> String {
    let rows = trawl::tui::views::screen_rows(app, w, h);
    rows.iter().map(|r| format!("{r}\n")).collect()
}

fn open(app: &mut App, id: &str) {
    cmd(app, Cmd::CommandLine);
    type_text(app, &format!("open {id}"));
    cmd(app, Cmd::InputSubmit);
    assert_eq!(app.mode(), Mode::Trace);
}

fn judged(store: &Store, trace_id: &str, span_id: Option<&str>, why: &str) {
    store
        .insert_score(&Score {
            verdict: Some(Verdict::False),
            explanation: Some(why.into()),
            model: Some("gpt-4o-mini".into()),
            span_id: span_id.map(str::to_string),
            ..Score::new(ScoreSource::Judge, trace_id, "grounded")
        })
        .unwrap();
}

#[test]
fn from_triage_the_pane_loads_the_trace_and_shows_the_judges_reasoning() {
    let fx = fixture_store();
    let store = fx.open();
    let id = fx
        .ids
        .iter()
        .find(|i| i.starts_with("a9a71350"))
        .unwrap()
        .clone();
    judged(&store, &id, None, "the KB allows 14 days, not 30");
    let mut app = App::new_for_test(store, now());
    app.dispatch(Action::Resize(100, 30));
    cmd(&mut app, Cmd::Triage);
    let s = screen(&app, 100, 30);
    assert!(s.contains("4 of 5 passages in the prompt"), "{s}");
    assert!(
        s.contains("dropped by the reranker") || s.contains("kb-account-01"),
        "{s}"
    );
    cmd(&mut app, Cmd::Evidence);
    assert_eq!(app.mode(), Mode::Evidence);
    let s = screen(&app, 100, 30);
    assert!(s.contains("triage › evidence"), "{s}");
    assert!(s.contains("grounded ✗ FALSE (gpt-4o-mini)"), "{s}");
    assert!(s.contains("the KB allows 14 days, not 30"), "{s}");
    // Side by side: the answer's column and the passages' column share rows.
    let row = s
        .lines()
        .find(|l| l.contains("── question ──"))
        .unwrap_or_default();
    assert!(row.contains("│ ── 4 of 5 passages in the prompt ──"), "{s}");
    cmd(&mut app, Cmd::Back);
    assert_eq!(app.mode(), Mode::Triage);
}

#[test]
fn on_an_llm_call_the_pane_shows_that_call_and_m_steps_to_the_final_answer() {
    let fx = fixture_store();
    let store = fx.open();
    // A trace with two LLM calls: a tool call, then the answer.
    let id = fx
        .ids
        .iter()
        .find(|i| i.starts_with("471a51b4"))
        .unwrap()
        .clone();
    let spans = store.trace_spans(&id).unwrap();
    let first_llm = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Llm)
        .min_by_key(|s| s.start_ns)
        .unwrap()
        .span_id
        .clone();
    judged(
        &store,
        &id,
        Some(&first_llm),
        "the tool call was not needed",
    );
    judged(&store, &id, None, "about the final answer");
    let mut app = App::new_for_test(store, now());
    app.dispatch(Action::Resize(80, 24));
    open(&mut app, &id);
    cmd(&mut app, Cmd::NextLlm);
    cmd(&mut app, Cmd::Evidence);
    let s = screen(&app, 80, 24);
    assert!(s.contains("── LLM call (ChatCompletion"), "{s}");
    assert!(s.contains("the tool call was not needed"), "{s}");
    assert!(!s.contains("about the final answer"), "{s}");
    cmd(&mut app, Cmd::NextLlm);
    let s = screen(&app, 80, 24);
    assert!(s.contains("── answer (ChatCompletion"), "{s}");
    assert!(s.contains("about the final answer"), "{s}");
    assert!(s.contains("LLM call 2/2"), "{s}");
    // Scrolling stops at the end of the text.
    for _ in 0..200 {
        cmd(&mut app, Cmd::Down);
    }
    let end = screen(&app, 80, 24);
    cmd(&mut app, Cmd::Bottom);
    assert_eq!(end, screen(&app, 80, 24));
}

#[test]
fn a_failed_llm_call_still_opens_its_evidence() {
    let fx = fixture_store();
    let mut app = App::new_for_test(fx.open(), now());
    app.dispatch(Action::Resize(80, 24));
    // The HTTP 500 trace: its LLM calls failed, with no answer.
    let id = fx
        .ids
        .iter()
        .find(|i| i.starts_with("7851b514"))
        .unwrap()
        .clone();
    open(&mut app, &id);
    cmd(&mut app, Cmd::Evidence);
    let s = screen(&app, 80, 24);
    assert!(s.contains("── answer"), "{s}");
    assert!(s.contains("passages in the prompt"), "{s}");
}

fn imported(name: &str) -> Store {
    let mut s = Store::open_in_memory().unwrap();
    let r = import_file(&mut s, &fixture(name), ImportOptions::default()).unwrap();
    assert!(r.fatal.is_none(), "{name}: {:?}", r.fatal);
    s
}

#[test]
fn rag_fixtures_of_every_convention_have_staged_deduplicated_passages() {
    for name in [
        "openinference_support_bot_40.otlp.jsonl",
        "openllmetry_support_bot_dev.otlp.jsonl",
        "langfuse_support_bot_dev.otlp.jsonl",
    ] {
        let store = imported(name);
        let traces = store
            .list_traces(&TraceFilter::default(), SortKey::Start, false, 1000, 0)
            .unwrap();
        let mut with_passages = 0;
        for t in &traces {
            let spans = store.trace_spans(&t.trace_id).unwrap();
            let e = Evidence::of_trace(&spans, t.output_preview.as_deref());
            if e.passages.is_empty() {
                continue;
            }
            with_passages += 1;
            let ids: Vec<&str> = e.passages.iter().filter_map(|p| p.id.as_deref()).collect();
            let mut unique = ids.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(ids.len(), unique.len(), "{name} {}: {ids:?}", t.trace_id);
            assert_eq!(e.prompt, PromptSource::Matched, "{name} {}", t.trace_id);
            assert!(e.in_prompt() > 0, "{name} {}: {ids:?}", t.trace_id);
            for p in &e.passages {
                // Rerankers listing ids only: the text comes from the retriever.
                assert!(!p.content.is_empty(), "{name} {}: {:?}", t.trace_id, p.id);
                if p.in_prompt.is_some() {
                    assert!(p.reranked.is_some(), "{name}: in the prompt, not reranked");
                }
            }
        }
        assert!(
            with_passages >= 5,
            "{name}: {with_passages} traces with passages"
        );
    }
}
