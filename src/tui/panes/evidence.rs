//! The evidence pane: one response (the trace's final answer, or one LLM call) beside the
//! passages that were in its prompt — staged retrieved → reranked → in prompt, deduplicated,
//! with scores — the judge's reasoning, and the words the answer shares with each passage
//! marked (`model::evidence` does the matching). Side by side from 100 columns, stacked below.

use crate::judge::input::trace_input;
use crate::model::evidence::Evidence;
use crate::model::{Score, Span as ModelSpan, SpanKind};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, EvidenceFocus, Notice, Pane, PaneInfo, Receipt};
use crate::tui::spantree::TraceData;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::evidence::{self as ev, MarkedLine};
use crate::tui::widgets::lines::LineKind as L;
use crate::tui::widgets::text::{cell, fit, short_id};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;
use std::sync::Arc;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Evidence,
    label: "evidence",
    title: "Evidence (a response and the passages in its prompt)",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::ch('m'), Cmd::NextLlm, "next LLM call's answer"),
    key(Key::ch('M'), Cmd::PrevLlm, "previous LLM call's answer"),
    key(Key::ch('y'), Cmd::Copy, "copy the answer"),
];

/// From this width the answer and the passages stand side by side.
pub const SIDE_BY_SIDE_MIN_WIDTH: u16 = 100;

#[derive(Debug, Clone, Default)]
pub struct EvidencePane {
    pub trace_id: String,
    pub loading: bool,
    data: Arc<TraceData>,
    scores: Vec<Score>,
    /// The LLM span whose answer is shown (`None` before loading or when the trace has none).
    pub span_id: Option<String>,
    /// The response is the trace's final answer (the judge's trace verdicts are about it).
    pub whole: bool,
    pub answer: Option<String>,
    pub evidence: Evidence,
    /// Question, answer and judge; then the passages.
    left: Vec<MarkedLine>,
    right: Vec<MarkedLine>,
    /// First shown row of each column (they scroll together, each stopping at its end).
    offset: usize,
    size: (u16, u16),
    req: u64,
}

impl EvidencePane {
    /// The pane for `focus`; loads the trace when the focus brings no spans.
    pub fn open(focus: EvidenceFocus, cx: &mut Ctx) -> (EvidencePane, Vec<Effect>) {
        let mut pane = EvidencePane {
            trace_id: focus.trace_id.clone(),
            scores: focus.scores,
            span_id: focus.span_id,
            size: cx.size,
            ..EvidencePane::default()
        };
        match focus.data {
            Some(data) => {
                pane.data = data;
                pane.build();
                (pane, Vec::new())
            }
            None => {
                pane.loading = true;
                pane.req = cx.req();
                let effect = Effect::LoadTrace {
                    req: pane.req,
                    trace_id: focus.trace_id,
                };
                (pane, vec![effect])
            }
        }
    }

    /// The LLM calls of the trace, in time order.
    fn llm_calls(data: &TraceData) -> Vec<&ModelSpan> {
        let mut v: Vec<&ModelSpan> = data
            .spans
            .iter()
            .filter(|s| s.kind == SpanKind::Llm)
            .collect();
        v.sort_by_key(|s| s.start_ns);
        v
    }

