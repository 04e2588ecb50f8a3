//! Keys are data. Each pane declares its own bindings (`&'static [Binding]`); this module holds
//! the key type, the layers every pane shares (global keys, the navigation layer, the input
//! line) and the functions that turn tables into key lookups, footer hints and help rows. The
//! registry in `keymap` puts the tables together per mode.

use super::action::Cmd;
use super::widgets::scroll::Motion;
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
    /// A response beside its staged passages.
    Evidence,
    Metrics,
    Agreement,
    /// Two traces diffed.
    TraceDiff,
    /// The replays list (`:replays`).
    Replays,
    /// A replay beside its original.
    ReplayView,
    /// The replay form of an LLM call.
    ReplayForm,
    /// The judge popup (rule picker, estimate confirmation).
    Judge,
    /// The judge set-up form (typed characters edit its fields).
    JudgeSetup,
    Help,
    Input,
}

impl Mode {
    /// Typed characters are text here (the input line, the judge set-up form).
    pub fn takes_text(self) -> bool {
        matches!(self, Mode::Input | Mode::JudgeSetup)
    }
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
    /// Keys 1–9 pick the n-th item (`Cmd::Pick`), described in help by this text.
    pub picks: Option<&'static str>,
    /// The navigation layer, named for this pane; `None` where the pane has no list.
    pub nav: Option<&'static NavLabels>,
    /// Global keys apply (everywhere but the input line).
    pub global: bool,
}

impl Layers {
    /// A pane's keys: its own, the navigation layer (unless `nav` is `None`), global keys.
    pub const fn pane(own: &'static [Binding], nav: Option<&'static NavLabels>) -> Layers {
        Layers {
            own,
            picks: None,
            nav,
            global: true,
        }
    }

    /// With keys 1–9 picking the n-th item.
    pub const fn with_picks(self, help: &'static str) -> Layers {
        Layers {
            picks: Some(help),
            ..self
        }
    }
}

/// One entry of an expanded table.
#[derive(Debug, Clone, Copy)]
pub struct Entry {
    pub key: Key,
    pub cmd: Cmd,
    pub help: &'static str,
    pub footer: bool,
}

const DIGITS: [char; 9] = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

/// Every binding of one mode in lookup order: the pane's own, then the number keys and the
/// navigation keys it does not take for itself (global keys not included).
pub fn expand(layers: &Layers) -> Vec<Entry> {
    let mut out: Vec<Entry> = layers
        .own
        .iter()
        .map(|b| Entry {
            key: b.key,
            cmd: b.cmd,
            help: b.help,
            footer: b.footer,
        })
        .collect();
    let free = |k: Key| !layers.own.iter().any(|b| b.key == k);
    if let Some(help) = layers.picks {
        for (n, c) in (1u8..).zip(DIGITS) {
            if free(Key::ch(c)) {
                out.push(Entry {
                    key: Key::ch(c),
                    cmd: Cmd::Pick(n),
                    help,
                    footer: false,
                });
            }
        }
    }
    if let Some(labels) = layers.nav {
        for &(key, cmd) in NAV.iter().filter(|(k, _)| free(*k)) {
            out.push(Entry {
                key,
                cmd,
                help: labels.label(cmd),
                footer: false,
            });
        }
    }
    out
}

/// What a key means in a mode.
pub fn lookup(layers: &Layers, key: Key) -> Option<Cmd> {
    let global: &[Binding] = if layers.global { GLOBAL } else { &[] };
    expand(layers)
        .iter()
        .map(|e| (e.key, e.cmd))
        .chain(global.iter().map(|b| (b.key, b.cmd)))
        .find(|(k, _)| *k == key)
        .map(|(_, c)| c)
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
    let is_nav = |e: &&Entry| layers.nav.is_some() && Motion::of(e.cmd).is_some();
    let leaving = |e: &&Entry| matches!(e.cmd, Cmd::Back | Cmd::Cancel);
    let own: Vec<&Entry> = all.iter().filter(|e| !is_nav(e)).collect();
    let split = own.iter().position(|e| !leaving(e)).unwrap_or(own.len());
    let order: Vec<&Entry> = own[..split]
        .iter()
        .copied()
        .chain(all.iter().filter(|e| is_nav(e)))
        .chain(own[split..].iter().copied())
        .collect();
    let mut rows: Vec<(String, &'static str)> = Vec::new();
    let mut seen: Vec<Cmd> = Vec::new();
    for e in &order {
        if seen.iter().any(|c| same(*c, e.cmd)) {
            continue;
        }
        seen.push(e.cmd);
        let keys: Vec<String> = order
            .iter()
            .filter(|o| same(o.cmd, e.cmd))
            .map(|o| o.key.label())
            .collect();
        rows.push((keys.join(" "), e.help));
    }
    rows
}
