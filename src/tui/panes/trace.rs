//! Trace detail: a header with totals, the question and the answer, and verdicts; then the
//! span tree beside a waterfall (below 100 columns a compact bar column after the duration
//! and cost). Only the visible rows are drawn.

use crate::display;
use crate::model::{Score, Trace};
use crate::model::{Span as ModelSpan, SpanKind, SpanLine};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::compare::{CompareAction, CompareEffect, ReplayRow};
use crate::tui::detail::Tab;
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{
    Ctx, EvidenceFocus, Handoff, Intent, Notice, Pane, PaneInfo, Receipt, SpanFocus,
};
use crate::tui::spantree::{Jump, OpenedSpans, TraceData, TreeCursor};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::scroll::Motion;
use crate::tui::widgets::text::{cell, fit, rfit};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::borrow::Cow;
use std::sync::Arc;

mod header;
#[cfg(test)]
mod lean_tests;
use header::{header, qa_rows};

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Trace,
    label: "trace",
    title: "Trace detail",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            top: "first span",
            bottom: "last span",
            ..NavLabels::ROWS
        }),
    ),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    key(Key::ch('h'), Cmd::Collapse, "collapse / parent"),
    key(Key::plain(K::Left), Cmd::Collapse, "collapse / parent"),
    key(Key::ch('l'), Cmd::Expand, "expand"),
    key(Key::plain(K::Right), Cmd::Expand, "expand"),
    hint(Key::plain(K::Enter), Cmd::Open, "span detail"),
    hint(Key::ch('a'), Cmd::Evidence, "answer & evidence"),
    hint(Key::ch('m'), Cmd::NextLlm, "next LLM call"),
    key(Key::ch('M'), Cmd::PrevLlm, "previous LLM call"),
    hint(Key::ch('e'), Cmd::NextError, "next error"),
    key(Key::ch('E'), Cmd::PrevError, "previous error"),
    hint(Key::ch('t'), Cmd::NextTool, "next tool call"),
    key(Key::ch('T'), Cmd::PrevTool, "previous tool call"),
    key(Key::ch('/'), Cmd::Search, "search spans"),
    key(Key::ch('n'), Cmd::SearchNext, "next match"),
    key(Key::ch('N'), Cmd::SearchPrev, "previous match"),
    key(Key::ch('y'), Cmd::Copy, "copy trace id"),
    key(Key::ch('c'), Cmd::Session, "session conversation"),
    key(
        Key::ch('v'),
        Cmd::Verdicts,
        "verdicts (explanation, model, cost)",
    ),
    key(Key::ch('R'), Cmd::Rerun, "re-run this trace's verdicts"),
    key(Key::ch('r'), Cmd::Replay, "replay the selected LLM call"),
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

/// Rows above the tree besides the question and answer: title, totals, verdicts and the
/// column header.
const FIXED_HEADER_ROWS: u16 = 4;
/// From this width the waterfall is a wide timeline beside the tree; below it, a compact bar
/// column after the duration and cost.
pub const WATERFALL_MIN_WIDTH: u16 = 100;
/// Narrower than this, the compact bar column is left out (the span names need the room).
const COMPACT_BAR_MIN_WIDTH: u16 = 60;
const DUR: usize = 8;
const COST: usize = 9;
const MAX_INDENT: usize = 16;

#[derive(Debug, Clone)]
pub struct TracePane {
    pub trace_id: String,
    pub loading: bool,
    pub data: Arc<TraceData>,
    pub scores: Vec<Score>,
    pub tree: TreeCursor,
    req: u64,
    search: Option<String>,
    /// The span detail's last tab and folding, reused when it opens again.
    tab: Tab,
    unfold: bool,
    /// What the user asked and what the trace answered (the judge's reading of the trace).
    pub question: Option<String>,
    pub answer: Option<String>,
    /// This trace's replays, newest first (the header's badge).
    pub replays: Vec<ReplayRow>,
    replays_req: u64,
    /// A big trace's span detail waits for its span's payload (request, tab to open on).
    payload_req: u64,
    pending_tab: Option<Tab>,
}

