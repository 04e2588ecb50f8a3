//! Issue 12 in the TUI: `D` diffs two marked traces; `r` on an LLM call opens the replay form,
//! which sends to a scripted OpenAI-compatible server, stores the replay like `trawl replay`
//! and opens it beside its original; `:replays` lists replays; an incomplete recording shows
//! why it cannot be replayed instead of a form.

use crossterm::event::KeyCode;
use serde_json::json;
use testkit::{Response, TestServer};
use trawl::model::Span;
use trawl::store::Store;
use trawl::tui::keys::Mode;
use trawl::tui::{Action, App, Cmd};

use crate::drive::{cmd, key, now, type_text};
use crate::util::{FixtureStore, fixture_store};

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn screen(app: &App, w: u16, h: u16) -> String {
    let rows = trawl::tui::views::screen_rows(app, w, h);
    rows.iter().map(|r| format!("{r}\n")).collect()
}

fn app_at(fx: &FixtureStore, w: u16, h: u16) -> App {
    let mut app = App::new_for_test(fx.open(), now());
    app.dispatch(Action::Resize(w, h));
    app
}

fn open(app: &mut App, id: &str) {
    cmd(app, Cmd::CommandLine);
    type_text(app, &format!("open {id}"));
    cmd(app, Cmd::InputSubmit);
    assert_eq!(app.mode(), Mode::Trace);
}

/// The trace view's cursor moved onto span `span_id` (LLM calls are `m` apart).
fn select_llm(app: &mut App, span_id: &str) {
    for _ in 0..100 {
        let at = app
            .trace()
            .and_then(|t| t.selected_span())
            .map(|s| s.span_id.clone());
        if at.as_deref() == Some(span_id) {
            return;
        }
        cmd(app, Cmd::NextLlm);
    }
    panic!("never reached span {span_id}");
}

/// A trace whose final LLM call can be replayed, and that call.
fn replayable(st: &Store, ids: &[String]) -> (String, Span) {
    for id in ids {
        let spans = st.trace_spans(id).unwrap();
        if let Some(s) = trawl::replay::select::final_call(&spans)
            && trawl::replay::from_span(s).is_ok()
        {
            return (id.clone(), s.clone());
        }
    }
    panic!("no replayable trace in the fixture");
}

#[test]
fn d_diffs_the_two_marked_traces() {
    for (w, h) in SIZES {
        let fx = fixture_store();
        let mut app = app_at(&fx, w, h);
        // One mark is not enough: D says so.
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Char('D'));
        assert_eq!(app.mode(), Mode::List);
        assert!(
            app.status.as_ref().unwrap().text.contains("1 marked"),
            "{:?}",
            app.status
        );
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Char('D'));
        assert_eq!(app.mode(), Mode::TraceDiff);
        let s = screen(&app, w, h);
        assert!(s.contains("traces › diff"), "{s}");
        assert!(s.contains("question:"), "{s}");
        insta::assert_snapshot!(format!("trace_diff_{w}x{h}"), s);
        // Scrollable: G reaches the document lines at the end.
        key(&mut app, KeyCode::Char('G'));
        let end = screen(&app, w, h);
        assert!(end.contains("document"), "{end}");
    }
}

