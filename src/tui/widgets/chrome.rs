//! The frame around the panes: title bar, status line (message, background work, input line)
//! and footer hints, plus the layout every pane's viewport is measured from.

use super::text::{cell, thousands};
use crate::tui::action::ImportStatus;
use crate::tui::status::{Input, JudgeRun, Status};
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

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

/// ` trawl source · traces › trace · filter: …`, and on the right the FALSE-rate sparklines
/// (`trends`; pass none where they do not belong) when they fit.
pub fn title(
    frame: &mut Frame,
    area: Rect,
    th: &Theme,
    source: &str,
    crumbs: &[&str],
    filter_text: &str,
    trends: &[crate::metrics::RuleTrend],
) {
    let mut spans = vec![
        Span::styled(" trawl ", th.title()),
        Span::raw(format!("{} · ", cell(source))),
        Span::styled(crumbs.join(" › "), th.accent()),
    ];
    if !filter_text.is_empty() {
        let used: usize = spans.iter().map(|s| s.content.width()).sum();
        let room = usize::from(area.width).saturating_sub(used + " · filter: ".width());
        spans.push(Span::raw(format!(
            " · filter: {}",
            whole_terms(&cell(filter_text), room)
        )));
    }
    let left: usize = spans.iter().map(|s| s.content.width()).sum();
    let room = usize::from(area.width).saturating_sub(left + 2);
    let right = super::sparkline::spans(trends, room, th);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
    if !right.is_empty() {
        let w: usize = right.iter().map(|s| s.content.width()).sum();
        let w = u16::try_from(w).unwrap_or(u16::MAX);
        frame.render_widget(Paragraph::new(Line::from(right)), rect_right(area, w));
    }
}

/// As many whole terms of `filter` as fit `width` columns, then `+N more`: a filter is never
/// cut inside a term (the filter line, `f`, shows it whole).
pub fn whole_terms(filter: &str, width: usize) -> String {
    if filter.width() <= width {
        return filter.to_string();
    }
    let terms = terms_of(filter);
    for keep in (0..terms.len()).rev() {
        let more = format!("+{} more", terms.len() - keep);
        let shown = terms[..keep].join(" ");
        let text = if shown.is_empty() {
            more
        } else {
            format!("{shown} {more}")
        };
        if text.width() <= width {
            return text;
        }
    }
    String::new()
}

/// The terms of a filter: split at blanks outside double quotes.
fn terms_of(filter: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in filter.chars() {
        if c == '"' {
            quoted = !quoted;
        }
        if c.is_whitespace() && !quoted {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
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

/// The status line's text (before the position counter): input line aside, background work
/// then the message.
fn status_spans<'a>(th: &Theme, bar: &StatusBar) -> Vec<Span<'a>> {
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
            spans.push(Span::styled(format!("✗ {}", cell(&s.text)), th.error()));
        } else {
            spans.push(Span::styled(cell(&s.text), th.status_line()));
        }
    }
    spans
}

/// Columns the position counter takes, with one blank column before it so status text never
/// runs into it.
fn counter_width(position: &str) -> u16 {
    let w = position.width();
    if w == 0 {
        0
    } else {
        u16::try_from(w + 1).unwrap_or(u16::MAX)
    }
}

/// Whether the status line needs the footer row too: its text is wider than the room left of
/// the position counter.
pub fn status_overflows(width: u16, bar: &StatusBar) -> bool {
    if bar.input.is_some() {
        return false;
    }
    let text: usize = status_spans(&Theme::mono(), bar)
        .iter()
        .map(|s| s.content.width())
        .sum();
    text > usize::from(width.saturating_sub(counter_width(&bar.position)))
}

/// The status and footer rows. A message too long for the status line wraps onto the footer
/// row (the footer then keeps only `? help`) and, if it needs more, over the last rows of the
/// pane until the message goes, so no error is ever cut.
pub fn bottom(
    frame: &mut Frame,
    status_area: Rect,
    footer_area: Rect,
    th: &Theme,
    bar: &StatusBar,
    hints: Vec<(String, &'static str)>,
) {
    if !status_overflows(status_area.width, bar) {
        status(frame, status_area, th, bar);
        footer(frame, footer_area, th, hints);
        return;
    }
    let help: Vec<(String, &'static str)> = hints.into_iter().filter(|(k, _)| k == "?").collect();
    let help_w = hints_width(&help) as u16;
    let right_w = counter_width(&bar.position).max(help_w + 1);
    let text = Paragraph::new(Line::from(status_spans(th, bar))).wrap(Wrap { trim: true });
    let rows = u16::try_from(text.line_count(status_area.width.saturating_sub(right_w).max(1)))
        .unwrap_or(u16::MAX);
    // Two rows are the status and footer rows; more come from above (the title row stays).
    let above = rows.saturating_sub(2).min(status_area.y.saturating_sub(1));
    let both = Rect {
        y: status_area.y - above,
        height: status_area.height + footer_area.height + above,
        ..status_area
    };
    let [text_area, right] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(right_w)]).areas(both);
    frame.render_widget(ratatui::widgets::Clear, both);
    frame.render_widget(text, text_area);
    let right = Rect {
        y: status_area.y,
        height: 2,
        ..right
    };
    frame.render_widget(
        Paragraph::new(Span::styled(bar.position.as_str(), th.dim())).alignment(Alignment::Right),
        line_area(right, 0),
    );
    footer(frame, rect_right(line_area(right, 1), help_w), th, help);
}

fn rect_right(area: Rect, w: u16) -> Rect {
    let w = w.min(area.width);
    Rect {
        x: area.x + area.width - w,
        width: w,
        ..area
    }
}

pub fn status(frame: &mut Frame, area: Rect, th: &Theme, bar: &StatusBar) {
    if let Some(input) = bar.input {
        // The end of a long input stays in view: that is where the cursor is.
        let prompt = input.kind.prompt();
        let room = usize::from(area.width)
            .saturating_sub(prompt.width() + 1)
            .max(1);
        let text = cell(&input.text);
        let shown = if text.width() > room {
            let tail: String = {
                let mut out: Vec<char> = Vec::new();
                let mut used = 0;
                for c in text.chars().rev() {
                    let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    if used + cw > room - 1 {
                        break;
                    }
                    used += cw;
                    out.push(c);
                }
                out.into_iter().rev().collect()
            };
            format!("…{tail}")
        } else {
            text
        };
        let line = Line::from(vec![
            Span::styled(prompt, th.key()),
            Span::raw(shown),
            Span::styled(" ", th.selected()),
        ]);
        frame.render_widget(Paragraph::new(line), area);
        return;
    }
    let right = &bar.position;
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Min(1), Constraint::Length(counter_width(right))])
            .areas(area);
    frame.render_widget(Paragraph::new(Line::from(status_spans(th, bar))), left_area);
    frame.render_widget(
        Paragraph::new(Span::styled(right.as_str(), th.dim())).alignment(Alignment::Right),
        right_area,
    );
}

