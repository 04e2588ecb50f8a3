//! Judge–human agreement per rule: how far the LLM judge can be trusted.
//!
//! For every (trace, rule) the *current* judge verdict (newest `judge` score) is paired with the
//! *current* human label (newest `human` score). Only pairs where both sides said TRUE or FALSE
//! enter the rates; a pair where either side is NA, error or has no verdict at all is counted in
//! [`RuleAgreement::na_or_error`] and otherwise left out, because "not applicable" and "the judge
//! call failed" are not opinions about the answer.
//!
//! For the TUI: [`compute`] returns one [`RuleAgreement`] per rule (sorted by rule name), each with
//! its [`Confusion`] matrix, the [`Disagreement`]s (trace id + both verdicts + judge explanation,
//! enough to jump to the trace) and [`kappa_band`] for the Landis–Koch wording.
//! [`RuleAgreement::to_json`] is the documented `trawl agreement --json` object.
//!
//! Definitions (the FALSE class is the "positive" one: the judge's job is to flag failures):
//! - accuracy `po` = (TT + FF) / pairs
//! - Cohen's κ = (po − pe) / (1 − pe), pe = pJ(T)·pH(T) + pJ(F)·pH(F). When pe == 1 both raters
//!   used one and the same class for every pair, so chance already explains everything and the
//!   formula is 0/0: κ is then undefined (`None`, `null` in `--json`) rather than a made-up 1.0.
//!   No pairs → every rate is `None`.
//! - precision_false = FF / (judge said FALSE), `None` when the judge never said FALSE.
//! - recall_false = FF / (human said FALSE), `None` when the human never said FALSE.
//! - repeatability = mean of agree/samples over the rule's current judge scores that were run
//!   with `--samples` > 1 (how often the samples agreed with the majority verdict).

use crate::model::{Score, ScoreSource, Verdict};
use crate::store::{Result, Store};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// Judge × human counts over the TRUE/FALSE pairs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Confusion {
    pub judge_true_human_true: u64,
    pub judge_true_human_false: u64,
    pub judge_false_human_true: u64,
    pub judge_false_human_false: u64,
}

impl Confusion {
    pub fn pairs(&self) -> u64 {
        self.judge_true_human_true
            + self.judge_true_human_false
            + self.judge_false_human_true
            + self.judge_false_human_false
    }

    /// Adds one pair; returns false (and adds nothing) unless both sides are TRUE or FALSE.
    pub fn add(&mut self, judge: Verdict, human: Verdict) -> bool {
        match (judge, human) {
            (Verdict::True, Verdict::True) => self.judge_true_human_true += 1,
            (Verdict::True, Verdict::False) => self.judge_true_human_false += 1,
            (Verdict::False, Verdict::True) => self.judge_false_human_true += 1,
            (Verdict::False, Verdict::False) => self.judge_false_human_false += 1,
            _ => return false,
        }
        true
    }

    /// Observed agreement; `None` without pairs.
    pub fn accuracy(&self) -> Option<f64> {
        let n = self.pairs();
        (n > 0)
            .then(|| (self.judge_true_human_true + self.judge_false_human_false) as f64 / n as f64)
    }

    /// Cohen's κ; `None` without pairs. See the module docs for the pe == 1 case.
    pub fn kappa(&self) -> Option<f64> {
        let n = self.pairs();
        if n == 0 {
            return None;
        }
        let n = n as f64;
        let po = (self.judge_true_human_true + self.judge_false_human_false) as f64 / n;
        let judge_true = (self.judge_true_human_true + self.judge_true_human_false) as f64 / n;
        let human_true = (self.judge_true_human_true + self.judge_false_human_true) as f64 / n;
        let pe = judge_true * human_true + (1.0 - judge_true) * (1.0 - human_true);
        // pe is a ratio of small integers; compare with a tolerance so 0.999…9 counts as 1.
        if (1.0 - pe).abs() < 1e-12 {
            return None;
        }
        Some((po - pe) / (1.0 - pe))
    }

