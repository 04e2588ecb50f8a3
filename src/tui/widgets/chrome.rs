//! The frame around the panes: title bar, status line (message, background work, input line)
//! and footer hints, plus the layout every pane's viewport is measured from.

use super::text::{cell, thousands};
use crate::tui::action::ImportStatus;
use crate::tui::status::{Input, JudgeRun, Status};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Title, body, status and footer rows.
pub fn split(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

/// The body (where panes draw) of a terminal of `size`: what `update` measures viewports by.
pub fn body_area(size: (u16, u16)) -> Rect {
    split(Rect::new(0, 0, size.0, size.1))[1]
}

/// Row `row` of `area`, one line high (empty below the area).
pub fn line_area(area: Rect, row: u16) -> Rect {
    Rect {
        x: area.x,
        y: area.y + row,
        width: area.width,
        height: 1.min(area.height.saturating_sub(row)),
    }
}

/// ` trawl source · traces › trace · filter: …`
pub fn title(
    frame: &mut Frame,
    area: Rect,
    th: &Theme,
    source: &str,
    crumbs: &[&str],
    filter_text: &str,
) {
    let mut spans = vec![
        Span::styled(" trawl ", th.title()),
        Span::raw(format!("{} · ", cell(source))),
        Span::styled(crumbs.join(" › "), th.accent()),
    ];
    if !filter_text.is_empty() {
        spans.push(Span::raw(format!(" · filter: {}", cell(filter_text))));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Everything the status line shows.
pub struct StatusBar<'a> {
    pub input: Option<&'a Input>,
    pub judge_run: Option<&'a JudgeRun>,
    pub import: Option<&'a ImportStatus>,
    pub status: Option<&'a Status>,
    /// The focused pane's position ("span 3/9").
    pub position: String,
}

pub fn status(frame: &mut Frame, area: Rect, th: &Theme, bar: &StatusBar) {
    if let Some(input) = bar.input {
        let line = Line::from(vec![
            Span::styled(input.kind.prompt(), th.key()),
            Span::raw(cell(&input.text)),
            Span::styled(" ", th.selected()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut spans: Vec<Span> = Vec::new();
    if let Some(r) = bar.judge_run {
        let cost = r
            .cost_so_far()
            .map(|c| format!(" · ≈{}", crate::display::cost_value(c)))
            .unwrap_or_default();
        let state = r
            .paused
            .as_deref()
            .map(|p| format!(" · {}", cell(p)))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!(
                "⟳ judging {}/{}{cost}{state} (X cancels)  ",
                r.done, r.total
            ),
            th.accent(),
        ));
    }
    let count = |n: u64| thousands(i64::try_from(n).unwrap_or(i64::MAX));
    if let Some(p) = bar.import.filter(|p| p.following) {
        spans.push(Span::styled(
            format!("⟳ following {} · {} spans  ", cell(&p.file), count(p.spans)),
            th.accent(),
        ));
    } else if let Some(p) = bar.import {
        spans.push(Span::styled(
            format!(
                "⟳ importing {} {} / {} · {} spans  ",
                cell(&p.file),
                crate::sanitize::human_bytes(p.bytes_read),
                crate::sanitize::human_bytes(p.bytes_total),
                count(p.spans)
            ),
            th.accent(),
        ));
    }
    if let Some(s) = bar.status {
        if s.error {
            spans.push(Span::styled(format!("✗ {}", s.text), th.error()));
        } else {
            spans.push(Span::styled(s.text.clone(), th.status_line()));
        }
    }
    let right = &bar.position;
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(1),
        Constraint::Length(right.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(
        Paragraph::new(Span::styled(right.as_str(), th.dim())),
        right_area,
    );
}

/// `key label · key label …`
pub fn footer(frame: &mut Frame, area: Rect, th: &Theme, hints: Vec<(String, &'static str)>) {
    let mut spans = Vec::new();
    for (i, (key, help)) in hints.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", th.dim()));
        }
        spans.push(Span::styled(key, th.key()));
        spans.push(Span::raw(format!(" {help}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// What an empty store shows: how to get traces in.
pub fn getting_started(frame: &mut Frame, area: Rect, th: &Theme) {
    let lines = vec![
        Line::from(""),
        Line::from(Span::styled(
            "  Welcome to trawl — no traces here yet.",
            th.title(),
        )),
        Line::from(""),
        Line::from(
            "  Open a trace dump (OTLP/JSON lines: OpenInference, OTel GenAI, OpenLLMetry):",
        ),
        Line::from(Span::styled("      trawl traces.otlp.jsonl", th.key())),
        Line::from("  It is imported in the background into a cache; reopening it is instant."),
        Line::from(""),
        Line::from("  Or import into your default store once and browse it later:"),
        Line::from(Span::styled(
            "      trawl import traces.otlp.jsonl",
            th.key(),
        )),
        Line::from(Span::styled("      trawl", th.key())),
        Line::from(""),
        Line::from("  Try the demo:  trawl assets/demo/support-bot.otlp.jsonl"),
        Line::from("  Press ? for keys, q to quit."),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}
