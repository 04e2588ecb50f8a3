//! The trace list: only the rows in view are drawn, from the loaded page.

use super::line_area;
use crate::display;
use crate::model::{Trace, Verdict};
use crate::store::SortKey;
use crate::tui::action::Badges;
use crate::tui::app::App;
use crate::tui::text::{cell, fit, rfit};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

struct Cols {
    user: bool,
    session: bool,
    models: bool,
    badges: usize,
    question: usize,
}

const TIME: usize = 14;
const USER: usize = 10;
const SESSION: usize = 10;
const MODELS: usize = 14;
const DUR: usize = 7;
const TOK: usize = 6;
const COST: usize = 9;

fn columns(width: usize, any_badges: bool) -> Cols {
    let badges = match (any_badges, width >= 120) {
        (false, _) => 0,
        (true, true) => 22,
        (true, false) => 12,
    };
    let mut c = Cols {
        user: width >= 100,
        session: width >= 120,
        models: width >= 120,
        badges,
        question: 0,
    };
    let fixed = 2
        + TIME
        + 1
        + (DUR + 1)
        + (TOK + 1)
        + (COST + 1)
        + if c.user { USER + 1 } else { 0 }
        + if c.session { SESSION + 1 } else { 0 }
        + if c.models { MODELS + 1 } else { 0 }
        + if c.badges > 0 { c.badges + 1 } else { 0 };
    c.question = width.saturating_sub(fixed + 1).max(8);
    c
}

pub fn badge_text(b: &Badges) -> String {
    b.iter()
        .map(|(rule, v)| {
            let g = match v {
                Verdict::True => "✓",
                Verdict::False => "✗",
                Verdict::Na => "–",
                Verdict::Error => "!",
            };
            format!("{}{g}", cell(rule))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn draw(frame: &mut Frame, app: &App, area: Rect) {
    let l = &app.list;
    if l.loaded && l.total == 0 && l.filter.is_empty() && app.import.is_none() {
        getting_started(frame, app, area);
        return;
    }
    let th = &app.theme;
    let width = usize::from(area.width);
    let cols = columns(width, !l.badges.is_empty());
    let arrow = if l.desc { "▼" } else { "▲" };
    let h = |label: &str, key: SortKey| {
        if l.sort == key {
            format!("{label}{arrow}")
        } else {
            label.to_string()
        }
    };
    let mut head = format!("  {} ", fit(&h("start", SortKey::Start), TIME));
    head.push_str(&fit(&h("question / name", SortKey::Name), cols.question));
    head.push(' ');
    if cols.user {
        head.push_str(&format!("{} ", fit(&h("user", SortKey::User), USER)));
    }
    if cols.session {
        head.push_str(&format!(
            "{} ",
            fit(&h("session", SortKey::Session), SESSION)
        ));
    }
    if cols.models {
        head.push_str(&format!("{} ", fit(&h("models", SortKey::Models), MODELS)));
    }
    head.push_str(&format!(
        "{} {} {} ",
        rfit(&h("dur", SortKey::Duration), DUR),
        rfit(&h("tok", SortKey::Tokens), TOK),
        rfit(&h("cost", SortKey::Cost), COST)
    ));
    if cols.badges > 0 {
        head.push_str(&fit("scores", cols.badges));
    }
    frame.render_widget(
        Paragraph::new(Span::styled(head, th.header())),
        line_area(area, 0),
    );

    let body_rows = area.height.saturating_sub(1);
    for r in 0..body_rows {
        let i = l.scroll + usize::from(r);
        if i >= l.total {
            if i == 0 && l.loaded {
                let msg = if l.filter.is_empty() {
                    "no traces yet".to_string()
                } else {
                    format!(
                        "no traces match the filter: {}  (F clears it)",
                        cell(&l.filter_text)
                    )
                };
                frame.render_widget(
                    Paragraph::new(Span::styled(msg, th.dim())),
                    line_area(area, 1),
                );
            }
            break;
        }
        let rect = line_area(area, 1 + r);
        let Some(row) = l.row(i) else {
            frame.render_widget(Paragraph::new(Span::styled("  …loading", th.dim())), rect);
            continue;
        };
        let line = row_line(app, &cols, row, i == l.selected);
        frame.render_widget(Paragraph::new(line), rect);
    }
}

fn row_line<'a>(app: &App, cols: &Cols, r: &Trace, selected: bool) -> Line<'a> {
    let th = &app.theme;
    let l = &app.list;
    let marked = l.marks.contains(&r.trace_id);
    let q = r
        .input_preview
        .as_deref()
        .or(r.name.as_deref())
        .unwrap_or("(unnamed)");
    let mut spans = vec![
        Span::styled(if marked { "●" } else { " " }, th.mark()),
        Span::styled(if r.error { "✗" } else { " " }, th.error()),
        Span::raw(format!("{} ", fit(&short_time(r.start_ns), TIME))),
    ];
    let qstyle = if r.error { th.error() } else { th.base() };
    spans.push(Span::styled(
        format!("{} ", fit(&cell(q), cols.question)),
        qstyle,
    ));
    let opt =
        |s: &Option<String>, w: usize| format!("{} ", fit(&cell(s.as_deref().unwrap_or("-")), w));
    if cols.user {
        spans.push(Span::styled(opt(&r.user_id, USER), th.dim()));
    }
    if cols.session {
        spans.push(Span::styled(opt(&r.session_id, SESSION), th.dim()));
    }
    if cols.models {
        spans.push(Span::raw(format!(
            "{} ",
            fit(&cell(&r.models.join(",")), MODELS)
        )));
    }
    spans.push(Span::raw(format!(
        "{} {} {} ",
        rfit(&display::duration_ns(r.duration_ns), DUR),
        rfit(&display::tokens(r.total_tokens), TOK),
        rfit(
            &display::trace_cost(r.cost_usd, r.cost_known_usd, r.unknown_cost_spans),
            COST
        )
    )));
    if cols.badges > 0 {
        let text = l
            .badges
            .get(&r.trace_id)
            .map(badge_text)
            .unwrap_or_default();
        spans.push(Span::raw(fit(&text, cols.badges)));
    }
    let mut line = Line::from(spans);
    if selected {
        line = line.style(th.selected());
    }
    line
}

/// `11-10 09:44:41`: the year rarely matters when scanning a list.
fn short_time(ns: i64) -> String {
    let t = crate::timefilter::short_time(ns);
    t.get(5..).unwrap_or(&t).to_string()
}

fn getting_started(frame: &mut Frame, app: &App, area: Rect) {
    let th = &app.theme;
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
