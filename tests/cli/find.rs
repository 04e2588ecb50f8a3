//! Finding the trace behind "a wrong answer last Tuesday": relative days resolved against the
//! store's data when they miss it, and search scoped to questions, answers, passages and
//! system prompts.

use crate::util::{Trawl, fixture_store, streams};
use serde_json::Value;

/// Friday 2026-11-27: "tuesday" is 2026-11-24, after the fixture's last day (Sun 2026-11-15).
const NOW: &str = "2026-11-27T12:00:00Z";

fn traces(fx: &crate::util::FixtureStore, args: &[&str]) -> (Vec<Value>, String) {
    let o = Trawl::new(fx.home())
        .args(["traces", "--store", &fx.arg(), "--json", "--limit", "100"])
        .args(args)
        .now(NOW)
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    (v.as_array().cloned().unwrap_or_default(), err)
}

#[test]
fn a_weekday_after_the_data_names_the_same_weekday_in_it_at_80_columns() {
    let fx = fixture_store();
    let o = Trawl::new(fx.home())
        .args(["traces", "--store", &fx.arg(), "--on", "tuesday"])
        .now(NOW)
        .env("COLUMNS", "80")
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert_eq!(out.trim(), "no traces match");
    let hint = err.lines().collect::<Vec<_>>().join(" ");
    assert_eq!(
        hint,
        "hint: no traces on Tue 2026-11-24; the store ends Sun 2026-11-15 — --on 2026-11-10 shows Tue 2026-11-10"
    );
    for line in err.lines() {
        assert!(line.chars().count() <= 80, "longer than 80: {line:?}");
    }
    // With --json the array stays empty and the hint still goes to stderr.
    let (none, err) = traces(&fx, &["--on", "tuesday"]);
    assert!(none.is_empty());
    assert!(
        err.contains("--on 2026-11-10 shows Tue 2026-11-10"),
        "{err}"
    );
    // The flag it names shows that Tuesday's traces.
    let (tue, _) = traces(&fx, &["--on", "2026-11-10"]);
    assert_eq!(tue.len(), 4);
    let (last, _) = traces(&fx, &["--on", "last-tuesday"]);
    assert!(last.is_empty());
    let (range, _) = traces(&fx, &["--on", "11-09..11-11"]);
    assert!(range.len() > tue.len(), "{}", range.len());
}

fn ids(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|t| t["trace_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn search_scopes_to_answers_and_bare_words_skip_passages_and_system_prompts() {
    let fx = fixture_store();
    let (answer, _) = traces(&fx, &["--answer", "refund"]);
    let (in_search, _) = traces(&fx, &["--search", "a:refund"]);
    assert_eq!(ids(&answer), ids(&in_search));
    assert!(!answer.is_empty());
    // Every answer match says "refund" in what the bot answered.
    for t in &answer {
        let out = t["output_preview"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase();
        assert!(out.contains("refund"), "{t}");
    }
    let (docs, _) = traces(&fx, &["--doc", "refund"]);
    let (bare, _) = traces(&fx, &["--search", "refund"]);
    assert!(
        docs.len() > bare.len() && bare.len() < 40,
        "passages mention refunds in most traces ({}), questions and answers in fewer ({})",
        docs.len(),
        bare.len()
    );
    // The system prompt's wording is in every trace's system prompt and in no answer.
    let phrase = "\"numbered context passages\"";
    let (sys, _) = traces(&fx, &["--system", phrase]);
    assert_eq!(sys.len(), 40);
    let (sys_scoped, _) = traces(&fx, &["--search", &format!("sys:{phrase}")]);
    assert_eq!(ids(&sys), ids(&sys_scoped));
    // Bare words find only the one answer that leaked the system prompt.
    let (bare, _) = traces(&fx, &["--search", phrase]);
    assert_eq!(ids(&bare), ["b9e2811d475c687af6f20b68201f0abe"]);
}
