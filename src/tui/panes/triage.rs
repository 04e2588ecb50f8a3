//! The triage queue: one flagged response at a time with its question, answer, documents, the
//! judge's verdicts and the human labels; t / f / n label the focused rule.

use crate::display;
use crate::filter::TraceFilter;
use crate::model::Score;
use crate::model::{ScoreSource, Verdict};
use crate::tui::action::{Action, Cmd, Effect, NewLabel, RuleVerdicts, TriageContent, TriageItem};
use crate::tui::detail;
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Notice, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::lines::{self, DetailLine};
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, fit, short_id, trace_title, verdict_glyph, verdict_word};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::any::Any;
use std::collections::BTreeSet;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Triage,
    label: "triage",
    title: "Triage queue",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)).with_picks("focus rule N"),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::ch('t'), Cmd::LabelTrue, "label TRUE"),
    hint(Key::ch('f'), Cmd::LabelFalse, "label FALSE"),
    hint(Key::ch('n'), Cmd::LabelNa, "label NA"),
    hint(Key::ch('e'), Cmd::Note, "add a note"),
    hint(Key::plain(K::Enter), Cmd::Next, "next"),
    key(Key::plain(K::Right), Cmd::Next, "next"),
    key(Key::plain(K::Left), Cmd::Prev, "previous"),
    hint(Key::ch('u'), Cmd::Undo, "undo last label"),
    key(Key::ch('o'), Cmd::Open, "open the trace"),
    hint(Key::ch('A'), Cmd::Agreement, "agreement pane"),
    key(Key::ch('X'), Cmd::JudgeCancel, "cancel judge run"),
];

/// A label this session made (for undo).
#[derive(Debug, Clone, PartialEq)]
pub struct MadeLabel {
    pub id: i64,
    pub trace_id: String,
    pub rule: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Default)]
pub struct TriagePane {
    pub loading: bool,
    pub items: Vec<TriageItem>,
    /// The response on screen.
    pub index: usize,
    pub content: Option<TriageContent>,
    /// Rules of the current trace (judge verdict and human label each), in display order.
    pub rules: Vec<RuleVerdicts>,
    pub focus: usize,
    /// Question, answer and documents, precomputed for drawing.
    pub lines: Vec<DetailLine>,
    pub view: ScrollList,
    pub made: Vec<MadeLabel>,
    pub pending_note: Option<String>,
    /// Who labels.
    author: String,
    req: u64,
    item_req: u64,
    size: (u16, u16),
}

