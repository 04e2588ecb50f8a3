//! Trace detail: header with totals and verdicts, then the span tree beside a waterfall (or a
//! duration column below 100 columns). Only visible rows are drawn.

use super::line_area;
use crate::display;
use crate::model::{Span as ModelSpan, SpanKind, Verdict};
use crate::tui::app::App;
use crate::tui::state::TraceState;
use crate::tui::text::{cell, fit, rfit, thousands};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Below this width the waterfall gives way to a duration column.
pub const WATERFALL_MIN_WIDTH: u16 = 100;
const DUR: usize = 8;
const COST: usize = 9;
const MAX_INDENT: usize = 16;

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(t) = &app.trace else { return };
    if t.loading {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("loading trace {}…", cell(&t.trace_id)),
                th.dim(),
            )),
            area,
        );
        return;
    }
    header(frame, app, t, area);
    let wide = area.width >= WATERFALL_MIN_WIDTH;
    let width = usize::from(area.width);
    let tree_w = if wide {
        (width * 45 / 100).max(30)
    } else {
        width.saturating_sub(DUR + COST + 2)
    };
    let head = if wide {
        format!("{} {} timeline", fit("span", tree_w), rfit("dur", DUR))
    } else {
        format!(
            "{} {} {}",
            fit("span", tree_w),
            rfit("dur", DUR),
            rfit("cost", COST)
        )
    };
    frame.render_widget(
        Paragraph::new(Span::styled(head, th.header())),
        line_area(area, 3),
    );
    let bar_w = width.saturating_sub(tree_w + DUR + 2);
    let rows = area.height.saturating_sub(4);
    for r in 0..rows {
        let vi = t.scroll + usize::from(r);
        let Some(&pos) = t.visible.get(vi) else { break };
        let (Some(node), Some(s)) = (t.tree.nodes.get(pos), t.span_at(pos)) else {
            continue;
        };
        let indent = "  ".repeat(node.depth.min(MAX_INDENT));
        let glyph = if node.children.is_empty() {
            "  "
        } else if t.collapsed.contains(&pos) {
            "▸ "
        } else {
            "▾ "
        };
        let mut label = format!(
            "{indent}{glyph}{}{} ",
            if s.is_error() { "✗ " } else { "" },
            s.kind.short()
        );
        if node.missing_parent {
            label.push_str("⚠ ");
        }
        label.push_str(&cell(&s.name));
        if let Some(m) = s.model.as_deref().filter(|_| s.kind == SpanKind::Llm) {
            label.push_str(&format!(" ({})", cell(m)));
        }
        let dur = s
            .duration_ns()
            .map(display::duration_ns)
            .unwrap_or_else(|| "?".into());
        let name_style = if s.is_error() { th.error() } else { th.base() };
        let mut spans = vec![
            Span::styled(fit(&label, tree_w), name_style),
            Span::raw(format!(" {}", rfit(&dur, DUR))),
        ];
        if wide {
            let style = if s.kind == SpanKind::Llm {
                th.llm_bar()
            } else {
                th.bar()
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(bar(t, s, bar_w), style));
        } else {
            let c = s.cost.as_ref().and_then(|c| c.total);
            let c = if s.cost.is_some() {
                display::cost(c)
            } else {
                String::new()
            };
            spans.push(Span::raw(format!(" {}", rfit(&c, COST))));
        }
        let mut line = Line::from(spans);
        if vi == t.selected {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, 4 + r));
    }
}

/// The span's place on the trace's time axis, `w` cells wide.
pub fn bar(t: &TraceState, s: &ModelSpan, w: usize) -> String {
    if w == 0 {
        return String::new();
    }
    let total = (t.t1 - t.t0).max(1) as f64;
    let start = ((s.start_ns - t.t0).max(0) as f64 / total * w as f64).floor() as usize;
    let start = start.min(w - 1);
    let len = s.duration_ns().unwrap_or(0) as f64 / total * w as f64;
    let len = (len.round() as usize).clamp(1, w - start);
    let mut out = String::with_capacity(w * 3);
    out.extend(std::iter::repeat_n(' ', start));
    out.extend(std::iter::repeat_n(
        if s.is_error() { '▒' } else { '█' },
        len,
    ));
    out.extend(std::iter::repeat_n(' ', w - start - len));
    out
}

fn header(frame: &mut Frame, app: &App, t: &TraceState, area: Rect) {
    let th = &app.theme;
    let (name, line2) = match &t.summary {
        Some(s) => (
            s.input_preview
                .as_deref()
                .or(s.name.as_deref())
                .unwrap_or("(unnamed)")
                .to_string(),
            format!(
                "{} · {} · {} spans · in {} (cached {}) · out {} (reasoning {}) · {}",
                crate::timefilter::short_time(s.start_ns),
                display::duration_ns(s.duration_ns),
                s.span_count,
                thousands(s.input_tokens),
                thousands(s.cache_read_tokens),
                thousands(s.output_tokens),
                thousands(s.reasoning_tokens),
                display::trace_cost(s.cost_usd, s.cost_known_usd, s.unknown_cost_spans)
            ),
        ),
        None => ("(trace)".to_string(), String::new()),
    };
    let err = t.summary.as_ref().is_some_and(|s| s.error);
    let l1 = Line::from(vec![
        Span::styled(if err { "✗ " } else { "" }, th.error()),
        Span::styled(cell(&name), th.title()),
        Span::styled(format!("  {}", cell(&t.trace_id)), th.dim()),
    ]);
    frame.render_widget(Paragraph::new(l1), line_area(area, 0));
    frame.render_widget(Paragraph::new(cell(&line2)), line_area(area, 1));
    frame.render_widget(Paragraph::new(verdicts(app, t)), line_area(area, 2));
}

/// Latest verdict per rule (any source) with its label text and explanation.
fn verdicts<'a>(app: &App, t: &TraceState) -> Line<'a> {
    let th = &app.theme;
    if t.scores.is_empty() {
        return Line::from(Span::styled("no verdicts yet (trawl judge)", th.dim()));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut spans = Vec::new();
    for s in &t.scores {
        if seen.contains(&s.name.as_str()) {
            continue;
        }
        seen.push(&s.name);
        let (g, style) = match s.verdict {
            Some(Verdict::True) => ("✓", th.ok()),
            Some(Verdict::False) => ("✗", th.error()),
            Some(Verdict::Na) => ("–", th.dim()),
            Some(Verdict::Error) => ("!", th.error()),
            None => ("", th.base()),
        };
        let value = s.value.map(|v| format!("={v:.2}")).unwrap_or_default();
        let label = s
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!(" ({})", cell(l)))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!("{}{g}{value}{label}", cell(&s.name)),
            style,
        ));
        if let Some(e) = &s.explanation {
            spans.push(Span::raw(format!(" {}  ", cell(e))));
        } else {
            spans.push(Span::raw("  "));
        }
    }
    Line::from(spans)
}
