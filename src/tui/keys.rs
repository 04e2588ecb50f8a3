//! Keys are data. Each pane declares its own bindings (`&'static [Binding]`); this module holds
//! the key type, the layers every pane shares (global keys, the navigation layer, the input
//! line) and the functions that turn tables into key lookups, footer hints and help rows. The
//! registry in `keymap` puts the tables together per mode.

use super::action::Cmd;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which bindings apply: a pane, an overlay, or one of the shared layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Keys that work everywhere except in the input line.
    Global,
    List,
    Trace,
    Span,
    Session,
    Triage,
    Metrics,
    Agreement,
    /// The judge popup (rule picker, estimate confirmation).
    Judge,
    Help,
    Input,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    pub const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    pub const fn ctrl(c: char) -> Key {
        Key {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Terminals report Shift inconsistently for characters; the character itself says enough.
    pub fn from_event(ev: &KeyEvent) -> Key {
        let mut mods =
            ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(ev.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Key {
            code: ev.code,
            mods,
        }
    }

    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "Enter".into(),
            KeyCode::Esc => "Esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::Home => "Home".into(),
            KeyCode::End => "End".into(),
            KeyCode::PageUp => "PgUp".into(),
            KeyCode::PageDown => "PgDn".into(),
            KeyCode::Tab => "Tab".into(),
            KeyCode::BackTab => "S-Tab".into(),
            KeyCode::Backspace => "Bksp".into(),
            KeyCode::F(n) => format!("F{n}"),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("C-{base}")
        } else {
            base
        }
    }
}

/// One key of a pane or layer: what it does and how help and the footer describe it.
#[derive(Debug)]
pub struct Binding {
    pub key: Key,
    pub cmd: Cmd,
    pub help: &'static str,
    /// Shown in the footer (the first key of a command only).
    pub footer: bool,
}

/// A key shown in the footer.
pub const fn hint(key: Key, cmd: Cmd, help: &'static str) -> Binding {
    Binding {
        key,
        cmd,
        help,
        footer: true,
    }
}

/// A key listed in help only.
pub const fn key(key: Key, cmd: Cmd, help: &'static str) -> Binding {
    Binding {
        key,
        cmd,
        help,
        footer: false,
    }
}

/// How a pane's help names the navigation layer's motions ("first row", "next turn").
#[derive(Debug)]
pub struct NavLabels {
    pub down: &'static str,
    pub up: &'static str,
    pub top: &'static str,
    pub bottom: &'static str,
    pub page_down: &'static str,
    pub page_up: &'static str,
}

impl NavLabels {
    pub const ROWS: NavLabels = NavLabels {
        down: "down",
        up: "up",
        top: "first row",
        bottom: "last row",
        page_down: "page down",
        page_up: "page up",
    };
    pub const SCROLL: NavLabels = NavLabels {
        down: "scroll down",
        up: "scroll up",
        top: "top",
        bottom: "bottom",
        page_down: "page down",
        page_up: "page up",
    };

    fn label(&self, cmd: Cmd) -> &'static str {
        match cmd {
            Cmd::Down => self.down,
            Cmd::Up => self.up,
            Cmd::Top => self.top,
            Cmd::Bottom => self.bottom,
            Cmd::PageDown => self.page_down,
            _ => self.page_up,
        }
    }
}

use KeyCode as K;

/// The navigation layer: the same motion keys in every pane that has a list or a document.
/// A pane's own bindings come first, so a pane can give one of these keys another meaning.
pub static NAV: &[(Key, Cmd)] = &[
    (Key::ch('j'), Cmd::Down),
    (Key::plain(K::Down), Cmd::Down),
    (Key::ch('k'), Cmd::Up),
    (Key::plain(K::Up), Cmd::Up),
    (Key::ch('g'), Cmd::Top),
    (Key::plain(K::Home), Cmd::Top),
    (Key::ch('G'), Cmd::Bottom),
    (Key::plain(K::End), Cmd::Bottom),
    (Key::ctrl('d'), Cmd::PageDown),
    (Key::plain(K::PageDown), Cmd::PageDown),
    (Key::ctrl('u'), Cmd::PageUp),
    (Key::plain(K::PageUp), Cmd::PageUp),
];

pub static GLOBAL: &[Binding] = &[
    key(Key::ctrl('c'), Cmd::Quit, "quit now"),
    hint(Key::ch('?'), Cmd::ToggleHelp, "help"),
    key(Key::plain(K::F(1)), Cmd::ToggleHelp, "help"),
    hint(
        Key::ch(':'),
        Cmd::CommandLine,
        "command (:q :filter :sort :open :session)",
    ),
];

