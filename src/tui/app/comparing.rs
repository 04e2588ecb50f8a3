//! Comparing from the TUI: the trace diff of two marked traces, the replays list, a replay
//! beside its original, and the replay form whose run goes on in the background.

use super::App;
use crate::replay::single::Prepared;
use crate::tui::action::Effect;
use crate::tui::compare::CompareAction;
use crate::tui::compare::CompareEffect;
use crate::tui::keys::Mode;
use crate::tui::pane::Ctx;
use crate::tui::panes::replay_form::ReplayFormPane;
use crate::tui::panes::replay_view::ReplayViewPane;
use crate::tui::panes::replays::ReplaysPane;
use crate::tui::panes::trace_diff::TraceDiffPane;
use crate::tui::widgets::text::{cell, short_id};

impl App {
    pub(super) fn open_diff(&mut self, a: String, b: String) -> Vec<Effect> {
        let (pane, effect) = TraceDiffPane::open(a, b, &mut cx!(self));
        self.panes.replace_or_push(Mode::TraceDiff, Box::new(pane));
        vec![effect]
    }

    pub(super) fn open_replays(&mut self) -> Vec<Effect> {
        let (pane, effect) = ReplaysPane::open(&mut cx!(self));
        self.panes.replace_or_push(Mode::Replays, Box::new(pane));
        vec![effect]
    }

    pub(super) fn open_replay_view(&mut self, replay_trace_id: String) -> Vec<Effect> {
        let (pane, effect) = ReplayViewPane::open(replay_trace_id, &mut cx!(self));
        self.panes.replace_or_push(Mode::ReplayView, Box::new(pane));
        vec![effect]
    }

    pub(super) fn open_replay_form(&mut self, trace_id: String, span_id: String) -> Vec<Effect> {
        let (pane, effect) = ReplayFormPane::open(trace_id, span_id, &mut cx!(self));
        self.panes.replace_or_push(Mode::ReplayForm, Box::new(pane));
        vec![effect]
    }

    /// The confirmed replay goes to the background; one at a time.
    pub(super) fn start_replay(&mut self, prepared: Box<Prepared>) -> Vec<Effect> {
        if self.replay_run.is_some() {
            self.error("a replay is running; wait for it to finish");
            return Vec::new();
        }
        let run = self.req();
        self.replay_run = Some(run);
        vec![Effect::Compare(CompareEffect::Run { run, prepared })]
    }

    /// A comparison result: a finished replay run is the app's (the form may be gone); the
    /// rest goes to the pane that asked.
    pub(super) fn compare_result(&mut self, action: CompareAction) -> Vec<Effect> {
        match action {
            CompareAction::Ran { run, result } => self.replay_finished(run, result),
            other => self.deliver(crate::tui::action::Action::Compare(other)),
        }
    }

    fn replay_finished(&mut self, run: u64, result: Result<String, String>) -> Vec<Effect> {
        if self.replay_run != Some(run) {
            return Vec::new();
        }
        self.replay_run = None;
        match result {
            Ok(id) => {
                if self.view() == Mode::ReplayForm {
                    self.panes.pop(&mut self.list);
                }
                let mut out = self.open_replay_view(id.clone());
                self.info(format!(
                    "replay stored as trace {} (:replays lists replays)",
                    short_id(&id)
                ));
                out.extend(self.refresh_list());
                out
            }
            Err(e) => {
                self.error(format!("replay: {}", cell(&e)));
                Vec::new()
            }
        }
    }
}
