//! Scores: judge verdicts, human labels, evaluations imported with the traces and check
//! results, all one type. A score is about a whole trace, or one of its spans when `span_id` is
//! set.

use serde::{Deserialize, Serialize};

/// A judged or labelled verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    True,
    False,
    Na,
    Error,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::True => "true",
            Verdict::False => "false",
            Verdict::Na => "na",
            Verdict::Error => "error",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "true" | "t" | "pass" | "yes" => Some(Verdict::True),
            "false" | "f" | "fail" | "no" => Some(Verdict::False),
            "na" | "n/a" | "n" => Some(Verdict::Na),
            "error" => Some(Verdict::Error),
            _ => None,
        }
    }
}

/// Who produced a score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScoreSource {
    Judge,
    Human,
    /// Evaluations that came with the traces (Langfuse scores, LangSmith feedback, Phoenix
    /// annotations).
    Imported,
    /// The result of an alert check (`trawl check`).
    Check,
}

impl ScoreSource {
    pub fn as_str(self) -> &'static str {
        match self {
            ScoreSource::Judge => "judge",
            ScoreSource::Human => "human",
            ScoreSource::Imported => "imported",
            ScoreSource::Check => "check",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "judge" => Some(ScoreSource::Judge),
            "human" => Some(ScoreSource::Human),
            "imported" => Some(ScoreSource::Imported),
            "check" => Some(ScoreSource::Check),
            _ => None,
        }
    }
}

/// One judgement of a trace (or of one span in it). The store keeps every score; the newest per
/// (trace, name, source) is the current one, older ones are history.
///
/// The JSON form (`trawl show --json`'s `all_scores`) is a public interface: field names stay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// The store's row id; `None` until the score is stored.
    pub id: Option<i64>,
    pub trace_id: String,
    /// Set when the score judges one span rather than the whole trace.
    pub span_id: Option<String>,
    /// The rule or evaluation name.
    pub name: String,
    pub verdict: Option<Verdict>,
    /// A numeric score, for sources that give one.
    pub value: Option<f64>,
    /// The label text as the source gave it (imported scores).
    pub label: Option<String>,
    pub explanation: Option<String>,
    pub source: ScoreSource,
    /// The judge model.
    pub model: Option<String>,
    /// Hash of the judge rule's text, so a changed rule is judged again.
    pub rule_hash: Option<String>,
    /// Self-consistency: how many samples the judge drew, and how many agreed with the verdict.
    pub samples: Option<i64>,
    pub agree: Option<i64>,
    /// What judging cost (tokens and USD), kept apart from the application's cost.
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    /// Who labelled (human labels) or which evaluator scored (imported ones).
    pub author: Option<String>,
    pub note: Option<String>,
    /// When the score was made, UTC nanoseconds. `None` on a new score: the store records the
    /// time it was stored. Always set on a stored score.
    pub created_at_ns: Option<i64>,
    /// Identifies an answer so it is neither asked for nor stored twice: the judge's request
    /// key, or `import:<source>:<id>` for imported scores.
    pub cache_key: Option<String>,
}

impl Score {
    /// A new score with nothing but its source, target trace and name; fill the rest with
    /// struct update syntax: `Score { verdict: Some(v), ..Score::new(source, trace, rule) }`.
    pub fn new(source: ScoreSource, trace_id: impl Into<String>, name: impl Into<String>) -> Score {
        Score {
            id: None,
            trace_id: trace_id.into(),
            span_id: None,
            name: name.into(),
            verdict: None,
            value: None,
            label: None,
            explanation: None,
            source,
            model: None,
            rule_hash: None,
            samples: None,
            agree: None,
            input_tokens: None,
            output_tokens: None,
            cost_usd: None,
            author: None,
            note: None,
            created_at_ns: None,
            cache_key: None,
        }
    }

    /// A human's verdict on a trace for one rule.
    pub fn human_label(
        trace_id: impl Into<String>,
        rule: impl Into<String>,
        verdict: Verdict,
        author: impl Into<String>,
        note: Option<String>,
    ) -> Score {
        Score {
            verdict: Some(verdict),
            author: Some(author.into()),
            note,
            ..Score::new(ScoreSource::Human, trace_id, rule)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_keep_their_stored_names() {
        for (source, name) in [
            (ScoreSource::Judge, "judge"),
            (ScoreSource::Human, "human"),
            (ScoreSource::Imported, "imported"),
            (ScoreSource::Check, "check"),
        ] {
            assert_eq!(source.as_str(), name);
            assert_eq!(ScoreSource::parse(name), Some(source));
        }
        assert_eq!(ScoreSource::parse("judge "), None);
    }

    #[test]
    fn a_new_score_is_unstored_and_says_only_what_it_was_given() {
        let s = Score::human_label("t1", "grounded", Verdict::False, "ann", None);
        assert_eq!((s.id, s.created_at_ns), (None, None));
        assert_eq!(s.source, ScoreSource::Human);
        assert_eq!(s.verdict, Some(Verdict::False));
        assert_eq!(s.author.as_deref(), Some("ann"));
        assert_eq!(s.span_id, None);
    }
}
