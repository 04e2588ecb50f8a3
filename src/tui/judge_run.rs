//! Following a background judge run: its events update the status line's `JudgeRun` and say
//! what to reload as verdicts arrive.

use super::action::Effect;
use super::pane::Ctx;
use super::status::JudgeRun;
use super::widgets::text::cell;
use crate::judge::{JudgeEvent, Summary};

/// One run at a time: says so when one is going.
pub fn busy(run: Option<&JudgeRun>, cx: &mut Ctx) -> bool {
    if run.is_some() {
        cx.error("a judge run is in progress (X cancels it)");
    }
    run.is_some()
}

/// Asks the running judge to stop (it finishes the calls in flight).
pub fn cancel(run: Option<&mut JudgeRun>, cx: &mut Ctx) -> Vec<Effect> {
    match run {
        Some(r) => {
            r.paused = Some("cancelling…".into());
            cx.info("cancelling the judge run…");
            vec![Effect::CancelJudge { run: r.id }]
        }
        None => {
            cx.info("no judge run in progress");
            Vec::new()
        }
    }
}

/// What to reload after a judge event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    Nothing,
    /// The list's badges.
    List,
    /// The list, and this trace's scores where they are shown.
    ListAndTrace(String),
    /// The list, and the scores of every trace on screen.
    ListAndShown,
}

/// Applies `event` of run `run` to the run in `slot` (events of other runs are stale) and
/// reports in the status line.
pub fn follow(slot: &mut Option<JudgeRun>, run: u64, event: JudgeEvent, cx: &mut Ctx) -> Reload {
    let Some(r) = slot.as_mut().filter(|r| r.id == run) else {
        return Reload::Nothing;
    };
    match event {
        JudgeEvent::Estimate(e) => {
            r.total = e.items;
            r.est_cost = e.cost_usd;
            r.model = e.model;
            Reload::Nothing
        }
        JudgeEvent::Progress { done, total } => {
            r.done = done;
            r.total = total;
            Reload::Nothing
        }
        JudgeEvent::Verdict { trace_id, .. } => Reload::ListAndTrace(trace_id),
        JudgeEvent::Paused(reason) => {
            let m = reason.message();
            r.paused = Some(m.clone());
            cx.error(format!("judge {m}"));
            Reload::Nothing
        }
        JudgeEvent::Failed(m) => {
            *slot = None;
            cx.error(format!("judge failed: {}", cell(&m)));
            Reload::List
        }
        JudgeEvent::Finished(summary) => {
            let paused = r.paused.take();
            *slot = None;
            let msg = summary_line(&summary);
            match summary.stopped.map(|s| s.message()).or(paused) {
                Some(why) => cx.error(format!("judge {why} · {msg}")),
                None => cx.info(msg),
            }
            Reload::ListAndShown
        }
    }
}

fn summary_line(s: &Summary) -> String {
    let cost = if s.cost_unknown {
        format!("{} + unknown", crate::display::cost_value(s.cost_usd))
    } else {
        crate::display::cost_value(s.cost_usd)
    };
    format!(
        "judged {}: {} true · {} false · {} na · {} errors · {} cached · {cost}",
        s.judged, s.true_, s.false_, s.na, s.errors, s.cached
    )
}
