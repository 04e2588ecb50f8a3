//! The metrics view: one figure over time as a bar chart (selectable metric, bucket size and
//! grouping), with the selected bucket's figures below. Enter opens its traces.

use super::line_area;
use crate::metrics::BucketStats;
use crate::tui::app::App;
use crate::tui::state::{MetricKind, MetricsState};
use crate::tui::text::{cell, fit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Paragraph};

const BAR_W: u16 = 7;
const GAP: u16 = 1;

/// A short bucket label for under a bar: `11-10`, `09h`, `W11-09`.
fn short_label(m: &MetricsState, b: &BucketStats) -> String {
    let t = crate::timefilter::short_time(b.start_ns);
    match m.bucket {
        crate::metrics::Bucket::Hour => t.get(11..13).map(|h| format!("{h}h")).unwrap_or(t),
        crate::metrics::Bucket::Day => t.get(5..10).unwrap_or(&t).to_string(),
        crate::metrics::Bucket::Week => t.get(5..10).map(|d| format!("w{d}")).unwrap_or(t),
    }
}

/// Bar heights are integers: scale each metric to keep its precision.
fn scaled(kind: &MetricKind, v: f64) -> u64 {
    let k = match kind {
        MetricKind::ErrorRate | MetricKind::FalseRate(_) => 10_000.0,
        MetricKind::Cost => 1_000_000.0,
        _ => 1.0,
    };
    (v * k).max(0.0).round() as u64
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(m) = &app.metrics else { return };
    let width = usize::from(area.width);
    let kind = m.metric_kind();
    let names: Vec<String> = m.metrics.iter().map(|k| k.label()).collect();
    let group = m.group_by.map(|g| g.label()).unwrap_or("none");
    let head = Line::from(vec![
        Span::styled(format!("‹{}›", kind.label()), th.selected()),
        Span::raw(format!(
            " {}/{} (Tab) · by {} (b) · group by {} (g)",
            m.metric + 1,
            names.len().max(1),
            m.bucket.label(),
            group
        )),
    ]);
    frame.render_widget(Paragraph::new(head), line_area(area, 0));
    let scope = if app.list.filter_text.is_empty() {
        "all traces".to_string()
    } else {
        format!("filter: {}", cell(&app.list.filter_text))
    };
    let group_line = match (m.group_by, m.groups.get(m.group).cloned().flatten()) {
        (Some(g), Some(v)) => format!(
            "{} ‹{}› {}/{} (j/k) · {scope}",
            g.label(),
            cell(&v),
            m.group + 1,
            m.groups.len()
        ),
        _ => scope,
    };
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&group_line, width), th.dim())),
        line_area(area, 1),
    );
    if m.loading {
        frame.render_widget(
            Paragraph::new(Span::styled("computing…", th.dim())),
            line_area(area, 2),
        );
        return;
    }
    let series = m.series();
    if series.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled("no traces in this range", th.dim())),
            line_area(area, 2),
        );
        return;
    }
    let details_h: u16 = 3;
    let chart = Rect {
        x: area.x,
        y: area.y + 2,
        width: area.width,
        height: area.height.saturating_sub(2 + details_h),
    };
    let fit_n = usize::from((area.width / (BAR_W + GAP)).max(1));
    let sel = m.selected.min(series.len() - 1);
    let start = if series.len() <= fit_n {
        0
    } else {
        sel.saturating_sub(fit_n - 1)
            .min(series.len() - fit_n)
            .max(sel.saturating_sub(fit_n / 2).min(series.len() - fit_n))
    };
    let bars: Vec<Bar> = series
        .iter()
        .enumerate()
        .skip(start)
        .take(fit_n)
        .map(|(i, b)| {
            let v = kind.value(b);
            let text = kind.format(v);
            let label = if i == sel {
                format!("▸{}", short_label(m, b))
            } else {
                short_label(m, b)
            };
            let mut bar = Bar::default()
                .value(v.map(|v| scaled(&kind, v)).unwrap_or(0))
                .text_value(fit(&text, usize::from(BAR_W)))
                .label(Line::from(label));
            if i == sel {
                bar = bar.style(th.selected()).value_style(th.selected());
            } else {
                bar = bar.style(th.llm_bar()).value_style(th.dim());
            }
            bar
        })
        .collect();
    if chart.height > 2 {
        frame.render_widget(
            BarChart::default()
                .data(BarGroup::default().bars(&bars))
                .bar_width(BAR_W)
                .bar_gap(GAP),
            chart,
        );
    }
    let Some(b) = series.get(sel) else { return };
    let y = area.height.saturating_sub(details_h);
    let change = |k: &MetricKind| -> String {
        let Some(c) = &b.change else {
            return String::new();
        };
        let d = match k {
            MetricKind::Traces => c.traces,
            MetricKind::ErrorRate => c.error_rate,
            MetricKind::LatencyP50 => c.latency_p50_ms,
            MetricKind::LatencyP95 => c.latency_p95_ms,
            MetricKind::Cost => c.cost_usd,
            MetricKind::Tokens => c.input_tokens,
            MetricKind::FalseRate(r) => c.rules.get(r).and_then(|x| x.false_rate),
        };
        d.map(|d| format!(" ({}{:.0}%)", if d >= 0.0 { "+" } else { "" }, d * 100.0))
            .unwrap_or_default()
    };
    let fig = |k: MetricKind| format!("{} {}{}", k.label(), k.format(k.value(b)), change(&k));
    let l1 = format!(
        "{} {} · {} · {} · {} · {} · {} · {}",
        m.bucket.label(),
        cell(&b.bucket),
        fig(MetricKind::Traces),
        fig(MetricKind::ErrorRate),
        fig(MetricKind::LatencyP50),
        fig(MetricKind::LatencyP95),
        fig(MetricKind::Cost),
        fig(MetricKind::Tokens),
    );
    let rules: Vec<String> = b
        .rules
        .iter()
        .map(|(r, s)| {
            format!(
                "{} FALSE {} (n {})",
                cell(r),
                MetricKind::FalseRate(r.clone()).format(s.false_rate),
                s.n
            )
        })
        .collect();
    let l2 = if rules.is_empty() {
        "no judge verdicts in this bucket".to_string()
    } else {
        rules.join(" · ")
    };
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&l1, width), th.title())),
        line_area(area, y),
    );
    frame.render_widget(Paragraph::new(fit(&l2, width)), line_area(area, y + 1));
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit("←/→ bucket · Enter opens its traces in the list", width),
            th.dim(),
        )),
        line_area(area, y + 2),
    );
}
