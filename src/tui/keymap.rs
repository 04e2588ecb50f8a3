//! Key lookup for the whole app: which tables apply in a mode (a pane's own bindings, the
//! shared navigation layer, the global keys), and the footer hints and `?` help generated from
//! the same tables, so the three never disagree.

use super::action::{Action, Cmd};
use super::keys::{self, GLOBAL, INPUT, Layers};
use super::panes::{PANES, help};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub use super::keys::{Binding, Key, Mode};

const GLOBAL_LAYERS: Layers = Layers {
    own: GLOBAL,
    picks: None,
    nav: None,
    global: false,
};

const INPUT_LAYERS: Layers = Layers {
    own: INPUT,
    picks: None,
    nav: None,
    global: false,
};

/// The tables of `mode`.
pub fn layers(mode: Mode) -> Layers {
    match mode {
        Mode::Global => GLOBAL_LAYERS,
        Mode::Input => INPUT_LAYERS,
        Mode::Help => help::INFO.keys,
        _ => PANES
            .iter()
            .find(|p| p.mode == mode)
            .map(|p| p.keys)
            .unwrap_or(GLOBAL_LAYERS),
    }
}

/// What a key means in a mode; typed characters in `Input` mode become text.
pub fn resolve(mode: Mode, ev: &KeyEvent) -> Option<Action> {
    let key = Key::from_event(ev);
    if let Some(c) = keys::lookup(&layers(mode), key) {
        return Some(Action::Cmd(c));
    }
    match key.code {
        KeyCode::Char(c) if mode.takes_text() && !key.mods.contains(KeyModifiers::CONTROL) => {
            Some(Action::InputChar(c))
        }
        // A form without the global keys still quits on Ctrl-C.
        KeyCode::Char('c') if mode.takes_text() && key.mods.contains(KeyModifiers::CONTROL) => {
            Some(Action::Cmd(super::action::Cmd::Quit))
        }
        _ => None,
    }
}

/// Footer hints for a mode: `key label` pairs. Under the help overlay only its own keys.
pub fn footer(mode: Mode) -> Vec<(String, &'static str)> {
    let mut l = layers(mode);
    if mode == Mode::Help {
        l.global = false;
    }
    keys::footer(&l)
}

/// Help sections: every pane (and the global keys and input line) with all their keys.
pub fn help_sections() -> Vec<help::Section> {
    let mut out = vec![("Everywhere", keys::help_rows(&GLOBAL_LAYERS))];
    out.extend(PANES.iter().map(|p| (p.title, keys::help_rows(&p.keys))));
    let mut input = keys::help_rows(&INPUT_LAYERS);
    input.push(("text".into(), "typed characters edit the line"));
    out.push(("Filter / search / command line", input));
    out
}

/// One binding with the mode it belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Bound {
    pub mode: Mode,
    pub key: Key,
    pub cmd: Cmd,
    pub help: &'static str,
    pub footer: bool,
}

/// Every binding of every mode, the navigation layer spelled out per pane (for checks).
pub fn bindings() -> Vec<Bound> {
    let modes = [Mode::Global, Mode::Input, Mode::Help]
        .into_iter()
        .chain(PANES.iter().map(|p| p.mode));
    modes
        .flat_map(|mode| {
            keys::expand(&layers(mode)).into_iter().map(move |e| Bound {
                mode,
                key: e.key,
                cmd: e.cmd,
                help: e.help,
                footer: e.footer,
            })
        })
        .collect()
}
