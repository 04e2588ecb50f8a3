//! Span detail: a header, the tab bar, and the current tab's precomputed lines, wrapped and
//! scrolled by screen rows. Opened from the trace view, which gets the span cursor back when
//! this pane closes (the jump keys move it here too).

use crate::display;
use crate::model::Score;
use crate::model::Span as ModelSpan;
use crate::model::{SpanKind, SpanLine};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::detail::{self, Tab, TabContent};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Handoff, Intent, Notice, Pane, PaneInfo, Receipt, SpanFocus};
use crate::tui::spantree::{Jump, TraceData, TreeCursor};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::lines::{self, DetailLine};
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::search::Search;
use crate::tui::widgets::text::cell;
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::sync::Arc;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Span,
    label: "span",
    title: "Span detail",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::plain(K::Tab), Cmd::NextTab, "next tab"),
    key(Key::plain(K::BackTab), Cmd::PrevTab, "previous tab"),
    hint(Key::ch('z'), Cmd::ToggleFold, "fold / unfold attributes"),
    key(Key::ch('m'), Cmd::NextLlm, "next LLM call"),
    key(Key::ch('M'), Cmd::PrevLlm, "previous LLM call"),
    key(Key::ch('e'), Cmd::NextError, "next error"),
    key(Key::ch('E'), Cmd::PrevError, "previous error"),
    key(Key::ch('t'), Cmd::NextTool, "next tool call"),
    key(Key::ch('T'), Cmd::PrevTool, "previous tool call"),
    key(Key::ch('/'), Cmd::Search, "search this tab"),
    key(Key::ch('n'), Cmd::SearchNext, "next match"),
    key(Key::ch('N'), Cmd::SearchPrev, "previous match"),
    key(
        Key::plain(K::Enter),
        Cmd::Open,
        "go to the retriever (an LLM call's Documents tab)",
    ),
    hint(Key::ch('y'), Cmd::Copy, "copy span as JSON"),
    key(Key::ch('R'), Cmd::Rerun, "re-run this trace's verdicts"),
    key(Key::ch('r'), Cmd::Replay, "replay this LLM call"),
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

/// Rows above the text: the span's name, its figures and the tab bar.
const HEADER_ROWS: u16 = 3;

#[derive(Debug, Clone)]
pub struct SpanPane {
    pub data: Arc<TraceData>,
    pub scores: Vec<Score>,
    /// The trace view's cursor: which span this is.
    pub tree: TreeCursor,
    pub tab: Tab,
    pub unfold: bool,
    /// The current tab as lines.
    pub detail: Vec<DetailLine>,
    /// A `/` search over the current tab's lines.
    pub search: Option<Search>,
    view: ScrollList,
    width: u16,
    /// A big trace's span under the cursor, whole (read on demand; `None` while it is read).
    current: Option<Arc<ModelSpan>>,
    /// The payload read under way: (request, store row).
    reading: Option<(u64, i64)>,
}

impl SpanPane {
    pub fn new(focus: SpanFocus, size: (u16, u16)) -> SpanPane {
        // Each span opens on its kind's tab rather than the last one used (a retriever's
        // Messages tab is empty); only the verdicts key (`v`) asks for a tab of its own.
        let tab = match focus.tree.selected_line(&focus.data) {
            Some(s) if focus.tab != Tab::Verdicts => Tab::for_kind(s.kind),
            _ => focus.tab,
        };
        let mut p = SpanPane {
            data: focus.data,
            scores: focus.scores,
            tree: focus.tree,
            tab,
            unfold: focus.unfold,
            detail: Vec::new(),
            search: None,
            view: ScrollList::document(),
            width: 0,
            current: None,
            reading: None,
        };
        p.measure(size);
        p.rebuild(true);
        p
    }

    /// The span under the cursor, whole (`None` while a big trace's span is being read).
    pub fn selected_span(&self) -> Option<&ModelSpan> {
        if self.data.is_lean() {
            return self.current.as_deref();
        }
        self.tree.selected_span(&self.data)
    }

    /// The span under the cursor as far as the header needs it (its tree line).
    fn header_span(&self) -> Option<&SpanLine> {
        self.tree.selected_line(&self.data)
    }

