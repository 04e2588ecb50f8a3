//! Drawing the metrics view: the metric and grouping line, the chart over a linear time axis
//! (widgets::barchart) and the selected bucket's figures, wrapped rather than cut.

use super::{MetricKind, MetricsPane};
use crate::metrics::{Bucket, BucketStats};
use crate::tui::theme::Theme;
use crate::tui::widgets::barchart::{self, Chart, Column, ColumnValue};
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::text::cell;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

/// Fewest measurements on each side for "vs previous" to be shown: a change between two
/// buckets of one or two traces is noise (+5363% on n=1).
pub const MIN_N_TO_COMPARE: i64 = 10;

pub(super) fn draw(m: &MetricsPane, frame: &mut Frame, area: Rect, th: &Theme) {
    let width = usize::from(area.width);
    let kind = m.metric_kind();
    let group = m.group_by.map(|g| g.label()).unwrap_or("none");
    let head = Line::from(vec![
        Span::styled(format!("‹{}›", kind.label()), th.selected()),
        Span::raw(format!(
            " {}/{} (Tab) · by {} (b) · group by {} (g)",
            m.metric + 1,
            m.metrics.len().max(1),
            m.bucket.label(),
            group
        )),
    ]);
    frame.render_widget(Paragraph::new(head), line_area(area, 0));
    frame.render_widget(
        Paragraph::new(Span::styled(scope_line(m, width), th.dim())),
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
    let sel = m.selected().min(series.len() - 1);
    let figures = Paragraph::new(figure_lines(m, &series, sel, th)).wrap(Wrap { trim: true });
    let fig_h = u16::try_from(figures.line_count(area.width.max(1)))
        .unwrap_or(u16::MAX)
        .min(area.height.saturating_sub(2));
    let chart_area = Rect {
        x: area.x,
        y: area.y + 2,
        width: area.width,
        height: area.height.saturating_sub(2 + fig_h),
    };
    if Chart::fits(chart_area.height) {
        let chart = chart(m, &kind, &series, sel, area.width);
        barchart::draw(frame, chart_area, th, &chart);
    } else {
        frame.render_widget(
            Paragraph::new(Span::styled("(no room for the chart)", th.dim())),
            line_area(chart_area, 0),
        );
    }
    let fig_area = Rect {
        x: area.x,
        y: area.y + area.height - fig_h,
        width: area.width,
        height: fig_h,
    };
    frame.render_widget(figures, fig_area);
}

/// The group (when grouped) and what the figures cover. A filter too long for the line is
/// not cut mid-word: the title bar shows it whole.
fn scope_line(m: &MetricsPane, width: usize) -> String {
    let scope = if m.filter_text.is_empty() {
        "all traces".to_string()
    } else {
        format!("filter: {}", cell(&m.filter_text))
    };
    let line = |scope: &str| match (m.group_by, m.groups.get(m.group).cloned().flatten()) {
        (Some(g), Some(v)) => format!(
            "{} ‹{}› {}/{} (j/k) · {scope}",
            g.label(),
            cell(&v),
            m.group + 1,
            m.groups.len()
        ),
        _ => scope.to_string(),
    };
    let full = line(&scope);
    if full.width() <= width {
        full
    } else {
        line("filtered (the title bar shows the filter)")
    }
}

/// The columns in view: as many as fit, keeping the selected one in view.
fn window(len: usize, fit: usize, sel: usize) -> std::ops::Range<usize> {
    let fit = fit.max(1);
    if len <= fit {
        return 0..len;
    }
    let start = sel.saturating_sub(fit / 2).min(len - fit);
    start..start + fit
}

fn chart(
    m: &MetricsPane,
    kind: &MetricKind,
    series: &[&BucketStats],
    sel: usize,
    width: u16,
) -> Chart {
    let max = series
        .iter()
        .filter_map(|b| kind.value(b))
        .fold(0.0_f64, f64::max);
    // All zero: a scale up to 100% (or 1) keeps the zero marks on the baseline.
    let max = if max > 0.0 { max } else { 1.0 };
    let legend = match kind {
        MetricKind::FalseRate(_) => "▁ 0% · — none judged · blank: no traces",
        MetricKind::ErrorRate => "▁ 0% · blank: no traces",
        _ => "blank: no traces",
    };
    let mut chart = Chart {
        y_title: format!("{} per {}", kind.label(), m.bucket.label()),
        x_title: m.bucket.label().to_string(),
        y_max: max,
        y_max_text: kind.format(Some(max)),
        legend: legend.to_string(),
        columns: Vec::new(),
    };
    let shown = window(series.len(), chart.capacity(width), sel);
    chart.columns = series[shown.clone()]
        .iter()
        .zip(shown)
        .map(|(b, i)| Column {
            label: short_label(m.bucket, b),
            value: if b.traces == 0 {
                ColumnValue::Empty
            } else {
                match kind.value(b) {
                    Some(v) => ColumnValue::Value(v, compact(kind, v)),
                    None => ColumnValue::Unmeasured,
                }
            },
            selected: i == sel,
        })
        .collect();
    chart
}

/// A bucket label short enough for under a bar (five columns): the date of a day or of a
/// week's Monday (`11-10`), the hour (`09h`) except at midnight, where the date says which
/// day the hours that follow belong to.
fn short_label(bucket: Bucket, b: &BucketStats) -> String {
    let t = crate::timefilter::short_time(b.start_ns);
    let date = t.get(5..10).unwrap_or(&t).to_string();
    match (bucket, t.get(11..13)) {
        (Bucket::Hour, Some(h)) if h != "00" => format!("{h}h"),
        _ => date,
    }
}

/// A value in at most six columns, for over a bar.
pub fn compact(kind: &MetricKind, v: f64) -> String {
    let count = |v: f64| {
        if v < 10_000.0 {
            format!("{v:.0}")
        } else if v < 1e6 {
            format!("{:.0}k", v / 1e3)
        } else {
            format!("{:.1}M", v / 1e6)
        }
    };
    match kind {
        MetricKind::Traces | MetricKind::Tokens => count(v),
        MetricKind::ErrorRate | MetricKind::FalseRate(_) => {
            let p = v * 100.0;
            if p == 0.0 || p >= 10.0 {
                format!("{p:.0}%")
            } else {
                format!("{p:.1}%")
            }
        }
        MetricKind::LatencyP50 | MetricKind::LatencyP95 => {
            let ms = v;
            if ms < 1000.0 {
                format!("{ms:.0}ms")
            } else if ms < 60_000.0 {
                format!("{:.1}s", ms / 1000.0)
            } else {
                format!("{:.0}m", ms / 60_000.0)
            }
        }
        MetricKind::Cost => {
            if v == 0.0 {
                "$0".into()
            } else if v < 0.01 {
                format!("${:.4}", v).replacen("$0.", "$.", 1)
            } else if v < 100.0 {
                format!("${v:.2}")
            } else {
                format!("${}", count(v))
            }
        }
    }
}

/// The selected bucket's figures, the comparison with the previous bucket (only with enough
/// traces on both sides, n shown), every rule's FALSE rate and the keys.
fn figure_lines<'a>(
    m: &MetricsPane,
    series: &[&BucketStats],
    sel: usize,
    th: &Theme,
) -> Vec<Line<'a>> {
    let Some(b) = series.get(sel) else {
        return Vec::new();
    };
    // Days and weeks say their weekday: "day Tue 2026-11-10".
    let weekday = match m.bucket {
        Bucket::Hour => String::new(),
        _ => chrono::DateTime::from_timestamp_nanos(b.start_ns)
            .format("%a ")
            .to_string(),
    };
    let what = format!("{} {weekday}{}", m.bucket.label(), cell(&b.bucket));
    let trace_kinds = [
        MetricKind::Traces,
        MetricKind::ErrorRate,
        MetricKind::LatencyP50,
        MetricKind::LatencyP95,
        MetricKind::Cost,
        MetricKind::Tokens,
    ];
    let mut lines = Vec::new();
    let summary = if b.traces == 0 {
        format!("{what} · no traces")
    } else {
        let figs: Vec<String> = trace_kinds
            .iter()
            .map(|k| format!("{} {}", k.label(), k.format(k.value(b))))
            .collect();
        format!("{what} · {}", figs.join(" · "))
    };
    lines.push(Line::from(Span::styled(summary, th.title())));
    let prev = sel.checked_sub(1).and_then(|i| series.get(i));
    let vs = match prev {
        None => format!("vs previous {}: none in view", m.bucket.label()),
        Some(p) => {
            let head = format!(
                "vs previous {} (n {} vs {})",
                m.bucket.label(),
                b.traces,
                p.traces
            );
            if b.traces.min(p.traces) < MIN_N_TO_COMPARE {
                format!("{head}: n too small to compare (< {MIN_N_TO_COMPARE} traces)")
            } else {
                let changes: Vec<String> = trace_kinds
                    .iter()
                    .filter_map(|k| {
                        k.change(b, p)
                            .map(|d| format!("{} {}", k.label(), k.format_change(d)))
                    })
                    .collect();
                format!("{head}: {}", changes.join(" · "))
            }
        }
    };
    lines.push(Line::from(vs));
    let rules: Vec<String> = m
        .metrics
        .iter()
        .filter_map(|k| match k {
            MetricKind::FalseRate(r) => Some((k, r)),
            _ => None,
        })
        .map(|(k, r)| rule_figure(k, r, b, prev.copied()))
        .collect();
    lines.push(Line::from(if rules.is_empty() {
        "no judge verdicts yet (J in the trace list judges)".to_string()
    } else {
        rules.join(" · ")
    }));
    lines.push(Line::from(Span::styled(
        "←/→ bucket · Enter opens its traces in the list",
        th.dim(),
    )));
    lines
}