    /// Of the answers the judge flagged FALSE, the share the human also called FALSE.
    pub fn precision_false(&self) -> Option<f64> {
        let flagged = self.judge_false_human_false + self.judge_false_human_true;
        (flagged > 0).then(|| self.judge_false_human_false as f64 / flagged as f64)
    }

    /// Of the answers the human called FALSE, the share the judge flagged.
    pub fn recall_false(&self) -> Option<f64> {
        let bad = self.judge_false_human_false + self.judge_true_human_false;
        (bad > 0).then(|| self.judge_false_human_false as f64 / bad as f64)
    }
}

/// One trace where judge and human disagree (both TRUE/FALSE, different).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Disagreement {
    pub trace_id: String,
    pub judge: Verdict,
    pub human: Verdict,
    pub explanation: Option<String>,
    pub judge_model: Option<String>,
    pub note: Option<String>,
    pub author: Option<String>,
}

/// How often repeated judge samples agreed with their majority.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Repeatability {
    /// Mean of agree / samples, in 0..=1.
    pub mean: f64,
    /// How many judge scores had samples > 1.
    pub scores: u64,
}

/// Agreement for one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleAgreement {
    pub rule: String,
    /// TRUE/FALSE pairs compared.
    pub pairs: u64,
    pub accuracy: Option<f64>,
    pub kappa: Option<f64>,
    pub confusion: Confusion,
    pub precision_false: Option<f64>,
    pub recall_false: Option<f64>,
    /// Traces with both a judge verdict and a human label where either is NA or error.
    pub na_or_error: u64,
    /// Traces with a current judge verdict for this rule.
    pub judged: u64,
    /// Traces with a current human label for this rule.
    pub labelled: u64,
    pub repeatability: Option<Repeatability>,
    /// Sorted by trace id.
    pub disagreements: Vec<Disagreement>,
    /// Traces whose current human label is FALSE (judged or not), sorted by trace id: what a
    /// reviewer flagged, ready to compare with a judge that has not run yet.
    pub human_false: Vec<String>,
}

impl RuleAgreement {
    fn empty(rule: &str) -> Self {
        RuleAgreement {
            rule: rule.to_string(),
            pairs: 0,
            accuracy: None,
            kappa: None,
            confusion: Confusion::default(),
            precision_false: None,
            recall_false: None,
            na_or_error: 0,
            judged: 0,
            labelled: 0,
            repeatability: None,
            disagreements: Vec::new(),
            human_false: Vec::new(),
        }
    }

    /// The `trawl agreement --json` object. The first nine keys are a public interface;
    /// `disagreements` is an array of trace ids (details are in `disagreement_details`).
    pub fn to_json(&self) -> Value {
        json!({
            "rule": self.rule,
            "pairs": self.pairs,
            "accuracy": self.accuracy,
            "kappa": self.kappa,
            "confusion": self.confusion,
            "precision_false": self.precision_false,
            "recall_false": self.recall_false,
            "na_or_error": self.na_or_error,
            "disagreements": self.disagreements.iter().map(|d| d.trace_id.as_str()).collect::<Vec<_>>(),
            "kappa_band": self.kappa.map(kappa_band),
            "judged": self.judged,
            "labelled": self.labelled,
            "repeatability": self.repeatability,
            "disagreement_details": self.disagreements,
            "human_false": self.human_false,
        })
    }
}

/// Landis & Koch (1977) wording for a κ value.
pub fn kappa_band(kappa: f64) -> &'static str {
    if kappa < 0.0 {
        "poor (worse than chance)"
    } else if kappa <= 0.20 {
        "slight"
    } else if kappa <= 0.40 {
        "fair"
    } else if kappa <= 0.60 {
        "moderate"
    } else if kappa <= 0.80 {
        "substantial"
    } else {
        "almost perfect"
    }
}