    /// Works out the response, its evidence and the text of both columns.
    fn build(&mut self) {
        let data = self.data.clone();
        let calls = EvidencePane::llm_calls(&data);
        let last = calls.last().map(|s| s.span_id.clone());
        let chosen = self
            .span_id
            .as_ref()
            .and_then(|id| calls.iter().find(|s| &s.span_id == id).copied());
        self.whole = chosen.is_none() || chosen.map(|s| &s.span_id) == last.as_ref();
        let spans = &data.spans;
        let input = trace_input(&self.trace_id, spans);
        let (answer, evidence) = match chosen.filter(|_| !self.whole) {
            Some(call) => {
                let answer = last_answer(call);
                let e = Evidence::of_span(spans, call, answer.as_deref());
                (answer, e)
            }
            None => {
                let answer = input.final_answer.clone();
                (answer.clone(), Evidence::of_trace(spans, answer.as_deref()))
            }
        };
        self.span_id = evidence.response_span.clone().or(last);
        self.answer = answer;
        self.evidence = evidence;
        let mut left = Vec::new();
        left.push(MarkedLine::new(L::Heading, "── question ──"));
        match &input.last_user_message {
            Some(q) => ev::text(&mut left, L::Body, q, &[]),
            None => left.push(MarkedLine::new(L::Dim, "  (no user message found)")),
        }
        left.push(MarkedLine::new(L::Heading, self.answer_heading()));
        match &self.answer {
            Some(a) => ev::text(&mut left, L::Body, a, &self.evidence.answer_terms),
            None => left.push(MarkedLine::new(L::Dim, "  (no answer found)")),
        }
        ev::judge(&mut left, &self.scores, self.span_id.as_deref(), self.whole);
        let mut right = Vec::new();
        ev::passages(&mut right, &self.evidence);
        self.left = left;
        self.right = right;
        self.offset = 0;
    }

    fn answer_heading(&self) -> String {
        let call = self
            .span_id
            .as_ref()
            .and_then(|id| self.data.spans.iter().find(|s| &s.span_id == id));
        let what = if self.whole { "answer" } else { "LLM call" };
        match call {
            Some(s) => {
                let model = s
                    .model
                    .as_deref()
                    .map(|m| format!(" · {}", cell(m)))
                    .unwrap_or_default();
                format!("── {what} ({}{model}) ──", cell(&s.name))
            }
            None => format!("── {what} ──"),
        }
    }

    /// Moves to the next (or previous) LLM call's answer.
    fn step(&mut self, forward: bool, cx: &mut Ctx) {
        let data = self.data.clone();
        let calls = EvidencePane::llm_calls(&data);
        let at = self
            .span_id
            .as_ref()
            .and_then(|id| calls.iter().position(|s| &s.span_id == id));
        let next = match (at, forward) {
            (Some(i), true) if i + 1 < calls.len() => Some(i + 1),
            (Some(i), false) if i > 0 => Some(i - 1),
            _ => None,
        };
        let Some(id) = next.and_then(|i| calls.get(i)).map(|s| s.span_id.clone()) else {
            cx.info(if forward {
                "no next LLM call"
            } else {
                "no previous LLM call"
            });
            return;
        };
        let n = next.map_or(0, |i| i + 1);
        let total = calls.len();
        self.span_id = Some(id);
        self.build();
        cx.info(format!("LLM call {n}/{total}"));
    }

    /// Moves the shared scroll position; it stops where the taller column's end is in view.
    fn scroll(&mut self, c: Cmd) {
        let (rows, height) = self.measure();
        let max = rows.saturating_sub(height);
        let half = (height / 2).max(1);
        self.offset = match c {
            Cmd::Down => self.offset + 1,
            Cmd::Up => self.offset.saturating_sub(1),
            Cmd::PageDown => self.offset + half,
            Cmd::PageUp => self.offset.saturating_sub(half),
            Cmd::Top => 0,
            Cmd::Bottom => max,
            // Anything else only re-clamps (after a resize).
            _ => self.offset,
        }
        .min(max);
    }

    /// Rows of the taller column and the rows on screen, at the current size.
    fn measure(&self) -> (usize, usize) {
        let body = body_area(self.size);
        let cols = columns(self, content_rect(body));
        let rows = cols
            .iter()
            .map(|(lines, r)| rows_of(lines, r.width))
            .max()
            .unwrap_or(0);
        let height = cols.first().map_or(0, |(_, r)| usize::from(r.height));
        (rows, height)
    }
}

/// The last thing an LLM call said.
fn last_answer(s: &ModelSpan) -> Option<String> {
    s.output_messages
        .iter()
        .rev()
        .find(|m| !m.content.trim().is_empty())
        .map(|m| m.content.clone())
        .or_else(|| s.output_text())
}

