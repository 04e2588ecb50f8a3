//! Headless checks of what the pane shape promises: the shared navigation layer, span detail
//! handing its cursor back to the trace view, and reading text scrolled by screen rows.

use super::action::{Action, Cmd};
use super::app::App;
use super::keymap;
use super::keys::Mode;
use super::theme::Theme;
use crate::model::{Message, Span, SpanKind};
use chrono::{TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A root chain with `n` LLM calls under it; the first call's prompt is `prompt`.
fn spans(n: usize, prompt: &str) -> Vec<Span> {
    let mut out = vec![Span {
        trace_id: "t".into(),
        span_id: "root".into(),
        name: "root".into(),
        kind: SpanKind::Chain,
        start_ns: 0,
        end_ns: Some(1000),
        ..Default::default()
    }];
    for i in 0..n {
        out.push(Span {
            trace_id: "t".into(),
            span_id: format!("llm{i}"),
            parent_id: Some("root".into()),
            name: format!("call {i}"),
            kind: SpanKind::Llm,
            start_ns: 10 + i as i64,
            end_ns: Some(20 + i as i64),
            input_messages: vec![Message {
                role: "user".into(),
                content: if i == 0 { prompt.into() } else { "hi".into() },
                ..Default::default()
            }],
            ..Default::default()
        });
    }
    out
}

fn app_with(spans: Vec<Span>) -> App {
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap();
    let mut app = App::new(Theme::mono(), now, "test".into());
    app.update(Action::Resize(80, 24));
    app.open_trace_with(None, spans);
    app
}

fn key(app: &mut App, code: KeyCode) {
    let ev = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(a) = keymap::resolve(app.mode(), &ev) {
        app.update(a);
    }
}

#[test]
fn the_navigation_layer_works_in_every_pane_with_a_list() {
    let ev = |c| KeyEvent::new(c, KeyModifiers::NONE);
    for mode in [
        Mode::List,
        Mode::Trace,
        Mode::Span,
        Mode::Session,
        Mode::Triage,
        Mode::Agreement,
        Mode::Judge,
        Mode::Help,
    ] {
        for (code, cmd) in [
            (KeyCode::Char('j'), Cmd::Down),
            (KeyCode::End, Cmd::Bottom),
            (KeyCode::PageDown, Cmd::PageDown),
        ] {
            assert!(
                matches!(keymap::resolve(mode, &ev(code)), Some(Action::Cmd(c)) if c == cmd),
                "{mode:?} {code:?}"
            );
        }
    }
    // The metrics view gives j/k and g their own meaning.
    let g = keymap::resolve(Mode::Metrics, &ev(KeyCode::Char('g')));
    assert!(matches!(g, Some(Action::Cmd(Cmd::CycleGroup))));
}

#[test]
fn a_jump_in_span_detail_moves_the_trace_cursor_too() {
    let mut app = app_with(spans(5, "hello"));
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), Mode::Span);
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Char('m'));
    let in_detail = app
        .span()
        .and_then(|s| s.selected_span())
        .map(|s| s.name.clone());
    assert_eq!(in_detail.as_deref(), Some("call 2"));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), Mode::Trace);
    let t = app.trace().unwrap();
    assert_eq!(
        t.selected_span().map(|s| s.name.clone()).as_deref(),
        Some("call 2")
    );
    assert_eq!(app.top().position(), "span 4/6 ");
}

#[test]
fn span_detail_scrolls_through_a_line_longer_than_the_screen() {
    // One message line that wraps to far more rows than the screen has.
    let long = format!("{}THE-END", "word ".repeat(3000));
    let mut app = app_with(spans(1, &long));
    key(&mut app, KeyCode::Char('m'));
    key(&mut app, KeyCode::Enter);
    let draw = |app: &App| {
        let mut term = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
        term.draw(|f| super::views::draw(f, app)).unwrap();
        let buf = term.backend().buffer().clone();
        (0..24)
            .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>())
            .collect::<Vec<_>>()
    };
    let top = draw(&app);
    key(&mut app, KeyCode::End);
    let bottom = draw(&app);
    // The last screenful ends with the rest of the message, not with its first rows.
    assert_ne!(top[4..20], bottom[4..20]);
    assert!(
        bottom[4..21].iter().all(|l| !l.trim().is_empty()),
        "{bottom:#?}"
    );
    key(&mut app, KeyCode::Home);
    assert_eq!(draw(&app), top);
}

#[test]
fn the_trace_list_scrolls_only_when_the_cursor_leaves_the_last_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.jsonl");
    let lines: Vec<String> = (0..40)
        .map(|i: u64| {
            format!(
                r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"{:032x}","spanId":"{:016x}","name":"root {i}","startTimeUnixNano":"{}","endTimeUnixNano":"{}"}}]}}]}}]}}"#,
                i + 1,
                i + 1,
                1000 + i,
                2000 + i
            )
        })
        .collect();
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let mut store = crate::store::Store::open_in_memory().unwrap();
    crate::import::import_file(&mut store, &file, Default::default()).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap();
    let mut app = App::new_for_test(store, now);
    app.dispatch(Action::Resize(80, 24));
    assert_eq!(app.list.total, 40);
    // 24 rows: title, column header, 20 rows of traces, status, footer.
    for _ in 0..19 {
        app.dispatch(Action::Cmd(Cmd::Down));
    }
    assert_eq!((app.list.selected(), app.list.cursor.offset()), (19, 0));
    app.dispatch(Action::Cmd(Cmd::Down));
    assert_eq!((app.list.selected(), app.list.cursor.offset()), (20, 1));
}