/// Agreement for every rule that has a judge verdict or a human label (or just `rule`), sorted
/// by rule name. A rule given explicitly is always returned, with zero pairs if nothing matched.
pub fn compute(store: &Store, rule: Option<&str>) -> Result<Vec<RuleAgreement>> {
    compute_against(store, rule, None)
}

/// [`compute`], pairing the judge's `rule` with the human labels named `human` (for example
/// imported `correctness` annotations against a `grounded` judge rule). Without `human`, each
/// rule is paired with the human labels of the same name.
pub fn compute_against(
    store: &Store,
    rule: Option<&str>,
    human: Option<&str>,
) -> Result<Vec<RuleAgreement>> {
    let judge = store.all_latest_scores(ScoreSource::Judge, rule)?;
    let Some(human_name) = human else {
        let human = store.all_latest_scores(ScoreSource::Human, rule)?;
        return Ok(from_scores(&judge, &human, rule));
    };
    let mut labels = store.all_latest_scores(ScoreSource::Human, Some(human_name))?;
    if let Some(r) = rule {
        for l in &mut labels {
            l.name = r.to_string();
        }
    }
    Ok(from_scores(&judge, &labels, rule.or(Some(human_name))))
}

/// The computation behind [`compute`], on already-loaded current scores (one per trace and
/// rule and source; if there are several, the one with the highest id wins).
pub fn from_scores(judge: &[Score], human: &[Score], rule: Option<&str>) -> Vec<RuleAgreement> {
    let current = |rows: &[Score]| {
        let mut m: BTreeMap<(String, String), Score> = BTreeMap::new();
        for r in rows {
            let key = (r.name.clone(), r.trace_id.clone());
            let newer = m.get(&key).is_none_or(|o| r.id > o.id);
            if newer {
                m.insert(key, r.clone());
            }
        }
        m
    };
    let judge = current(judge);
    let human = current(human);

    let mut rules: BTreeSet<&str> = judge
        .keys()
        .chain(human.keys())
        .map(|(r, _)| r.as_str())
        .collect();
    if let Some(r) = rule {
        rules.insert(r);
    }

    let mut out = Vec::new();
    for r in rules {
        let mut a = RuleAgreement::empty(r);
        let mut rep_sum = 0.0;
        let mut rep_n = 0u64;
        for ((name, trace), j) in judge.range((r.to_string(), String::new())..) {
            if name != r {
                break;
            }
            a.judged += 1;
            if let (Some(s), Some(agree)) = (j.samples, j.agree)
                && s > 1
            {
                rep_sum += agree.clamp(0, s) as f64 / s as f64;
                rep_n += 1;
            }
            let Some(h) = human.get(&(name.clone(), trace.clone())) else {
                continue;
            };
            match (j.verdict, h.verdict) {
                (Some(jv), Some(hv)) if a.confusion.add(jv, hv) => {
                    if jv != hv {
                        a.disagreements.push(Disagreement {
                            trace_id: trace.clone(),
                            judge: jv,
                            human: hv,
                            explanation: j.explanation.clone(),
                            judge_model: j.model.clone(),
                            note: h.note.clone(),
                            author: h.author.clone(),
                        });
                    }
                }
                _ => a.na_or_error += 1,
            }
        }
        let labels: Vec<(&String, &Score)> = human
            .range((r.to_string(), String::new())..)
            .take_while(|((name, _), _)| name == r)
            .map(|((_, trace), h)| (trace, h))
            .collect();
        a.labelled = labels.len() as u64;
        a.human_false = labels
            .iter()
            .filter(|(_, h)| h.verdict == Some(Verdict::False))
            .map(|(t, _)| t.to_string())
            .collect();
        if rep_n > 0 {
            a.repeatability = Some(Repeatability {
                mean: rep_sum / rep_n as f64,
                scores: rep_n,
            });
        }
        let c = a.confusion;
        a.pairs = c.pairs();
        a.accuracy = c.accuracy();
        a.kappa = c.kappa();
        a.precision_false = c.precision_false();
        a.recall_false = c.recall_false();
        out.push(a);
    }
    out
}
