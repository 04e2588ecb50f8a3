//! The `?` overlay, generated from the keymap table.

use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::text::fit;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

pub fn lines(app: &App) -> Vec<Line<'static>> {
    let th = &app.theme;
    let mut out = Vec::new();
    for (mode, rows) in keymap::help_sections() {
        out.push(Line::from(Span::styled(
            mode.title().to_string(),
            th.header(),
        )));
        for (keys, help) in rows {
            out.push(Line::from(vec![
                Span::styled(format!("  {}", fit(&keys, 16)), th.key()),
                Span::raw(help.to_string()),
            ]));
        }
        out.push(Line::from(""));
    }
    out.push(Line::from(Span::styled(
        "Filter syntax: on:tuesday since:7d until:2026-11-10 user:U session:S model:M tag:T name:N status:error verdict:RULE=false \"phrase\" words",
        th.dim(),
    )));
    out.push(Line::from(Span::styled(
        "Judge (J): TRAWL_JUDGE_PROVIDER (openai|anthropic), TRAWL_JUDGE_MODEL, TRAWL_JUDGE_BASE_URL, TRAWL_JUDGE_API_KEY_ENV; unset ones default as in trawl judge",
        th.dim(),
    )));
    out.push(Line::from(Span::styled(
        "Commands: :triage :metrics :agreement :judge",
        th.dim(),
    )));
    out
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let w = area.width.saturating_sub(4).min(90);
    let h = area.height;
    let rect = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let all = lines(app);
    let inner_h = usize::from(h.saturating_sub(2));
    let max_scroll = all.len().saturating_sub(inner_h);
    let scroll = app.help_scroll.min(max_scroll);
    let visible: Vec<Line> = all.into_iter().skip(scroll).take(inner_h).collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border())
        .title(" Keys (j/k scroll, q or ? closes) ");
    frame.render_widget(
        Paragraph::new(visible)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        rect,
    );
}
