//! The trace list, the root pane: a virtual list over every trace the filter matches. Pages of
//! rows are fetched around the cursor; only the rows in view are drawn.

use crate::display;
use crate::filter::{Alternative, TraceFilter, line_terms, nearest_in_data};
use crate::model::Trace;
use crate::store::SortKey;
use crate::tui::action::{Action, Badges, Cmd, Effect, JudgeTarget};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, JudgePlan, Notice, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{self, line_area};
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::search::{Search, highlight};
use crate::tui::widgets::text::{cell, fit, rfit, trace_title, verdict_glyph};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::collections::{BTreeSet, HashMap};

/// Rows fetched per page.
pub const PAGE: usize = 200;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::List,
    label: "traces",
    title: "Trace list",
    keys: Layers::pane(KEYS, Some(&NavLabels::ROWS)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "quit"),
    key(Key::plain(K::Esc), Cmd::Cancel, "clear search and message"),
    hint(Key::plain(K::Enter), Cmd::Open, "open trace"),
    key(Key::ch('l'), Cmd::Open, "open trace"),
    hint(Key::ch('f'), Cmd::FilterLine, "filter"),
    key(Key::ch('F'), Cmd::ClearFilter, "clear filter"),
    hint(Key::ch('/'), Cmd::Search, "search loaded rows"),
    key(Key::ch('n'), Cmd::SearchNext, "next match"),
    key(Key::ch('N'), Cmd::SearchPrev, "previous match"),
    key(Key::ch(' '), Cmd::ToggleMark, "mark row"),
    hint(Key::ch('s'), Cmd::CycleSort, "sort column"),
    key(Key::ch('S'), Cmd::FlipSort, "sort direction"),
    key(Key::ch('y'), Cmd::Copy, "copy trace id (marked ids)"),
    key(Key::ch('c'), Cmd::Session, "session conversation"),
    key(
        Key::ch('J'),
        Cmd::Judge,
        "judge marked (or filtered) traces",
    ),
    key(Key::ch('T'), Cmd::Triage, "triage flagged responses"),
    key(Key::ch('M'), Cmd::Metrics, "metrics over time"),
    key(Key::ch('A'), Cmd::Agreement, "judge–human agreement"),
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

#[derive(Debug, Clone, Default)]
pub struct ListPane {
    pub filter_text: String,
    pub filter: TraceFilter,
    pub sort: SortKey,
    pub desc: bool,
    /// Traces matching the filter.
    pub total: usize,
    /// Absolute index of `rows[0]`.
    pub offset: usize,
    /// The loaded page.
    pub rows: Vec<Trace>,
    pub badges: HashMap<String, Badges>,
    /// Cursor and scroll over all `total` rows.
    pub cursor: ScrollList,
    pub marks: BTreeSet<String>,
    pub search: Option<Search>,
    /// The store's first and last trace start, from the last page.
    pub range: Option<(i64, i64)>,
    /// A relative day that missed the data, resolved against its last day: Enter applies it.
    pub alternative: Option<Alternative>,
    pub loaded: bool,
    /// An import is running (the getting-started page waits for it).
    pub importing: bool,
    req: u64,
    in_flight: bool,
    pending_offset: Option<usize>,
    refresh_pending: bool,
}

impl ListPane {
    pub fn new(size: (u16, u16)) -> ListPane {
        let mut cursor = ScrollList::list();
        cursor.set_viewport(viewport(size));
        ListPane {
            desc: true,
            cursor,
            ..ListPane::default()
        }
    }

    pub fn row(&self, i: usize) -> Option<&Trace> {
        i.checked_sub(self.offset).and_then(|k| self.rows.get(k))
    }

    pub fn selected(&self) -> usize {
        self.cursor.selected()
    }

    pub fn selected_row(&self) -> Option<&Trace> {
        self.row(self.selected())
    }

    /// The first page.
    pub fn first_page(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.fetch(0, cx)
    }

    /// Re-reads the current window, without piling up requests while one is in flight.
    pub fn refresh(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        if self.in_flight {
            self.refresh_pending = true;
            return Vec::new();
        }
        self.fetch(self.offset, cx)
    }

    pub fn set_importing(&mut self, importing: bool) {
        self.importing = importing;
    }

    pub fn apply_filter(&mut self, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        match TraceFilter::parse(text, cx.now) {
            Ok(f) => {
                self.filter = f;
                self.filter_text = text.trim().to_string();
                self.alternative = None;
                self.cursor.reset();
                self.rows.clear();
                self.offset = 0;
                self.loaded = false;
                self.refresh_pending = false;
                cx.clear_status();
                self.fetch(0, cx)
            }
            Err(e) => {
                cx.error(format!("filter: {e}"));
                Vec::new()
            }
        }
    }

