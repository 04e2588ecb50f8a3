//! Frame-time benchmarks called by the `trawl-bench` binary.

use super::action::{Action, Cmd};
use super::app::App;
use super::theme::Theme;
use crate::model::{Cost, CostSource, Message, Span, SpanKind, Usage};
use crate::store::Store;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

/// A trace of `n` spans: a root agent with chains, each holding a retriever and LLM calls.
pub fn synthetic_trace(n: usize) -> Vec<Span> {
    let t0 = 1_800_000_000_000_000_000i64;
    let mut spans = Vec::with_capacity(n);
    let mut chain = String::from("s0");
    for i in 0..n {
        let id = format!("s{i}");
        let (kind, parent) = match i {
            0 => (SpanKind::Agent, None),
            i if i % 10 == 1 => {
                chain = id.clone();
                (SpanKind::Chain, Some("s0".to_string()))
            }
            i if i % 10 == 2 => (SpanKind::Retriever, Some(chain.clone())),
            i if i % 10 == 5 => (SpanKind::Tool, Some(chain.clone())),
            _ => (SpanKind::Llm, Some(chain.clone())),
        };
        let start = t0 + i as i64 * 1_000_000;
        let llm = kind == SpanKind::Llm;
        spans.push(Span {
            trace_id: "bench".into(),
            span_id: id,
            parent_id: parent,
            name: format!("{} step {i}", kind.as_str()),
            kind,
            start_ns: start,
            end_ns: Some(if i == 0 {
                t0 + n as i64 * 1_000_000 + 5_000_000
            } else {
                start + 3_000_000
            }),
            model: llm.then(|| "gpt-4o-mini".to_string()),
            usage: llm.then(|| Usage {
                input: Some(1200),
                output: Some(80),
                cache_read: Some(200),
                ..Default::default()
            }),
            cost: llm.then(|| Cost {
                total: Some(0.0002),
                source: CostSource::Computed {
                    price_key: "openai/gpt-4o-mini".into(),
                },
                ..Default::default()
            }),
            input_messages: if llm {
                vec![Message {
                    role: "user".into(),
                    content: "What is the refund policy?".into(),
                    ..Default::default()
                }]
            } else {
                Vec::new()
            },
            ..Default::default()
        });
    }
    spans
}

/// Mean time of a keypress plus a full frame at 160x48 with a `spans`-span trace open.
pub fn render_frame_benchmark(spans: usize, iterations: usize) -> Duration {
    let mut app = App::new(Theme::color(), crate::timefilter::now(), "bench".into());
    app.update(Action::Resize(160, 48));
    app.open_trace_with(None, synthetic_trace(spans));
    let Ok(mut term) = Terminal::new(TestBackend::new(160, 48));
    let n = iterations.max(1);
    let start = Instant::now();
    for _ in 0..n {
        app.update(Action::Cmd(Cmd::Down));
        let _ = term.draw(|f| super::views::draw(f, &app));
    }
    start.elapsed() / n as u32
}

/// Mean time per `j` keypress on the trace list of an existing store, including page fetches
/// (run synchronously) and drawing at 160x48.
pub fn list_scroll_benchmark(store_path: &std::path::Path, steps: usize) -> Duration {
    let Ok(store) = Store::open(store_path) else {
        return Duration::ZERO;
    };
    let mut app = App::new_for_test(store, crate::timefilter::now());
    app.dispatch(Action::Resize(160, 48));
    let Ok(mut term) = Terminal::new(TestBackend::new(160, 48));
    let n = steps.max(1);
    let start = Instant::now();
    for _ in 0..n {
        app.dispatch(Action::Cmd(Cmd::Down));
        let _ = term.draw(|f| super::views::draw(f, &app));
    }
    start.elapsed() / n as u32
}
