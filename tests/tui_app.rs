//! Headless app tests: push actions, assert on state. Plus keymap and sanitiser checks.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use trawl::import::{ImportOptions, import_file};
use trawl::model::{Message, Score, ScoreSource, Span, SpanKind, Verdict};
use trawl::store::{SortKey, Store};
use trawl::tui::keymap::{self, Mode};
use trawl::tui::{Action, App, Cmd, View};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap()
}

fn fixture() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let p = root.join("tests/fixtures/openinference_support_bot_40.otlp.jsonl");
    if !p.exists() {
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::copy(
            "/work/shared/fixtures/openinference_support_bot_40.otlp.jsonl",
            &p,
        )
        .unwrap();
    }
    p
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("t.db")).unwrap();
    import_file(&mut s, &fixture(), ImportOptions::default()).unwrap();
    (dir, s)
}

fn app() -> (tempfile::TempDir, App) {
    let (d, s) = store();
    (d, App::new_for_test(s, now()))
}

fn cmd(app: &mut App, c: Cmd) {
    app.dispatch(Action::Cmd(c));
}

fn key(app: &mut App, code: KeyCode) {
    let ev = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(a) = keymap::resolve(app.mode(), &ev) {
        app.dispatch(a);
    }
}

fn filter(app: &mut App, text: &str) {
    cmd(app, Cmd::CommandLine);
    type_text(app, &format!("filter {text}"));
    cmd(app, Cmd::InputSubmit);
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}

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

#[test]
fn benchmarks_run() {
    let d = trawl::tui::bench::render_frame_benchmark(2_000, 3);
    assert!(d > std::time::Duration::ZERO);
    let (dir, s) = store();
    drop(s);
    let d = trawl::tui::bench::list_scroll_benchmark(&dir.path().join("t.db"), 50);
    assert!(d > std::time::Duration::ZERO);
}

// ── judge, triage, metrics, agreement ───────────────────────────────────────────────────

fn ids(s: &Store, n: usize) -> Vec<String> {
    s.list_traces(&Default::default(), SortKey::Start, true, n, 0)
        .unwrap()
        .into_iter()
        .map(|r| r.trace_id)
        .collect()
}

fn score(s: &Store, source: ScoreSource, id: &str, rule: &str, v: Verdict) {
    s.insert_score(&Score {
        verdict: Some(v),
        explanation: Some(format!("{rule} explanation for {}", &id[..6])),
        model: Some("gpt-4o-mini".into()),
        author: (source == ScoreSource::Human).then(|| "alice".to_string()),
        ..Score::new(source, id, rule)
    })
    .unwrap();
}

fn pick_rule(app: &mut App, rule: &str) {
    let Some(trawl::tui::panes::judge::JudgeStage::Pick { rules, .. }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("not picking rules: {:?}", app.judge_popup());
    };
    let i = rules.iter().position(|r| r.id == rule).unwrap();
    cmd(app, Cmd::Pick(u8::try_from(i + 1).unwrap()));
}

#[test]
fn judge_from_the_list_runs_shows_badges_and_reruns() {
    let server = trawl::judge::testserver::TestServer::instant().unwrap();
    let (_d, mut app) = app();
    app.judge_provider.base_url = server.base_url();
    // Esc closes the picker without a run.
    key(&mut app, KeyCode::Char('J'));
    assert_eq!(app.mode(), Mode::Judge);
    key(&mut app, KeyCode::Esc);
    assert!(app.judge_popup().is_none());
    assert_eq!(app.mode(), Mode::List);

    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    assert_eq!(app.list.marks.len(), 2);
    key(&mut app, KeyCode::Char('J'));
    // Enter with nothing picked says so and stays in the picker.
    key(&mut app, KeyCode::Enter);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("pick at least one")
    );
    pick_rule(&mut app, "grounded");
    key(&mut app, KeyCode::Enter);
    let Some(trawl::tui::panes::judge::JudgeStage::Confirm { estimate, job }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("no estimate: {:?} {:?}", app.judge_popup(), app.status);
    };
    assert_eq!(estimate.calls, 2);
    assert_eq!(job.0.trace_ids.len(), 2);
    assert_eq!(server.request_count(), 0, "the estimate sends nothing");
    key(&mut app, KeyCode::Char('y'));
    assert!(app.judge_popup().is_none());
    assert!(app.judge_run.is_none(), "finished");
    assert_eq!(server.request_count(), 2);
    let st = app.status.clone().unwrap();
    assert!(!st.error && st.text.contains("judged 2"), "{st:?}");
    for id in &app.list.marks {
        assert_eq!(
            app.list.badges[id],
            vec![("grounded".to_string(), Verdict::True)]
        );
    }
    // Trace detail shows the verdict with explanation and model; R re-runs it (forced).
    let first = app.list.marks.iter().next().unwrap().clone();
    cmd(&mut app, Cmd::CommandLine);
    type_text(&mut app, &format!("open {first}"));
    cmd(&mut app, Cmd::InputSubmit);
    key(&mut app, KeyCode::Char('v'));
    assert_eq!(app.view(), View::Span);
    let text: Vec<String> = app
        .span()
        .unwrap()
        .detail
        .iter()
        .map(|l| l.text.clone())
        .collect();
    let text = text.join("\n");
    assert!(
        text.contains("grounded TRUE · judge · judge-model"),
        "{text}"
    );
    assert!(text.contains("Every claim is supported"), "{text}");
    key(&mut app, KeyCode::Char('R'));
    let Some(trawl::tui::panes::judge::JudgeStage::Confirm { estimate, job }) =
        app.judge_popup().map(|p| p.stage.clone())
    else {
        panic!("no rerun estimate: {:?}", app.status);
    };
    assert!(job.0.force);
    assert_eq!((estimate.calls, estimate.cached), (1, 0));
    key(&mut app, KeyCode::Enter);
    assert_eq!(server.request_count(), 3);
    assert_eq!(
        app.trace()
            .unwrap()
            .scores
            .iter()
            .filter(|s| s.name == "grounded")
            .count(),
        2,
        "the re-run's verdict is shown"
    );
}

