//! The judge popup (`J`, `R`): pick rules, then confirm the estimate; the run itself goes on
//! in the background and reports in the status line.

use crate::display;
use crate::judge::{Estimate, ProviderConfig};
use crate::tui::action::{Action, Cmd, Effect, JudgeJob, JudgeTarget, RuleChoice};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, JudgePlan, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::popup;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, thousands};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Judge,
    label: "judge",
    title: "Judge popup (rules, estimate)",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            top: "first rule",
            bottom: "last rule",
            ..NavLabels::ROWS
        }),
    )
    .with_picks("toggle rule N"),
};

static KEYS: &[Binding] = &[
    hint(Key::plain(K::Esc), Cmd::Back, "cancel"),
    key(Key::ch('q'), Cmd::Back, "cancel"),
    key(Key::ch('n'), Cmd::Back, "cancel"),
    hint(Key::plain(K::Enter), Cmd::Confirm, "continue / run"),
    key(Key::ch('y'), Cmd::Confirm, "continue / run"),
    hint(Key::ch(' '), Cmd::ToggleMark, "toggle rule"),
    hint(Key::ch('s'), Cmd::JudgeSettings, "judge settings"),
];

// One popup at a time: boxing the confirm stage would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum JudgeStage {
    LoadingRules,
    Pick {
        rules: Vec<RuleChoice>,
        cursor: ScrollList,
    },
    Estimating,
    Confirm {
        job: JudgeJob,
        estimate: Estimate,
    },
}

#[derive(Debug, Clone)]
pub struct JudgePane {
    pub stage: JudgeStage,
    pub target: JudgeTarget,
    /// "3 marked traces", "40 traces (filter)", "re-run trace abc…".
    pub what: String,
    pub force: bool,
    /// The judge model that will run.
    pub provider: ProviderConfig,
    /// The host the API key would go to over plain http (not this machine): confirming the
    /// estimate then also allows that, as `trawl judge` asks before it.
    pub insecure_host: Option<String>,
    req: u64,
}

impl JudgePane {
    /// The popup for `plan`, and the request that fills it (the rules, or the estimate when
    /// the rules are chosen already).
    pub fn open(plan: JudgePlan, provider: ProviderConfig, cx: &mut Ctx) -> (JudgePane, Effect) {
        let req = cx.req();
        let (stage, effect) = match plan.rules {
            None => (JudgeStage::LoadingRules, Effect::LoadRules { req }),
            Some(rules) => (
                JudgeStage::Estimating,
                Effect::EstimateJudge {
                    req,
                    rules,
                    target: plan.target.clone(),
                    provider: provider.clone(),
                    force: plan.force,
                },
            ),
        };
        let pane = JudgePane {
            stage,
            target: plan.target,
            what: plan.what,
            force: plan.force,
            provider,
            insecure_host: None,
            req,
        };
        (pane, effect)
    }

    fn close_with_error(&mut self, text: String, cx: &mut Ctx) {
        cx.back();
        cx.error(text);
    }
}

