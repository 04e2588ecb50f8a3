//! The triage queue: one flagged response at a time with its question, answer, documents,
//! the judge's verdicts and the human labels.

use super::line_area;
use crate::display;
use crate::model::{Score, Verdict};
use crate::tui::app::App;
use crate::tui::state::{LineKind, TriageState};
use crate::tui::text::{cell, fit, short_id};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

fn verdict_text(s: &Score) -> (&'static str, &'static str) {
    match s.verdict {
        Some(Verdict::True) => ("✓", "TRUE"),
        Some(Verdict::False) => ("✗", "FALSE"),
        Some(Verdict::Na) => ("–", "NA"),
        Some(Verdict::Error) => ("!", "ERROR"),
        None => (" ", "-"),
    }
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(t) = &app.triage else { return };
    if t.loading {
        frame.render_widget(
            Paragraph::new(Span::styled("loading the flagged responses…", th.dim())),
            area,
        );
        return;
    }
    if t.items.is_empty() {
        let lines = vec![
            Line::from(Span::styled(
                "Nothing flagged: no trace has a FALSE or error verdict (in this filter).",
                th.title(),
            )),
            Line::from(""),
            Line::from(
                "Judge traces first: mark them with Space in the list (or filter), press J.",
            ),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let width = usize::from(area.width);
    let item = t.current();
    let (question, when) = match t.content.as_ref().and_then(|c| c.summary.as_ref()) {
        Some(s) => (
            s.input_preview
                .as_deref()
                .or(s.name.as_deref())
                .unwrap_or("(unnamed)")
                .to_string(),
            format!(
                "{} · {} · {}",
                crate::timefilter::short_time(s.start_ns),
                display::duration_ns(s.duration_ns),
                display::trace_cost(s.cost_usd, s.cost_known_usd, s.unknown_cost_spans)
            ),
        ),
        None => ("…".to_string(), String::new()),
    };
    let done = item.is_some_and(|i| i.done());
    let head = Line::from(vec![
        Span::styled(
            format!(
                "{} {}/{} ",
                if done { "✓" } else { "•" },
                t.index + 1,
                t.items.len()
            ),
            th.key(),
        ),
        Span::styled(cell(&question), th.title()),
    ]);
    frame.render_widget(Paragraph::new(head), line_area(area, 0));
    let id = item.map(|i| i.trace_id.as_str()).unwrap_or("");
    let flagged = item.map(|i| i.flagged.join(", ")).unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(
                &format!(
                    "trace {} · {when} · flagged: {}",
                    short_id(id),
                    cell(&flagged)
                ),
                width,
            ),
            th.dim(),
        )),
        line_area(area, 1),
    );
    let mut row: u16 = 2;
    row = rules(frame, app, t, area, row);
    if let Some(n) = &t.pending_note {
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(
                    &format!("note (saved with the next label): {}", cell(n)),
                    width,
                ),
                th.accent(),
            )),
            line_area(area, row),
        );
        row += 1;
    }
    let content = Rect {
        x: area.x,
        y: area.y + row,
        width: area.width,
        height: area.height.saturating_sub(row),
    };
    if content.height == 0 {
        return;
    }
    if t.content.is_none() {
        frame.render_widget(Paragraph::new(Span::styled("loading…", th.dim())), content);
        return;
    }
    // Only the lines from the scroll position on; wrapping happens within the area.
    let lines: Vec<Line> = t
        .lines
        .iter()
        .skip(t.scroll)
        .take(usize::from(content.height))
        .map(|l| Line::from(Span::styled(l.text.clone(), style(app, l.kind))))
        .collect();
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), content);
}

fn style(app: &App, kind: LineKind) -> Style {
    let th = &app.theme;
    match kind {
        LineKind::Heading => th.header(),
        LineKind::Role => th.key(),
        LineKind::Dim => th.dim(),
        LineKind::Error => th.error(),
        LineKind::Body | LineKind::Bar => th.base(),
    }
}

/// One line per rule (judge verdict, human label), then the focused rule's explanation.
fn rules(frame: &mut Frame, app: &App, t: &TriageState, area: Rect, mut row: u16) -> u16 {
    let th = &app.theme;
    let width = usize::from(area.width);
    for (i, r) in t.rules.iter().enumerate() {
        if row + 1 >= area.height {
            break;
        }
        let focused = i == t.focus;
        let judge = match &r.judge {
            Some(j) => {
                let (g, w) = verdict_text(j);
                format!(
                    "judge {g} {w}{}",
                    j.model
                        .as_deref()
                        .map(|m| format!(" ({})", cell(m)))
                        .unwrap_or_default()
                )
            }
            None => "judge -".into(),
        };
        let human = match &r.human {
            Some(h) => {
                let (g, w) = verdict_text(h);
                format!(
                    "human {g} {w}{}{}",
                    h.author
                        .as_deref()
                        .map(|a| format!(" by {}", cell(a)))
                        .unwrap_or_default(),
                    h.note
                        .as_deref()
                        .map(|n| format!(" · note: {}", cell(n)))
                        .unwrap_or_default()
                )
            }
            None => "human: not labelled".into(),
        };
        let text = format!(
            "{} {} {} · {judge} · {human}",
            if focused { "›" } else { " " },
            i + 1,
            fit(&cell(&r.rule), 12),
        );
        let judge_bad = r
            .judge
            .as_ref()
            .is_some_and(|j| matches!(j.verdict, Some(Verdict::False | Verdict::Error)));
        let mut line = Line::from(Span::styled(
            fit(&text, width),
            if judge_bad { th.error() } else { th.base() },
        ));
        if focused {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, row));
        row += 1;
    }
    if let Some(e) = t
        .focused_rule()
        .and_then(|r| r.judge.as_ref())
        .and_then(|j| j.explanation.as_deref())
        && row < area.height
    {
        let text = format!("  why: {}", cell(e));
        let rect = Rect {
            x: area.x,
            y: area.y + row,
            width: area.width,
            height: 2.min(area.height - row),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, th.dim())).wrap(Wrap { trim: true }),
            rect,
        );
        row += rect.height;
    }
    row
}
