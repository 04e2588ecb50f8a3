//! Headless app tests: push actions, assert on state. Plus keymap and sanitiser checks.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use trawl::model::{Message, Score, ScoreSource, Span, SpanKind, Verdict};
use trawl::store::{SortKey, Store};
use trawl::tui::keymap::{self, Mode};
use trawl::tui::{Action, App, Cmd, View};

use crate::drive::{app, cmd, filter, key, now, store, type_text};

#[test]
fn first_page_loads() {
    let (_d, app) = app();
    assert_eq!(app.view(), View::List);
    assert_eq!(app.list.total, 40);
    assert_eq!(app.list.rows.len(), 40);
    assert!(app.list.rows[0].start_ns >= app.list.rows[1].start_ns);
}

#[test]
fn filter_line_parses_and_reports_errors() {
    let (_d, mut app) = app();
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.mode(), Mode::Input);
    type_text(&mut app, "user:user_0311");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.list.total, 2);
    assert_eq!(app.list.filter.user.as_deref(), Some("user_0311"));

    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Backspace);
    type_text(&mut app, " bogus:1");
    key(&mut app, KeyCode::Enter);
    let st = app.status.clone().unwrap();
    assert!(st.error && st.text.contains("unknown filter"), "{st:?}");
    assert_eq!(
        app.list.total, 2,
        "a bad filter leaves the old one in place"
    );

    app.dispatch(Action::Cmd(Cmd::ClearFilter));
    assert_eq!(app.list.total, 40);

    // 2026-11-16 is a Monday: "tuesday" is 2026-11-10.
    filter(&mut app, "on:tuesday");
    app.dispatch(Action::Cmd(Cmd::Down));
    assert!(app.list.total > 0 && app.list.total < 40);
    assert!(
        app.list
            .rows
            .iter()
            .all(|r| trawl::timefilter::short_time(r.start_ns).starts_with("2026-11-10"))
    );

    filter(&mut app, "\"unclosed");
    assert!(app.status.as_ref().unwrap().error);
    filter(&mut app, "status:maybe");
    assert!(app.status.as_ref().unwrap().text.contains("status:error"));
    let f =
        trawl::filter::TraceFilter::parse("verdict:grounded=false since:7d refund", now()).unwrap();
    assert_eq!(f.verdicts, vec![("grounded".to_string(), Verdict::False)]);
    assert_eq!(f.search.as_deref(), Some("refund"));
    assert!(f.since_ns.is_some());
}

#[test]
fn navigation_marks_and_sort() {
    let (_d, mut app) = app();
    cmd(&mut app, Cmd::Down);
    cmd(&mut app, Cmd::Down);
    assert_eq!(app.list.selected(), 2);
    cmd(&mut app, Cmd::Bottom);
    assert_eq!(app.list.selected(), 39);
    cmd(&mut app, Cmd::Top);
    assert_eq!(app.list.selected(), 0);
    cmd(&mut app, Cmd::ToggleMark);
    cmd(&mut app, Cmd::ToggleMark);
    assert_eq!(app.list.marks.len(), 2);
    assert_eq!(app.list.selected(), 2);
    assert!(app.status.as_ref().unwrap().text.contains("2 marked"));
    cmd(&mut app, Cmd::Copy);
    assert_eq!(app.copied.last().unwrap().lines().count(), 2);

    cmd(&mut app, Cmd::CycleSort);
    assert_eq!(app.list.sort, SortKey::Name);
    cmd(&mut app, Cmd::FlipSort);
    assert!(!app.list.desc);
    let names: Vec<String> = app
        .list
        .rows
        .iter()
        .map(|r| {
            r.input_preview
                .clone()
                .or(r.name.clone())
                .unwrap_or_default()
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);

    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, "sort cost asc");
    cmd(&mut app, Cmd::InputSubmit);
    assert_eq!(app.list.sort, SortKey::Cost);
    assert!(!app.list.desc);
}

