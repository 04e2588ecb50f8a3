//! Drawing the triage queue: header, rule list with the focused rule's explanation, the
//! pending note, then the question, answer and staged passages.

use super::TriagePane;
use crate::display;
use crate::model::Score;
use crate::model::Verdict;
use crate::tui::action::TriageContent;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::evidence::{self as ev, MarkedLine};
use crate::tui::widgets::lines::{self, DetailLine, LineKind as L};
use crate::tui::widgets::text::{cell, fit, short_id, trace_title, verdict_glyph, verdict_word};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

pub(super) fn verdict_text(s: &Score) -> (&'static str, &'static str) {
    s.verdict
        .map(|v| (verdict_glyph(v), verdict_word(v)))
        .unwrap_or((" ", "-"))
}

/// Rows of the rule list: one per rule while they fit (the last row is kept for the text).
pub(super) fn rule_rows(t: &TriagePane, area: Rect) -> u16 {
    let fit = usize::from(area.height.saturating_sub(3));
    u16::try_from(t.rules.len().min(fit)).unwrap_or(0)
}

/// The focused rule's explanation, when there is one.
pub(super) fn explanation(t: &TriagePane) -> Option<&str> {
    t.focused_rule()
        .and_then(|r| r.judge.as_ref())
        .and_then(|j| j.explanation.as_deref())
}

/// Where the question, answer and documents go: below the header, the rules, the focused
/// rule's explanation and the pending note.
pub(super) fn content_rect(t: &TriagePane, area: Rect) -> Rect {
    let mut row = 2 + rule_rows(t, area);
    if explanation(t).is_some() && row < area.height {
        row += 2.min(area.height - row);
    }
    if t.pending_note.is_some() {
        row += 1;
    }
    Rect {
        x: area.x,
        y: area.y + row.min(area.height),
        width: area.width,
        height: area.height.saturating_sub(row),
    }
}

pub(super) fn draw(t: &TriagePane, frame: &mut Frame, area: Rect, th: &Theme) {
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
            trace_title(s).to_string(),
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
    let row = rules(frame, t, area, th);
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
    }
    let content = content_rect(t, area);
    if content.height == 0 {
        return;
    }
    if t.content.is_none() {
        frame.render_widget(Paragraph::new(Span::styled("loading…", th.dim())), content);
        return;
    }
    lines::draw(frame, content, th, &t.lines, &t.view);
}

/// One line per rule (judge verdict, human label), then the focused rule's explanation;
/// returns the next free row.
pub(super) fn rules(frame: &mut Frame, t: &TriagePane, area: Rect, th: &Theme) -> u16 {
    let width = usize::from(area.width);
    let mut row: u16 = 2;
    for (i, r) in t
        .rules
        .iter()
        .enumerate()
        .take(usize::from(rule_rows(t, area)))
    {
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
    if let Some(e) = explanation(t)
        && row < area.height
    {
        let rect = Rect {
            x: area.x,
            y: area.y + row,
            width: area.width,
            height: 2.min(area.height - row),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!("  why: {}", cell(e)), th.dim()))
                .wrap(Wrap { trim: true }),
            rect,
        );
        row += rect.height;
    }
    row
}

/// A triaged response as reading text: its question, answer and the passages behind it,
/// staged and deduplicated, those in the prompt first.
pub(super) fn response(c: &TriageContent) -> Vec<DetailLine> {
    let mut out = vec![MarkedLine::new(L::Heading, "── question ──")];
    match &c.question {
        Some(q) => ev::text(&mut out, L::Body, q, &[]),
        None => out.push(MarkedLine::new(L::Dim, "  (no user message found)")),
    }
    out.push(MarkedLine::new(L::Heading, "── answer ──"));
    match &c.answer {
        Some(a) => ev::text(&mut out, L::Body, a, &[]),
        None => out.push(MarkedLine::new(L::Dim, "  (no answer found)")),
    }
    ev::passages(&mut out, &c.evidence);
    out.iter().map(MarkedLine::plain).collect()
}
