//! Title bar, status line (messages, import progress, input line) and footer hints.

use crate::tui::app::App;
use crate::tui::keymap;
use crate::tui::state::View;
use crate::tui::text::cell;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

pub fn split(area: Rect) -> [Rect; 4] {
    Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area)
}

pub fn title(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let crumbs: Vec<&str> = app.stack.iter().map(|v| v.label()).collect();
    let mut spans = vec![
        Span::styled(" trawl ", th.title()),
        Span::raw(format!("{} · ", cell(&app.source_label))),
        Span::styled(crumbs.join(" › "), th.accent()),
    ];
    if !app.list.filter_text.is_empty() {
        spans.push(Span::raw(format!(
            " · filter: {}",
            cell(&app.list.filter_text)
        )));
    }
    let line = Line::from(spans);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn status(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    if let Some(input) = &app.input {
        let line = Line::from(vec![
            Span::styled(input.kind.prompt(), th.key()),
            Span::raw(cell(&input.text)),
            Span::styled(" ", th.selected()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let mut spans: Vec<Span> = Vec::new();
    if let Some(r) = &app.judge_run {
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
    if let Some(p) = app.import.as_ref().filter(|p| p.following) {
        spans.push(Span::styled(
            format!(
                "⟳ following {} · {} spans  ",
                cell(&p.file),
                crate::tui::text::thousands(i64::try_from(p.spans).unwrap_or(i64::MAX))
            ),
            th.accent(),
        ));
    } else if let Some(p) = &app.import {
        spans.push(Span::styled(
            format!(
                "⟳ importing {} {} / {} · {} spans  ",
                cell(&p.file),
                crate::sanitize::human_bytes(p.bytes_read),
                crate::sanitize::human_bytes(p.bytes_total),
                crate::tui::text::thousands(i64::try_from(p.spans).unwrap_or(i64::MAX))
            ),
            th.accent(),
        ));
    }
    if let Some(s) = &app.status {
        if s.error {
            spans.push(Span::styled(format!("✗ {}", s.text), th.error()));
        } else {
            spans.push(Span::styled(s.text.clone(), th.status_line()));
        }
    }
    let l = &app.list;
    let right = match app.view() {
        View::List => {
            let pos = if l.total == 0 { 0 } else { l.selected + 1 };
            let marks = if l.marks.is_empty() {
                String::new()
            } else {
                format!("{} marked · ", l.marks.len())
            };
            format!("{marks}{pos}/{} ", l.total)
        }
        View::Trace | View::Span => app
            .trace
            .as_ref()
            .map(|t| format!("span {}/{} ", t.selected + 1, t.visible.len()))
            .unwrap_or_default(),
        View::Session => app
            .session
            .as_ref()
            .map(|s| format!("turn {}/{} ", s.selected + 1, s.traces.len()))
            .unwrap_or_default(),
        View::Triage => app
            .triage
            .as_ref()
            .map(|t| {
                format!(
                    "{}/{} · {}/{} done ",
                    (t.index + 1).min(t.items.len()),
                    t.items.len(),
                    t.done_count(),
                    t.items.len()
                )
            })
            .unwrap_or_default(),
        View::Metrics => app
            .metrics
            .as_ref()
            .map(|m| format!("by {} ", m.bucket.label()))
            .unwrap_or_default(),
        View::Agreement => app
            .agreement
            .as_ref()
            .map(|a| format!("{} disagreements ", a.rows.len()))
            .unwrap_or_default(),
    };
    let [left_area, right_area] = Layout::horizontal([
        Constraint::Min(1),
        Constraint::Length(right.chars().count() as u16),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(Paragraph::new(Span::styled(right, th.dim())), right_area);
}

pub fn footer(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let mut spans = Vec::new();
    for (i, (key, help)) in keymap::footer(app.mode()).into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", th.dim()));
        }
        spans.push(Span::styled(key, th.key()));
        spans.push(Span::raw(format!(" {help}")));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
