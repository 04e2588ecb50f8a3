//! The triage queue: one flagged response at a time with its question, answer, the passages
//! behind it (staged retrieved → reranked → in prompt), the judge's verdicts and the human
//! labels; t / f / n label the focused rule, `a` opens the evidence pane.

use crate::filter::TraceFilter;
use crate::model::{ScoreSource, Verdict};
use crate::tui::action::{Action, Cmd, Effect, NewLabel, RuleVerdicts, TriageContent, TriageItem};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, EvidenceFocus, Intent, Notice, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::body_area;
use crate::tui::widgets::lines::{self, DetailLine};
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, verdict_word};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;
use std::collections::BTreeSet;

mod draw;

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
    hint(Key::ch('a'), Cmd::Evidence, "answer & evidence"),
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
        let content = draw::content_rect(self, body);
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
            Cmd::Evidence => {
                match self.current().map(|i| i.trace_id.clone()) {
                    Some(trace_id) => cx.ask(Intent::OpenEvidence(EvidenceFocus {
                        trace_id,
                        data: None,
                        scores: self
                            .content
                            .as_ref()
                            .map(|c| c.scores.clone())
                            .unwrap_or_default(),
                        span_id: None,
                    })),
                    None => cx.info("no response to show"),
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
                self.lines = draw::response(&content);
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
        draw::draw(self, frame, area, th);
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
