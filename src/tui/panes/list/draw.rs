//! Drawing the trace list: the column header, the rows (time with weekday, the question with
//! search matches highlighted, figures, badges) and the empty-list messages.

use super::ListPane;
use crate::display;
use crate::model::Trace;
use crate::store::SortKey;
use crate::tui::action::Badges;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{self, line_area};
use crate::tui::widgets::search::highlight;
use crate::tui::widgets::text::{cell, fit, rfit, trace_title, verdict_glyph};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

struct Cols {
    time: usize,
    user: bool,
    session: bool,
    models: bool,
    badges: usize,
    question: usize,
}

const TIME: usize = 15;
const TIME_WITH_YEAR: usize = 20;
const USER: usize = 10;
const SESSION: usize = 10;
const MODELS: usize = 14;
const DUR: usize = 7;
const TOK: usize = 6;
const COST: usize = 9;

fn columns(width: usize, any_badges: bool, with_year: bool) -> Cols {
    let badges = match (any_badges, width >= 120) {
        (false, _) => 0,
        (true, true) => 22,
        (true, false) => 12,
    };
    let mut c = Cols {
        time: if with_year { TIME_WITH_YEAR } else { TIME },
        user: width >= 100,
        session: width >= 120,
        models: width >= 120,
        badges,
        question: 0,
    };
    let fixed = 2
        + c.time
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

/// `grounded✓ answered✗`.
pub fn badge_text(b: &Badges) -> String {
    b.iter()
        .map(|(rule, v)| format!("{}{}", cell(rule), verdict_glyph(*v)))
        .collect::<Vec<_>>()
        .join(" ")
}

pub(super) fn draw(l: &ListPane, frame: &mut Frame, area: Rect, th: &Theme) {
    if l.loaded && l.total == 0 && l.filter.is_empty() && !l.importing {
        chrome::getting_started(frame, area, th);
        return;
    }
    let width = usize::from(area.width);
    let cols = columns(width, !l.badges.is_empty(), l.spans_years());
    let arrow = if l.desc { "▼" } else { "▲" };
    let h = |label: &str, key: SortKey| {
        if l.sort == key {
            format!("{label}{arrow}")
        } else {
            label.to_string()
        }
    };
    let mut head = format!("  {} ", fit(&h("start", SortKey::Start), cols.time));
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
    if l.new_above > 0 {
        new_marker(l.new_above, frame, line_area(area, 0), th);
    }

    let body_rows = area.height.saturating_sub(1);
    for r in 0..body_rows {
        let i = l.cursor.offset() + usize::from(r);
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
                if let Some(alt) = &l.alternative {
                    let offer = format!("{}.", alt.missed);
                    let take = format!("Enter shows {} ({}).", alt.instead, alt.line);
                    for (k, text) in [offer, take].into_iter().enumerate() {
                        let row = 3 + u16::try_from(k).unwrap_or(0);
                        if row < area.height {
                            frame.render_widget(
                                Paragraph::new(Span::styled(cell(&text), th.base())),
                                line_area(area, row),
                            );
                        }
                    }
                }
            }
            break;
        }
        let rect = line_area(area, 1 + r);
        let Some(row) = l.row(i) else {
            frame.render_widget(Paragraph::new(Span::styled("  …loading", th.dim())), rect);
            continue;
        };
        let line = row_line(l, th, &cols, row, i == l.selected());
        frame.render_widget(Paragraph::new(line), rect);
    }
}

/// "▲ N new · g" at the right of the header: traces arrived above while the user was scrolled.
fn new_marker(n: usize, frame: &mut Frame, header: Rect, th: &Theme) {
    let text = format!(" ▲ {n} new · g ");
    let width = u16::try_from(text.chars().count()).unwrap_or(u16::MAX);
    if width >= header.width {
        return;
    }
    let rect = Rect {
        x: header.x + header.width - width,
        width,
        ..header
    };
    frame.render_widget(Paragraph::new(Span::styled(text, th.accent())), rect);
}

fn row_line<'a>(l: &ListPane, th: &Theme, cols: &Cols, r: &Trace, selected: bool) -> Line<'a> {
    let marked = l.marks.contains(&r.trace_id);
    let q = trace_title(r);
    let mut spans = vec![
        Span::styled(if marked { "●" } else { " " }, th.mark()),
        Span::styled(if r.error { "✗" } else { " " }, th.error()),
        Span::raw(format!(
            "{} ",
            fit(&list_time(r.start_ns, l.spans_years()), cols.time)
        )),
    ];
    let qstyle = if r.error { th.error() } else { th.base() };
    let question = format!("{} ", fit(&cell(q), cols.question));
    spans.extend(
        highlight(l.search.as_ref(), &question, qstyle, th.search_hit())
            .into_iter()
            .map(|s| Span::styled(s.content.into_owned(), s.style)),
    );
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

/// `Tue 11-10 12:32`: the weekday, because people remember "last Tuesday"; the year only when
/// the store spans years (`Tue 2026-11-10 12:32`).
pub fn list_time(ns: i64, with_year: bool) -> String {
    if let Some(label) = crate::display::implausible_time_label(ns) {
        return label.to_string();
    }
    let t = chrono::TimeZone::timestamp_nanos(&chrono::Utc, ns);
    let format = if with_year {
        "%a %Y-%m-%d %H:%M"
    } else {
        "%a %m-%d %H:%M"
    };
    t.format(format).to_string()
}

impl ListPane {
    /// Whether the store's traces start in more than one year.
    pub(super) fn spans_years(&self) -> bool {
        self.range.is_some_and(|(a, b)| {
            crate::timefilter::day_of(a).format("%Y").to_string()
                != crate::timefilter::day_of(b).format("%Y").to_string()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_column_names_the_weekday_and_the_year_only_when_needed() {
        // 2026-11-10 12:32:06 UTC, a Tuesday.
        let ns = 1_794_313_926_000_000_000;
        assert_eq!(list_time(ns, false), "Tue 11-10 12:32");
        assert_eq!(list_time(ns, true), "Tue 2026-11-10 12:32");
        let mut l = ListPane::default();
        assert!(!l.spans_years());
        l.range = Some((ns - 30 * 86_400_000_000_000, ns));
        assert!(!l.spans_years());
        l.range = Some((ns - 400 * 86_400_000_000_000, ns));
        assert!(l.spans_years());
    }
}
