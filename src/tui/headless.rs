//! Running effects synchronously, for headless tests and benchmarks: queries and judge runs
//! execute against a store on this thread and their results come back through `update`, in
//! the order the runtime's worker would deliver them.

use super::action::{Action, Effect};
use super::compare::{CompareAction, CompareEffect};
use crate::judge::{JudgeEvent, RetryPolicy};
use crate::store::Store;
use std::collections::VecDeque;

/// Runs `effects` (and every effect their results lead to) to completion; returns what `y`
/// would have copied.
pub fn run_to_completion(
    store: &mut Store,
    effects: Vec<Effect>,
    update: &mut dyn FnMut(Action) -> Vec<Effect>,
) -> Vec<String> {
    let mut copied = Vec::new();
    let mut queue: VecDeque<Effect> = effects.into();
    while let Some(e) = queue.pop_front() {
        match &e {
            Effect::Copy { text } => copied.push(text.clone()),
            Effect::StartJudge { run, job } => {
                // Run to completion here; the events come back as they would from the thread.
                let mut events = Vec::new();
                let stop = crate::judge::StopSignal::new();
                let r =
                    crate::judge::run_blocking(store, &job.0, &stop, &mut |_| true, &mut |ev| {
                        events.push(ev)
                    });
                if let Err(err) = r {
                    events.push(JudgeEvent::Failed(err.to_string()));
                }
                for event in events {
                    queue.extend(update(Action::Judge { run: *run, event }));
                }
            }
            Effect::Compare(CompareEffect::Run { run, prepared }) => {
                let retry = replay_retry();
                let result = crate::replay::single::send_and_store(store, prepared, &retry);
                let ran = CompareAction::Ran { run: *run, result };
                queue.extend(update(Action::Compare(ran)));
            }
            Effect::Compare(CompareEffect::Edit { req, text }) => {
                let result = super::compare_data::edit_in_editor(text);
                let edited = CompareAction::Edited { req: *req, result };
                queue.extend(update(Action::Compare(edited)));
            }
            _ => {
                if let Some(a) = super::data::execute(store, &e) {
                    queue.extend(update(a));
                }
            }
        }
    }
    copied
}

/// Headless replays retry quickly (tests answer from a local server).
fn replay_retry() -> RetryPolicy {
    RetryPolicy {
        base: std::time::Duration::from_millis(5),
        ..RetryPolicy::default()
    }
}
