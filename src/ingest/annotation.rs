//! Imported annotations as scores, one rule for every source (docs/sources.md, "Scores"): who
//! made an annotation decides its score source (a human reviewer's is a human label, an LLM
//! evaluator's a judge verdict, code's a check), and a binary annotation gets a TRUE/FALSE
//! verdict while keeping its label text and explanation.

use std::collections::HashMap;

use crate::model::{Score, ScoreSource, Verdict};

/// Phoenix/OpenInference `annotator_kind` → score source.
pub fn source_of_annotator(kind: Option<&str>) -> ScoreSource {
    match kind.map(|k| k.trim().to_ascii_uppercase()).as_deref() {
        Some("HUMAN") => ScoreSource::Human,
        Some("LLM") => ScoreSource::Judge,
        Some("CODE") => ScoreSource::Check,
        _ => ScoreSource::Imported,
    }
}

/// A pass/fail word → its verdict. `error` is not one: an imported label never means that a
/// judge call failed.
pub fn label_verdict(label: &str) -> Option<Verdict> {
    match label.trim().to_ascii_lowercase().as_str() {
        "true" | "pass" | "passed" | "yes" | "correct" | "relevant" | "factual" | "grounded"
        | "faithful" => Some(Verdict::True),
        "false" | "fail" | "failed" | "no" | "incorrect" | "irrelevant" | "unrelated"
        | "hallucinated" | "ungrounded" | "unfaithful" => Some(Verdict::False),
        _ => None,
    }
}

/// Sets the verdict of every imported score that has none yet: a pass/fail-word label decides;
/// else, when every score of that name in this import is exactly 0 or 1, the value decides (a
/// name scored 1–5 is not binary even where one score happens to be 1). A verdict of `error`
/// on an imported score is cleared the same way, since only a failed judge call is an error.
pub fn apply_binary_verdicts(scores: &mut [Score]) {
    let mut binary: HashMap<&str, bool> = HashMap::new();
    for s in scores.iter() {
        let is01 = s.value.is_some_and(|v| v == 0.0 || v == 1.0);
        let seen = binary.entry(s.name.as_str()).or_insert(true);
        *seen &= is01 || (s.value.is_none() && s.verdict.is_some());
    }
    let binary: HashMap<String, bool> = binary
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    for s in scores.iter_mut() {
        if s.verdict.is_some_and(|v| v != Verdict::Error) {
            continue;
        }
        s.verdict = s.label.as_deref().and_then(label_verdict).or_else(|| {
            let v = s.value?;
            binary
                .get(&s.name)
                .copied()
                .unwrap_or(false)
                .then_some(if v == 1.0 {
                    Verdict::True
                } else {
                    Verdict::False
                })
        });
    }
}

/// The cache key of a score imported from `source`: its own id when it has one, else what
/// identifies it (trace, span, name), so re-importing the same file adds nothing.
pub(crate) fn imported_score_key(
    source: &str,
    id: Option<String>,
    s: &crate::model::Score,
) -> String {
    match id {
        Some(id) => format!("import:{source}:{id}"),
        None => format!(
            "import:{source}:{}:{}:{}",
            s.trace_id,
            s.span_id.as_deref().unwrap_or(""),
            s.name
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn score(name: &str, label: Option<&str>, value: Option<f64>) -> Score {
        Score {
            label: label.map(str::to_string),
            value,
            ..Score::new(ScoreSource::Human, "t", name)
        }
    }

    #[test]
    fn binary_by_label_then_by_name_wide_values() {
        let mut s = vec![
            score("correctness", Some("hallucinated"), Some(0.0)),
            score("correctness", Some("unhelpful_refusal"), Some(0.0)),
            score("correctness", Some("error"), Some(0.0)),
            score("correctness", Some("correct"), Some(1.0)),
            score("stars", Some("ok"), Some(1.0)),
            score("stars", None, Some(4.0)),
            score("policy", Some("fail"), None),
        ];
        apply_binary_verdicts(&mut s);
        let v: Vec<Option<Verdict>> = s.iter().map(|x| x.verdict).collect();
        assert_eq!(
            v,
            vec![
                Some(Verdict::False),
                Some(Verdict::False),
                Some(Verdict::False),
                Some(Verdict::True),
                None,
                None,
                Some(Verdict::False),
            ]
        );
        assert_eq!(s[1].label.as_deref(), Some("unhelpful_refusal"));
    }

    #[test]
    fn annotator_kinds() {
        assert_eq!(source_of_annotator(Some("HUMAN")), ScoreSource::Human);
        assert_eq!(source_of_annotator(Some("llm")), ScoreSource::Judge);
        assert_eq!(source_of_annotator(Some("CODE")), ScoreSource::Check);
        assert_eq!(source_of_annotator(None), ScoreSource::Imported);
    }
}