impl Pane for JudgePane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if c == Cmd::Back {
            cx.back();
            cx.info("judge cancelled");
            return Vec::new();
        }
        if c == Cmd::JudgeSettings {
            // Back to the same plan (rules chosen so far are picked again) after the form.
            cx.ask(Intent::EditJudge(JudgePlan {
                target: self.target.clone(),
                what: self.what.clone(),
                force: self.force,
                rules: None,
            }));
            return Vec::new();
        }
        match &mut self.stage {
            JudgeStage::Pick { rules, cursor } => {
                if let Some(m) = Motion::of(c) {
                    cursor.apply(m);
                    return Vec::new();
                }
                match c {
                    Cmd::ToggleMark => {
                        if let Some(r) = rules.get_mut(cursor.selected()) {
                            r.on = !r.on;
                        }
                    }
                    Cmd::Pick(n) => {
                        let i = usize::from(n).saturating_sub(1);
                        if let Some(r) = rules.get_mut(i) {
                            r.on = !r.on;
                            cursor.select(i);
                        }
                    }
                    Cmd::Confirm => {
                        let ids: Vec<String> = rules
                            .iter()
                            .filter(|r| r.on)
                            .map(|r| r.id.clone())
                            .collect();
                        if ids.is_empty() {
                            cx.error("pick at least one rule (Space or 1–9), then Enter");
                            return Vec::new();
                        }
                        self.stage = JudgeStage::Estimating;
                        return vec![Effect::EstimateJudge {
                            req: self.req,
                            rules: ids,
                            target: self.target.clone(),
                            provider: self.provider.clone(),
                            force: self.force,
                        }];
                    }
                    _ => {}
                }
            }
            JudgeStage::Confirm { job, estimate } if c == Cmd::Confirm => {
                let mut job = job.clone();
                // The warning was on screen: confirming sends the key over http.
                job.0.provider.allow_plain_http_key |= self.insecure_host.is_some();
                cx.ask(Intent::StartJudge(job, estimate.clone()));
            }
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::RulesLoaded { req, result } if req == self.req => {
                match result {
                    Ok(rules) if !rules.is_empty() => {
                        let mut cursor = ScrollList::list();
                        cursor.set_len(rules.len());
                        cursor.set_viewport(rules.len());
                        self.stage = JudgeStage::Pick { rules, cursor };
                    }
                    Ok(_) => self.close_with_error(
                        "no judge rules found (see trawl judge --list-rules)".into(),
                        cx,
                    ),
                    Err(e) => self.close_with_error(format!("judge rules: {e}"), cx),
                }
                Receipt::Taken(Vec::new())
            }
            Action::JudgeEstimated { req, result } if req == self.req => {
                match result {
                    Ok((job, estimate)) => {
                        self.insecure_host = job.0.provider.insecure_key_host();
                        self.stage = JudgeStage::Confirm { job, estimate };
                    }
                    Err(e) => self.close_with_error(format!("judge: {e}"), cx),
                }
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn draw(p: &JudgePane, frame: &mut Frame, area: Rect, th: &Theme) {
    let mut lines: Vec<Line> = Vec::new();
    let pv = &p.provider;
    let judge_line = format!(
        "judge: {} {} at {}",
        pv.kind.as_str(),
        cell(&pv.model),
        cell(&pv.base_url)
    );
    let title = match &p.stage {
        JudgeStage::Confirm { .. } => " Judge: confirm ",
        _ => " Judge: pick rules ",
    };
    lines.push(Line::from(Span::styled(cell(&p.what), th.title())));
    match &p.stage {
        JudgeStage::LoadingRules => {
            lines.push(Line::from(Span::styled("loading rules…", th.dim())))
        }
        JudgeStage::Estimating => lines.push(Line::from(Span::styled(
            "estimating calls and cost…",
            th.dim(),
        ))),
        JudgeStage::Pick { rules, cursor } => {
            lines.push(Line::from(Span::styled(
                "Space or 1–9 toggles · Enter continues · s judge settings · Esc cancels",
                th.dim(),
            )));
            for (i, r) in rules.iter().enumerate() {
                let mark = if r.on { "[x]" } else { "[ ]" };
                let num = if i < 9 {
                    format!("{}", i + 1)
                } else {
                    " ".into()
                };
                let here = i == cursor.selected();
                let text = format!(
                    "{} {mark} {num} {} ({}) {}",
                    if here { "›" } else { " " },
                    cell(&r.id),
                    cell(&r.target),
                    cell(r.title.as_deref().unwrap_or(""))
                );
                // A long title wraps inside the box rather than being cut.
                let mut line = Line::from(text);
                if here {
                    line = line.style(th.selected());
                }
                lines.push(line);
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(judge_line, th.dim())));
        }
        JudgeStage::Confirm { job, estimate: e } => {
            let rules: Vec<String> = job.0.rules.iter().map(|r| cell(&r.id)).collect();
            lines.push(Line::from(format!("rules: {}", rules.join(", "))));
            lines.push(Line::from(format!(
                "{} traces · {} verdicts: {} calls, {} cached (free){}",
                e.traces,
                e.items,
                e.calls,
                e.cached,
                if job.0.force { " · forced re-run" } else { "" }
            )));
            lines.push(Line::from(format!(
                "≈ {} input + {} output tokens · est. cost {}",
                thousands(e.input_tokens),
                thousands(e.output_tokens),
                match e.cost_usd {
                    Some(c) => display::cost_value(c),
                    None => "unknown (no price for this model)".into(),
                }
            )));
            lines.push(Line::from(format!(
                "judge: {} {} at {}",
                job.0.provider.kind.as_str(),
                cell(&e.model),
                cell(&job.0.provider.base_url)
            )));
            if let Some(host) = &p.insecure_host {
                lines.push(Line::from(Span::styled(
                    format!(
                        "⚠ the API key in ${} would go over plain http to {}: anyone on the way can read it. y sends it anyway.",
                        cell(&job.0.provider.api_key_env),
                        cell(host)
                    ),
                    th.error(),
                )));
            }
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("y", th.key()),
                Span::raw(" / "),
                Span::styled("Enter", th.key()),
                Span::raw(" runs in the background · "),
                Span::styled("n", th.key()),
                Span::raw(" / "),
                Span::styled("Esc", th.key()),
                Span::raw(" cancels"),
            ]));
        }
    }
    popup::draw(frame, area, th, title, lines, 80);
}
