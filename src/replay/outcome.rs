//! Before/after classification of a judged replay: fixed, regressed, still failing, still
//! passing, or error. Pure.

use crate::model::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;

/// What happened to one replayed item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// FALSE before, TRUE after.
    Fixed,
    /// TRUE before, FALSE after.
    Regressed,
    StillFailing,
    StillPassing,
    /// The replay or a verdict failed, or the call was refused.
    Error,
    /// Replayed without `--judge`.
    Replayed,
}

impl Outcome {
    pub const JUDGED: [Outcome; 5] = [
        Outcome::Fixed,
        Outcome::Regressed,
        Outcome::StillFailing,
        Outcome::StillPassing,
        Outcome::Error,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Fixed => "fixed",
            Outcome::Regressed => "regressed",
            Outcome::StillFailing => "still failing",
            Outcome::StillPassing => "still passing",
            Outcome::Error => "error",
            Outcome::Replayed => "replayed",
        }
    }
}

/// One side's verdict over all rules: `None` when some verdict is an error or missing.
fn passes(verdicts: &BTreeMap<String, Verdict>, rules: &[String]) -> Option<bool> {
    let mut pass = true;
    for r in rules {
        match verdicts.get(r)? {
            Verdict::Error => return None,
            Verdict::False => pass = false,
            Verdict::True | Verdict::Na => {}
        }
    }
    Some(pass)
}

/// The outcome of a replay judged with `rules` (every rule must pass for a side to pass).
pub fn classify(
    rules: &[String],
    original: &BTreeMap<String, Verdict>,
    replay: &BTreeMap<String, Verdict>,
) -> Outcome {
    match (passes(original, rules), passes(replay, rules)) {
        (Some(false), Some(true)) => Outcome::Fixed,
        (Some(true), Some(false)) => Outcome::Regressed,
        (Some(false), Some(false)) => Outcome::StillFailing,
        (Some(true), Some(true)) => Outcome::StillPassing,
        _ => Outcome::Error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, Verdict)]) -> BTreeMap<String, Verdict> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn outcomes_follow_the_verdicts() {
        let rules = vec!["grounded".to_string(), "answered".to_string()];
        let t = Verdict::True;
        let f = Verdict::False;
        let pass = v(&[("grounded", t), ("answered", Verdict::Na)]);
        let fail = v(&[("grounded", f), ("answered", t)]);
        assert_eq!(classify(&rules, &fail, &pass), Outcome::Fixed);
        assert_eq!(classify(&rules, &pass, &fail), Outcome::Regressed);
        assert_eq!(classify(&rules, &fail, &fail), Outcome::StillFailing);
        assert_eq!(classify(&rules, &pass, &pass), Outcome::StillPassing);
        let err = v(&[("grounded", Verdict::Error), ("answered", t)]);
        assert_eq!(classify(&rules, &pass, &err), Outcome::Error);
        // A missing verdict is not a pass.
        assert_eq!(
            classify(&rules, &pass, &v(&[("grounded", t)])),
            Outcome::Error
        );
    }
}
