//! What a pane draws while it has nothing to show (loading, failed, empty), and the rows of
//! its cursor list: the same few lines in every list-like pane (replays, agreement, the replay
//! and trace-diff views).

use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::text::{cell, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// `text` in `style` at the top of `area`, in place of the pane's content.
pub fn draw(frame: &mut Frame, area: Rect, text: &str, style: Style) {
    frame.render_widget(Paragraph::new(Span::styled(text, style)), area);
}

/// A pane whose content is being fetched: why the fetch failed, or `waiting` until it ends.
pub fn pending(frame: &mut Frame, area: Rect, th: &Theme, error: Option<&str>, waiting: &str) {
    match error {
        Some(e) => draw(frame, area, &cell(e), th.error()),
        None => draw(frame, area, waiting, th.dim()),
    }
}

/// Row `row` of a cursor list: `text` cut to the width, highlighted when it is the selected row.
pub fn list_row(frame: &mut Frame, area: Rect, th: &Theme, row: u16, text: &str, selected: bool) {
    let mut line = Line::from(fit(text, usize::from(area.width)));
    if selected {
        line = line.style(th.selected());
    }
    frame.render_widget(Paragraph::new(line), line_area(area, row));
}