/// Width of hints drawn as `key label · key label`.
fn hints_width(hints: &[(String, &str)]) -> usize {
    let items: usize = hints.iter().map(|(k, h)| k.width() + 1 + h.width()).sum();
    items + 3 * hints.len().saturating_sub(1)
}

/// `help (the details)` → `help`.
fn short_help(help: &str) -> &str {
    help.split(" (").next().unwrap_or(help)
}

/// The hints that fit `width` columns, in their order: `? help` always; labels lose their
/// parenthesised details before any key is dropped, and keys are dropped from the end.
pub fn fit_hints(hints: Vec<(String, &'static str)>, width: usize) -> Vec<(String, &'static str)> {
    if hints_width(&hints) <= width {
        return hints;
    }
    let short: Vec<(String, &'static str)> =
        hints.into_iter().map(|(k, h)| (k, short_help(h))).collect();
    let is_help = |k: &str| k == "?";
    let mut kept: Vec<(String, &'static str)> =
        short.iter().filter(|(k, _)| is_help(k)).cloned().collect();
    for (i, hint) in short.iter().enumerate() {
        if is_help(&hint.0) {
            continue;
        }
        let mut trial = kept.clone();
        // Keep the original order: insert before the help hint when it came first.
        let at = trial
            .iter()
            .position(|(k, _)| {
                let j = short.iter().position(|(x, _)| x == k).unwrap_or(usize::MAX);
                j > i
            })
            .unwrap_or(trial.len());
        trial.insert(at, hint.clone());
        if hints_width(&trial) <= width {
            kept = trial;
        }
    }
    kept
}

/// `key label · key label …`, as many as fit, `? help` always among them.
pub fn footer(frame: &mut Frame, area: Rect, th: &Theme, hints: Vec<(String, &'static str)>) {
    let mut spans = Vec::new();
    for (i, (key, help)) in fit_hints(hints, usize::from(area.width))
        .into_iter()
        .enumerate()
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hints() -> Vec<(String, &'static str)> {
        vec![
            ("q".into(), "back"),
            ("Tab".into(), "next metric"),
            ("b".into(), "bucket size (hour/day/week)"),
            ("g".into(), "group by (none/model/tag/name/user/service)"),
            ("Enter".into(), "traces in this bucket"),
            ("?".into(), "help"),
            (":".into(), "command"),
        ]
    }

    #[test]
    fn hints_fit_and_always_keep_help() {
        for width in [10, 20, 40, 60, 80, 100, 200] {
            let kept = fit_hints(hints(), width);
            assert!(kept.iter().any(|(k, _)| k == "?"), "{width}: {kept:?}");
            if width >= 20 {
                assert!(hints_width(&kept) <= width, "{width}: {kept:?}");
            }
            // The order is the table's.
            let order: Vec<usize> = kept
                .iter()
                .map(|(k, _)| hints().iter().position(|(x, _)| x == k).unwrap_or(99))
                .collect();
            assert!(order.windows(2).all(|w| w[0] < w[1]), "{width}: {kept:?}");
        }
        // With room, everything and the details; with less, details go before keys.
        assert_eq!(fit_hints(hints(), 200), hints());
        let at80 = fit_hints(hints(), 80);
        assert!(at80.contains(&("b".to_string(), "bucket size")), "{at80:?}");
    }

    #[test]
    fn a_long_filter_keeps_whole_terms() {
        let f = "on:tuesday model:gpt-4o status:error \"refund policy\"";
        assert_eq!(whole_terms(f, 100), f);
        assert_eq!(whole_terms(f, 31), "on:tuesday model:gpt-4o +2 more");
        assert_eq!(whole_terms(f, 30), "on:tuesday +3 more");
        assert_eq!(whole_terms(f, 8), "+4 more");
        assert_eq!(whole_terms(f, 3), "");
    }
}