/// `grounded FALSE 12.0% (n 25, +3.0pp vs n 20)`, `grounded FALSE 66.7% (n 3)`,
/// `grounded not judged`.
fn rule_figure(k: &MetricKind, rule: &str, b: &BucketStats, prev: Option<&BucketStats>) -> String {
    let n = k.n(b);
    let Some(rate) = k.value(b) else {
        return format!("{} not judged", cell(rule));
    };
    let change = prev.and_then(|p| {
        let pn = k.n(p);
        if n.min(pn) < MIN_N_TO_COMPARE {
            return None;
        }
        k.change(b, p)
            .map(|d| format!(", {} vs n {pn}", k.format_change(d)))
    });
    format!(
        "{} FALSE {} (n {n}{})",
        cell(rule),
        k.format(Some(rate)),
        change.unwrap_or_default()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_values_fit_a_bar() {
        let kinds = [
            MetricKind::Traces,
            MetricKind::ErrorRate,
            MetricKind::LatencyP95,
            MetricKind::Cost,
            MetricKind::Tokens,
        ];
        for k in &kinds {
            for v in [
                0.0, 0.000_123, 0.004, 0.5, 0.999, 1.0, 3.0, 827.0, 1560.0, 99_999.0, 5e7,
            ] {
                // Rates are fractions.
                if k.is_rate() && v > 1.0 {
                    continue;
                }
                let s = compact(k, v);
                assert!(s.width() <= 6, "{k:?} {v}: {s}");
            }
        }
        assert_eq!(compact(&MetricKind::ErrorRate, 0.0), "0%");
        assert_eq!(compact(&MetricKind::Cost, 0.00393), "$.0039");
    }

    #[test]
    fn the_window_keeps_the_selection_in_view() {
        assert_eq!(window(5, 10, 4), 0..5);
        assert_eq!(window(30, 10, 29), 20..30);
        assert_eq!(window(30, 10, 0), 0..10);
        assert_eq!(window(30, 10, 15), 10..20);
    }
}
