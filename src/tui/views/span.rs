//! Span detail: a header, the tab bar, and the precomputed lines of the current tab, wrapped
//! and scrolled.

use super::line_area;
use crate::display;
use crate::tui::app::App;
use crate::tui::state::{LineKind, Tab};
use crate::tui::text::cell;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(t) = &app.trace else { return };
    let Some(s) = t.selected_span() else { return };
    let mut l1 = vec![
        Span::styled(format!("{} ", s.kind.short()), th.key()),
        Span::styled(cell(&s.name), th.title()),
    ];
    if s.is_error() {
        l1.push(Span::styled("  ✗ error", th.error()));
    }
    frame.render_widget(Paragraph::new(Line::from(l1)), line_area(area, 0));
    let tokens = s
        .usage
        .as_ref()
        .and_then(|u| u.total_or_sum())
        .map(|n| format!(" · {} tokens", display::tokens(n)))
        .unwrap_or_default();
    let cost = s
        .cost
        .as_ref()
        .map(|c| format!(" · {}", display::cost(c.total)))
        .unwrap_or_default();
    let l2 = format!(
        "{}{}{tokens}{cost} · +{} from trace start",
        s.duration_ns()
            .map(display::duration_ns)
            .unwrap_or_else(|| "?".into()),
        s.model
            .as_deref()
            .map(|m| format!(" · {}", cell(m)))
            .unwrap_or_default(),
        display::duration_ns((s.start_ns - t.t0).max(0)),
    );
    frame.render_widget(
        Paragraph::new(Span::styled(l2, th.dim())),
        line_area(area, 1),
    );
    let mut tabs = Vec::new();
    for tab in Tab::ALL {
        let (style, text) = if tab == t.tab {
            (th.selected(), format!("[{}]", tab.label()))
        } else {
            (th.dim(), format!(" {} ", tab.label()))
        };
        tabs.push(Span::styled(text, style));
        tabs.push(Span::raw(" "));
    }
    tabs.push(Span::styled("(Tab switches)", th.dim()));
    frame.render_widget(Paragraph::new(Line::from(tabs)), line_area(area, 2));

    let body = Rect {
        y: area.y + 3,
        height: area.height.saturating_sub(3),
        ..area
    };
    // Only the lines from the scroll position down to one screenful are laid out.
    let lines: Vec<Line> = t
        .detail
        .iter()
        .skip(t.detail_scroll)
        .take(usize::from(body.height))
        .map(|d| {
            let style = match d.kind {
                LineKind::Heading => th.header(),
                LineKind::Role => th.key(),
                LineKind::Body => th.base(),
                LineKind::Dim => th.dim(),
                LineKind::Error => th.error(),
                LineKind::Bar => th.bar(),
            };
            Line::from(Span::styled(d.text.as_str(), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
}