#[test]
fn back_stack_and_span_navigation() {
    let (_d, mut app) = app();
    cmd(&mut app, Cmd::Open);
    assert_eq!(app.view(), View::Trace);
    let t = app.trace().unwrap();
    assert!(!t.loading && !t.data.spans.is_empty());
    cmd(&mut app, Cmd::NextLlm);
    assert_eq!(
        app.trace().unwrap().selected_span().unwrap().kind,
        SpanKind::Llm
    );
    cmd(&mut app, Cmd::Open);
    assert_eq!(app.view(), View::Span);
    assert!(!app.span().unwrap().detail.is_empty());
    cmd(&mut app, Cmd::NextTab);
    assert_eq!(app.span().unwrap().tab, trawl::tui::detail::Tab::Documents);
    cmd(&mut app, Cmd::Copy);
    assert!(app.copied.last().unwrap().contains("\"span_id\""));
    cmd(&mut app, Cmd::Back);
    assert_eq!(app.view(), View::Trace);
    cmd(&mut app, Cmd::Collapse);
    cmd(&mut app, Cmd::Top);
    cmd(&mut app, Cmd::Collapse);
    assert_eq!(app.trace().unwrap().tree.visible.len(), 1);
    cmd(&mut app, Cmd::Expand);
    assert!(app.trace().unwrap().tree.visible.len() > 1);
    cmd(&mut app, Cmd::Back);
    assert_eq!(app.view(), View::List);
    assert!(!app.quit);
    cmd(&mut app, Cmd::Back);
    assert!(app.quit, "q at the root quits");
}

#[test]
fn session_view_jumps_into_a_turn() {
    let (_d, mut app) = app();
    let sid = app.list.rows[0].session_id.clone().unwrap();
    cmd(&mut app, Cmd::Session);
    assert_eq!(app.view(), View::Session);
    let s = app.session().unwrap();
    assert_eq!(s.session_id, sid);
    assert!(s.traces.len() >= 2);
    cmd(&mut app, Cmd::Bottom);
    let want = app
        .session()
        .unwrap()
        .traces
        .last()
        .unwrap()
        .trace_id
        .clone();
    cmd(&mut app, Cmd::Open);
    assert_eq!(app.view(), View::Trace);
    assert_eq!(app.trace().unwrap().trace_id, want);
    cmd(&mut app, Cmd::Back);
    assert_eq!(app.view(), View::Session);
}

#[test]
fn search_open_command_and_stale_results() {
    let (_d, mut app) = app();
    cmd(&mut app, Cmd::Search);
    type_text(&mut app, "gift card");
    cmd(&mut app, Cmd::InputSubmit);
    let row = app.list.selected_row().unwrap();
    assert!(row.input_preview.as_deref().unwrap().contains("gift card"));
    let id = app.list.rows[5].trace_id.clone();
    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, &format!("open {}", &id[..10]));
    cmd(&mut app, Cmd::InputSubmit);
    assert_eq!(app.view(), View::Trace);
    assert_eq!(app.trace().unwrap().trace_id, id);

    let before = app.list.total;
    app.dispatch(Action::PageLoaded {
        req: 0,
        offset: 0,
        total: 1,
        rows: Vec::new(),
        badges: Vec::new(),
        range: None,
    });
    assert_eq!(app.list.total, before, "stale page dropped");

    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, "frobnicate");
    cmd(&mut app, Cmd::InputSubmit);
    assert!(app.status.as_ref().unwrap().error);
    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, "q");
    cmd(&mut app, Cmd::InputSubmit);
    assert!(app.quit);
}

#[test]
fn score_badges_and_verdicts() {
    let (_d, s) = store();
    let id = s
        .list_traces(&Default::default(), SortKey::Start, true, 1, 0)
        .unwrap()[0]
        .trace_id
        .clone();
    s.insert_score(&Score {
        verdict: Some(Verdict::False),
        explanation: Some("the refund policy is not in the documents".into()),
        ..Score::new(ScoreSource::Judge, id.clone(), "grounded")
    })
    .unwrap();
    let mut app = App::new_for_test(s, now());
    assert_eq!(
        app.list.badges[&id],
        vec![("grounded".to_string(), Verdict::False)]
    );
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
    assert!(buffer_text(&term).contains("grounded✗"));
    cmd(&mut app, Cmd::Open);
    term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
    assert!(buffer_text(&term).contains("refund policy is not in"));
}

