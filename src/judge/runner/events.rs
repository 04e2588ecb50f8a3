//! What a run reports: one result per verdict, the totals, and the events a background run
//! sends (the TUI's status line).

use super::plan::Estimate;
use super::stop::StopReason;
use crate::model::Verdict;
use serde::Serialize;

/// One verdict of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    pub trace_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    pub rule: String,
    pub verdict: Verdict,
    pub explanation: String,
    pub model: Option<String>,
    pub cached: bool,
    pub samples: u32,
    pub agree: u32,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Verdicts stored (including cached and error verdicts).
    pub judged: usize,
    #[serde(rename = "true")]
    pub true_: usize,
    #[serde(rename = "false")]
    pub false_: usize,
    pub na: usize,
    pub errors: usize,
    pub cached: usize,
    /// Items not judged because the run stopped.
    pub skipped: usize,
    /// HTTP attempts made (retries included).
    pub calls: usize,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Spent by this run (cache hits cost nothing).
    pub cost_usd: f64,
    /// Some calls had no known price: `cost_usd` is a lower bound.
    pub cost_unknown: bool,
    pub stopped: Option<StopReason>,
    pub results: Vec<ItemResult>,
}

impl Summary {
    pub(super) fn add(&mut self, r: ItemResult) {
        self.judged += 1;
        match r.verdict {
            Verdict::True => self.true_ += 1,
            Verdict::False => self.false_ += 1,
            Verdict::Na => self.na += 1,
            Verdict::Error => self.errors += 1,
        }
        if r.cached {
            self.cached += 1;
        } else {
            self.input_tokens += r.input_tokens.unwrap_or(0);
            self.output_tokens += r.output_tokens.unwrap_or(0);
            match r.cost_usd {
                Some(c) => self.cost_usd += c,
                None if r.input_tokens.is_some() || r.output_tokens.is_some() => {
                    self.cost_unknown = true
                }
                None => {}
            }
        }
        self.results.push(r);
    }
}

/// Events for a background run (the TUI's status line).
#[derive(Debug, Clone, PartialEq)]
pub enum JudgeEvent {
    Estimate(Estimate),
    Progress {
        done: usize,
        total: usize,
    },
    Verdict {
        trace_id: String,
        span_id: Option<String>,
        rule: String,
        verdict: Verdict,
        cached: bool,
    },
    /// The run stopped early; the summary follows.
    Paused(StopReason),
    /// The run could not start or the store failed.
    Failed(String),
    Finished(Summary),
}

pub(super) fn verdict_event(r: &ItemResult) -> JudgeEvent {
    JudgeEvent::Verdict {
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        rule: r.rule.clone(),
        verdict: r.verdict,
        cached: r.cached,
    }
}
