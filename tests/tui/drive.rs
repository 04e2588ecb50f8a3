//! Drives an `App` headlessly: the support-bot store, a fixed clock, commands and keys.

use chrono::{DateTime, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use trawl::store::Store;
use trawl::tui::keymap;
use trawl::tui::{Action, App, Cmd};

use crate::util::{FixtureStore, fixture_store};

/// The clock of every TUI test: Monday 2026-11-16 12:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 16, 12, 0, 0).unwrap()
}

/// The support-bot store, opened; the returned fixture keeps its temp dir alive.
pub fn store() -> (FixtureStore, Store) {
    let fx = fixture_store();
    let s = fx.open();
    (fx, s)
}

/// An app on the support-bot store.
pub fn app() -> (FixtureStore, App) {
    let (fx, s) = store();
    (fx, App::new_for_test(s, now()))
}

pub fn cmd(app: &mut App, c: Cmd) {
    app.dispatch(Action::Cmd(c));
}

/// A key press through the keymap of the app's current mode.
pub fn key(app: &mut App, code: KeyCode) {
    let ev = KeyEvent::new(code, KeyModifiers::NONE);
    if let Some(a) = keymap::resolve(app.mode(), &ev) {
        app.dispatch(a);
    }
}

/// `:filter TEXT` through the command line.
pub fn filter(app: &mut App, text: &str) {
    cmd(app, Cmd::CommandLine);
    type_text(app, &format!("filter {text}"));
    cmd(app, Cmd::InputSubmit);
}

pub fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        key(app, KeyCode::Char(c));
    }
}