impl TriagePane {
    /// The queue within `filter`, loading; the effect asks for it.
    pub fn open(author: String, filter: TraceFilter, cx: &mut Ctx) -> (TriagePane, Effect) {
        let req = cx.req();
        let pane = TriagePane {
            loading: true,
            view: ScrollList::document(),
            author,
            req,
            size: cx.size,
            ..TriagePane::default()
        };
        (pane, Effect::LoadTriage { req, filter })
    }

    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.done()).count()
    }

    pub fn current(&self) -> Option<&TriageItem> {
        self.items.get(self.index)
    }

    pub fn focused_rule(&self) -> Option<&RuleVerdicts> {
        self.rules.get(self.focus)
    }

    fn load_item(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        let Some(id) = self.current().map(|i| i.trace_id.clone()) else {
            return Vec::new();
        };
        let req = cx.req();
        self.item_req = req;
        vec![Effect::LoadTriageItem { req, trace_id: id }]
    }

    fn label(&mut self, verdict: Verdict, cx: &mut Ctx) -> Vec<Effect> {
        let req = cx.req();
        let Some(item) = self.current() else {
            cx.info("nothing to label");
            return Vec::new();
        };
        // A key typed before the response's details arrive still labels it: the queue already
        // knows which rules were flagged (first one not yet labelled).
        let rule = self.focused_rule().map(|r| r.rule.clone()).or_else(|| {
            item.flagged
                .iter()
                .find(|r| !item.labeled.contains(*r))
                .or(item.flagged.first())
                .cloned()
        });
        let Some(rule) = rule else {
            cx.info("nothing to label");
            return Vec::new();
        };
        let label = NewLabel {
            trace_id: item.trace_id.clone(),
            rule,
            verdict,
            note: self.pending_note.take(),
            author: self.author.clone(),
        };
        vec![Effect::AddLabel { req, label }]
    }

    fn submit_note(&mut self, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Vec::new();
        }
        let existing = self
            .focused_rule()
            .and_then(|r| r.human.as_ref())
            .and_then(|h| h.verdict);
        self.pending_note = Some(text);
        match existing {
            // Already labelled: store the label again with the note (the latest wins).
            Some(v) => self.label(v, cx),
            None => {
                cx.info("note kept: it is saved with the next label (t / f / n)");
                Vec::new()
            }
        }
    }

    fn undo(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        let req = cx.req();
        let Some(m) = self.made.pop() else {
            cx.info("nothing to undo");
            return Vec::new();
        };
        let mut out = vec![Effect::DeleteLabel {
            req,
            id: m.id,
            trace_id: m.trace_id.clone(),
            rule: m.rule.clone(),
        }];
        // Go back to the response that label was on.
        if let Some(i) = self.items.iter().position(|i| i.trace_id == m.trace_id)
            && i != self.index
        {
            self.index = i;
            out.extend(self.load_item(cx));
        }
        out
    }

    fn step(&mut self, forward: bool, cx: &mut Ctx) -> Vec<Effect> {
        let n = self.items.len();
        if n == 0 {
            return Vec::new();
        }
        if forward && self.index + 1 >= n {
            let done = self.done_count();
            cx.info(format!("last flagged response · {done}/{n} done"));
            return Vec::new();
        }
        if !forward && self.index == 0 {
            cx.info("first flagged response");
            return Vec::new();
        }
        self.index = if forward {
            self.index + 1
        } else {
            self.index - 1
        };
        self.pending_note = None;
        // The rule list belongs to the previous response until this one loads.
        self.rules.clear();
        self.focus = 0;
        cx.clear_status();
        self.load_item(cx)
    }

    /// Re-measures the text area (it starts below the rules, which vary per response).
    fn layout(&mut self) {
        let body = body_area(self.size);
        let content = content_rect(self, body);
        self.view.set_viewport(usize::from(content.height));
        lines::measure(&mut self.view, &self.lines, content.width);
    }
}