    /// The read of the span under the cursor, when a big trace's span is not whole yet.
    fn fetch(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        if self.current.is_some() || !self.data.is_lean() {
            return Vec::new();
        }
        let Some(row) = self.tree.selected_pos().and_then(|p| self.data.row_at(p)) else {
            return Vec::new();
        };
        if self.reading.is_some_and(|(_, r)| r == row) {
            return Vec::new();
        }
        let req = cx.req();
        self.reading = Some((req, row));
        vec![Effect::LoadPayloads {
            req,
            rows: vec![row],
        }]
    }

    /// Rebuilds the current tab's lines (from the top when `reset`).
    fn rebuild(&mut self, reset: bool) {
        self.current = self
            .tree
            .selected_pos()
            .and_then(|p| self.data.whole_span_at(p));
        self.detail = if self.data.is_lean() && self.current.is_none() {
            vec![DetailLine::new(lines::LineKind::Dim, "reading the span…")]
        } else {
            detail::build(&TabContent {
                data: &self.data,
                scores: &self.scores,
                span: self.selected_span(),
                tab: self.tab,
                unfold: self.unfold,
            })
        };
        if reset {
            self.view.reset();
        }
        lines::measure(&mut self.view, &self.detail, self.width);
        if let Some(s) = self.search.as_mut() {
            let detail = &self.detail;
            s.scan(detail.len(), |s, i| {
                detail.get(i).is_some_and(|l| s.matches(&l.text))
            });
        }
    }

    /// The tab for the span now under the cursor, from the top.
    fn show_span(&mut self) {
        if let Some(s) = self.tree.selected_line(&self.data) {
            self.tab = Tab::for_kind(s.kind);
        }
        self.rebuild(true);
    }

    /// Scrolls to the next (or previous) matching line; a new search starts at the top line
    /// in view.
    fn search_step(&mut self, forward: bool, inclusive: bool, cx: &mut Ctx) {
        let from = match self.search.as_ref().and_then(Search::current) {
            Some(c) if !inclusive => c,
            _ => self.view.first_in_view(),
        };
        let Some(search) = self.search.as_mut() else {
            cx.info("no search: press / first");
            return;
        };
        match search.step(from, forward, inclusive) {
            Some(i) => {
                cx.info(format!("/{} · {}", cell(&search.query), search.status()));
                self.view.show_item(i);
            }
            None => cx.error(format!(
                "no match for '{}' on the {} tab",
                cell(&search.query),
                self.tab.label()
            )),
        }
    }

    /// Enter on an LLM call's Documents tab with none of its own: the retriever it read.
    fn go_to_retriever(&mut self, cx: &mut Ctx) {
        let Some(span) = self.selected_span() else {
            return;
        };
        if self.tab != Tab::Documents || span.kind != SpanKind::Llm || !span.documents.is_empty() {
            return;
        }
        match detail::retriever_for(&self.data, span) {
            Some((pos, r)) => {
                cx.info(format!("{} {}", r.kind.as_str(), cell(&r.name)));
                self.tree.reveal(&self.data, pos);
                self.show_span();
            }
            None => cx.error("no retriever span in this trace"),
        }
    }

    fn measure(&mut self, size: (u16, u16)) {
        let body = body_area(size);
        self.view
            .set_viewport(usize::from(body.height.saturating_sub(HEADER_ROWS)));
        if body.width != self.width {
            self.width = body.width;
            lines::measure(&mut self.view, &self.detail, self.width);
        }
    }
}