/// Masks what changes from run to run: the replay's random trace id and the measured latency.
fn stable(s: &str, replay_id: &str) -> String {
    let short = &replay_id[..8];
    s.replace(short, "RRRRRRRR")
        .lines()
        .map(|l| match l.find("latency") {
            Some(i) => {
                let kept = &l[..i];
                let width = l.chars().count() - kept.chars().count();
                format!("{kept}latency{}", " ".repeat(width.saturating_sub(7)))
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn r_replays_an_llm_call_from_the_form_and_shows_it_beside_the_original() {
    let srv =
        TestServer::start(|_, _| Response::openai_content("Express shipping costs $9.95 today."))
            .unwrap();
    for (w, h) in SIZES {
        let fx = fixture_store();
        let (trace, call) = replayable(&fx.open(), &fx.ids);
        let mut app = app_at(&fx, w, h);
        open(&mut app, &trace);
        select_llm(&mut app, &call.span_id);
        key(&mut app, KeyCode::Char('r'));
        assert_eq!(app.mode(), Mode::ReplayForm);
        let form = screen(&app, w, h);
        assert!(
            form.contains("estimate: 1 call to https://api.openai.com/v1"),
            "{form}"
        );

        // Base URL: the third field; the input line starts from the current value.
        key(&mut app, KeyCode::Char('j'));
        key(&mut app, KeyCode::Char('j'));
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::Input);
        app.input.as_mut().unwrap().text = srv.base_url();
        cmd(&mut app, Cmd::InputSubmit);
        // Parameters: a --set override.
        key(&mut app, KeyCode::Char('j'));
        key(&mut app, KeyCode::Enter);
        type_text(&mut app, "temperature=0");
        cmd(&mut app, Cmd::InputSubmit);
        let form = screen(&app, w, h);
        assert!(
            form.contains(&format!("1 call to {}", srv.base_url())),
            "{form}"
        );
        assert!(form.contains("temperature=0"), "{form}");

        // s shows the estimate and asks; Esc cancels; s and y send.
        let before = srv.request_count();
        key(&mut app, KeyCode::Char('s'));
        assert!(screen(&app, w, h).contains("send this replay? y sends"));
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.mode(), Mode::ReplayForm);
        assert_eq!(srv.request_count(), before, "nothing sent before y");
        key(&mut app, KeyCode::Char('s'));
        key(&mut app, KeyCode::Char('y'));
        assert_eq!(srv.request_count(), before + 1);
        let body = srv.requests().last().unwrap().json();
        assert_eq!(body["temperature"], json!(0));

        // Stored like the CLI stores it, linked to the original call.
        let links = fx.open().replays_of(&trace).unwrap();
        assert_eq!(links.len(), 1);
        assert_eq!(links[0].replay_of_span, call.span_id);
        assert_eq!(links[0].overrides["set"]["temperature"], json!(0));
        let replay_id = links[0].trace_id.clone();

        // …and shown beside the original.
        assert_eq!(app.mode(), Mode::ReplayView);
        let s = screen(&app, w, h);
        assert!(s.contains("── original ("), "{s}");
        assert!(s.contains("── replay ("), "{s}");
        assert!(s.contains("{+"), "the added words are marked: {s}");
        assert!(s.contains("tokens in"), "{s}");
        insta::assert_snapshot!(format!("replay_view_{w}x{h}"), stable(&s, &replay_id));

        // The original's header counts its replays and names the newest outcome.
        open(&mut app, &trace);
        let header = screen(&app, w, h);
        assert!(header.contains("↻ 1 replay · newest: replayed"), "{header}");
        key(&mut app, KeyCode::Char('q'));

        // :replays lists it; Enter opens the same view.
        cmd(&mut app, Cmd::CommandLine);
        type_text(&mut app, "replays");
        cmd(&mut app, Cmd::InputSubmit);
        assert_eq!(app.mode(), Mode::Replays);
        let list = screen(&app, w, h);
        assert!(
            list.contains(&format!("{} → {}", &trace[..8], &replay_id[..8])),
            "{list}"
        );
        assert!(list.contains("replayed"), "{list}");
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.mode(), Mode::ReplayView);
        // D there diffs original and replay traces.
        key(&mut app, KeyCode::Char('D'));
        assert_eq!(app.mode(), Mode::TraceDiff);
        assert!(screen(&app, w, h).contains("answer: "));
    }
}

#[test]
fn an_incomplete_recording_shows_why_instead_of_a_form() {
    let fx = fixture_store();
    let mut st = fx.open();
    let (_, mut hidden) = replayable(&st, &fx.ids);
    hidden.trace_id = "hidden00000000000000000000000001".into();
    hidden.parent_id = None;
    hidden
        .attributes
        .retain(|k, _| !k.starts_with("llm.input_messages"));
    hidden
        .attributes
        .insert("input.value".into(), json!("__REDACTED__"));
    hidden.input_messages.clear();
    let mut w = trawl::store::SpanWriter::begin(&mut st, &Default::default()).unwrap();
    w.write(&hidden).unwrap();
    w.finish(&Default::default()).unwrap();
    drop(st);
    let mut app = app_at(&fx, 100, 30);
    open(&mut app, &hidden.trace_id);
    select_llm(&mut app, &hidden.span_id);
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.mode(), Mode::ReplayForm);
    let s = screen(&app, 100, 30);
    assert!(s.contains("this call cannot be replayed:"), "{s}");
    // The library's reason, as `trawl replay` reports it.
    let why = trawl::replay::from_span(&hidden).unwrap_err().0;
    let start: String = why.chars().take(40).collect();
    assert!(s.contains(&start), "{why} not in {s}");
    assert!(!s.contains("estimate:"), "{s}");
    // s sends nothing from a refusal.
    key(&mut app, KeyCode::Char('s'));
    assert!(!screen(&app, 100, 30).contains("y sends"));
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.mode(), Mode::Trace);
    // From the span detail too.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.mode(), Mode::Span);
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.mode(), Mode::ReplayForm);
    assert!(screen(&app, 100, 30).contains("this call cannot be replayed:"));
}

