//! TUI frame time: a keypress plus a full 160x48 frame with a 10k-span trace open, and
//! keypress-to-frame while scrolling the trace list of a big store.

use crate::peak_rss_mb;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::Path;
use std::time::{Duration, Instant};
use trawl::model::{Cost, CostSource, Message, Span, SpanKind, Usage};
use trawl::store::Store;
use trawl::tui::{Action, App, Cmd, Theme};

pub fn run(store: Option<&Path>) -> i32 {
    let frame = render_frame(10_000, 200);
    println!(
        "tui: keypress + frame at 160x48 with a 10k-span trace open: {:.2} ms mean over 200",
        frame.as_secs_f64() * 1e3
    );
    if let Some(db) = store {
        let Some(scroll) = list_scroll(db, 2000) else {
            eprintln!("{}: cannot open", db.display());
            return 1;
        };
        println!(
            "tui: trace list scroll on {} (keypress, page fetches, frame): {:.3} ms mean over 2000 keys  peak RSS {:.0} MB",
            db.display(),
            scroll.as_secs_f64() * 1e3,
            peak_rss_mb()
        );
    }
    0
}

/// A trace of `n` spans: a root agent with chains, each holding a retriever and LLM calls.
fn synthetic_trace(n: usize) -> Vec<Span> {
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
fn render_frame(spans: usize, iterations: usize) -> Duration {
    let mut app = App::new(Theme::color(), trawl::timefilter::now(), "bench".into());
    app.update(Action::Resize(160, 48));
    app.open_trace_with(None, synthetic_trace(spans));
    let Ok(mut term) = Terminal::new(TestBackend::new(160, 48));
    let n = iterations.max(1);
    let start = Instant::now();
    for _ in 0..n {
        app.update(Action::Cmd(Cmd::Down));
        let _ = term.draw(|f| trawl::tui::views::draw(f, &app));
    }
    start.elapsed() / n as u32
}

/// Mean time per `j` keypress on the trace list of an existing store, including page fetches
/// (run synchronously) and drawing at 160x48.
fn list_scroll(store_path: &Path, steps: usize) -> Option<Duration> {
    let store = Store::open(store_path).ok()?;
    let mut app = App::new_for_test(store, trawl::timefilter::now());
    app.dispatch(Action::Resize(160, 48));
    let Ok(mut term) = Terminal::new(TestBackend::new(160, 48));
    let n = steps.max(1);
    let start = Instant::now();
    for _ in 0..n {
        app.dispatch(Action::Cmd(Cmd::Down));
        let _ = term.draw(|f| trawl::tui::views::draw(f, &app));
    }
    Some(start.elapsed() / n as u32)
}

/// Child phase `tui-open DB`: the headless TUI on `db` (160x48) opens the list's first trace
/// and draws it, then opens the selected span's detail and draws that. Prints the time from
/// the start to the trace's first frame (`ms`, store opening and the list page included) and
/// to the detail's frame after it (`detail_ms`).
pub fn open_first_trace(db: &Path) -> Result<(), String> {
    let t0 = Instant::now();
    let store = Store::open(db).map_err(|e| e.to_string())?;
    let mut app = App::new_for_test(store, trawl::timefilter::now());
    app.dispatch(Action::Resize(160, 48));
    app.dispatch(Action::Cmd(Cmd::Open));
    let mut term = Terminal::new(TestBackend::new(160, 48)).map_err(|e| e.to_string())?;
    let drawn = |term: &mut Terminal<TestBackend>, app: &App| -> Result<String, String> {
        term.draw(|f| trawl::tui::views::draw(f, app))
            .map_err(|e| e.to_string())?;
        Ok(term
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect())
    };
    let screen = drawn(&mut term, &app)?;
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    // The trace view's column header, so a failed open is not timed as a fast one.
    if !screen.contains("timeline") {
        return Err("the trace view did not open".into());
    }
    let t1 = Instant::now();
    app.dispatch(Action::Cmd(Cmd::Open));
    let screen = drawn(&mut term, &app)?;
    let detail_ms = t1.elapsed().as_secs_f64() * 1e3;
    if !screen.contains("(Tab switches)") {
        return Err("the span detail did not open".into());
    }
    crate::measure::emit(&[("ms", ms), ("detail_ms", detail_ms)]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_benchmarks_run() {
        assert!(render_frame(2_000, 3) > Duration::ZERO);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/openinference_support_bot_40.otlp.jsonl");
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        let mut store = Store::open(&db).unwrap();
        let rep = trawl::import::import_file(&mut store, &fixture, Default::default()).unwrap();
        assert!(rep.fatal.is_none(), "{:?}", rep.fatal);
        drop(store);
        assert!(list_scroll(&db, 50).unwrap() > Duration::ZERO);
        open_first_trace(&db).unwrap();
    }
}
