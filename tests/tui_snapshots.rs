//! Snapshots of every view at 80x24 and 160x48, mono theme, fixed clock, driven by actions.

use chrono::{TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use trawl::import::{ImportOptions, import_file};
use trawl::store::Store;
use trawl::tui::{Action, App, Cmd};

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

fn app(w: u16, h: u16) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("t.db")).unwrap();
    import_file(&mut s, &fixture(), ImportOptions::default()).unwrap();
    let mut app = App::new_for_test(s, Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap());
    app.dispatch(Action::Resize(w, h));
    (dir, app)
}

fn run(app: &mut App, cmds: &[Cmd]) {
    for c in cmds {
        app.dispatch(Action::Cmd(*c));
    }
}

fn typed(app: &mut App, s: &str) {
    for c in s.chars() {
        app.dispatch(Action::InputChar(c));
    }
}

fn snap(name: &str, app: &App, w: u16, h: u16) {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, app)).unwrap();
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), term.backend());
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

#[test]
fn list_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        snap("list", &a, w, h);
        run(&mut a, &[Cmd::FilterLine]);
        typed(&mut a, "on:tuesday model:gpt-4o \"tent\"");
        snap("list_filter_line", &a, w, h);
        run(&mut a, &[Cmd::InputSubmit]);
        snap("list_filtered", &a, w, h);
    }
}

#[test]
fn trace_detail_views() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(
            &mut a,
            &[Cmd::Down, Cmd::Down, Cmd::Down, Cmd::Open, Cmd::NextLlm],
        );
        // 80 columns: duration column; 160: waterfall.
        snap("trace_detail", &a, w, h);
        run(&mut a, &[Cmd::Open]);
        snap("span_messages", &a, w, h);
        run(&mut a, &[Cmd::NextTab, Cmd::NextTab]);
        snap("span_attributes", &a, w, h);
        run(&mut a, &[Cmd::NextTab]);
        snap("span_cost", &a, w, h);
        run(&mut a, &[Cmd::Back, Cmd::Search]);
        typed(&mut a, "retriever");
        run(
            &mut a,
            &[Cmd::InputSubmit, Cmd::Open, Cmd::NextTab, Cmd::NextTab],
        );
        snap("span_documents", &a, w, h);
    }
}

#[test]
fn session_help_and_getting_started() {
    for (w, h) in SIZES {
        let (_d, mut a) = app(w, h);
        run(&mut a, &[Cmd::Session]);
        snap("session", &a, w, h);
        run(&mut a, &[Cmd::ToggleHelp]);
        snap("help", &a, w, h);
        let mut empty = App::new_for_test(
            Store::open_in_memory().unwrap(),
            Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap(),
        );
        empty.dispatch(Action::Resize(w, h));
        snap("getting_started", &empty, w, h);
    }
    let (_d, a) = app(50, 12);
    snap("too_small", &a, 50, 12);
}
