//! The agreement pane: per rule, how often the judge agrees with human labels, and the
//! disagreements (Enter opens the trace).

use super::line_area;
use crate::model::Verdict;
use crate::tui::app::App;
use crate::tui::text::{cell, fit, rfit, short_id};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn word(v: Verdict) -> &'static str {
    match v {
        Verdict::True => "TRUE",
        Verdict::False => "FALSE",
        Verdict::Na => "NA",
        Verdict::Error => "ERROR",
    }
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
    let Some(a) = &app.agreement else { return };
    if a.loading {
        frame.render_widget(
            Paragraph::new(Span::styled("computing agreement…", th.dim())),
            area,
        );
        return;
    }
    let head = format!(
        "{} {} {} {} {} {} {} {} {} {} {}",
        fit("rule", 14),
        rfit("pairs", 5),
        rfit("acc", 5),
        rfit("κ", 6),
        rfit("jT·hT", 6),
        rfit("jT·hF", 6),
        rfit("jF·hT", 6),
        rfit("jF·hF", 6),
        rfit("P(F)", 5),
        rfit("R(F)", 5),
        rfit("NA/err", 6),
    );
    frame.render_widget(
        Paragraph::new(Span::styled(head, th.header())),
        line_area(area, 0),
    );
    let mut row: u16 = 1;
    if a.rules.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no judge verdicts or human labels yet (J judges, T triages)",
                th.dim(),
            )),
            line_area(area, row),
        );
        return;
    }
    for r in &a.rules {
        if row >= area.height {
            return;
        }
        let kappa = r
            .kappa
            .map(|k| format!("{k:.2}"))
            .unwrap_or_else(|| "-".into());
        let text = format!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            fit(&cell(&r.rule), 14),
            rfit(&r.pairs.to_string(), 5),
            rfit(&pct(r.accuracy), 5),
            rfit(&kappa, 6),
            rfit(&r.tt.to_string(), 6),
            rfit(&r.tf.to_string(), 6),
            rfit(&r.ft.to_string(), 6),
            rfit(&r.ff.to_string(), 6),
            rfit(&pct(r.precision_false), 5),
            rfit(&pct(r.recall_false), 5),
            rfit(&r.na_or_error.to_string(), 6),
        );
        frame.render_widget(Paragraph::new(text), line_area(area, row));
        row += 1;
    }
    row += 1;
    if row >= area.height {
        return;
    }
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(
                "── disagreements ({}) · Enter opens the trace · jT·hF = judge TRUE, human FALSE ──",
                a.rows.len()
            ),
            th.header(),
        )),
        line_area(area, row),
    );
    row += 1;
    let rows = usize::from(area.height.saturating_sub(row));
    if rows == 0 {
        return;
    }
    let start = a.selected.saturating_sub(rows.saturating_sub(1));
    for (i, (rule, d)) in a.rows.iter().enumerate().skip(start).take(rows) {
        let why = d
            .note
            .as_deref()
            .map(|n| format!("note: {n}"))
            .or_else(|| d.explanation.clone())
            .unwrap_or_default();
        let text = format!(
            "{} {} {} judge {} · human {}  {}",
            if i == a.selected { "›" } else { " " },
            fit(&cell(rule), 12),
            fit(short_id(&d.trace_id), 12),
            word(d.judge),
            word(d.human),
            cell(&why)
        );
        let mut line = Line::from(fit(&text, usize::from(area.width)));
        if i == a.selected {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, row));
        row += 1;
    }
}
