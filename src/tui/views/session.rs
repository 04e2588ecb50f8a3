//! A session as one conversation: each turn's question and answer, newest at the bottom.

use super::line_area;
use crate::display;
use crate::model::Trace;
use crate::tui::app::App;
use crate::tui::text::{cell, short_id, wrap};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

const Q_LINES: usize = 3;
const A_LINES: usize = 5;

fn turn_lines(app: &App, i: usize, t: &Trace, width: usize, selected: bool) -> Vec<Line<'static>> {
    let th = &app.theme;
    let head_style = if selected { th.selected() } else { th.header() };
    let mut out = vec![Line::from(Span::styled(
        format!(
            "{}Turn {} · {} · {} · {}{} · {}",
            if selected { "› " } else { "  " },
            i + 1,
            crate::timefilter::short_time(t.start_ns),
            display::duration_ns(t.duration_ns),
            display::trace_cost(t.cost_usd, t.cost_known_usd, t.unknown_cost_spans),
            if t.error { " · ✗ error" } else { "" },
            short_id(&t.trace_id)
        ),
        head_style,
    ))];
    let mut part = |label: &str, text: Option<&str>, max: usize, style: Style| {
        let text = text.map(cell).unwrap_or_else(|| "(none recorded)".into());
        let lines = wrap(&text, width.saturating_sub(8).max(10));
        let n = lines.len();
        for (k, l) in lines.into_iter().take(max).enumerate() {
            let prefix = if k == 0 {
                format!("    {label} ")
            } else {
                "       ".into()
            };
            let more = if k + 1 == max && n > max { " …" } else { "" };
            out.push(Line::from(vec![
                Span::styled(prefix, style),
                Span::raw(format!("{l}{more}")),
            ]));
        }
    };
    part("Q:", t.input_preview.as_deref(), Q_LINES, th.role("user"));
    part(
        "A:",
        t.output_preview.as_deref(),
        A_LINES,
        th.role("assistant"),
    );
    out.push(Line::from(""));
    out
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(s) = &app.session else { return };
    let title = format!(
        "Session {} · {} turns{}",
        cell(&s.session_id),
        s.traces.len(),
        if s.loading { " · loading…" } else { "" }
    );
    frame.render_widget(
        Paragraph::new(Span::styled(title, th.title())),
        line_area(area, 0),
    );
    let body_h = usize::from(area.height.saturating_sub(1));
    let width = usize::from(area.width);
    // Walk back from the selected turn until the screen is full, so it is always visible.
    let mut first = s.selected.min(s.traces.len().saturating_sub(1));
    let mut used = 0;
    while let Some(t) = s.traces.get(first) {
        let h = turn_lines(app, first, t, width, false).len();
        if used + h > body_h && first != s.selected {
            first += 1;
            break;
        }
        used += h;
        if first == 0 {
            break;
        }
        first -= 1;
    }
    let mut lines: Vec<Line> = Vec::new();
    for (i, t) in s.traces.iter().enumerate().skip(first) {
        if lines.len() >= body_h {
            break;
        }
        lines.extend(turn_lines(app, i, t, width, i == s.selected));
    }
    lines.truncate(body_h);
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(1),
        ..area
    };
    frame.render_widget(Paragraph::new(lines), body);
}
