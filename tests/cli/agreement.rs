//! Judge–human agreement against hand-computed values, including the degenerate cases.

use trawl::metrics::agreement::{self, Confusion, kappa_band};
use trawl::model::{Score, ScoreSource, Verdict};
use trawl::store::Store;

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-9)
}

fn conf(tt: u64, tf: u64, ft: u64, ff: u64) -> Confusion {
    Confusion {
        judge_true_human_true: tt,
        judge_true_human_false: tf,
        judge_false_human_true: ft,
        judge_false_human_false: ff,
    }
}

#[test]
fn kappa_accuracy_precision_recall_by_hand() {
    //                 human TRUE  human FALSE
    //   judge TRUE        20           5
    //   judge FALSE       10          15          n = 50
    // po = (20 + 15) / 50 = 0.70
    // judge TRUE share = 25/50 = 0.5, human TRUE share = 30/50 = 0.6
    // pe = 0.5·0.6 + 0.5·0.4 = 0.30 + 0.20 = 0.50
    // κ  = (0.70 − 0.50) / (1 − 0.50) = 0.40  → "fair"
    // precision(FALSE) = FF / (judge FALSE) = 15 / 25 = 0.60
    // recall(FALSE)    = FF / (human FALSE) = 15 / 20 = 0.75
    let c = conf(20, 5, 10, 15);
    assert_eq!(c.pairs(), 50);
    assert!(close(c.accuracy(), 0.70));
    assert!(close(c.kappa(), 0.40));
    assert!(close(c.precision_false(), 0.60));
    assert!(close(c.recall_false(), 0.75));
    assert_eq!(kappa_band(0.40), "fair");

    //                 human TRUE  human FALSE
    //   judge TRUE         6           1
    //   judge FALSE        1           2          n = 10
    // po = 8/10 = 0.8; judge TRUE 7/10, human TRUE 7/10
    // pe = 0.7·0.7 + 0.3·0.3 = 0.49 + 0.09 = 0.58
    // κ  = (0.8 − 0.58) / 0.42 = 0.22 / 0.42 = 0.5238095…  → "moderate"
    // precision = 2/3, recall = 2/3
    let c = conf(6, 1, 1, 2);
    assert!(close(c.accuracy(), 0.8));
    assert!(close(c.kappa(), 0.22 / 0.42));
    assert!(close(c.precision_false(), 2.0 / 3.0));
    assert!(close(c.recall_false(), 2.0 / 3.0));
    assert_eq!(kappa_band(0.22 / 0.42), "moderate");

    // Total disagreement: TT=0 TF=5 FT=5 FF=0 → po = 0, pe = 0.5·0.5 + 0.5·0.5 = 0.5,
    // κ = (0 − 0.5) / 0.5 = −1; precision = 0/5 = 0, recall = 0/5 = 0.
    let c = conf(0, 5, 5, 0);
    assert!(close(c.kappa(), -1.0));
    assert!(close(c.precision_false(), 0.0));
    assert!(close(c.recall_false(), 0.0));
    assert_eq!(kappa_band(-1.0), "poor (worse than chance)");
}

#[test]
fn degenerate_cases() {
    // No pairs: nothing is defined.
    let c = conf(0, 0, 0, 0);
    assert_eq!(c.accuracy(), None);
    assert_eq!(c.kappa(), None);
    assert_eq!(c.precision_false(), None);
    assert_eq!(c.recall_false(), None);

    // One class only, both sides TRUE 8 times: po = 1, pe = 1·1 + 0·0 = 1 → κ is 0/0,
    // undefined (None, `null` in --json). Nobody said FALSE, so precision and recall for FALSE
    // are undefined too.
    let c = conf(8, 0, 0, 0);
    assert!(close(c.accuracy(), 1.0));
    assert_eq!(c.kappa(), None);
    assert_eq!(c.precision_false(), None);
    assert_eq!(c.recall_false(), None);

    // One class only, FALSE: po = 1, pe = 0·0 + 1·1 = 1 → κ undefined; precision = recall = 3/3.
    let c = conf(0, 0, 0, 3);
    assert_eq!(c.kappa(), None);
    assert!(close(c.precision_false(), 1.0));
    assert!(close(c.recall_false(), 1.0));

    // The judge always says TRUE but humans vary: judge share TRUE = 1 → pe = 1·0.75 + 0·0.25
    // = 0.75 (≠ 1), po = 3/4 → κ = (0.75 − 0.75) / 0.25 = 0: no better than chance.
    // The judge never said FALSE: precision undefined; recall = 0/1 = 0.
    let c = conf(3, 1, 0, 0);
    assert!(close(c.kappa(), 0.0));
    assert_eq!(c.precision_false(), None);
    assert!(close(c.recall_false(), 0.0));
}