    pub fn set_sort(&mut self, key: SortKey, desc: bool, cx: &mut Ctx) -> Vec<Effect> {
        self.sort = key;
        self.desc = desc;
        self.cursor.reset();
        cx.info(format!(
            "sorted by {} {}",
            key.label(),
            if desc { "↓" } else { "↑" }
        ));
        self.fetch(0, cx)
    }

    /// What `J` judges: the marked traces, else everything the filter matches.
    pub fn judge_plan(&self, cx: &mut Ctx) -> Option<JudgePlan> {
        let (target, what) = if !self.marks.is_empty() {
            let ids = self.marks.iter().cloned().collect();
            let what = format!("{} marked trace(s)", self.marks.len());
            (JudgeTarget::Ids(ids), what)
        } else if self.total == 0 {
            cx.error("no traces to judge");
            return None;
        } else if self.filter.is_empty() {
            let what = format!("all {} traces", self.total);
            (JudgeTarget::Filter(self.filter.clone()), what)
        } else {
            let what = format!("{} traces matching the filter", self.total);
            (JudgeTarget::Filter(self.filter.clone()), what)
        };
        let (force, rules) = (false, None);
        Some(JudgePlan {
            target,
            what,
            force,
            rules,
        })
    }

    fn fetch(&mut self, offset: usize, cx: &mut Ctx) -> Vec<Effect> {
        let req = cx.req();
        self.req = req;
        self.in_flight = true;
        self.pending_offset = Some(offset);
        vec![Effect::FetchPage {
            req,
            filter: self.filter.clone(),
            sort: self.sort,
            desc: self.desc,
            offset,
            limit: PAGE,
        }]
    }

    /// Fetches a page around the cursor when the view nears the edge of the loaded window.
    fn maybe_fetch(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        if !self.loaded || self.total == 0 {
            return Vec::new();
        }
        let margin = 20;
        let scroll = self.cursor.offset();
        let lo = scroll.saturating_sub(margin);
        let hi = (scroll + self.cursor.viewport() + margin).min(self.total);
        let end = self.offset + self.rows.len();
        if lo >= self.offset && hi <= end {
            return Vec::new();
        }
        let want = self.selected().saturating_sub(PAGE / 2);
        if self.pending_offset == Some(want) {
            return Vec::new();
        }
        self.fetch(want, cx)
    }

    /// Moves to the next (or previous) loaded row matching the search; `inclusive` counts the
    /// current row.
    fn search_step(&mut self, forward: bool, inclusive: bool, cx: &mut Ctx) -> Vec<Effect> {
        let cur = self.selected().saturating_sub(self.offset);
        let Some(search) = self.search.as_mut() else {
            cx.info("no search: press / first");
            return Vec::new();
        };
        let rows = &self.rows;
        search.scan(rows.len(), |s, i| {
            rows.get(i).is_some_and(|r| row_matches(r, s))
        });
        match search.step(cur, forward, inclusive) {
            Some(i) => {
                cx.info(format!("/{} · {}", cell(&search.query), search.status()));
                self.cursor.select(self.offset + i);
                self.maybe_fetch(cx)
            }
            None => {
                cx.error(format!(
                    "no match for '{}' in the loaded rows",
                    cell(&search.query)
                ));
                Vec::new()
            }
        }
    }

    /// After a page arrives: the hint for a relative day that missed the data.
    fn offer_alternative(&mut self, cx: &mut Ctx) {
        self.alternative = None;
        if self.total > 0 || self.filter.is_empty() {
            return;
        }
        let (Some(range), Ok(terms)) = (self.range, line_terms(&self.filter_text)) else {
            return;
        };
        if let Some(alt) = nearest_in_data(&terms, cx.now, range) {
            cx.info(alt.offer("Enter"));
            self.alternative = Some(alt);
        }
    }

    /// Enter on an empty list with an offer: the filter the offer names.
    fn take_alternative(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        let Some(alt) = self.alternative.take() else {
            return Vec::new();
        };
        let out = self.apply_filter(&alt.line, cx);
        cx.info(alt.showing());
        out
    }
}

fn viewport(size: (u16, u16)) -> usize {
    // The column header takes the first row.
    usize::from(
        crate::tui::widgets::chrome::body_area(size)
            .height
            .saturating_sub(1),
    )
}

