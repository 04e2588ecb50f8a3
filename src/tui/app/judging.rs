//! Judging from the TUI: the confirmation popup, starting and cancelling a run, and following
//! its events (reloading what they changed).

use super::App;
use crate::judge::ProviderConfig;
use crate::judge::{Estimate, JudgeEvent};
use crate::tui::action::{Effect, JudgeJob};
use crate::tui::judge_run::{self, Reload};
use crate::tui::pane::{Ctx, JudgePlan};
use crate::tui::panes::judge::JudgePane;
use crate::tui::panes::judge_setup::{self, JudgeSetupPane};
use crate::tui::status::JudgeRun;
use crate::tui::widgets::text::cell;

impl App {
    pub(super) fn judge_busy(&mut self) -> bool {
        judge_run::busy(self.judge_run.as_ref(), &mut cx!(self))
    }

    pub(super) fn start_judge(&mut self) -> Vec<Effect> {
        if self.judge_busy() {
            return Vec::new();
        }
        match self.list.judge_plan(&mut cx!(self)) {
            Some(plan) => self.open_judge(plan),
            None => Vec::new(),
        }
    }

    /// The judge popup for `plan`; the set-up form first when the judge needs a key that is
    /// not set (rather than failing once the run starts).
    pub(super) fn open_judge(&mut self, plan: JudgePlan) -> Vec<Effect> {
        if judge_setup::key_missing(&self.judge_provider, self.env_is_set) {
            return self.edit_judge(plan);
        }
        let provider = self.judge_provider.clone();
        let (pane, effect) = JudgePane::open(plan, provider, &mut cx!(self));
        self.panes.popup = Some(Box::new(pane));
        vec![effect]
    }

    /// The judge set-up form (in place of any popup), then `plan`.
    pub(super) fn edit_judge(&mut self, plan: JudgePlan) -> Vec<Effect> {
        let form = JudgeSetupPane::new(&self.judge_provider, plan, self.env_is_set);
        self.panes.popup = Some(Box::new(form));
        Vec::new()
    }

    /// The set-up form's settings, for the rest of the session; then the judge popup.
    pub(super) fn set_judge(&mut self, provider: ProviderConfig, plan: JudgePlan) -> Vec<Effect> {
        self.panes.popup = None;
        self.judge_provider = provider;
        self.open_judge(plan)
    }

    pub(super) fn start_run(&mut self, job: JudgeJob, est: Estimate) -> Vec<Effect> {
        self.panes.popup = None;
        let run = self.req();
        self.judge_run = Some(JudgeRun::start(run, &est));
        self.info(format!("judging with {}…", cell(&est.model)));
        vec![Effect::StartJudge { run, job }]
    }

    pub(super) fn cancel_judge(&mut self) -> Vec<Effect> {
        judge_run::cancel(self.judge_run.as_mut(), &mut cx!(self))
    }

    pub(super) fn judge_event(&mut self, run: u64, event: JudgeEvent) -> Vec<Effect> {
        let reload = judge_run::follow(&mut self.judge_run, run, event, &mut cx!(self));
        // New verdicts change the FALSE rates: the next page load reloads the sparklines.
        self.trends_for = None;
        let shown = self.panes.shown_traces();
        let reload_scores = |ids: Vec<String>| {
            ids.into_iter()
                .map(|trace_id| Effect::LoadScores { trace_id })
        };
        let mut out = match reload {
            Reload::Nothing => return Vec::new(),
            _ => self.refresh_list(),
        };
        match reload {
            Reload::ListAndTrace(id) if shown.contains(&id) => out.extend(reload_scores(vec![id])),
            Reload::ListAndShown => out.extend(reload_scores(shown)),
            _ => {}
        }
        out
    }
}