fn buffer_text(term: &Terminal<TestBackend>) -> String {
    let buf = term.backend().buffer();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

#[test]
fn keymap_has_no_conflicts_and_reaches_every_command() {
    let bindings = keymap::bindings();
    for (i, a) in bindings.iter().enumerate() {
        for b in &bindings[i + 1..] {
            assert!(
                !(a.mode == b.mode && a.key == b.key),
                "{:?} {} bound twice",
                a.mode,
                a.key.label()
            );
        }
        if a.mode != Mode::Global && a.mode != Mode::Input {
            let shadows = bindings
                .iter()
                .any(|g| g.mode == Mode::Global && g.key == a.key);
            assert!(
                !shadows,
                "{:?} {} shadows a global key",
                a.mode,
                a.key.label()
            );
        }
    }
    for c in Cmd::ALL {
        assert!(bindings.iter().any(|b| b.cmd == *c), "{c:?} has no key");
    }
    // Help is generated from the table: every help text appears in the overlay.
    let (_d, mut app) = app();
    app.dispatch(Action::Resize(160, 400));
    cmd(&mut app, Cmd::ToggleHelp);
    let mut term = Terminal::new(TestBackend::new(160, 400)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
    let text = buffer_text(&term);
    for b in &bindings {
        assert!(text.contains(b.help), "help lacks '{}'", b.help);
    }
    // Footer hints come from the same table.
    assert!(
        keymap::footer(Mode::Trace)
            .iter()
            .any(|(k, h)| k == "m" && *h == "next LLM call")
    );
    // Shifted letters resolve without the Shift bit; key releases never reach resolve.
    let ev = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
    assert!(matches!(
        keymap::resolve(Mode::List, &ev),
        Some(Action::Cmd(Cmd::Bottom))
    ));
    let ev = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert!(matches!(
        keymap::resolve(Mode::Input, &ev),
        Some(Action::Cmd(Cmd::Quit))
    ));
}

#[test]
fn hostile_text_is_neutralised_in_every_view() {
    let evil = "pwn\x1b]52;c;ZXZpbA==\x07 \x1b[2J clear \u{202e}gnp.exe\u{202c} ok";
    let long = "x".repeat(50_000);
    let spans = vec![
        Span {
            trace_id: "t1".into(),
            span_id: "a".into(),
            name: format!("root {evil}"),
            kind: SpanKind::Chain,
            start_ns: 0,
            end_ns: Some(10),
            ..Default::default()
        },
        Span {
            trace_id: "t1".into(),
            span_id: "b".into(),
            parent_id: Some("a".into()),
            name: "llm".into(),
            kind: SpanKind::Llm,
            start_ns: 1,
            end_ns: Some(9),
            input_messages: vec![Message {
                role: format!("user{evil}"),
                content: format!(
                    "{evil}\n{long}\ndata:image/png;base64,{}",
                    "QUJD".repeat(5000)
                ),
                ..Default::default()
            }],
            ..Default::default()
        },
    ];
    let mut app = App::new(trawl::tui::Theme::mono(), now(), format!("label{evil}"));
    app.open_trace_with(None, spans);
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let check = |term: &Terminal<TestBackend>| {
        let t = buffer_text(term);
        assert!(
            !t.contains('\x1b') && !t.contains('\x07'),
            "escape reached the screen"
        );
        assert!(
            !t.contains('\u{202e}') && !t.contains('\u{202c}'),
            "bidi override reached the screen"
        );
    };
    term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
    check(&term);
    assert!(buffer_text(&term).contains("root pwn"));
    app.dispatch(Action::Cmd(Cmd::Down));
    app.dispatch(Action::Cmd(Cmd::Open));
    for _ in 0..4 {
        term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
        check(&term);
        app.dispatch(Action::Cmd(Cmd::NextTab));
    }
    let detail: String = app
        .span()
        .unwrap()
        .detail
        .iter()
        .map(|d| d.text.clone())
        .collect();
    assert!(detail.len() < 60_000, "long payloads are capped");
}

#[test]
fn osc52_payload_is_base64() {
    let s = trawl::tui::terminal::osc52("abc");
    assert_eq!(s, "\x1b]52;c;YWJj\x07");
}

#[test]
fn getting_started_when_store_is_empty() {
    let app = App::new_for_test(Store::open_in_memory().unwrap(), now());
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, &app)).unwrap();
    assert!(buffer_text(&term).contains("trawl import"));
}
