//! Trace detail: a header with totals and verdicts, then the span tree beside a waterfall (or
//! a duration and cost column below 100 columns). Only the visible rows are drawn.

use crate::display;
use crate::model::{Score, Trace};
use crate::model::{Span as ModelSpan, SpanKind, Verdict};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::detail::Tab;
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Handoff, Intent, Notice, Pane, PaneInfo, Receipt, SpanFocus};
use crate::tui::spantree::{Jump, TraceData, TreeCursor};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::scroll::Motion;
use crate::tui::widgets::text::{cell, fit, rfit, thousands, trace_title, verdict_glyph};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::sync::Arc;

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
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

/// Rows above the tree: two header lines, the verdicts line and the column header.
const HEADER_ROWS: u16 = 4;
/// Below this width the waterfall gives way to a duration column.
pub const WATERFALL_MIN_WIDTH: u16 = 100;
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
        t.fill(summary, spans, Vec::new(), size);
        t
    }

    /// The request this pane waits for.
    pub fn req(&self) -> u64 {
        self.req
    }

    pub fn selected_span(&self) -> Option<&ModelSpan> {
        self.tree.selected_span(&self.data)
    }

    fn fill(
        &mut self,
        summary: Option<Trace>,
        spans: Vec<ModelSpan>,
        scores: Vec<Score>,
        size: (u16, u16),
    ) {
        self.loading = false;
        self.data = Arc::new(TraceData::new(self.trace_id.clone(), summary, spans));
        self.scores = scores;
        self.tree = TreeCursor::new(&self.data, tree_rows(size));
    }

    fn open_span(&mut self, tab: Tab, cx: &mut Ctx) {
        if self.selected_span().is_none() {
            return;
        }
        self.tab = tab;
        cx.ask(Intent::OpenSpan(SpanFocus {
            data: self.data.clone(),
            scores: self.scores.clone(),
            tree: self.tree.clone(),
            tab,
            unfold: self.unfold,
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

/// Rows of the span tree at this terminal size.
fn tree_rows(size: (u16, u16)) -> usize {
    usize::from(body_area(size).height.saturating_sub(HEADER_ROWS))
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
            Cmd::Open => self.open_span(self.tab, cx),
            Cmd::Verdicts => self.open_span(Tab::Verdicts, cx),
            Cmd::Rerun => cx.ask_rerun(&self.trace_id, &self.scores),
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::TraceLoaded {
                req,
                summary,
                spans,
                scores,
            } if req == self.req => {
                self.fill(summary, spans, scores, cx.size);
                if self.data.spans.is_empty() {
                    cx.error(format!("trace {} has no spans (yet)", cell(&self.trace_id)));
                }
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
        self.tree.list.set_viewport(tree_rows(cx.size));
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
    header(frame, t, area, th);
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
        line_area(area, HEADER_ROWS - 1),
    );
    let bar_w = width.saturating_sub(tree_w + DUR + 2);
    let rows = area.height.saturating_sub(HEADER_ROWS);
    let data = &t.data;
    let first = t.tree.list.offset();
    for r in 0..rows {
        let vi = first + usize::from(r);
        let Some(&pos) = t.tree.visible.get(vi) else {
            break;
        };
        let (Some(node), Some(s)) = (data.tree.nodes.get(pos), data.span_at(pos)) else {
            continue;
        };
        let indent = "  ".repeat(node.depth.min(MAX_INDENT));
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
            spans.push(Span::styled(bar(data, s, bar_w), style));
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
        if vi == t.tree.list.selected() {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, HEADER_ROWS + r));
    }
}

/// The span's place on the trace's time axis, `w` cells wide.
pub fn bar(t: &TraceData, s: &ModelSpan, w: usize) -> String {
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

fn header(frame: &mut Frame, t: &TracePane, area: Rect, th: &Theme) {
    let (name, line2) = match &t.data.summary {
        Some(s) => (
            trace_title(s).to_string(),
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
    let err = t.data.summary.as_ref().is_some_and(|s| s.error);
    let l1 = Line::from(vec![
        Span::styled(if err { "✗ " } else { "" }, th.error()),
        Span::styled(cell(&name), th.title()),
        Span::styled(format!("  {}", cell(&t.trace_id)), th.dim()),
    ]);
    frame.render_widget(Paragraph::new(l1), line_area(area, 0));
    frame.render_widget(Paragraph::new(cell(&line2)), line_area(area, 1));
    frame.render_widget(Paragraph::new(verdicts(&t.scores, th)), line_area(area, 2));
}

/// Latest verdict per rule (any source) with its label text and explanation.
fn verdicts<'a>(scores: &[Score], th: &Theme) -> Line<'a> {
    if scores.is_empty() {
        return Line::from(Span::styled("no verdicts yet (trawl judge)", th.dim()));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut spans = Vec::new();
    for s in scores {
        if seen.contains(&s.name.as_str()) {
            continue;
        }
        seen.push(&s.name);
        let style = match s.verdict {
            Some(Verdict::True) => th.ok(),
            Some(Verdict::False | Verdict::Error) => th.error(),
            Some(Verdict::Na) => th.dim(),
            None => th.base(),
        };
        let g = s.verdict.map(verdict_glyph).unwrap_or("");
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
