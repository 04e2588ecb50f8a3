//! Finding the answer: a relative day that missed the data offered against the store's last
//! day, `/` search with highlighted matches and `match N/M` in the list, span detail and
//! session view, span detail scrolling to the last page, and an LLM call's Documents tab
//! pointing to its retriever.

use chrono::{DateTime, TimeZone, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Modifier;
use trawl::tui::{Action, App, Cmd, View};

use crate::util::{FixtureStore, fixture_store};

/// Friday 2026-11-27: "tuesday" is 2026-11-24, after the fixture's last day (Sun 2026-11-15).
fn friday() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn app_at(now: DateTime<Utc>, w: u16, h: u16) -> (FixtureStore, App) {
    let fx = fixture_store();
    let mut app = App::new_for_test(fx.open(), now);
    app.dispatch(Action::Resize(w, h));
    (fx, app)
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

fn prompt(app: &mut App, open: Cmd, text: &str) {
    run(app, &[open]);
    typed(app, text);
    run(app, &[Cmd::InputSubmit]);
}

fn render(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| trawl::tui::views::draw(f, app)).unwrap();
    term
}

fn snap(name: &str, app: &App, w: u16, h: u16) {
    insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(app, w, h).backend());
}

/// The highlighted (search-hit) text of each screen row that has any.
fn highlighted(app: &App, w: u16, h: u16) -> Vec<String> {
    let term = render(app, w, h);
    let buf = term.backend().buffer();
    let mut rows = Vec::new();
    for y in 0..h {
        let text: String = (0..w)
            .filter_map(|x| buf.cell((x, y)))
            .filter(|c| c.modifier.contains(Modifier::ITALIC))
            .map(|c| c.symbol().to_string())
            .collect();
        if !text.is_empty() {
            rows.push(text);
        }
    }
    rows
}

fn status(app: &App) -> String {
    app.status
        .as_ref()
        .map(|s| s.text.clone())
        .unwrap_or_default()
}

#[test]
fn a_missed_weekday_is_offered_and_enter_shows_it() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    prompt(&mut a, Cmd::FilterLine, "on:tuesday");
    assert_eq!(a.list.total, 0);
    assert_eq!(
        status(&a),
        "no traces on Tue 2026-11-24; the store ends Sun 2026-11-15 — Enter shows Tue 2026-11-10"
    );
    snap("list_missed_day", &a, 80, 24);
    run(&mut a, &[Cmd::Open]);
    assert_eq!(a.list.filter_text, "on:2026-11-10");
    assert_eq!(a.list.total, 4);
    assert_eq!(
        status(&a),
        "no traces on Tue 2026-11-24; the store ends Sun 2026-11-15 — showing Tue 2026-11-10"
    );
    snap("list_missed_day_taken", &a, 80, 24);
}

#[test]
fn list_search_highlights_and_counts_matches() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    prompt(&mut a, Cmd::Search, "return");
    let first = status(&a);
    assert!(first.starts_with("/return · match 1/"), "{first}");
    let rows = highlighted(&a, 80, 24);
    assert!(!rows.is_empty());
    assert!(
        rows.iter()
            .all(|r| r.to_lowercase().replace("return", "").is_empty()),
        "{rows:?}"
    );
    run(&mut a, &[Cmd::SearchNext]);
    assert!(
        status(&a).starts_with("/return · match 2/"),
        "{}",
        status(&a)
    );
    run(&mut a, &[Cmd::SearchPrev, Cmd::SearchPrev]);
    let n = first.rsplit('/').next().unwrap_or_default().to_string();
    assert_eq!(status(&a), format!("/return · match {n}/{n}"));
}

/// Trace 4 (newest first) is the stove fire; its LLM call has a long prompt.
fn open_llm_span(a: &mut App) {
    run(
        a,
        &[
            Cmd::Down,
            Cmd::Down,
            Cmd::Down,
            Cmd::Open,
            Cmd::NextLlm,
            Cmd::Open,
        ],
    );
    assert_eq!(a.view(), View::Span);
}