/// The input line (filter, search, `:` command, note); other characters become text.
pub static INPUT: &[Binding] = &[
    hint(Key::plain(K::Enter), Cmd::InputSubmit, "apply"),
    hint(Key::plain(K::Esc), Cmd::InputCancel, "cancel"),
    key(
        Key::plain(K::Backspace),
        Cmd::InputBackspace,
        "delete a character",
    ),
    key(Key::ctrl('c'), Cmd::Quit, "quit now"),
];

/// The key tables that apply in one mode, most specific first.
#[derive(Debug, Clone, Copy)]
pub struct Layers {
    pub own: &'static [Binding],
    /// The navigation layer, named for this pane; `None` where the pane has no list.
    pub nav: Option<&'static NavLabels>,
    /// Global keys apply (everywhere but the input line).
    pub global: bool,
}

/// Every binding of one mode, in lookup order, with the navigation keys the pane does not
/// take for itself.
pub fn expand(layers: &Layers) -> Vec<(Key, Cmd, &'static str, bool)> {
    let mut out: Vec<(Key, Cmd, &'static str, bool)> = layers
        .own
        .iter()
        .map(|b| (b.key, b.cmd, b.help, b.footer))
        .collect();
    if let Some(labels) = layers.nav {
        for &(k, c) in NAV {
            if !layers.own.iter().any(|b| b.key == k) {
                out.push((k, c, labels.label(c), false));
            }
        }
    }
    out
}

/// What a key means in a mode.
pub fn lookup(layers: &Layers, key: Key) -> Option<Cmd> {
    let own = layers.own.iter().find(|b| b.key == key).map(|b| b.cmd);
    let nav = || {
        layers.nav?;
        let shadowed = layers.own.iter().any(|b| b.key == key);
        NAV.iter()
            .find(|(k, _)| *k == key && !shadowed)
            .map(|(_, c)| *c)
    };
    let global = || {
        layers
            .global
            .then(|| GLOBAL.iter().find(|b| b.key == key).map(|b| b.cmd))
            .flatten()
    };
    own.or_else(nav).or_else(global)
}

/// Footer hints: the mode's own marked keys, then the global ones (help shortened).
pub fn footer(layers: &Layers) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = layers
        .own
        .iter()
        .filter(|b| b.footer)
        .map(|b| (b.key.label(), b.help))
        .collect();
    if layers.global {
        out.extend(
            GLOBAL
                .iter()
                .filter(|b| b.footer)
                .map(|b| (b.key.label(), short(b.help))),
        );
    }
    out
}

fn short(help: &'static str) -> &'static str {
    help.split(" (").next().unwrap_or(help)
}

/// Help rows of one mode: each command once with all its keys (`j ↓`). Leaving keys come first,
/// then the motions, then the pane's own commands; the nine number keys share a row.
pub fn help_rows(layers: &Layers) -> Vec<(String, &'static str)> {
    let all = expand(layers);
    let same = |a: Cmd, b: Cmd| a == b || matches!((a, b), (Cmd::Pick(_), Cmd::Pick(_)));
    let is_nav = |c: Cmd| super::widgets::scroll::Motion::of(c).is_some();
    let leaving = |c: Cmd| matches!(c, Cmd::Back | Cmd::Cancel);
    let own: Vec<_> = all
        .iter()
        .filter(|(_, c, _, _)| !is_nav(*c) || layers.nav.is_none())
        .collect();
    let nav: Vec<_> = all
        .iter()
        .filter(|(_, c, _, _)| is_nav(*c) && layers.nav.is_some())
        .collect();
    let split = own
        .iter()
        .position(|(_, c, _, _)| !leaving(*c))
        .unwrap_or(own.len());
    let order = own[..split]
        .iter()
        .chain(nav.iter())
        .chain(own[split..].iter());
    let mut rows: Vec<(String, &'static str)> = Vec::new();
    let mut seen: Vec<Cmd> = Vec::new();
    for (_, cmd, help, _) in order.clone() {
        if seen.iter().any(|c| same(*c, *cmd)) {
            continue;
        }
        seen.push(*cmd);
        let keys: Vec<String> = order
            .clone()
            .filter(|(_, c, _, _)| same(*c, *cmd))
            .map(|(k, _, _, _)| k.label())
            .collect();
        rows.push((keys.join(" "), help));
    }
    rows
}
