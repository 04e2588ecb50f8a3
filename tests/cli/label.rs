//! `trawl label` and `trawl agreement` end to end: the real binary on a temp store.

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use trawl::model::{Score, ScoreSource, Verdict};
use trawl::store::Store;

use crate::util::{FixtureStore, Trawl, fixture_store, text};

/// The sandboxed binary, as `user` (`$USER`) or with no user name at all.
fn trawl_as(home: &Path, user: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Trawl::new(home);
    if let Some(u) = user {
        cmd.user(u);
    }
    cmd.args(args).output()
}

/// The support-bot store with judge verdicts on three traces.
fn setup() -> (FixtureStore, String, Vec<String>) {
    let fx = fixture_store();
    let st = fx.open();
    let ids = fx.ids.clone();
    // The judge flagged the first two traces and passed the third.
    for (i, v) in [Verdict::False, Verdict::False, Verdict::True]
        .into_iter()
        .enumerate()
    {
        st.insert_score(&Score {
            verdict: Some(v),
            explanation: Some(format!("judge says {}", v.as_str())),
            ..Score::new(ScoreSource::Judge, ids[i].clone(), "grounded")
        })
        .unwrap();
    }
    let db = fx.arg();
    (fx, db, ids)
}

fn human_labels(db: &str, id: &str) -> Vec<Score> {
    let st = Store::open(Path::new(db)).unwrap();
    st.scores_for_trace(id)
        .unwrap()
        .into_iter()
        .filter(|s| s.source == ScoreSource::Human)
        .collect()
}

#[test]
fn label_undo_and_agreement() {
    let (dir, db, ids) = setup();
    let home = dir.home();
    let prefix = &ids[0][..10];

    // Label by prefix, author from $USER.
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label",
            prefix,
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "false",
            "--note",
            "wrong policy",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("judge agrees"),
        "{}",
        text(&o)
    );
    let labels = human_labels(&db, &ids[0]);
    assert_eq!(labels.len(), 1);
    assert_eq!(labels[0].verdict, Some(Verdict::False));
    assert_eq!(labels[0].author.as_deref(), Some("alice"));
    assert_eq!(labels[0].note.as_deref(), Some("wrong policy"));
    assert!(labels[0].created_at_ns.is_some_and(|t| t > 0));

    // --author wins over $USER; --json output.
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label",
            &ids[1],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "true",
            "--author",
            "bob",
            "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["author"], "bob");
    assert_eq!(j["verdict"], "true");
    assert_eq!(j["rule"], "grounded");
    assert_eq!(j["judge"]["verdict"], "false");

    // A rule the judge never ran: stored, with a warning.
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label",
            &ids[0],
            "--store",
            &db,
            "--rule",
            "polite",
            "--verdict",
            "na",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("warning: no judge verdict"));

    // Agreement: grounded pairs = ids[0] FALSE/FALSE, ids[1] FALSE/TRUE (disagreement).
    let o = trawl_as(home, None, &["agreement", "--store", &db, "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let arr: Value = serde_json::from_slice(&o.stdout).unwrap();
    let g = arr
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "grounded")
        .unwrap();
    let keys: Vec<&str> = g.as_object().unwrap().keys().map(String::as_str).collect();
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
        assert!(keys.contains(&k), "missing {k} in {g}");
    }
    let mut ck: Vec<&str> = g["confusion"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    ck.sort();
    assert_eq!(
        ck,
        [
            "judge_false_human_false",
            "judge_false_human_true",
            "judge_true_human_false",
            "judge_true_human_true"
        ]
    );
    assert_eq!(g["pairs"], 2);
    assert_eq!(g["confusion"]["judge_false_human_false"], 1);
    assert_eq!(g["confusion"]["judge_false_human_true"], 1);
    // po = 1/2; judge TRUE share 0, human TRUE share 1/2 → pe = 0·½ + 1·½ = ½; κ = 0.
    assert_eq!(g["accuracy"], 0.5);
    assert_eq!(g["kappa"], 0.0);
    assert_eq!(g["precision_false"], 0.5);
    assert_eq!(g["recall_false"], 1.0);
    assert_eq!(g["disagreements"], serde_json::json!([ids[1]]));

    // The readable table names the band, the matrix and the disagreement.
    let o = trawl_as(
        home,
        None,
        &["agreement", "--store", &db, "--rule", "grounded"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("Cohen's kappa 0.00 (slight)"), "{out}");
    assert!(out.contains("judge FALSE"), "{out}");
    assert!(out.contains(&ids[1]), "{out}");
    assert!(out.contains("judge says false"), "{out}");

    // Undo: a second label by alice, then undo → the first one is current again.
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label",
            prefix,
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "true",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label", prefix, "--store", &db, "--rule", "grounded", "--undo",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("now false"),
        "{}",
        text(&o)
    );
    let labels = human_labels(&db, &ids[0]);
    let grounded: Vec<_> = labels.iter().filter(|l| l.name == "grounded").collect();
    assert_eq!(grounded.len(), 1);
    assert_eq!(grounded[0].verdict, Some(Verdict::False));

    // Someone else cannot undo alice's label; undo twice more empties it, then nothing to undo.
    let o = trawl_as(
        home,
        Some("carol"),
        &[
            "label", prefix, "--store", &db, "--rule", "grounded", "--undo",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label", prefix, "--store", &db, "--rule", "grounded", "--undo", "--json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["undone"]["verdict"], "false");
    assert!(j["current"].is_null());
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label", prefix, "--store", &db, "--rule", "grounded", "--undo",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
}

#[test]
fn label_errors_and_author_fallbacks() {
    let (dir, db, ids) = setup();
    let home = dir.home();
    // Unknown trace → 1.
    let o = trawl_as(
        home,
        Some("alice"),
        &[
            "label",
            "ffffffffff",
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "true",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no trace"));
    // Usage errors → 2: bad verdict, "error" is not a human verdict, missing verdict,
    // --undo with --verdict, missing --rule.
    for args in [
        vec![
            "label",
            &ids[0],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "maybe",
        ],
        vec![
            "label",
            &ids[0],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "error",
        ],
        vec!["label", &ids[0], "--store", &db, "--rule", "grounded"],
        vec![
            "label",
            &ids[0],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "true",
            "--undo",
        ],
        vec!["label", &ids[0], "--store", &db, "--verdict", "true"],
    ] {
        let o = trawl_as(home, Some("alice"), &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}\n{}", text(&o));
    }
    assert!(human_labels(&db, &ids[0]).is_empty());

    // No $USER: the config file's author, else "unknown".
    let o = trawl_as(
        home,
        None,
        &[
            "label",
            &ids[2],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "true",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        human_labels(&db, &ids[2])[0].author.as_deref(),
        Some("unknown")
    );
    std::fs::create_dir_all(home.join("config/trawl")).unwrap();
    std::fs::write(home.join("config/trawl/config.toml"), "author = \"dana\"\n").unwrap();
    let o = trawl_as(
        home,
        None,
        &[
            "label",
            &ids[2],
            "--store",
            &db,
            "--rule",
            "grounded",
            "--verdict",
            "false",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(
        human_labels(&db, &ids[2])[0].author.as_deref(),
        Some("dana")
    );
}
