//! A centred, bordered box over the pane below it (the judge popup, the judge set-up form):
//! as tall as its wrapped lines, at most `max_width` columns wide, a third of the way down.

use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

/// Draws `lines` in a box titled `title` over `area`, clearing what is under the box.
pub fn draw(
    frame: &mut Frame,
    area: Rect,
    th: &Theme,
    title: &str,
    lines: Vec<Line<'_>>,
    max_width: u16,
) {
    let w = area.width.saturating_sub(4).min(max_width);
    let paragraph = Paragraph::new(lines).wrap(Wrap { trim: false });
    // The box's height is the text's, wrapped inside the borders, plus the two borders.
    let rows = paragraph.line_count(w.saturating_sub(2).max(1));
    let h = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 3,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.border())
        .title(title);
    frame.render_widget(paragraph.block(block), rect);
}