#[test]
fn judge_failure_and_cancel_show_in_the_status_line() {
    let (_d, mut app) = app();
    // Nothing listens here: every call fails; the run reports errors, never panics.
    app.judge_provider.base_url = "http://127.0.0.1:9/v1".into();
    app.judge_provider.timeout = std::time::Duration::from_millis(200);
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char('J'));
    pick_rule(&mut app, "answered");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert!(app.judge_run.is_none());
    assert!(app.status.is_some());
    key(&mut app, KeyCode::Char('X'));
    assert!(app.status.as_ref().unwrap().text.contains("no judge run"));
}

fn flagged_store() -> (tempfile::TempDir, Store, Vec<String>) {
    let (d, s) = store();
    let ids = ids(&s, 6);
    score(&s, ScoreSource::Judge, &ids[0], "grounded", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[0], "answered", Verdict::True);
    score(&s, ScoreSource::Judge, &ids[1], "grounded", Verdict::Error);
    score(&s, ScoreSource::Judge, &ids[2], "answered", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[2], "grounded", Verdict::False);
    score(&s, ScoreSource::Judge, &ids[3], "grounded", Verdict::True);
    (d, s, ids)
}

#[test]
fn triage_labels_undo_and_progress_survive_restarts() {
    let (d, s, ids) = flagged_store();
    let mut app = App::new_for_test(s, now());
    app.author = "tester".into();
    key(&mut app, KeyCode::Char('T'));
    assert_eq!(app.view(), View::Triage);
    let t = app.triage().unwrap();
    assert_eq!(t.items.len(), 3, "FALSE or error for any rule");
    assert_eq!(t.items[0].trace_id, ids[0]);
    assert_eq!(t.items[2].flagged, vec!["answered", "grounded"]);
    let c = t.content.as_ref().unwrap();
    assert!(c.question.is_some() && c.answer.is_some());
    assert!(!c.documents.is_empty());
    // Focus starts on the flagged rule (grounded, rule 2 of answered/grounded).
    assert_eq!(t.focused_rule().unwrap().rule, "grounded");

    key(&mut app, KeyCode::Char('e'));
    type_text(&mut app, "policy doc missing");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('f'));
    let t = app.triage().unwrap();
    assert_eq!(t.done_count(), 1);
    assert_eq!(t.made.len(), 1);
    assert!(app.status.as_ref().unwrap().text.contains("1/3 done"));
    let human = t.rules.iter().find(|r| r.rule == "grounded").unwrap();
    let h = human.human.as_ref().unwrap();
    assert_eq!(h.verdict, Some(Verdict::False));
    assert_eq!(h.author.as_deref(), Some("tester"));
    assert_eq!(h.note.as_deref(), Some("policy doc missing"));

    // Next item: label it, then undo.
    key(&mut app, KeyCode::Right);
    assert_eq!(app.triage().unwrap().index, 1);
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.triage().unwrap().done_count(), 2);
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.triage().unwrap().done_count(), 1);
    assert!(app.status.as_ref().unwrap().text.contains("undone"));
    // Third item has two flagged rules: number keys pick each one.
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('1'));
    key(&mut app, KeyCode::Char('n'));
    assert_eq!(app.triage().unwrap().done_count(), 1, "one rule to go");
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.triage().unwrap().done_count(), 2);
    key(&mut app, KeyCode::Left);
    assert_eq!(app.triage().unwrap().index, 1);

    // Labels are human scores in the store: a new app sees the same progress.
    let s2 = Store::open(&d.path().join("t.db")).unwrap();
    let human = s2.all_latest_scores(ScoreSource::Human, None).unwrap();
    assert_eq!(human.len(), 3);
    assert!(human.iter().all(|h| h.author.as_deref() == Some("tester")));
    let mut again = App::new_for_test(s2, now());
    key(&mut again, KeyCode::Char('T'));
    assert_eq!(again.triage().unwrap().done_count(), 2);
    // The filter restricts the queue.
    let (_d3, s3, ids3) = flagged_store();
    let mut f = App::new_for_test(s3, now());
    let user = f
        .list
        .rows
        .iter()
        .find(|r| r.trace_id == ids3[2])
        .and_then(|r| r.user_id.clone())
        .unwrap();
    filter(&mut f, &format!("user:{user}"));
    cmd(&mut f, Cmd::Triage);
    let items = &f.triage().unwrap().items;
    assert!(items.iter().any(|i| i.trace_id == ids3[2]));
    assert!(items.len() < 3);
}

