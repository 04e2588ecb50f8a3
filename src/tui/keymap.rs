//! Keys are data: one table of (mode, key, command, help) drives the key handler, the footer
//! hints and the `?` help, so the three can never disagree.

use super::action::{Action, Cmd};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Which bindings apply. `Global` bindings apply in every mode except `Input`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
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

impl Mode {
    pub fn title(self) -> &'static str {
        match self {
            Mode::Global => "Everywhere",
            Mode::List => "Trace list",
            Mode::Trace => "Trace detail",
            Mode::Span => "Span detail",
            Mode::Session => "Session",
            Mode::Triage => "Triage queue",
            Mode::Metrics => "Metrics",
            Mode::Agreement => "Judge–human agreement",
            Mode::Judge => "Judge popup (rules, estimate)",
            Mode::Help => "Help",
            Mode::Input => "Filter / search / command line",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    const fn plain(code: KeyCode) -> Key {
        Key {
            code,
            mods: KeyModifiers::NONE,
        }
    }
    const fn ch(c: char) -> Key {
        Key::plain(KeyCode::Char(c))
    }
    const fn ctrl(c: char) -> Key {
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

pub struct Binding {
    pub mode: Mode,
    pub key: Key,
    pub cmd: Cmd,
    pub help: &'static str,
    /// Shown in the footer (the first key of a command only).
    pub footer: bool,
}

const fn b(mode: Mode, key: Key, cmd: Cmd, help: &'static str, footer: bool) -> Binding {
    Binding {
        mode,
        key,
        cmd,
        help,
        footer,
    }
}

use KeyCode as K;
use Mode as M;

pub static BINDINGS: &[Binding] = &[
    b(M::Global, Key::ctrl('c'), Cmd::Quit, "quit now", false),
    b(M::Global, Key::ch('?'), Cmd::ToggleHelp, "help", true),
    b(
        M::Global,
        Key::plain(K::F(1)),
        Cmd::ToggleHelp,
        "help",
        false,
    ),
    b(
        M::Global,
        Key::ch(':'),
        Cmd::CommandLine,
        "command (:q :filter :sort :open :session)",
        true,
    ),
    // Trace list
    b(M::List, Key::ch('q'), Cmd::Back, "quit", true),
    b(
        M::List,
        Key::plain(K::Esc),
        Cmd::Cancel,
        "clear search and message",
        false,
    ),
    b(M::List, Key::ch('j'), Cmd::Down, "down", false),
    b(M::List, Key::plain(K::Down), Cmd::Down, "down", false),
    b(M::List, Key::ch('k'), Cmd::Up, "up", false),
    b(M::List, Key::plain(K::Up), Cmd::Up, "up", false),
    b(M::List, Key::ch('g'), Cmd::Top, "first row", false),
    b(M::List, Key::plain(K::Home), Cmd::Top, "first row", false),
    b(M::List, Key::ch('G'), Cmd::Bottom, "last row", false),
    b(M::List, Key::plain(K::End), Cmd::Bottom, "last row", false),
    b(M::List, Key::ctrl('d'), Cmd::PageDown, "page down", false),
    b(
        M::List,
        Key::plain(K::PageDown),
        Cmd::PageDown,
        "page down",
        false,
    ),
    b(M::List, Key::ctrl('u'), Cmd::PageUp, "page up", false),
    b(
        M::List,
        Key::plain(K::PageUp),
        Cmd::PageUp,
        "page up",
        false,
    ),
    b(M::List, Key::plain(K::Enter), Cmd::Open, "open trace", true),
    b(M::List, Key::ch('l'), Cmd::Open, "open trace", false),
    b(M::List, Key::ch('f'), Cmd::FilterLine, "filter", true),
    b(
        M::List,
        Key::ch('F'),
        Cmd::ClearFilter,
        "clear filter",
        false,
    ),
    b(
        M::List,
        Key::ch('/'),
        Cmd::Search,
        "search loaded rows",
        true,
    ),
    b(M::List, Key::ch('n'), Cmd::SearchNext, "next match", false),
    b(
        M::List,
        Key::ch('N'),
        Cmd::SearchPrev,
        "previous match",
        false,
    ),
    b(M::List, Key::ch(' '), Cmd::ToggleMark, "mark row", false),
    b(M::List, Key::ch('s'), Cmd::CycleSort, "sort column", true),
    b(
        M::List,
        Key::ch('S'),
        Cmd::FlipSort,
        "sort direction",
        false,
    ),
    b(
        M::List,
        Key::ch('y'),
        Cmd::Copy,
        "copy trace id (marked ids)",
        false,
    ),
    b(
        M::List,
        Key::ch('c'),
        Cmd::Session,
        "session conversation",
        false,
    ),
    b(
        M::List,
        Key::ch('J'),
        Cmd::Judge,
        "judge marked (or filtered) traces",
        false,
    ),
    b(
        M::List,
        Key::ch('T'),
        Cmd::Triage,
        "triage flagged responses",
        false,
    ),
    b(
        M::List,
        Key::ch('M'),
        Cmd::Metrics,
        "metrics over time",
        false,
    ),
    b(
        M::List,
        Key::ch('A'),
        Cmd::Agreement,
        "judge–human agreement",
        false,
    ),
    b(
        M::List,
        Key::ch('X'),
        Cmd::JudgeCancel,
        "cancel judge run",
        false,
    ),
    // Trace detail
    b(M::Trace, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Trace, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(M::Trace, Key::ch('j'), Cmd::Down, "down", false),
    b(M::Trace, Key::plain(K::Down), Cmd::Down, "down", false),
    b(M::Trace, Key::ch('k'), Cmd::Up, "up", false),
    b(M::Trace, Key::plain(K::Up), Cmd::Up, "up", false),
    b(M::Trace, Key::ch('g'), Cmd::Top, "first span", false),
    b(M::Trace, Key::plain(K::Home), Cmd::Top, "first span", false),
    b(M::Trace, Key::ch('G'), Cmd::Bottom, "last span", false),
    b(
        M::Trace,
        Key::plain(K::End),
        Cmd::Bottom,
        "last span",
        false,
    ),
    b(M::Trace, Key::ctrl('d'), Cmd::PageDown, "page down", false),
    b(
        M::Trace,
        Key::plain(K::PageDown),
        Cmd::PageDown,
        "page down",
        false,
    ),
    b(M::Trace, Key::ctrl('u'), Cmd::PageUp, "page up", false),
    b(
        M::Trace,
        Key::plain(K::PageUp),
        Cmd::PageUp,
        "page up",
        false,
    ),
    b(
        M::Trace,
        Key::ch('h'),
        Cmd::Collapse,
        "collapse / parent",
        false,
    ),
    b(
        M::Trace,
        Key::plain(K::Left),
        Cmd::Collapse,
        "collapse / parent",
        false,
    ),
    b(M::Trace, Key::ch('l'), Cmd::Expand, "expand", false),
    b(M::Trace, Key::plain(K::Right), Cmd::Expand, "expand", false),
    b(
        M::Trace,
        Key::plain(K::Enter),
        Cmd::Open,
        "span detail",
        true,
    ),
    b(M::Trace, Key::ch('m'), Cmd::NextLlm, "next LLM call", true),
    b(
        M::Trace,
        Key::ch('M'),
        Cmd::PrevLlm,
        "previous LLM call",
        false,
    ),
    b(M::Trace, Key::ch('e'), Cmd::NextError, "next error", true),
    b(
        M::Trace,
        Key::ch('E'),
        Cmd::PrevError,
        "previous error",
        false,
    ),
    b(
        M::Trace,
        Key::ch('t'),
        Cmd::NextTool,
        "next tool call",
        true,
    ),
    b(
        M::Trace,
        Key::ch('T'),
        Cmd::PrevTool,
        "previous tool call",
        false,
    ),
    b(M::Trace, Key::ch('/'), Cmd::Search, "search spans", false),
    b(M::Trace, Key::ch('n'), Cmd::SearchNext, "next match", false),
    b(
        M::Trace,
        Key::ch('N'),
        Cmd::SearchPrev,
        "previous match",
        false,
    ),
    b(M::Trace, Key::ch('y'), Cmd::Copy, "copy trace id", false),
    b(
        M::Trace,
        Key::ch('c'),
        Cmd::Session,
        "session conversation",
        false,
    ),
    b(
        M::Trace,
        Key::ch('v'),
        Cmd::Verdicts,
        "verdicts (explanation, model, cost)",
        false,
    ),
    b(
        M::Trace,
        Key::ch('R'),
        Cmd::Rerun,
        "re-run this trace's verdicts",
        false,
    ),
    b(
        M::Trace,
        Key::ch('X'),
        Cmd::JudgeCancel,
        "cancel judge run",
        false,
    ),
    // Span detail
    b(M::Span, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Span, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(M::Span, Key::plain(K::Tab), Cmd::NextTab, "next tab", true),
    b(
        M::Span,
        Key::plain(K::BackTab),
        Cmd::PrevTab,
        "previous tab",
        false,
    ),
    b(M::Span, Key::ch('j'), Cmd::Down, "scroll down", false),
    b(
        M::Span,
        Key::plain(K::Down),
        Cmd::Down,
        "scroll down",
        false,
    ),
    b(M::Span, Key::ch('k'), Cmd::Up, "scroll up", false),
    b(M::Span, Key::plain(K::Up), Cmd::Up, "scroll up", false),
    b(M::Span, Key::ch('g'), Cmd::Top, "top", false),
    b(M::Span, Key::ch('G'), Cmd::Bottom, "bottom", false),
    b(M::Span, Key::ctrl('d'), Cmd::PageDown, "page down", false),
    b(
        M::Span,
        Key::plain(K::PageDown),
        Cmd::PageDown,
        "page down",
        false,
    ),
    b(M::Span, Key::ctrl('u'), Cmd::PageUp, "page up", false),
    b(
        M::Span,
        Key::plain(K::PageUp),
        Cmd::PageUp,
        "page up",
        false,
    ),
    b(
        M::Span,
        Key::ch('z'),
        Cmd::ToggleFold,
        "fold / unfold attributes",
        true,
    ),
    b(M::Span, Key::ch('m'), Cmd::NextLlm, "next LLM call", false),
    b(
        M::Span,
        Key::ch('M'),
        Cmd::PrevLlm,
        "previous LLM call",
        false,
    ),
    b(M::Span, Key::ch('e'), Cmd::NextError, "next error", false),
    b(
        M::Span,
        Key::ch('E'),
        Cmd::PrevError,
        "previous error",
        false,
    ),
    b(
        M::Span,
        Key::ch('t'),
        Cmd::NextTool,
        "next tool call",
        false,
    ),
    b(
        M::Span,
        Key::ch('T'),
        Cmd::PrevTool,
        "previous tool call",
        false,
    ),
    b(M::Span, Key::ch('y'), Cmd::Copy, "copy span as JSON", true),
    b(
        M::Span,
        Key::ch('R'),
        Cmd::Rerun,
        "re-run this trace's verdicts",
        false,
    ),
    b(
        M::Span,
        Key::ch('X'),
        Cmd::JudgeCancel,
        "cancel judge run",
        false,
    ),
    // Session
    b(M::Session, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Session, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(M::Session, Key::ch('j'), Cmd::Down, "next turn", false),
    b(
        M::Session,
        Key::plain(K::Down),
        Cmd::Down,
        "next turn",
        false,
    ),
    b(M::Session, Key::ch('k'), Cmd::Up, "previous turn", false),
    b(
        M::Session,
        Key::plain(K::Up),
        Cmd::Up,
        "previous turn",
        false,
    ),
    b(M::Session, Key::ch('g'), Cmd::Top, "first turn", false),
    b(M::Session, Key::ch('G'), Cmd::Bottom, "last turn", false),
    b(
        M::Session,
        Key::plain(K::Enter),
        Cmd::Open,
        "open this turn's trace",
        true,
    ),
    b(M::Session, Key::ch('y'), Cmd::Copy, "copy trace id", false),
    // Triage queue
    b(M::Triage, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Triage, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(M::Triage, Key::ch('t'), Cmd::LabelTrue, "label TRUE", true),
    b(
        M::Triage,
        Key::ch('f'),
        Cmd::LabelFalse,
        "label FALSE",
        true,
    ),
    b(M::Triage, Key::ch('n'), Cmd::LabelNa, "label NA", true),
    b(M::Triage, Key::ch('e'), Cmd::Note, "add a note", true),
    b(M::Triage, Key::plain(K::Enter), Cmd::Next, "next", true),
    b(M::Triage, Key::plain(K::Right), Cmd::Next, "next", false),
    b(M::Triage, Key::plain(K::Left), Cmd::Prev, "previous", false),
    b(M::Triage, Key::ch('u'), Cmd::Undo, "undo last label", true),
    b(M::Triage, Key::ch('j'), Cmd::Down, "scroll down", false),
    b(
        M::Triage,
        Key::plain(K::Down),
        Cmd::Down,
        "scroll down",
        false,
    ),
    b(M::Triage, Key::ch('k'), Cmd::Up, "scroll up", false),
    b(M::Triage, Key::plain(K::Up), Cmd::Up, "scroll up", false),
    b(M::Triage, Key::ctrl('d'), Cmd::PageDown, "page down", false),
    b(M::Triage, Key::ctrl('u'), Cmd::PageUp, "page up", false),
    b(M::Triage, Key::ch('o'), Cmd::Open, "open the trace", false),
    b(
        M::Triage,
        Key::ch('A'),
        Cmd::Agreement,
        "agreement pane",
        true,
    ),
    b(
        M::Triage,
        Key::ch('X'),
        Cmd::JudgeCancel,
        "cancel judge run",
        false,
    ),
    b(M::Triage, Key::ch('1'), Cmd::Pick(1), "focus rule N", false),
    b(M::Triage, Key::ch('2'), Cmd::Pick(2), "focus rule N", false),
    b(M::Triage, Key::ch('3'), Cmd::Pick(3), "focus rule N", false),
    b(M::Triage, Key::ch('4'), Cmd::Pick(4), "focus rule N", false),
    b(M::Triage, Key::ch('5'), Cmd::Pick(5), "focus rule N", false),
    b(M::Triage, Key::ch('6'), Cmd::Pick(6), "focus rule N", false),
    b(M::Triage, Key::ch('7'), Cmd::Pick(7), "focus rule N", false),
    b(M::Triage, Key::ch('8'), Cmd::Pick(8), "focus rule N", false),
    b(M::Triage, Key::ch('9'), Cmd::Pick(9), "focus rule N", false),
    // Metrics
    b(M::Metrics, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Metrics, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(
        M::Metrics,
        Key::plain(K::Tab),
        Cmd::NextTab,
        "next metric",
        true,
    ),
    b(
        M::Metrics,
        Key::plain(K::BackTab),
        Cmd::PrevTab,
        "previous metric",
        false,
    ),
    b(M::Metrics, Key::ch('l'), Cmd::Next, "next bucket", false),
    b(
        M::Metrics,
        Key::plain(K::Right),
        Cmd::Next,
        "next bucket",
        false,
    ),
    b(
        M::Metrics,
        Key::ch('h'),
        Cmd::Prev,
        "previous bucket",
        false,
    ),
    b(
        M::Metrics,
        Key::plain(K::Left),
        Cmd::Prev,
        "previous bucket",
        false,
    ),
    b(M::Metrics, Key::ch('j'), Cmd::Down, "next group", false),
    b(
        M::Metrics,
        Key::plain(K::Down),
        Cmd::Down,
        "next group",
        false,
    ),
    b(M::Metrics, Key::ch('k'), Cmd::Up, "previous group", false),
    b(
        M::Metrics,
        Key::plain(K::Up),
        Cmd::Up,
        "previous group",
        false,
    ),
    b(
        M::Metrics,
        Key::ch('b'),
        Cmd::CycleBucket,
        "bucket size (hour/day/week)",
        true,
    ),
    b(
        M::Metrics,
        Key::ch('g'),
        Cmd::CycleGroup,
        "group by (none/model/tag/name/user/service)",
        true,
    ),
    b(
        M::Metrics,
        Key::plain(K::Enter),
        Cmd::Open,
        "traces in this bucket",
        true,
    ),
    b(
        M::Metrics,
        Key::ch('X'),
        Cmd::JudgeCancel,
        "cancel judge run",
        false,
    ),
    // Agreement
    b(M::Agreement, Key::ch('q'), Cmd::Back, "back", true),
    b(M::Agreement, Key::plain(K::Esc), Cmd::Back, "back", false),
    b(
        M::Agreement,
        Key::ch('j'),
        Cmd::Down,
        "next disagreement",
        false,
    ),
    b(
        M::Agreement,
        Key::plain(K::Down),
        Cmd::Down,
        "next disagreement",
        false,
    ),
    b(
        M::Agreement,
        Key::ch('k'),
        Cmd::Up,
        "previous disagreement",
        false,
    ),
    b(
        M::Agreement,
        Key::plain(K::Up),
        Cmd::Up,
        "previous disagreement",
        false,
    ),
    b(
        M::Agreement,
        Key::plain(K::Enter),
        Cmd::Open,
        "open the disagreeing trace",
        true,
    ),
    // Judge popup
    b(M::Judge, Key::plain(K::Esc), Cmd::Back, "cancel", true),
    b(M::Judge, Key::ch('q'), Cmd::Back, "cancel", false),
    b(M::Judge, Key::ch('n'), Cmd::Back, "cancel", false),
    b(
        M::Judge,
        Key::plain(K::Enter),
        Cmd::Confirm,
        "continue / run",
        true,
    ),
    b(
        M::Judge,
        Key::ch('y'),
        Cmd::Confirm,
        "continue / run",
        false,
    ),
    b(M::Judge, Key::ch(' '), Cmd::ToggleMark, "toggle rule", true),
    b(M::Judge, Key::ch('j'), Cmd::Down, "down", false),
    b(M::Judge, Key::plain(K::Down), Cmd::Down, "down", false),
    b(M::Judge, Key::ch('k'), Cmd::Up, "up", false),
    b(M::Judge, Key::plain(K::Up), Cmd::Up, "up", false),
    b(M::Judge, Key::ch('1'), Cmd::Pick(1), "toggle rule N", false),
    b(M::Judge, Key::ch('2'), Cmd::Pick(2), "toggle rule N", false),
    b(M::Judge, Key::ch('3'), Cmd::Pick(3), "toggle rule N", false),
    b(M::Judge, Key::ch('4'), Cmd::Pick(4), "toggle rule N", false),
    b(M::Judge, Key::ch('5'), Cmd::Pick(5), "toggle rule N", false),
    b(M::Judge, Key::ch('6'), Cmd::Pick(6), "toggle rule N", false),
    b(M::Judge, Key::ch('7'), Cmd::Pick(7), "toggle rule N", false),
    b(M::Judge, Key::ch('8'), Cmd::Pick(8), "toggle rule N", false),
    b(M::Judge, Key::ch('9'), Cmd::Pick(9), "toggle rule N", false),
    // Help overlay
    b(M::Help, Key::ch('q'), Cmd::Back, "close help", true),
    b(M::Help, Key::plain(K::Esc), Cmd::Back, "close help", false),
    b(M::Help, Key::ch('j'), Cmd::Down, "scroll down", false),
    b(
        M::Help,
        Key::plain(K::Down),
        Cmd::Down,
        "scroll down",
        false,
    ),
    b(M::Help, Key::ch('k'), Cmd::Up, "scroll up", false),
    b(M::Help, Key::plain(K::Up), Cmd::Up, "scroll up", false),
    // Text input
    b(
        M::Input,
        Key::plain(K::Enter),
        Cmd::InputSubmit,
        "apply",
        true,
    ),
    b(
        M::Input,
        Key::plain(K::Esc),
        Cmd::InputCancel,
        "cancel",
        true,
    ),
    b(
        M::Input,
        Key::plain(K::Backspace),
        Cmd::InputBackspace,
        "delete a character",
        false,
    ),
    b(M::Input, Key::ctrl('c'), Cmd::Quit, "quit now", false),
];

/// What a key means in a mode; typed characters in `Input` mode become text.
pub fn resolve(mode: Mode, ev: &KeyEvent) -> Option<Action> {
    let key = Key::from_event(ev);
    let find = |m: Mode| {
        BINDINGS
            .iter()
            .find(|b| b.mode == m && b.key == key)
            .map(|b| Action::Cmd(b.cmd))
    };
    if mode == Mode::Input {
        if let Some(a) = find(Mode::Input) {
            return Some(a);
        }
        return match key.code {
            KeyCode::Char(c) if !key.mods.contains(KeyModifiers::CONTROL) => {
                Some(Action::InputChar(c))
            }
            _ => None,
        };
    }
    find(mode).or_else(|| find(Mode::Global))
}

/// Footer hints for a mode: `key label` pairs from the table.
pub fn footer(mode: Mode) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = BINDINGS
        .iter()
        .filter(|b| b.mode == mode && b.footer)
        .map(|b| (b.key.label(), b.help))
        .collect();
    if mode != Mode::Input && mode != Mode::Help {
        out.extend(
            BINDINGS
                .iter()
                .filter(|b| b.mode == Mode::Global && b.footer)
                .map(|b| (b.key.label(), short(b.help))),
        );
    }
    out
}

fn short(help: &'static str) -> &'static str {
    help.split(" (").next().unwrap_or(help)
}

/// Help sections: for each mode, commands with all their keys (`j ↓`).
pub fn help_sections() -> Vec<(Mode, Vec<(String, &'static str)>)> {
    let modes = [
        Mode::Global,
        Mode::List,
        Mode::Trace,
        Mode::Span,
        Mode::Session,
        Mode::Triage,
        Mode::Metrics,
        Mode::Agreement,
        Mode::Judge,
        Mode::Input,
    ];
    modes
        .iter()
        .map(|&m| {
            let mut rows: Vec<(String, &'static str)> = Vec::new();
            let mut seen: Vec<Cmd> = Vec::new();
            // The nine number keys share one row.
            let same = |a: Cmd, b: Cmd| a == b || matches!((a, b), (Cmd::Pick(_), Cmd::Pick(_)));
            for bd in BINDINGS.iter().filter(|b| b.mode == m) {
                if seen.iter().any(|c| same(*c, bd.cmd)) {
                    continue;
                }
                seen.push(bd.cmd);
                let keys: Vec<String> = BINDINGS
                    .iter()
                    .filter(|o| o.mode == m && same(o.cmd, bd.cmd))
                    .map(|o| o.key.label())
                    .collect();
                rows.push((keys.join(" "), bd.help));
            }
            if m == Mode::Input {
                rows.push(("text".into(), "typed characters edit the line"));
            }
            (m, rows)
        })
        .collect()
}
