//! A store written by an older trawl (schema 7: text trace ids in every table, previews in
//! every span row) opens, migrates to integer trace keys, and answers `traces`, `show`,
//! `stats` and search exactly as the old binary did. The store and the old binary's answers
//! are checked in under tests/fixtures/store_v7/ (see the fixture README).

use crate::util::{Trawl, fixture, streams};

/// `trawl ARGS --store COPY --json` on a private copy of the version-7 store; the output as JSON.
fn run(home: &std::path::Path, store: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let o = Trawl::new(home)
        .args(args)
        .args(["--store", &store.display().to_string(), "--json"])
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

fn expected(name: &str) -> serde_json::Value {
    let path = fixture(&format!("store_v7/{name}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_version_7_store_migrates_and_answers_as_before() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = dir.path().join("old.db");
    std::fs::copy(fixture("store_v7/store.db"), &store).unwrap_or_else(|e| panic!("{e}"));
    let cases: [(&[&str], &str); 8] = [
        (&["traces", "--limit", "100"], "traces.json"),
        (&["traces", "--search", "cafe"], "search_cafe.json"),
        (
            &["traces", "--answer", "refund"],
            "search_answer_refund.json",
        ),
        (&["traces", "--model", "gpt-4o-mini"], "model.json"),
        (
            &["show", "4bf92f3577b34da6a3ce929d0e0e4736"],
            "show_4bf.json",
        ),
        (
            &["show", "0af7651916cd43dd8448eb211c80319c"],
            "show_0af.json",
        ),
        (
            &["stats", "--since", "2020-01-01", "--by", "week"],
            "stats.json",
        ),
        (
            &[
                "stats",
                "--since",
                "2020-01-01",
                "--by",
                "week",
                "--group-by",
                "model",
            ],
            "stats_model.json",
        ),
    ];
    for (args, want) in cases {
        assert_eq!(run(dir.path(), &store, args), expected(want), "{args:?}");
    }
    let version: i64 = rusqlite::Connection::open(&store)
        .and_then(|c| c.query_row("PRAGMA user_version", [], |r| r.get(0)))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(version >= 8, "{version}");
    // The search found something, so the check above compared real rows.
    assert!(
        !expected("search_cafe.json")
            .as_array()
            .is_some_and(Vec::is_empty)
    );
    // Importing one of the old store's files again adds nothing.
    let o = Trawl::new(dir.path())
        .args(["import", "--json", "--store", &store.display().to_string()])
        .arg(fixture("remote_edge_cases.synthetic.otlp.jsonl"))
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["spans_imported"], 0, "{out}");
    assert_eq!(
        run(dir.path(), &store, &["traces", "--limit", "100"]),
        expected("traces.json")
    );
}