impl TracePane {
    /// A trace being loaded by request `req`.
    pub fn loading(trace_id: String, req: u64) -> TracePane {
        TracePane {
            trace_id,
            loading: true,
            data: Arc::default(),
            scores: Vec::new(),
            tree: TreeCursor::default(),
            req,
            search: None,
            tab: Tab::default(),
            unfold: false,
            question: None,
            answer: None,
            replays: Vec::new(),
            replays_req: 0,
            payload_req: 0,
            pending_tab: None,
        }
    }

    /// A trace from spans already in memory (benchmarks, demos).
    pub fn with_spans(
        summary: Option<Trace>,
        spans: Vec<ModelSpan>,
        size: (u16, u16),
    ) -> TracePane {
        let id = spans
            .first()
            .map(|s| s.trace_id.clone())
            .unwrap_or_default();
        let mut t = TracePane::loading(id, 0);
        t.fill(summary, OpenedSpans::Whole(spans), Vec::new(), size);
        t
    }

    /// The request this pane waits for.
    pub fn req(&self) -> u64 {
        self.req
    }

    /// The span under the cursor: whole when the trace data holds it, else as far as its
    /// tree line tells.
    pub fn selected_span(&self) -> Option<Cow<'_, ModelSpan>> {
        self.data.span_or_line(self.tree.selected_pos()?)
    }

    fn fill(
        &mut self,
        summary: Option<Trace>,
        spans: OpenedSpans,
        scores: Vec<Score>,
        size: (u16, u16),
    ) {
        self.loading = false;
        // A big trace holds whole the spans this reads (root, first and last LLM call).
        let input = crate::judge::input::trace_input(&self.trace_id, spans.whole());
        self.question = input.last_user_message;
        self.answer = input.final_answer;
        self.data = Arc::new(TraceData::opened(self.trace_id.clone(), summary, spans));
        self.scores = scores;
        self.tree = TreeCursor::new(&self.data, tree_rows(self, size));
    }

    /// Opens the span detail; for a big trace, once the span's payload is read (the effect
    /// that reads it is returned, and the detail opens when it arrives).
    fn open_span(&mut self, tab: Tab, cx: &mut Ctx) -> Vec<Effect> {
        if self.tree.selected_line(&self.data).is_none() {
            return Vec::new();
        }
        if let Some(pos) = self.tree.selected_pos()
            && let Some(row) = self.data.row_at(pos)
            && self.data.whole_span_at(pos).is_none()
        {
            self.payload_req = cx.req();
            self.pending_tab = Some(tab);
            return vec![Effect::LoadPayloads {
                req: self.payload_req,
                rows: vec![row],
            }];
        }
        self.tab = tab;
        cx.ask(Intent::OpenSpan(SpanFocus {
            data: self.data.clone(),
            scores: self.scores.clone(),
            tree: self.tree.clone(),
            tab,
            unfold: self.unfold,
        }));
        Vec::new()
    }

    /// The evidence of the selected LLM call, else of the trace's final answer.
    fn open_evidence(&mut self, cx: &mut Ctx) {
        if self.loading {
            return;
        }
        let span_id = self
            .tree
            .selected_line(&self.data)
            .filter(|s| s.kind == SpanKind::Llm)
            .map(|s| s.span_id.to_string());
        cx.ask(Intent::OpenEvidence(EvidenceFocus {
            trace_id: self.trace_id.clone(),
            // A big trace's evidence needs every span whole: the evidence view reads them.
            data: (!self.data.is_lean()).then(|| self.data.clone()),
            scores: self.scores.clone(),
            span_id,
        }));
    }

    fn search_step(&mut self, forward: bool, inclusive: bool, cx: &mut Ctx) {
        let Some(q) = self.search.clone() else {
            cx.info("no search: press / first");
            return;
        };
        if !self.tree.search(&self.data, &q, forward, inclusive) {
            cx.error(format!("no span matches '{}'", cell(&q)));
        }
    }
}

/// Rows above the span tree in the body `area`.
fn header_rows(t: &TracePane, area: Rect) -> u16 {
    let [q, a] = qa_rows(t, area);
    (FIXED_HEADER_ROWS + q + a).min(area.height)
}

