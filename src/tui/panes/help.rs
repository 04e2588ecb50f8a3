//! The `?` overlay: every pane's keys, generated from the key tables it is given.

use crate::tui::action::{Cmd, Effect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Pane, PaneInfo};
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::body_area;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{fit, wrapped_rows};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Help,
    label: "help",
    title: "Help",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "close help"),
    key(Key::plain(K::Esc), Cmd::Back, "close help"),
];

/// The notes under the key tables: the filter syntax, every judge setting (from the settings
/// table, so a new `TRAWL_JUDGE_*` variable shows up here by itself) and the commands.
fn notes() -> Vec<String> {
    let mut out = vec![
        // Built from the filter's own key table, so new keys show up here by themselves.
        crate::filter::syntax_line(),
        String::new(),
        "Judge (J) settings: environment variable (config.toml key) — what it is; unset ones default as in trawl judge. With no API key J opens a set-up form."
            .to_string(),
    ];
    out.extend(
        crate::config::SETTINGS
            .iter()
            .filter(|s| s.key.starts_with("judge."))
            .map(|s| format!("  {} ({}) — {}", s.env, s.key, s.help)),
    );
    out.push(String::new());
    out.push("Commands: :triage :metrics :agreement :judge".to_string());
    out
}

/// A help section: its title and `(keys, what they do)` rows.
pub type Section = (&'static str, Vec<(String, &'static str)>);

#[derive(Debug, Clone)]
pub struct HelpPane {
    sections: Vec<Section>,
    notes: Vec<String>,
    view: ScrollList,
    /// Screen rows of the whole text at the current width (for "rows 1–20 of 140").
    total_rows: usize,
}

/// One line of the overlay, before styling.
enum Row<'a> {
    Title(&'a str),
    Key(String, &'a str),
    Blank,
    Note(&'a str),
}

impl HelpPane {
    pub fn new(sections: Vec<Section>, size: (u16, u16)) -> HelpPane {
        let mut p = HelpPane {
            sections,
            notes: notes(),
            view: ScrollList::document(),
            total_rows: 0,
        };
        p.measure(size);
        p
    }

    fn rows(&self) -> Vec<Row<'_>> {
        let mut out = Vec::new();
        for (title, keys) in &self.sections {
            out.push(Row::Title(title));
            for (k, help) in keys {
                out.push(Row::Key(format!("  {}", fit(k, 16)), help));
            }
            out.push(Row::Blank);
        }
        out.extend(self.notes.iter().map(|n| Row::Note(n)));
        out
    }

    fn measure(&mut self, size: (u16, u16)) {
        let inner = inner(frame_rect(body_area(size)));
        let heights: Vec<usize> = self
            .rows()
            .iter()
            .map(|r| match r {
                Row::Title(t) | Row::Note(t) => wrapped_rows(t, inner.width),
                Row::Key(k, h) => wrapped_rows(&format!("{k}{h}"), inner.width),
                Row::Blank => 1,
            })
            .collect();
        self.total_rows = heights.iter().sum();
        self.view.set_rows(heights);
        self.view.set_viewport(usize::from(inner.height));
    }
}

/// The overlay's box: centred, at most 90 columns.
fn frame_rect(area: Rect) -> Rect {
    let w = area.width.saturating_sub(4).min(90);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: area.height,
    }
}

fn inner(rect: Rect) -> Rect {
    Block::default().borders(Borders::ALL).inner(rect)
}

impl Pane for HelpPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        match Motion::of(c) {
            Some(m) => self.view.apply(m),
            None if c == Cmd::Back => cx.back(),
            None => {}
        }
        Vec::new()
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.measure(cx.size);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        let rect = frame_rect(area);
        frame.render_widget(Clear, rect);
        let rows = self.rows();
        let (items, skip) = self.view.window_of(usize::from(inner(rect).height));
        let visible: Vec<Line> = rows
            .get(items)
            .unwrap_or_default()
            .iter()
            .map(|r| match r {
                Row::Title(t) => Line::from(Span::styled(t.to_string(), th.header())),
                Row::Key(k, h) => Line::from(vec![
                    Span::styled(k.clone(), th.key()),
                    Span::raw(h.to_string()),
                ]),
                Row::Blank => Line::from(""),
                Row::Note(n) => Line::from(Span::styled(n.to_string(), th.dim())),
            })
            .collect();
        // Where the view is, so it is plain that there is more below (or above).
        let shown = usize::from(inner(rect).height);
        let first = self.view.offset() + 1;
        let last = (self.view.offset() + shown).min(self.total_rows);
        let title = if self.total_rows > shown {
            let long = format!(
                " Keys · rows {first}–{last} of {} · j/k G scroll · q closes ",
                self.total_rows
            );
            if long.chars().count() + 2 <= usize::from(rect.width) {
                long
            } else {
                format!(" Keys {first}–{last}/{} ", self.total_rows)
            }
        } else {
            " Keys · q or ? closes ".to_string()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(th.border())
            .title(title);
        frame.render_widget(
            Paragraph::new(visible)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((u16::try_from(skip).unwrap_or(u16::MAX), 0)),
            rect,
        );
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