impl Pane for EvidencePane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        match c {
            Cmd::Back => cx.back(),
            Cmd::NextLlm => self.step(true, cx),
            Cmd::PrevLlm => self.step(false, cx),
            Cmd::Copy => match self.answer.clone() {
                Some(a) => return cx.copy(a, "answer"),
                None => cx.info("no answer to copy"),
            },
            other => self.scroll(other),
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
            } if self.loading && req == self.req => {
                self.loading = false;
                self.data = Arc::new(TraceData::new(self.trace_id.clone(), summary, spans));
                self.scores = scores;
                self.build();
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
                if !self.loading {
                    let offset = self.offset;
                    self.build();
                    self.offset = offset;
                }
            }
            Notice::Failed { req } if *req == self.req => self.loading = false,
            _ => {}
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.size = cx.size;
        self.scroll(Cmd::Cancel);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        let (rows, height) = self.measure();
        if rows <= height {
            return String::new();
        }
        format!(
            "row {}/{} ",
            self.offset + 1,
            rows.saturating_sub(height) + 1
        )
    }

    fn shown_trace(&self) -> Option<&str> {
        Some(&self.trace_id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ── drawing ─────────────────────────────────────────────────────────────────────────────

/// Below the one-line title.
fn content_rect(area: Rect) -> Rect {
    Rect {
        y: area.y + 1.min(area.height),
        height: area.height.saturating_sub(1),
        ..area
    }
}

/// The columns to draw and where: side by side (answer left, passages right, a gutter
/// between) from 100 columns, else one column with the passages below the answer.
fn columns(p: &EvidencePane, area: Rect) -> Vec<(Vec<MarkedLine>, Rect)> {
    if area.width >= SIDE_BY_SIDE_MIN_WIDTH {
        let left_w = (area.width * 2 / 5).max(36);
        let left = Rect {
            width: left_w,
            ..area
        };
        // A space, the gutter, a space.
        let right = Rect {
            x: area.x + left_w + 3,
            width: area.width.saturating_sub(left_w + 3),
            ..area
        };
        vec![(p.left.clone(), left), (p.right.clone(), right)]
    } else {
        let mut all = p.left.clone();
        all.push(MarkedLine::new(L::Body, ""));
        all.extend(p.right.iter().cloned());
        vec![(all, area)]
    }
}

/// Screen rows `lines` take at `width` (the same wrapping the drawing uses).
fn rows_of(lines: &[MarkedLine], width: u16) -> usize {
    ev::wrap(lines, width, &Theme::mono()).len()
}

fn draw(p: &EvidencePane, frame: &mut Frame, area: Rect, th: &Theme) {
    if p.loading {
        frame.render_widget(
            Paragraph::new(Span::styled(
                format!("loading trace {}…", cell(&p.trace_id)),
                th.dim(),
            )),
            area,
        );
        return;
    }
    let e = &p.evidence;
    let title = format!(
        "trace {} · {} of {} passages in the prompt · ◆ the answer's claims touch it",
        short_id(&p.trace_id),
        e.in_prompt(),
        e.passages.len(),
    );
    frame.render_widget(
        Paragraph::new(Span::styled(fit(&title, usize::from(area.width)), th.dim())),
        line_area(area, 0),
    );
    let body = content_rect(area);
    let cols = columns(p, body);
    for (i, (lines, rect)) in cols.iter().enumerate() {
        let rows = ev::wrap(lines, rect.width, th);
        let offset = p
            .offset
            .min(rows.len().saturating_sub(usize::from(rect.height)));
        let shown: Vec<Line> = rows
            .into_iter()
            .skip(offset)
            .take(usize::from(rect.height))
            .collect();
        frame.render_widget(Paragraph::new(shown), *rect);
        if i == 1 {
            // The gutter between the columns.
            let bar: Vec<Line> = (0..rect.height).map(|_| Line::from("│")).collect();
            let gutter = Rect {
                x: rect.x.saturating_sub(2),
                width: 1,
                ..*rect
            };
            frame.render_widget(Paragraph::new(bar).style(th.border()), gutter);
        }
    }
}
