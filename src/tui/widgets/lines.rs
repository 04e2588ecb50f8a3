//! Precomputed text for reading panes (span detail, triage): lines with a style class, measured
//! once when built so the view scrolls by screen rows, and drawn a screenful at a time.

use super::scroll::ScrollList;
use super::search::{Search, highlight};
use super::text::{block, wrapped_rows};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};

/// Style class of a line (the theme maps it to a style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Role,
    Body,
    Dim,
    Error,
    Bar,
}

impl LineKind {
    pub fn style(self, th: &Theme) -> Style {
        match self {
            LineKind::Heading => th.header(),
            LineKind::Role => th.key(),
            LineKind::Body => th.base(),
            LineKind::Dim => th.dim(),
            LineKind::Error => th.error(),
            LineKind::Bar => th.bar(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailLine {
    pub kind: LineKind,
    pub text: String,
}

impl DetailLine {
    pub fn new(kind: LineKind, text: impl Into<String>) -> Self {
        DetailLine {
            kind,
            text: text.into(),
        }
    }
}

/// Multi-line untrusted text, indented two columns.
pub fn push_text(out: &mut Vec<DetailLine>, kind: LineKind, s: &str) {
    for line in block(s).split('\n') {
        out.push(DetailLine::new(kind, format!("  {line}")));
    }
}

/// Measures `lines` at `width` columns into `view` (call when the lines or the width change).
pub fn measure(view: &mut ScrollList, lines: &[DetailLine], width: u16) {
    view.set_rows(lines.iter().map(|l| wrapped_rows(&l.text, width)));
}

/// Draws the rows of `lines` that `view` has in view, wrapped to `area`.
pub fn draw(frame: &mut Frame, area: Rect, th: &Theme, lines: &[DetailLine], view: &ScrollList) {
    draw_searched(frame, area, th, lines, view, None);
}

/// [`draw`] with the matches of a `/` search highlighted.
pub fn draw_searched(
    frame: &mut Frame,
    area: Rect,
    th: &Theme,
    lines: &[DetailLine],
    view: &ScrollList,
    search: Option<&Search>,
) {
    let (items, skip) = view.window_of(usize::from(area.height));
    let shown: Vec<Line> = lines
        .get(items)
        .unwrap_or_default()
        .iter()
        .map(|d| {
            Line::from(highlight(
                search,
                d.text.as_str(),
                d.kind.style(th),
                th.search_hit(),
            ))
        })
        .collect();
    frame.render_widget(
        Paragraph::new(shown)
            .wrap(Wrap { trim: false })
            .scroll((u16::try_from(skip).unwrap_or(u16::MAX), 0)),
        area,
    );
}