/// Rows of the span tree at this terminal size.
fn tree_rows(t: &TracePane, size: (u16, u16)) -> usize {
    let body = body_area(size);
    usize::from(body.height.saturating_sub(header_rows(t, body)))
}

impl Pane for TracePane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.tree.list.apply(m);
            return Vec::new();
        }
        if let Some((kind, forward)) = Jump::of(c) {
            cx.outcome(self.tree.jump(&self.data, kind, forward));
            return Vec::new();
        }
        match c {
            Cmd::Back => cx.back(),
            Cmd::Search => cx.ask(Intent::Prompt(InputKind::Search, String::new())),
            Cmd::SearchNext => self.search_step(true, false, cx),
            Cmd::SearchPrev => self.search_step(false, false, cx),
            Cmd::Copy => return cx.copy(self.trace_id.clone(), "trace id"),
            Cmd::Collapse => self.tree.collapse(&self.data),
            Cmd::Expand => self.tree.expand(&self.data),
            Cmd::Open => return self.open_span(self.tab, cx),
            Cmd::Verdicts => return self.open_span(Tab::Verdicts, cx),
            Cmd::Rerun => cx.ask_rerun(&self.trace_id, &self.scores),
            Cmd::Evidence => self.open_evidence(cx),
            Cmd::Replay if !self.loading => cx.ask_replay(self.selected_span().as_deref()),
            _ => {}
        }
        Vec::new()
    }

    /// Spans that arrived for this trace join it; the selected span stays selected.
    fn stored_more(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        if self.loading {
            return Vec::new();
        }
        self.req = cx.req();
        vec![Effect::OpenTrace {
            req: self.req,
            trace_id: self.trace_id.clone(),
            shown: self.data.len(),
        }]
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::TraceOpened {
                req,
                summary,
                spans,
                scores,
            } if req == self.req => {
                let reload = !self.loading && !self.data.is_empty();
                let selected = self
                    .tree
                    .selected_line(&self.data)
                    .map(|s| s.span_id.clone());
                let unchanged = spans.span_count().is_none_or(|n| n == self.data.len());
                if reload && unchanged {
                    // Nothing new: keep the tree (folds, scroll) as it is.
                    self.scores = scores;
                    return Receipt::Taken(Vec::new());
                }
                self.fill(summary, spans, scores, cx.size);
                if let Some(id) = selected.filter(|_| reload)
                    && let Some(pos) = (0..self.data.tree.nodes.len())
                        .find(|&p| self.data.line_at(p).is_some_and(|s| s.span_id == id))
                {
                    self.tree.reveal(&self.data, pos);
                }
                if self.data.is_empty() {
                    cx.error(format!("trace {} has no spans (yet)", cell(&self.trace_id)));
                }
                self.replays_req = cx.req();
                Receipt::Taken(vec![Effect::Compare(CompareEffect::List {
                    req: self.replays_req,
                    of: Some(self.trace_id.clone()),
                })])
            }
            Action::PayloadsLoaded { req, result } if req == self.payload_req => {
                let tab = self.pending_tab.take();
                match result {
                    Ok(whole) => self.data.keep_payloads(whole),
                    Err(e) => {
                        cx.error(e);
                        return Receipt::Taken(Vec::new());
                    }
                }
                let read = self
                    .tree
                    .selected_pos()
                    .and_then(|p| self.data.whole_span_at(p))
                    .is_some();
                match tab {
                    Some(tab) if read => Receipt::Taken(self.open_span(tab, cx)),
                    Some(_) => {
                        cx.error("the span is gone from the store (its trace was imported again)");
                        Receipt::Taken(Vec::new())
                    }
                    None => Receipt::Taken(Vec::new()),
                }
            }
            Action::Compare(CompareAction::List { req, result }) if req == self.replays_req => {
                self.replays = result.unwrap_or_default();
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn notice(&mut self, notice: &Notice) {
        match notice {
            Notice::Scores { trace_id, scores } if *trace_id == self.trace_id => {
                self.scores = scores.to_vec();
            }
            Notice::Failed { req } if *req == self.req => self.loading = false,
            _ => {}
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.tree.list.set_viewport(tree_rows(self, cx.size));
        Vec::new()
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        if kind == InputKind::Search {
            let q = text.trim().to_lowercase();
            self.search = (!q.is_empty()).then_some(q);
            self.search_step(true, true, cx);
        }
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        self.tree.position()
    }

    fn shown_trace(&self) -> Option<&str> {
        Some(&self.trace_id)
    }

    fn current_session(&self) -> Option<String> {
        self.data.session_id()
    }

    fn take_handoff(&mut self, handoff: Handoff) {
        let Handoff::Span(focus) = handoff;
        if focus.data.trace_id != self.trace_id {
            return;
        }
        // The detail may have jumped to another span: show it here too, in this pane's view.
        let rows = self.tree.list.viewport();
        self.tree = focus.tree;
        self.tree.list.set_viewport(rows);
        self.tab = focus.tab;
        self.unfold = focus.unfold;
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ── drawing ─────────────────────────────────────────────────────────────────────────────

fn draw(t: &TracePane, frame: &mut Frame, area: Rect, th: &Theme) {
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
    let head_rows = header_rows(t, area);
    header(frame, t, area, th);
    let cols = Columns::at(area.width);
    let mut head = format!("{} {}", fit("span", cols.tree), rfit("dur", DUR));
    if cols.cost {
        head.push_str(&format!(" {}", rfit("cost", COST)));
    }
    if cols.bar > 0 {
        head.push_str(&format!(" {}", fit("timeline", cols.bar)));
    }
    frame.render_widget(
        Paragraph::new(Span::styled(head, th.header())),
        line_area(area, head_rows.saturating_sub(1)),
    );
    let rows = area.height.saturating_sub(head_rows);
    let data = &t.data;
    let first = t.tree.list.offset();
    // Deep trees keep their names readable: the indent takes at most a third of the column.
    let max_indent = MAX_INDENT.min(cols.tree / 6);
    for r in 0..rows {
        let vi = first + usize::from(r);
        let Some(&pos) = t.tree.visible.get(vi) else {
            break;
        };
        let (Some(node), Some(s)) = (data.tree.nodes.get(pos), data.line_at(pos)) else {
            continue;
        };
        let indent = "  ".repeat(node.depth.min(max_indent));
        let glyph = if node.children.is_empty() {
            "  "
        } else if t.tree.collapsed.contains(&pos) {
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
            Span::styled(fit(&label, cols.tree), name_style),
            Span::raw(format!(" {}", rfit(&dur, DUR))),
        ];
        if cols.cost {
            let c = s.cost.map(display::cost).unwrap_or_default();
            spans.push(Span::raw(format!(" {}", rfit(&c, COST))));
        }
        if cols.bar > 0 {
            let style = if s.kind == SpanKind::Llm {
                th.llm_bar()
            } else {
                th.bar()
            };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(bar(data, s, cols.bar), style));
        }
        let mut line = Line::from(spans);
        if vi == t.tree.list.selected() {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, head_rows + r));
    }
}

/// Column widths of the span table at a width: wide, the tree (45%), duration and a long
/// timeline; narrower, the tree, duration, cost and a compact timeline; very narrow, no
/// timeline.
struct Columns {
    tree: usize,
    cost: bool,
    bar: usize,
}

impl Columns {
    fn at(width: u16) -> Columns {
        let w = usize::from(width);
        if width >= WATERFALL_MIN_WIDTH {
            let tree = (w * 45 / 100).max(30);
            return Columns {
                tree,
                cost: false,
                bar: w.saturating_sub(tree + DUR + 2),
            };
        }
        let bar = if width >= COMPACT_BAR_MIN_WIDTH {
            (w / 6).clamp(8, 16)
        } else {
            0
        };
        let gaps = 2 + usize::from(bar > 0);
        Columns {
            tree: w.saturating_sub(DUR + COST + bar + gaps),
            cost: true,
            bar,
        }
    }
}

/// The span's place on the trace's time axis, `w` cells wide.
pub fn bar(t: &TraceData, s: &SpanLine, w: usize) -> String {
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