#[test]
fn metrics_enter_opens_the_bucket_in_the_list() {
    let (_d, s, _) = flagged_store();
    let mut app = App::new_for_test(s, now());
    key(&mut app, KeyCode::Char('M'));
    assert_eq!(app.view(), View::Metrics);
    let m = app.metrics().unwrap();
    assert!(!m.loading);
    let series = m.series();
    assert!(series.len() > 1, "several days");
    let total: i64 = series.iter().map(|b| b.traces).sum();
    assert_eq!(total, 40);
    assert!(
        m.metrics
            .iter()
            .any(|k| *k == trawl::tui::panes::metrics::MetricKind::FalseRate("grounded".into()))
    );
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.metrics().unwrap().metric, 1);
    key(&mut app, KeyCode::Left);
    let m = app.metrics().unwrap();
    let b = m.series()[m.selected()].clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::List);
    assert_eq!(app.list.filter.since_ns, Some(b.start_ns));
    assert_eq!(app.list.filter.until_ns, Some(b.end_ns));
    assert_eq!(app.list.total as i64, b.traces);

    // Grouped by model: Enter adds the group to the filter.
    cmd(&mut app, Cmd::ClearFilter);
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('g'));
    let m = app.metrics().unwrap();
    assert_eq!(m.group_by, Some(trawl::metrics::GroupBy::Model));
    let g = m.groups[m.group].clone().unwrap();
    let b = m.series()[m.selected()].clone();
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.list.filter.model.as_deref(), Some(g.as_str()));
    assert!(app.list.total as i64 <= b.traces && app.list.total > 0);
    // Bucket size cycles day → week → hour.
    key(&mut app, KeyCode::Char('M'));
    key(&mut app, KeyCode::Char('b'));
    assert_eq!(app.metrics().unwrap().bucket, trawl::metrics::Bucket::Week);
}

#[test]
fn agreement_pane_counts_pairs_and_jumps_to_disagreements() {
    let (_d, s, ids) = flagged_store();
    score(&s, ScoreSource::Human, &ids[0], "grounded", Verdict::False);
    score(&s, ScoreSource::Human, &ids[2], "grounded", Verdict::True);
    score(&s, ScoreSource::Human, &ids[3], "grounded", Verdict::True);
    score(&s, ScoreSource::Human, &ids[1], "grounded", Verdict::True);
    let mut app = App::new_for_test(s, now());
    key(&mut app, KeyCode::Char('A'));
    assert_eq!(app.view(), View::Agreement);
    let a = app.agreement().unwrap();
    let g = a.rules.iter().find(|r| r.rule == "grounded").unwrap();
    assert_eq!(g.pairs, 3, "the error verdict is counted apart");
    let c = &g.confusion;
    assert_eq!(
        (
            c.judge_true_human_true,
            c.judge_true_human_false,
            c.judge_false_human_true,
            c.judge_false_human_false
        ),
        (1, 0, 1, 1)
    );
    assert_eq!(g.na_or_error, 1);
    assert_eq!(a.rows.len(), 1);
    assert_eq!(a.rows[0].1.trace_id, ids[2]);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.view(), View::Trace);
    assert_eq!(app.trace().unwrap().trace_id, ids[2]);
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.view(), View::Agreement);
}
