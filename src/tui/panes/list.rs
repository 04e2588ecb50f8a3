//! The trace list, the root pane: a virtual list over every trace the filter matches. Pages of
//! rows are fetched around the cursor; only the rows in view are drawn.

use crate::filter::{Alternative, TraceFilter, line_terms, nearest_in_data};
use crate::model::Trace;
use crate::store::SortKey;
use crate::tui::action::{Action, Badges, Cmd, Effect, JudgeTarget};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, JudgePlan, Notice, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::search::Search;
use crate::tui::widgets::text::cell;
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;
use std::collections::{BTreeSet, HashMap};

/// Rows fetched per page.
pub const PAGE: usize = 200;

mod draw;
pub use draw::{badge_text, list_time};

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
    key(Key::ch('D'), Cmd::Diff, "diff the two marked traces"),
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
    /// Traces that arrived above the selection while the user was away from the top (live
    /// updates): shown as "N new"; `g`/Home jumps to them and clears it.
    pub new_above: usize,
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
                self.new_above = 0;
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
        self.new_above = 0;
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

    /// After a reload, finds the trace that was selected (`id`, at `old_selected` when the list
    /// had `old_total` rows) and moves the cursor and view down by the rows inserted above it.
    /// Off the loaded page, newest-first order puts every new trace above it.
    fn keep_selection(&mut self, id: &str, old_selected: usize, old_total: usize) {
        let now_at = match self.rows.iter().position(|r| r.trace_id == id) {
            Some(k) => self.offset + k,
            None if self.sort == SortKey::Start && self.desc => {
                old_selected + self.total.saturating_sub(old_total)
            }
            None => return,
        };
        if let Some(n) = now_at.checked_sub(old_selected).filter(|&n| n > 0) {
            self.cursor.shift_down(n);
            self.new_above += n;
        }
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
            // The new rows are above the cursor: reaching them reads them.
            self.new_above = self.new_above.min(self.selected());
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
            Cmd::Diff => {
                let marks: Vec<String> = self.marks.iter().cloned().collect();
                match marks.as_slice() {
                    [a, b] => cx.ask(Intent::OpenDiff(a.clone(), b.clone())),
                    _ => cx.error(format!(
                        "D diffs two marked traces; {} marked (Space marks)",
                        marks.len()
                    )),
                }
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
        // Away from the top, the selected trace stays selected and in place while rows arrive
        // above it; at the top, the newest rows simply appear there.
        let anchor = (self.loaded && self.selected() > 0)
            .then(|| self.selected_row().map(|r| r.trace_id.clone()))
            .flatten();
        let (old_selected, old_total) = (self.selected(), self.total);
        self.loaded = true;
        self.offset = offset;
        self.total = total;
        self.rows = rows;
        self.badges = badges.into_iter().collect();
        self.range = range;
        self.cursor.set_len(total);
        if let Some(id) = anchor {
            self.keep_selection(&id, old_selected, old_total);
        }
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
        draw::draw(self, frame, area, th);
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
