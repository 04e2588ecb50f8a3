//! What the comparison panes (trace diff, replays, replay side by side, replay form) ask the
//! worker for and get back, and the shared data they show. The work itself is `diff` and
//! `replay` (the CLI's code); this module only names it for the TUI.

use crate::diff::TraceDiff;
use crate::diff::words::Piece;
use crate::model::{Score, ScoreSource, Verdict};
use crate::replay::Outcome;
use crate::replay::report::Side;
use crate::replay::single::{Prepared, Settings};
use crate::store::ReplayLink;
use std::collections::BTreeMap;

/// One replay in the `:replays` list and the trace header.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayRow {
    pub link: ReplayLink,
    pub outcome: Outcome,
}

/// An original call and its replay, side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayPair {
    pub link: ReplayLink,
    pub original: Side,
    pub replay: Side,
    pub outcome: Outcome,
    /// Original answer → replayed answer, word by word.
    pub answer_diff: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompareEffect {
    /// The structural diff of trace `a` → `b` (the older one first).
    Diff { req: u64, a: String, b: String },
    /// A replay beside its original.
    Pair { req: u64, replay_trace_id: String },
    /// Every replay (`of`: only those of this trace).
    List { req: u64, of: Option<String> },
    /// Rebuild a call with the form's settings: the estimate, or why it cannot be replayed.
    Prepare {
        req: u64,
        trace_id: String,
        span_id: String,
        settings: Settings,
    },
    /// Send the confirmed replay and store it (in the background).
    Run { run: u64, prepared: Box<Prepared> },
    /// Edit text in `$EDITOR` (the terminal is handed over meanwhile).
    Edit { req: u64, text: String },
}

#[derive(Debug, Clone)]
pub enum CompareAction {
    Diff {
        req: u64,
        result: Result<TraceDiff, String>,
    },
    Pair {
        req: u64,
        result: Result<ReplayPair, String>,
    },
    List {
        req: u64,
        result: Result<Vec<ReplayRow>, String>,
    },
    Prepared {
        req: u64,
        result: Result<Box<Prepared>, String>,
    },
    /// A replay run ended: the replay's trace id, or why it failed.
    Ran {
        run: u64,
        result: Result<String, String>,
    },
    Edited {
        req: u64,
        result: Result<String, String>,
    },
}

/// Latest judge verdict per rule (scores come newest first).
fn latest_verdicts(scores: &[Score]) -> BTreeMap<String, Verdict> {
    let mut out = BTreeMap::new();
    for s in scores.iter().filter(|s| s.source == ScoreSource::Judge) {
        if let Some(v) = s.verdict {
            out.entry(s.name.clone()).or_insert(v);
        }
    }
    out
}

/// Fixed / regressed / … from the verdicts both traces have for the same rules; `Replayed`
/// when no rule was judged on both.
pub fn outcome_of(original: &[Score], replay: &[Score]) -> Outcome {
    let (a, b) = (latest_verdicts(original), latest_verdicts(replay));
    let rules: Vec<String> = a.keys().filter(|r| b.contains_key(*r)).cloned().collect();
    if rules.is_empty() {
        return Outcome::Replayed;
    }
    crate::replay::outcome::classify(&rules, &a, &b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_needs_a_rule_judged_on_both_sides() {
        let v = |trace: &str, rule: &str, v: Verdict| Score {
            verdict: Some(v),
            ..Score::new(ScoreSource::Judge, trace, rule)
        };
        let before = vec![v("a", "grounded", Verdict::False)];
        let after = vec![v("b", "grounded", Verdict::True)];
        assert_eq!(outcome_of(&before, &after), Outcome::Fixed);
        assert_eq!(outcome_of(&after, &before), Outcome::Regressed);
        assert_eq!(outcome_of(&before, &[]), Outcome::Replayed);
        let other = vec![v("b", "answered", Verdict::True)];
        assert_eq!(outcome_of(&before, &other), Outcome::Replayed);
    }
}