fn row_matches(r: &Trace, q: &Search) -> bool {
    let hit = |s: Option<&str>| s.is_some_and(|s| q.matches(s));
    hit(r.input_preview.as_deref())
        || hit(r.output_preview.as_deref())
        || hit(r.name.as_deref())
        || hit(r.user_id.as_deref())
        || hit(r.session_id.as_deref())
        || hit(Some(&r.trace_id))
        || r.models.iter().any(|m| hit(Some(m)))
}

impl Pane for ListPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.cursor.apply(m);
            return self.maybe_fetch(cx);
        }
        match c {
            Cmd::Back => cx.back(),
            Cmd::Cancel => {
                self.search = None;
                cx.clear_status();
            }
            Cmd::Open => {
                if let Some(r) = self.selected_row() {
                    cx.ask(Intent::OpenTrace(r.trace_id.clone()));
                } else {
                    return self.take_alternative(cx);
                }
            }
            Cmd::FilterLine => cx.ask(Intent::Prompt(InputKind::Filter, self.filter_text.clone())),
            Cmd::ClearFilter => {
                let out = self.apply_filter("", cx);
                cx.info("filter cleared");
                return out;
            }
            Cmd::Search => cx.ask(Intent::Prompt(InputKind::Search, String::new())),
            Cmd::SearchNext => return self.search_step(true, false, cx),
            Cmd::SearchPrev => return self.search_step(false, false, cx),
            Cmd::ToggleMark => {
                if let Some(id) = self.selected_row().map(|r| r.trace_id.clone()) {
                    if !self.marks.remove(&id) {
                        self.marks.insert(id);
                    }
                    self.cursor.apply(Motion::Down);
                }
                cx.info(format!("{} marked", self.marks.len()));
                return self.maybe_fetch(cx);
            }
            Cmd::CycleSort => {
                let i = SortKey::ALL
                    .iter()
                    .position(|k| *k == self.sort)
                    .unwrap_or(0);
                let next = SortKey::ALL[(i + 1) % SortKey::ALL.len()];
                return self.set_sort(next, self.desc, cx);
            }
            Cmd::FlipSort => return self.set_sort(self.sort, !self.desc, cx),
            Cmd::Copy => {
                let text = if self.marks.is_empty() {
                    match self.selected_row() {
                        Some(r) => r.trace_id.clone(),
                        None => return Vec::new(),
                    }
                } else {
                    self.marks.iter().cloned().collect::<Vec<_>>().join("\n")
                };
                return cx.copy(text, "trace id");
            }
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        let Action::PageLoaded {
            req,
            offset,
            total,
            rows,
            badges,
            range,
        } = action
        else {
            return Receipt::Pass(action);
        };
        if req != self.req {
            // A page nobody waits for any more.
            return Receipt::Taken(Vec::new());
        }
        self.in_flight = false;
        self.pending_offset = None;
        self.loaded = true;
        self.offset = offset;
        self.total = total;
        self.rows = rows;
        self.badges = badges.into_iter().collect();
        self.range = range;
        self.cursor.set_len(total);
        if offset == 0 {
            self.offer_alternative(cx);
        }
        if std::mem::take(&mut self.refresh_pending) {
            return Receipt::Taken(self.fetch(self.offset, cx));
        }
        Receipt::Taken(self.maybe_fetch(cx))
    }

    fn notice(&mut self, notice: &Notice) {
        if let Notice::Failed { req } = notice
            && *req == self.req
        {
            self.in_flight = false;
            self.pending_offset = None;
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.cursor.set_viewport(viewport(cx.size));
        self.maybe_fetch(cx)
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        match kind {
            InputKind::Filter => self.apply_filter(text, cx),
            InputKind::Search => {
                self.search = Search::new(text);
                self.search_step(true, true, cx)
            }
            _ => Vec::new(),
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        let pos = if self.total == 0 {
            0
        } else {
            self.selected() + 1
        };
        let marks = if self.marks.is_empty() {
            String::new()
        } else {
            format!("{} marked · ", self.marks.len())
        };
        format!("{marks}{pos}/{} ", self.total)
    }

    fn current_session(&self) -> Option<String> {
        self.selected_row().and_then(|r| r.session_id.clone())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ── drawing ─────────────────────────────────────────────────────────────────────────────

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

fn draw(l: &ListPane, frame: &mut Frame, area: Rect, th: &Theme) {
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
    fn spans_years(&self) -> bool {
        self.range.is_some_and(|(a, b)| {
            crate::timefilter::day_of(a).format("%Y").to_string()
                != crate::timefilter::day_of(b).format("%Y").to_string()
        })
    }
}