impl Pane for SpanPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.view.apply(m);
            return Vec::new();
        }
        if let Some((kind, forward)) = Jump::of(c) {
            cx.outcome(self.tree.jump(&self.data, kind, forward));
            self.show_span();
            return self.fetch(cx);
        }
        match c {
            Cmd::Back => cx.back(),
            Cmd::Copy => {
                let json = self
                    .selected_span()
                    .and_then(|s| serde_json::to_string_pretty(s).ok());
                if let Some(j) = json {
                    return cx.copy_json(j, "span as JSON");
                }
            }
            Cmd::NextTab | Cmd::PrevTab => {
                self.tab = self.tab.cycle(c == Cmd::NextTab);
                self.rebuild(true);
            }
            Cmd::ToggleFold => {
                self.unfold = !self.unfold;
                self.tab = Tab::Attributes;
                self.rebuild(false);
            }
            Cmd::Rerun => cx.ask_rerun(&self.data.trace_id, &self.scores),
            Cmd::Replay => cx.ask_replay(self.selected_span()),
            Cmd::Search => cx.ask(Intent::Prompt(InputKind::Search, String::new())),
            Cmd::SearchNext => self.search_step(true, false, cx),
            Cmd::SearchPrev => self.search_step(false, false, cx),
            Cmd::Open => self.go_to_retriever(cx),
            _ => {}
        }
        self.fetch(cx)
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::PayloadsLoaded { req, result }
                if self.reading.is_some_and(|(r, _)| r == req) =>
            {
                self.reading = None;
                match result {
                    Ok(whole) => {
                        self.data.keep_payloads(whole);
                        self.rebuild(true);
                        if self.current.is_none() {
                            cx.error(
                                "the span is gone from the store (its trace was imported again)",
                            );
                        }
                    }
                    Err(e) => cx.error(e),
                }
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        if kind == InputKind::Search {
            self.search = Search::new(text);
            self.rebuild(false);
            if self.search.is_some() {
                self.search_step(true, true, cx);
            }
        }
        Vec::new()
    }

    fn notice(&mut self, notice: &Notice) {
        if let Notice::Scores { trace_id, scores } = notice
            && *trace_id == self.data.trace_id
        {
            self.scores = scores.to_vec();
            if self.tab == Tab::Verdicts {
                self.rebuild(false);
            }
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.measure(cx.size);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        let Some(s) = self.header_span() else {
            return;
        };
        let mut l1 = vec![
            Span::styled(format!("{} ", s.kind.short()), th.key()),
            Span::styled(cell(&s.name), th.title()),
        ];
        if s.is_error() {
            l1.push(Span::styled("  ✗ error", th.error()));
        }
        frame.render_widget(Paragraph::new(Line::from(l1)), line_area(area, 0));
        let tokens = s
            .usage
            .as_deref()
            .and_then(|u| u.total_or_sum())
            .map(|n| format!(" · {} tokens", display::tokens(n)))
            .unwrap_or_default();
        let cost = s
            .cost
            .map(|c| format!(" · {}", display::cost(c)))
            .unwrap_or_default();
        let l2 = format!(
            "{}{}{tokens}{cost} · +{} from trace start",
            s.duration_ns()
                .map(display::duration_ns)
                .unwrap_or_else(|| "?".into()),
            s.model
                .as_deref()
                .map(|m| format!(" · {}", cell(m)))
                .unwrap_or_default(),
            display::duration_ns((s.start_ns - self.data.t0).max(0)),
        );
        frame.render_widget(
            Paragraph::new(Span::styled(l2, th.dim())),
            line_area(area, 1),
        );
        let mut tabs = Vec::new();
        for tab in Tab::ALL {
            let (style, text) = if tab == self.tab {
                (th.selected(), format!("[{}]", tab.label()))
            } else {
                (th.dim(), format!(" {} ", tab.label()))
            };
            tabs.push(Span::styled(text, style));
            tabs.push(Span::raw(" "));
        }
        tabs.push(Span::styled("(Tab switches)", th.dim()));
        frame.render_widget(Paragraph::new(Line::from(tabs)), line_area(area, 2));
        let body = Rect {
            y: area.y + HEADER_ROWS,
            height: area.height.saturating_sub(HEADER_ROWS),
            ..area
        };
        lines::draw_searched(
            frame,
            body,
            th,
            &self.detail,
            &self.view,
            self.search.as_ref(),
        );
    }

    fn position(&self) -> String {
        self.tree.position()
    }

    fn shown_trace(&self) -> Option<&str> {
        Some(&self.data.trace_id)
    }

    fn current_session(&self) -> Option<String> {
        self.data.session_id()
    }

    fn close(&mut self) -> Option<Handoff> {
        Some(Handoff::Span(SpanFocus {
            data: self.data.clone(),
            scores: self.scores.clone(),
            tree: self.tree.clone(),
            // Not the tab shown: the next span opens on its own kind's tab.
            tab: Tab::default(),
            unfold: self.unfold,
        }))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
