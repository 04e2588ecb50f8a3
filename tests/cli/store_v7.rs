//! Stores written by older trawls open, migrate and answer `traces`, `show`, `stats` and search
//! exactly as the old binary did: schema 7 (text trace ids in every table, previews in every
//! span row) and schema 10 (session, user and service in every span row, payloads holding
//! their ids and times). The stores and the old binaries' answers are checked in under
//! tests/fixtures/store_v7/ and store_v10/ (see the fixture README).

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

/// `trawl ARGS --store STORE --json`'s standard output, as bytes (well, text) to compare whole.
fn stdout_of(home: &std::path::Path, store: &std::path::Path, args: &[&str]) -> String {
    let o = Trawl::new(home)
        .args(args)
        .args(["--store", &store.display().to_string(), "--json"])
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    out
}

fn expected_text(name: &str) -> String {
    let path = fixture(&format!("store_v10/{name}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The sources the version-10 store was made of (see the fixture README); line 4 of the
/// OpenInference fixture is written to `dir`.
fn v10_sources(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let bot = std::fs::read_to_string(fixture("openinference_support_bot_40.otlp.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    let line4 = dir.join("oi_line4.otlp.jsonl");
    let line = bot.lines().nth(3).unwrap_or_else(|| panic!("line 4"));
    std::fs::write(&line4, format!("{line}\n")).unwrap_or_else(|e| panic!("{e}"));
    let mut out: Vec<std::path::PathBuf> = [
        "genai_current.synthetic.otlp.jsonl",
        "js_exporter_crosscheck.otlp.jsonl",
        "remote_edge_cases.synthetic.otlp.jsonl",
        "openllmetry_legacy.synthetic.otlp.jsonl",
    ]
    .iter()
    .map(|f| fixture(f))
    .collect();
    out.push(line4);
    for f in [
        "langsmith_runs.synthetic.json",
        "langfuse_trace.synthetic.json",
        "llm-logs-0.36.db",
    ] {
        out.push(fixture(f));
    }
    out
}

/// Whose answers do not depend on the label and the judge verdict the old store was given.
const SHOWN_ALIKE_WHEN_IMPORTED_AGAIN: [(&[&str], &str); 6] = [
    (&["show", "01m5yq8dhdtzn30yepspqczh5m"], "show_llm.json"),
    (
        &["show", "0190f7a2-8b00-7c00-8000-000000000001"],
        "show_langsmith.json",
    ),
    (
        &["show", "5b8efff798038103d269b633813fc60c"],
        "show_langfuse.json",
    ),
    (
        &["show", "ddeb4eb31537cb9ff856ba6155247970"],
        "show_js.json",
    ),
    (&["traces", "--session", "sess_js_0001"], "session.json"),
    (
        &[
            "traces",
            "--service",
            "edge-bot",
            "--sort",
            "name",
            "--limit",
            "100",
        ],
        "service_by_name.json",
    ),
];

/// Schema 11 took session, user and service out of the span rows and ids and times out of
/// the payloads: a version-10 store migrates and answers byte for byte as version 10 did, a
/// re-import adds nothing, and the same sources imported afresh (payloads without their row
/// fields) show the same bytes.
#[test]
fn a_version_10_store_migrates_and_answers_byte_for_byte_as_before() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = dir.path().join("old.db");
    std::fs::copy(fixture("store_v10/store.db"), &store).unwrap_or_else(|e| panic!("{e}"));
    let week: &[&str] = &["stats", "--since", "2020-01-01", "--by", "week"];
    let by = |g: &'static str| -> Vec<&'static str> {
        let mut v = vec![
            "stats",
            "--since",
            "2020-01-01",
            "--by",
            "week",
            "--group-by",
        ];
        v.push(g);
        v
    };
    let (by_model, by_service) = (by("model"), by("service"));
    let mut cases: Vec<(&[&str], &str)> = vec![
        (&["traces", "--limit", "100"], "traces.json"),
        (&["traces", "--search", "refund"], "search_refund.json"),
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
        (week, "stats.json"),
        (&by_model, "stats_model.json"),
        (&by_service, "stats_service.json"),
    ];
    cases.extend(SHOWN_ALIKE_WHEN_IMPORTED_AGAIN);
    for (args, want) in &cases {
        assert_eq!(
            stdout_of(dir.path(), &store, args),
            expected_text(want),
            "{args:?}"
        );
    }
    let c = rusqlite::Connection::open(&store).unwrap_or_else(|e| panic!("{e}"));
    let version: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(version >= 11, "{version}");
    let session_columns: i64 = c
        .query_row(
            "SELECT count(*) FROM pragma_table_info('spans') WHERE name IN ('session_id', 'user_id', 'service')",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(session_columns, 0, "migrated");
    drop(c);
    // Importing every source again adds nothing and changes no answer.
    let sources = v10_sources(dir.path());
    let o = Trawl::new(dir.path())
        .args(["import", "--json", "--store", &store.display().to_string()])
        .args(&sources)
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(v["spans_imported"], 0, "{out}");
    for (args, want) in &cases {
        assert_eq!(
            stdout_of(dir.path(), &store, args),
            expected_text(want),
            "{args:?}"
        );
    }
    // A fresh store of the same sources: payloads leave ids and times to their rows.
    let fresh = dir.path().join("fresh.db");
    let o = Trawl::new(dir.path())
        .args(["import", "--json", "--store", &fresh.display().to_string()])
        .args(&sources)
        .output();
    assert_eq!(o.status.code(), Some(0), "{}", streams(&o).1);
    let c = rusqlite::Connection::open(&fresh).unwrap_or_else(|e| panic!("{e}"));
    let whole: i64 = c
        .query_row(
            "SELECT count(*) FROM span_data WHERE substr(data, 1, 1) NOT IN (CAST('P' AS BLOB), CAST('R' AS BLOB))",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(whole, 0, "every payload without its row fields");
    drop(c);
    for (args, want) in SHOWN_ALIKE_WHEN_IMPORTED_AGAIN {
        assert_eq!(
            stdout_of(dir.path(), &fresh, args),
            expected_text(want),
            "{args:?}"
        );
    }
}