#[test]
fn span_detail_g_shows_the_last_page_and_search_moves_between_matches() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    open_llm_span(&mut a);
    run(&mut a, &[Cmd::Bottom]);
    snap("span_messages_end", &a, 80, 24);
    // The last line of the tab is on the screen's last body row, not alone at the top.
    let term = render(&a, 80, 24);
    let screen = format!("{:?}", term.backend());
    let last = a.span().unwrap().detail.last().unwrap().text.clone();
    let tail: String = last
        .chars()
        .rev()
        .take(20)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    assert!(
        screen.contains(tail.trim()),
        "{tail:?} not on screen:\n{screen}"
    );
    run(&mut a, &[Cmd::Top]);
    prompt(&mut a, Cmd::Search, "escalate");
    let s = status(&a);
    assert!(s.starts_with("/escalate · match 1/"), "{s}");
    let rows = highlighted(&a, 80, 24);
    assert!(!rows.is_empty(), "no highlighted match on screen");
    assert!(
        rows.iter()
            .all(|r| r.to_lowercase().replace("escalate", "").is_empty()),
        "{rows:?}"
    );
    snap("span_search", &a, 80, 24);
    run(&mut a, &[Cmd::SearchNext, Cmd::SearchNext]);
    assert!(
        status(&a).starts_with("/escalate · match 3/"),
        "{}",
        status(&a)
    );
    // The third match is further down: the view scrolled to it.
    assert!(!highlighted(&a, 80, 24).is_empty());
}

#[test]
fn an_llm_calls_documents_tab_points_to_its_retriever() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    open_llm_span(&mut a);
    assert_eq!(a.span().unwrap().tab, trawl::tui::detail::Tab::Messages);
    run(&mut a, &[Cmd::NextTab]);
    let text: Vec<String> = a
        .span()
        .unwrap()
        .detail
        .iter()
        .map(|l| l.text.clone())
        .collect();
    assert!(
        text[0].starts_with("No documents on this LLM call: its passages come from the retriever span kb.vector_search"),
        "{text:?}"
    );
    snap("span_llm_documents", &a, 80, 24);
    run(&mut a, &[Cmd::Open]);
    let span = a.span().unwrap();
    assert_eq!(span.selected_span().unwrap().name, "kb.vector_search");
    assert_eq!(span.tab, trawl::tui::detail::Tab::Documents);
    // Tabs are not sticky: after the verdicts key, the next span opens on its kind's tab.
    run(&mut a, &[Cmd::Back, Cmd::Verdicts]);
    assert_eq!(a.span().unwrap().tab, trawl::tui::detail::Tab::Verdicts);
    run(&mut a, &[Cmd::Back, Cmd::NextLlm, Cmd::Open]);
    assert_eq!(a.span().unwrap().tab, trawl::tui::detail::Tab::Messages);
}

#[test]
fn session_search_selects_the_matching_turn() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    // sess_8c7ddfdad1b5 has three turns.
    prompt(&mut a, Cmd::FilterLine, "session:sess_8c7ddfdad1b5");
    run(&mut a, &[Cmd::Session]);
    assert_eq!(a.view(), View::Session);
    let turns = a.session().unwrap().traces.clone();
    assert_eq!(turns.len(), 3);
    let last_q = turns[2].input_preview.clone().unwrap_or_default();
    let phrase: String = last_q.chars().take(24).collect();
    prompt(&mut a, Cmd::Search, &phrase);
    assert_eq!(a.session().unwrap().selected(), 2);
    assert!(status(&a).ends_with("match 1/1"), "{}", status(&a));
    assert!(!highlighted(&a, 80, 24).is_empty());
}

/// The screen's text rows.
fn rows(app: &App, w: u16, h: u16) -> Vec<String> {
    let term = render(app, w, h);
    let buf = term.backend().buffer();
    (0..h)
        .map(|y| {
            (0..w)
                .filter_map(|x| buf.cell((x, y)))
                .map(|c| c.symbol().to_string())
                .collect()
        })
        .collect()
}

#[test]
fn span_detail_scrolls_by_screen_row_through_wrapped_paragraphs() {
    let (_fx, mut a) = app_at(friday(), 80, 24);
    open_llm_span(&mut a);
    // Rows 4.. are the tab's text (title, figures and tab bar above).
    let before = rows(&a, 80, 24);
    for step in 1..12 {
        run(&mut a, &[Cmd::Down]);
        let after = rows(&a, 80, 24);
        // One row at a time, wrapped continuation rows included: what was the second text
        // row is now the first.
        assert_eq!(after[4], before[4 + step], "after {step} j");
    }
}
