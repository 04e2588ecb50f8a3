//! Judge–human agreement: per rule, how often the judge agrees with the human labels, and the
//! disagreements (Enter opens the trace).

use crate::metrics::agreement::{Disagreement, RuleAgreement};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::notice;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, fit, rfit, short_id, verdict_word};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Agreement,
    label: "agreement",
    title: "Judge–human agreement",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            down: "next disagreement",
            up: "previous disagreement",
            top: "first disagreement",
            bottom: "last disagreement",
            ..NavLabels::ROWS
        }),
    ),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(
        Key::plain(K::Enter),
        Cmd::Open,
        "open the disagreeing trace",
    ),
];

#[derive(Debug, Clone)]
pub struct AgreementPane {
    pub loading: bool,
    pub rules: Vec<RuleAgreement>,
    /// (rule, disagreement) in display order.
    pub rows: Vec<(String, Disagreement)>,
    pub cursor: ScrollList,
    req: u64,
}

impl AgreementPane {
    pub fn open(cx: &mut Ctx) -> (AgreementPane, Effect) {
        let req = cx.req();
        let pane = AgreementPane {
            loading: true,
            rules: Vec::new(),
            rows: Vec::new(),
            cursor: ScrollList::list(),
            req,
        };
        (pane, Effect::LoadAgreement { req })
    }

    pub fn selected(&self) -> usize {
        self.cursor.selected()
    }

    fn measure(&mut self, size: (u16, u16)) {
        self.cursor.set_len(self.rows.len());
        self.cursor
            .set_viewport(usize::from(list_rows(self, body_area(size).height)));
    }
}

/// Rows left for the disagreements below the table, a gap and their heading.
fn list_rows(a: &AgreementPane, height: u16) -> u16 {
    let table = 1 + u16::try_from(a.rules.len()).unwrap_or(u16::MAX);
    height.saturating_sub(table.saturating_add(2))
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0))
        .unwrap_or_else(|| "-".into())
}

impl Pane for AgreementPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.cursor.apply(m);
            return Vec::new();
        }
        match c {
            Cmd::Back => cx.back(),
            Cmd::Open => {
                if let Some((_, d)) = self.rows.get(self.selected()) {
                    cx.ask(Intent::OpenTrace(d.trace_id.clone()));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::AgreementLoaded { req, rules } if req == self.req => {
                self.loading = false;
                self.rows = rules
                    .iter()
                    .flat_map(|r| r.disagreements.iter().map(|d| (r.rule.clone(), d.clone())))
                    .collect();
                self.rules = rules;
                self.measure(cx.size);
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.measure(cx.size);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        format!("{} disagreements ", self.rows.len())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn draw(a: &AgreementPane, frame: &mut Frame, area: Rect, th: &Theme) {
    if a.loading {
        notice::draw(frame, area, "computing agreement…", th.dim());
        return;
    }
    let head = format!(
        "{} {} {} {} {} {} {} {} {} {} {}",
        fit("rule", 14),
        rfit("pairs", 5),
        rfit("acc", 5),
        rfit("κ", 6),
        rfit("jT·hT", 6),
        rfit("jT·hF", 6),
        rfit("jF·hT", 6),
        rfit("jF·hF", 6),
        rfit("P(F)", 5),
        rfit("R(F)", 5),
        rfit("NA/err", 6),
    );
    frame.render_widget(
        Paragraph::new(Span::styled(head, th.header())),
        line_area(area, 0),
    );
    let mut row: u16 = 1;
    if a.rules.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "no judge verdicts or human labels yet (J judges, T triages)",
                th.dim(),
            )),
            line_area(area, row),
        );
        return;
    }
    for r in &a.rules {
        if row >= area.height {
            return;
        }
        let kappa = r
            .kappa
            .map(|k| format!("{k:.2}"))
            .unwrap_or_else(|| "-".into());
        let c = &r.confusion;
        let text = format!(
            "{} {} {} {} {} {} {} {} {} {} {}",
            fit(&cell(&r.rule), 14),
            rfit(&r.pairs.to_string(), 5),
            rfit(&pct(r.accuracy), 5),
            rfit(&kappa, 6),
            rfit(&c.judge_true_human_true.to_string(), 6),
            rfit(&c.judge_true_human_false.to_string(), 6),
            rfit(&c.judge_false_human_true.to_string(), 6),
            rfit(&c.judge_false_human_false.to_string(), 6),
            rfit(&pct(r.precision_false), 5),
            rfit(&pct(r.recall_false), 5),
            rfit(&r.na_or_error.to_string(), 6),
        );
        frame.render_widget(Paragraph::new(text), line_area(area, row));
        row += 1;
    }
    row += 1;
    if row >= area.height {
        return;
    }
    frame.render_widget(
        Paragraph::new(Span::styled(
            format!(
                "── disagreements ({}) · Enter opens the trace · jT·hF = judge TRUE, human FALSE ──",
                a.rows.len()
            ),
            th.header(),
        )),
        line_area(area, row),
    );
    row += 1;
    let rows = usize::from(area.height.saturating_sub(row));
    if rows == 0 {
        return;
    }
    // The cursor stays on the bottom row once the list scrolls.
    let selected = a.selected();
    let start = selected.saturating_sub(rows.saturating_sub(1));
    for (i, (rule, d)) in a.rows.iter().enumerate().skip(start).take(rows) {
        let why = d
            .note
            .as_deref()
            .map(|n| format!("note: {n}"))
            .or_else(|| d.explanation.clone())
            .unwrap_or_default();
        let text = format!(
            "{} {} {} judge {} · human {}  {}",
            if i == selected { "›" } else { " " },
            fit(&cell(rule), 12),
            fit(short_id(&d.trace_id), 12),
            verdict_word(d.judge),
            verdict_word(d.human),
            cell(&why)
        );
        notice::list_row(frame, area, th, row, &text, i == selected);
        row += 1;
    }
}