fn score(st: &Store, src: ScoreSource, trace: &str, rule: &str, v: Verdict) -> i64 {
    st.insert_score(&Score {
        verdict: Some(v),
        explanation: (src == ScoreSource::Judge).then(|| format!("why {trace}")),
        author: (src == ScoreSource::Human).then(|| "ann".to_string()),
        ..Score::new(src, trace, rule)
    })
    .unwrap()
}

#[test]
fn compute_from_the_store_uses_current_scores_and_keeps_na_error_apart() {
    use ScoreSource::{Human, Judge};
    use Verdict::{Error, False, Na, True};
    let st = Store::open_in_memory().unwrap();
    // grounded: t1 TT, t2 TT, t3 TF (disagree), t4 FF, t5 FT (disagree), t6 judge error,
    // t7 human NA, t8 judge only, t9 human only.
    for (t, j, h) in [
        ("t1", True, True),
        ("t2", True, True),
        ("t3", True, False),
        ("t4", False, False),
        ("t5", False, True),
        ("t6", Error, False),
        ("t7", True, Na),
    ] {
        score(&st, Judge, t, "grounded", j);
        score(&st, Human, t, "grounded", h);
    }
    score(&st, Judge, "t8", "grounded", False);
    score(&st, Human, "t9", "grounded", False);
    // Only the newest label counts: t2 is re-labelled FALSE, then TRUE again.
    score(&st, Human, "t2", "grounded", False);
    score(&st, Human, "t2", "grounded", True);
    // A repeated judge run with samples: 2 of 3 agreed, and 3 of 3.
    st.insert_score(&Score {
        verdict: Some(False),
        samples: Some(3),
        agree: Some(2),
        ..Score::new(Judge, "t4", "grounded")
    })
    .unwrap();
    st.insert_score(&Score {
        verdict: Some(False),
        samples: Some(3),
        agree: Some(3),
        ..Score::new(Judge, "t8", "grounded")
    })
    .unwrap();
    // Another rule, labelled but never judged.
    score(&st, Human, "t1", "polite", True);

    let all = agreement::compute(&st, None).unwrap();
    assert_eq!(
        all.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
        ["grounded", "polite"]
    );
    let g = &all[0];
    //                 human TRUE  human FALSE
    //   judge TRUE      2 (t1,t2)    1 (t3)
    //   judge FALSE     1 (t5)       1 (t4)       n = 5; t6, t7 → na_or_error = 2
    // po = 3/5 = 0.6; judge TRUE 3/5, human TRUE 3/5; pe = 0.36 + 0.16 = 0.52
    // κ = (0.6 − 0.52) / 0.48 = 0.08 / 0.48 = 1/6; precision = 1/(1+1); recall = 1/(1+1)
    assert_eq!(g.confusion, conf(2, 1, 1, 1));
    assert_eq!(g.pairs, 5);
    assert_eq!(g.na_or_error, 2);
    assert!(close(g.accuracy, 0.6));
    assert!(close(g.kappa, 1.0 / 6.0));
    assert!(close(g.precision_false, 0.5));
    assert!(close(g.recall_false, 0.5));
    assert_eq!(g.judged, 8);
    assert_eq!(g.labelled, 8);
    let ids: Vec<&str> = g
        .disagreements
        .iter()
        .map(|d| d.trace_id.as_str())
        .collect();
    assert_eq!(ids, ["t3", "t5"]);
    assert_eq!(g.disagreements[0].explanation.as_deref(), Some("why t3"));
    assert_eq!(g.disagreements[0].judge, True);
    assert_eq!(g.disagreements[0].human, False);
    // Repeatability: (2/3 + 3/3) / 2 = 5/6 over 2 scores.
    let rep = g.repeatability.unwrap();
    assert_eq!(rep.scores, 2);
    assert!((rep.mean - 5.0 / 6.0).abs() < 1e-9);

    let p = &all[1];
    assert_eq!((p.pairs, p.labelled, p.judged), (0, 1, 0));
    assert_eq!(p.kappa, None);

    // A named rule with nothing at all still gets a row.
    let none = agreement::compute(&st, Some("nope")).unwrap();
    assert_eq!(none.len(), 1);
    assert_eq!(none[0].pairs, 0);
    assert_eq!(none[0].accuracy, None);

    // The JSON object carries the public field names exactly.
    let j = g.to_json();
    for k in [
        "rule",
        "pairs",
        "accuracy",
        "kappa",
        "confusion",
        "precision_false",
        "recall_false",
        "na_or_error",
        "disagreements",
    ] {
        assert!(j.get(k).is_some(), "missing {k}: {j}");
    }
    assert_eq!(j["disagreements"], serde_json::json!(["t3", "t5"]));
    assert_eq!(j["confusion"]["judge_false_human_true"], 1);
}