#[test]
fn r_on_a_span_that_is_not_an_llm_call_says_so() {
    let fx = fixture_store();
    let (trace, _) = replayable(&fx.open(), &fx.ids);
    let mut app = app_at(&fx, 100, 30);
    open(&mut app, &trace);
    key(&mut app, KeyCode::Char('g'));
    let root = app.trace().and_then(|t| t.selected_span()).unwrap();
    assert_ne!(root.kind, trawl::model::SpanKind::Llm);
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.mode(), Mode::Trace);
    let status = app.status.as_ref().unwrap();
    assert!(
        status.error && status.text.contains("r replays an LLM call"),
        "{status:?}"
    );
}

/// The real binary in tmux: `e` in the replay form hands the terminal to `$EDITOR` (a script
/// that rewrites the prompt), takes it back and redraws; the form shows the edited prompt.
#[test]
fn e_edits_the_system_prompt_in_editor_and_the_tui_comes_back() {
    use crate::util::tmux::Tmux;
    use crate::util::{SUPPORT_BOT, Trawl, fixture};
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let editor = home.join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'EDITED PROMPT v2' > \"$1\"\n").unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let tmux = Tmux::start(
        "replay-editor",
        Trawl::new(home)
            .now("2026-11-16T12:00:00Z")
            .env("EDITOR", editor.as_os_str())
            .arg("--store")
            .arg(home.join("store.db"))
            .arg(fixture(SUPPORT_BOT)),
        120,
        40,
    );
    tmux.wait_for("/40");
    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", "user:user_0311"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("1/2");
    tmux.keys(&["Enter"]);
    tmux.wait_for("timeline");
    tmux.keys(&["m"]);
    tmux.keys(&["r"]);
    let form = tmux.wait_for("estimate: 1 call to");
    assert!(
        form.contains("(recorded; Enter or e opens $EDITOR)"),
        "{form}"
    );
    tmux.keys(&["e"]);
    let form = tmux.wait_for("EDITED PROMPT v2");
    assert!(
        form.contains("(edited; Enter or e opens $EDITOR)"),
        "{form}"
    );
    assert!(form.contains("traces › trace › replay form"), "{form}");
    tmux.keys(&["q"]);
    tmux.wait_for("timeline");
    tmux.keys(&["q"]);
    tmux.wait_for("question / name");
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
}