impl Pane for TriagePane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        let out = match c {
            Cmd::Back => {
                cx.back();
                Vec::new()
            }
            Cmd::LabelTrue => self.label(Verdict::True, cx),
            Cmd::LabelFalse => self.label(Verdict::False, cx),
            Cmd::LabelNa => self.label(Verdict::Na, cx),
            Cmd::Note => {
                if self.focused_rule().is_none() {
                    cx.info("no rule to note on");
                } else {
                    cx.ask(Intent::Prompt(InputKind::Note, String::new()));
                }
                Vec::new()
            }
            Cmd::Undo => self.undo(cx),
            Cmd::Open => {
                if let Some(id) = self.current().map(|i| i.trace_id.clone()) {
                    cx.ask(Intent::OpenTrace(id));
                }
                Vec::new()
            }
            Cmd::Next | Cmd::Prev => self.step(c == Cmd::Next, cx),
            Cmd::Pick(n) => {
                let i = usize::from(n).saturating_sub(1);
                if i < self.rules.len() {
                    self.focus = i;
                }
                Vec::new()
            }
            other => {
                if let Some(m) = Motion::of(other) {
                    self.view.apply(m);
                }
                return Vec::new();
            }
        };
        self.layout();
        out
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        let out = match action {
            Action::TriageLoaded { req, items } if req == self.req => {
                self.loading = false;
                self.items = items;
                self.index = 0;
                if self.items.is_empty() {
                    cx.info("nothing flagged: no FALSE or error verdicts here (J judges traces)");
                    Vec::new()
                } else {
                    self.load_item(cx)
                }
            }
            Action::TriageItemLoaded { req, content } if req == self.item_req => {
                self.rules = content.rules();
                let flagged = self
                    .current()
                    .map(|i| i.flagged.clone())
                    .unwrap_or_default();
                self.focus = self
                    .rules
                    .iter()
                    .position(|r| flagged.contains(&r.rule) && r.human.is_none())
                    .or_else(|| self.rules.iter().position(|r| flagged.contains(&r.rule)))
                    .unwrap_or(0);
                self.lines = detail::response(&content);
                self.view.reset();
                self.content = Some(content);
                Vec::new()
            }
            // Labels are this pane's whatever the request: a label is never stale.
            Action::Labeled {
                id,
                trace_id,
                rule,
                verdict,
                ..
            } => {
                self.made.push(MadeLabel {
                    id,
                    trace_id: trace_id.clone(),
                    rule: rule.clone(),
                    verdict,
                });
                for item in self.items.iter_mut().filter(|i| i.trace_id == trace_id) {
                    item.labeled.insert(rule.clone());
                }
                if self.focus + 1 < self.rules.len() {
                    self.focus += 1;
                }
                let (done, n) = (self.done_count(), self.items.len());
                cx.info(format!(
                    "labelled {} {} · {done}/{n} done",
                    cell(&rule),
                    verdict_word(verdict)
                ));
                vec![Effect::LoadScores { trace_id }]
            }
            Action::LabelDeleted { trace_id, rule, .. } => {
                for item in self.items.iter_mut().filter(|i| i.trace_id == trace_id) {
                    item.labeled.remove(&rule);
                }
                cx.info(format!("undone: label {} removed", cell(&rule)));
                vec![Effect::LoadScores { trace_id }]
            }
            other => return Receipt::Pass(other),
        };
        self.layout();
        Receipt::Taken(out)
    }

    fn notice(&mut self, notice: &Notice) {
        let Notice::Scores { trace_id, scores } = notice else {
            return;
        };
        let labeled: BTreeSet<String> = scores
            .iter()
            .filter(|s| s.source == ScoreSource::Human && s.verdict.is_some())
            .map(|s| s.name.clone())
            .collect();
        for item in self.items.iter_mut().filter(|i| i.trace_id == *trace_id) {
            item.labeled = labeled.clone();
        }
        if let Some(c) = &mut self.content
            && c.trace_id == *trace_id
        {
            c.scores = scores.to_vec();
            self.rules = c.rules();
            self.focus = self.focus.min(self.rules.len().saturating_sub(1));
        }
        self.layout();
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.size = cx.size;
        self.layout();
        Vec::new()
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        let out = match kind {
            InputKind::Note => self.submit_note(text, cx),
            _ => Vec::new(),
        };
        self.layout();
        out
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        let n = self.items.len();
        format!(
            "{}/{n} · {}/{n} done ",
            (self.index + 1).min(n),
            self.done_count()
        )
    }

    fn shown_trace(&self) -> Option<&str> {
        self.content.as_ref().map(|c| c.trace_id.as_str())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

// ── drawing ─────────────────────────────────────────────────────────────────────────────

fn verdict_text(s: &Score) -> (&'static str, &'static str) {
    s.verdict
        .map(|v| (verdict_glyph(v), verdict_word(v)))
        .unwrap_or((" ", "-"))
}

/// Rows of the rule list: one per rule while they fit (the last row is kept for the text).
fn rule_rows(t: &TriagePane, area: Rect) -> u16 {
    let fit = usize::from(area.height.saturating_sub(3));
    u16::try_from(t.rules.len().min(fit)).unwrap_or(0)
}

/// The focused rule's explanation, when there is one.
fn explanation(t: &TriagePane) -> Option<&str> {
    t.focused_rule()
        .and_then(|r| r.judge.as_ref())
        .and_then(|j| j.explanation.as_deref())
}

/// Where the question, answer and documents go: below the header, the rules, the focused
/// rule's explanation and the pending note.
fn content_rect(t: &TriagePane, area: Rect) -> Rect {
    let mut row = 2 + rule_rows(t, area);
    if explanation(t).is_some() && row < area.height {
        row += 2.min(area.height - row);
    }
    if t.pending_note.is_some() {
        row += 1;
    }
    Rect {
        x: area.x,
        y: area.y + row.min(area.height),
        width: area.width,
        height: area.height.saturating_sub(row),
    }
}

fn draw(t: &TriagePane, frame: &mut Frame, area: Rect, th: &Theme) {
    if t.loading {
        frame.render_widget(
            Paragraph::new(Span::styled("loading the flagged responses…", th.dim())),
            area,
        );
        return;
    }
    if t.items.is_empty() {
        let lines = vec![
            Line::from(Span::styled(
                "Nothing flagged: no trace has a FALSE or error verdict (in this filter).",
                th.title(),
            )),
            Line::from(""),
            Line::from(
                "Judge traces first: mark them with Space in the list (or filter), press J.",
            ),
        ];
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    let width = usize::from(area.width);
    let item = t.current();
    let (question, when) = match t.content.as_ref().and_then(|c| c.summary.as_ref()) {
        Some(s) => (
            trace_title(s).to_string(),
            format!(
                "{} · {} · {}",
                crate::timefilter::short_time(s.start_ns),
                display::duration_ns(s.duration_ns),
                display::trace_cost(s.cost_usd, s.cost_known_usd, s.unknown_cost_spans)
            ),
        ),
        None => ("…".to_string(), String::new()),
    };
    let done = item.is_some_and(|i| i.done());
    let head = Line::from(vec![
        Span::styled(
            format!(
                "{} {}/{} ",
                if done { "✓" } else { "•" },
                t.index + 1,
                t.items.len()
            ),
            th.key(),
        ),
        Span::styled(cell(&question), th.title()),
    ]);
    frame.render_widget(Paragraph::new(head), line_area(area, 0));
    let id = item.map(|i| i.trace_id.as_str()).unwrap_or("");
    let flagged = item.map(|i| i.flagged.join(", ")).unwrap_or_default();
    frame.render_widget(
        Paragraph::new(Span::styled(
            fit(
                &format!(
                    "trace {} · {when} · flagged: {}",
                    short_id(id),
                    cell(&flagged)
                ),
                width,
            ),
            th.dim(),
        )),
        line_area(area, 1),
    );
    let row = rules(frame, t, area, th);
    if let Some(n) = &t.pending_note {
        frame.render_widget(
            Paragraph::new(Span::styled(
                fit(
                    &format!("note (saved with the next label): {}", cell(n)),
                    width,
                ),
                th.accent(),
            )),
            line_area(area, row),
        );
    }
    let content = content_rect(t, area);
    if content.height == 0 {
        return;
    }
    if t.content.is_none() {
        frame.render_widget(Paragraph::new(Span::styled("loading…", th.dim())), content);
        return;
    }
    lines::draw(frame, content, th, &t.lines, &t.view);
}

/// One line per rule (judge verdict, human label), then the focused rule's explanation;
/// returns the next free row.
fn rules(frame: &mut Frame, t: &TriagePane, area: Rect, th: &Theme) -> u16 {
    let width = usize::from(area.width);
    let mut row: u16 = 2;
    for (i, r) in t
        .rules
        .iter()
        .enumerate()
        .take(usize::from(rule_rows(t, area)))
    {
        let focused = i == t.focus;
        let judge = match &r.judge {
            Some(j) => {
                let (g, w) = verdict_text(j);
                format!(
                    "judge {g} {w}{}",
                    j.model
                        .as_deref()
                        .map(|m| format!(" ({})", cell(m)))
                        .unwrap_or_default()
                )
            }
            None => "judge -".into(),
        };
        let human = match &r.human {
            Some(h) => {
                let (g, w) = verdict_text(h);
                format!(
                    "human {g} {w}{}{}",
                    h.author
                        .as_deref()
                        .map(|a| format!(" by {}", cell(a)))
                        .unwrap_or_default(),
                    h.note
                        .as_deref()
                        .map(|n| format!(" · note: {}", cell(n)))
                        .unwrap_or_default()
                )
            }
            None => "human: not labelled".into(),
        };
        let text = format!(
            "{} {} {} · {judge} · {human}",
            if focused { "›" } else { " " },
            i + 1,
            fit(&cell(&r.rule), 12),
        );
        let judge_bad = r
            .judge
            .as_ref()
            .is_some_and(|j| matches!(j.verdict, Some(Verdict::False | Verdict::Error)));
        let mut line = Line::from(Span::styled(
            fit(&text, width),
            if judge_bad { th.error() } else { th.base() },
        ));
        if focused {
            line = line.style(th.selected());
        }
        frame.render_widget(Paragraph::new(line), line_area(area, row));
        row += 1;
    }
    if let Some(e) = explanation(t)
        && row < area.height
    {
        let rect = Rect {
            x: area.x,
            y: area.y + row,
            width: area.width,
            height: 2.min(area.height - row),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(format!("  why: {}", cell(e)), th.dim()))
                .wrap(Wrap { trim: true }),
            rect,
        );
        row += rect.height;
    }
    row
}
