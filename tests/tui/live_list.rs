//! Issue 13: traces arriving while the list is open (`trawl --listen`, `--follow`). At the top
//! the newest appear there; scrolled away, the selected trace stays selected and in place and
//! the header counts the traces that arrived above it, until `g` jumps to them.

use trawl::model::{Span, SpanKind};
use trawl::store::{SourceOutcome, SourceRecord};
use trawl::tui::action::ImportStatus;
use trawl::tui::{Action, App};

use crate::drive::{key, now, store};
use crossterm::event::KeyCode;

/// Stores `n` new one-span traces, later than everything in the fixture, through a second
/// connection (as the receiver's writer does).
fn arrive(path: &std::path::Path, first: u64, n: u64) {
    let mut store = trawl::store::Store::open(path).unwrap();
    let source = SourceRecord {
        path: format!("live-{first}"),
        format: "otlp-listen".into(),
        ..SourceRecord::default()
    };
    let mut w = store.begin_import(&source).unwrap();
    for i in first..first + n {
        let start = now().timestamp_nanos_opt().unwrap() + i as i64 * 1_000_000_000;
        w.write(&Span {
            trace_id: format!("live{i:04}"),
            span_id: "root".into(),
            name: format!("live trace {i}"),
            kind: SpanKind::Chain,
            start_ns: start,
            end_ns: Some(start + 1_000),
            ..Span::default()
        })
        .unwrap();
    }
    w.finish(&SourceOutcome::default()).unwrap();
}

/// What the receiver's status tick sends: the list re-reads its window.
fn tick(app: &mut App) {
    app.dispatch(Action::ImportProgress(ImportStatus {
        file: "OTLP 127.0.0.1:4318".into(),
        following: true,
        ..ImportStatus::default()
    }));
}

fn screen(app: &App) -> String {
    trawl::tui::views::screen_rows(app, 100, 20).join("\n")
}

/// The screen row showing `text`.
fn row_of(screen: &str, text: &str) -> Option<usize> {
    screen.lines().position(|l| l.contains(text))
}

#[test]
fn scrolled_away_the_selection_stays_put_and_new_traces_are_counted() {
    let (fx, s) = store();
    let mut app = App::new_for_test(s, now());
    assert_eq!(app.list.total, 40);
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('j'));
    }
    let chosen = app.list.selected_row().unwrap().trace_id.clone();
    // The start of its title, as the (narrowed) question column shows it.
    let title: String = trawl::tui::widgets::text::trace_title(app.list.selected_row().unwrap())
        .chars()
        .take(24)
        .collect();
    let before = screen(&app);
    assert_eq!(before.matches(&title).count(), 1, "{title:?} in\n{before}");
    let at = row_of(&before, &title).expect("the selected trace is on screen");

    arrive(&fx.path, 0, 3);
    tick(&mut app);
    assert_eq!(app.list.total, 43);
    assert_eq!(app.list.selected(), 8);
    assert_eq!(app.list.selected_row().unwrap().trace_id, chosen);
    assert_eq!(app.list.new_above, 3);
    let after = screen(&app);
    assert_eq!(
        row_of(&after, &title),
        Some(at),
        "the selected trace moved on screen:\n{after}"
    );
    assert!(after.contains("▲ 3 new · g"), "{after}");

    // More arrive: the count adds up.
    arrive(&fx.path, 3, 2);
    tick(&mut app);
    assert_eq!(app.list.new_above, 5);
    assert_eq!(app.list.selected_row().unwrap().trace_id, chosen);

    // `g` jumps to the newest and clears the marker.
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.list.selected(), 0);
    assert_eq!(app.list.new_above, 0);
    assert_eq!(app.list.selected_row().unwrap().trace_id, "live0004");
    assert!(!screen(&app).contains(" new · g"));
}

#[test]
fn at_the_top_new_traces_appear_there_without_a_marker() {
    let (fx, s) = store();
    let mut app = App::new_for_test(s, now());
    arrive(&fx.path, 0, 2);
    tick(&mut app);
    assert_eq!(app.list.total, 42);
    assert_eq!(app.list.selected(), 0);
    assert_eq!(app.list.selected_row().unwrap().trace_id, "live0001");
    assert_eq!(app.list.new_above, 0);
    let shown = screen(&app);
    assert!(
        shown.contains("live trace 1") && !shown.contains(" new · g"),
        "{shown}"
    );
}

#[test]
fn spans_join_the_open_trace_and_the_selected_span_stays_selected() {
    let (fx, s) = store();
    let mut app = App::new_for_test(s, now());
    key(&mut app, KeyCode::Enter);
    let trace = app.trace().expect("a trace is open");
    let trace_id = trace.trace_id.clone();
    let before = trace.data.spans.len();
    assert!(before >= 3, "{before} spans");
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    let chosen = app
        .trace()
        .unwrap()
        .selected_span()
        .unwrap()
        .span_id
        .clone();
    let root = app.trace().unwrap().data.spans[0].clone();

    // A late child of the root arrives for the open trace.
    let mut store = trawl::store::Store::open(&fx.path).unwrap();
    let mut w = store
        .begin_import(&SourceRecord {
            path: "late".into(),
            format: "otlp-listen".into(),
            ..SourceRecord::default()
        })
        .unwrap();
    w.write(&Span {
        trace_id: trace_id.clone(),
        span_id: "late-span".into(),
        parent_id: Some(root.span_id.clone()),
        name: "late tool call".into(),
        kind: SpanKind::Tool,
        start_ns: root.start_ns + 1,
        end_ns: Some(root.start_ns + 2),
        ..Span::default()
    })
    .unwrap();
    w.finish(&SourceOutcome::default()).unwrap();
    drop(store);

    tick(&mut app);
    let trace = app.trace().expect("the trace is still open");
    assert_eq!(trace.data.spans.len(), before + 1);
    assert!(trace.data.spans.iter().any(|s| s.span_id == "late-span"));
    assert_eq!(trace.selected_span().unwrap().span_id, chosen);
}
