//! A trace opened on its skeleton (payloads read on demand) looks exactly as when opened
//! whole: the trace view, every span's detail, the jumps between spans, the evidence view.

use crate::import::{ImportOptions, import_file};
use crate::store::Store;
use crate::tui::action::{Action, Cmd};
use crate::tui::app::App;
use crate::tui::data::WHOLE_MAX_FOR_TEST;
use chrono::TimeZone;
use std::path::Path;

const BOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/openinference_support_bot_40.otlp.jsonl"
);

/// The support-bot store with every trace opening whole (`lean` false) or on its skeleton.
fn app(lean: bool) -> App {
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, Path::new(BOT), ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    WHOLE_MAX_FOR_TEST.with(|m| m.set(if lean { 0 } else { usize::MAX }));
    let now = chrono::Utc
        .with_ymd_and_hms(2026, 11, 16, 12, 0, 0)
        .single()
        .unwrap_or_else(|| panic!("clock"));
    let mut app = App::new_for_test(store, now);
    app.dispatch(Action::Resize(120, 40));
    app
}

fn screen(app: &App) -> String {
    crate::tui::views::screen_rows(app, 120, 40).join("\n")
}

/// Both apps take `cmd` (each running its effects with its own threshold) and show the same.
fn both(apps: &mut [App; 2], cmd: Cmd) -> String {
    let mut shown = Vec::new();
    for (app, lean) in apps.iter_mut().zip([false, true]) {
        WHOLE_MAX_FOR_TEST.with(|m| m.set(if lean { 0 } else { usize::MAX }));
        app.dispatch(Action::Cmd(cmd));
        shown.push(screen(app));
    }
    assert_eq!(shown[0], shown[1], "after {cmd:?}");
    shown.swap_remove(0)
}

#[test]
fn a_trace_opened_on_its_skeleton_shows_what_it_shows_whole() {
    let mut apps = [app(false), app(true)];
    for _ in 0..3 {
        both(&mut apps, Cmd::Down);
    }
    let trace = both(&mut apps, Cmd::Open);
    assert!(trace.contains("timeline"), "{trace}");
    let spans = apps[1]
        .trace()
        .map(|t| {
            assert!(t.data.is_lean(), "the trace did not open on its skeleton");
            t.data.len()
        })
        .unwrap_or(0);
    assert!(spans > 3, "{trace}");
    // Every span's detail, each read on demand.
    for _ in 0..spans {
        let detail = both(&mut apps, Cmd::Open);
        assert!(detail.contains("(Tab switches)"), "{detail}");
        assert!(!detail.contains("reading the span"), "{detail}");
        both(&mut apps, Cmd::NextTab);
        both(&mut apps, Cmd::Back);
        both(&mut apps, Cmd::Down);
    }
    let cached = apps[1].trace().map_or(0, |t| t.data.payloads.len());
    assert!(cached > 0 && cached <= 64, "{cached} spans kept whole");
    // Jumps inside the detail read the span they land on.
    both(&mut apps, Cmd::Top);
    both(&mut apps, Cmd::Open);
    for _ in 0..4 {
        both(&mut apps, Cmd::NextLlm);
        both(&mut apps, Cmd::PrevError);
    }
    both(&mut apps, Cmd::Back);
    // The evidence view reads the whole trace itself.
    let evidence = both(&mut apps, Cmd::Evidence);
    assert!(!evidence.contains("loading"), "{evidence}");
    both(&mut apps, Cmd::Back);
    // Jumps and the span search in the trace view walk the lines.
    both(&mut apps, Cmd::Top);
    for cmd in [Cmd::NextTool, Cmd::NextLlm, Cmd::NextError, Cmd::PrevTool] {
        for _ in 0..3 {
            both(&mut apps, cmd);
        }
    }
    both(&mut apps, Cmd::Search);
    for c in "llm".chars() {
        both_action(&mut apps, Action::InputChar(c));
    }
    let found = both(&mut apps, Cmd::InputSubmit);
    assert!(found.contains("LLM"), "{found}");
    for _ in 0..3 {
        both(&mut apps, Cmd::SearchNext);
    }
    // Every tab of the root's detail, the Cost tab's shares of the trace cost included.
    both(&mut apps, Cmd::Top);
    both(&mut apps, Cmd::Open);
    let mut tabs = Vec::new();
    for _ in 0..5 {
        tabs.push(both(&mut apps, Cmd::NextTab));
    }
    assert!(
        tabs.iter().any(|t| t.contains("share of trace cost")),
        "{}",
        tabs.join("\n---\n")
    );
}

/// Both apps take `action` and show the same.
fn both_action(apps: &mut [App; 2], action: Action) {
    let mut shown = Vec::new();
    for (app, lean) in apps.iter_mut().zip([false, true]) {
        WHOLE_MAX_FOR_TEST.with(|m| m.set(if lean { 0 } else { usize::MAX }));
        app.dispatch(action.clone());
        shown.push(screen(app));
    }
    assert_eq!(shown[0], shown[1], "after {action:?}");
}

#[test]
fn a_live_refresh_of_a_big_trace_that_gained_no_span_reads_nothing_again() {
    let mut apps = [app(false), app(true)];
    let opened = both(&mut apps, Cmd::Open);
    both(&mut apps, Cmd::Down);
    both(&mut apps, Cmd::Collapse);
    let before = apps[1].trace().map(|t| std::sync::Arc::as_ptr(&t.data));
    // Spans arrived elsewhere in the store: the open trace is asked again, and keeps its
    // data, its folds and its cursor.
    let progress = Action::ImportProgress(crate::tui::action::ImportStatus::default());
    both_action(&mut apps, progress);
    let after = apps[1].trace().map(|t| std::sync::Arc::as_ptr(&t.data));
    assert_eq!(before, after, "the trace was read again");
    assert_ne!(screen(&apps[1]), opened);
}
