//! Pulling slices from ClickHouse (`trawl import clickhouse://…`) against the real engine
//! (chDB behind `tests/clickhouse/chdb_http.py`, filled from the fixtures the way the
//! OpenTelemetry Collector's exporter fills `otel_traces`): a pull equals importing the same
//! spans from the dump, filters select what the local filters select, pulls are idempotent,
//! and the password stays out of logs and the store.

use crate::util::clickhouse::{self, DATABASES, PASSWORD};
use crate::util::{Trawl, fixture_arg, streams};
use std::collections::BTreeSet;
use std::path::Path;

fn trawl(home: &Path) -> Trawl {
    let mut t = Trawl::new(home);
    t.env("TRAWL_CLICKHOUSE_PASSWORD", PASSWORD);
    t
}

fn ok(t: &mut Trawl) -> String {
    let o = t.output();
    let (out, err) = streams(&o);
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {out}\nstderr: {err}",
        o.status.code()
    );
    out
}

fn ids(home: &Path, filter: &[&str]) -> BTreeSet<String> {
    let out = ok(trawl(home)
        .args(["traces", "--json", "--limit", "100000"])
        .args(filter));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let list = v
        .as_array()
        .cloned()
        .or_else(|| v.get("traces").and_then(|t| t.as_array()).cloned());
    list.unwrap_or_default()
        .iter()
        .filter_map(|t| t.get("trace_id").and_then(|i| i.as_str()).map(String::from))
        .collect()
}

#[test]
fn a_pull_equals_importing_the_dump_span_by_span() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    for (db, files, _) in DATABASES {
        let pulled = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dumped = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        ok(trawl(pulled.path()).args(["import", &front.url(db)]));
        ok(trawl(dumped.path())
            .arg("import")
            .args(files.iter().map(|f| fixture_arg(f))));
        let want = ids(dumped.path(), &[]);
        assert!(!want.is_empty(), "{db}: the dump has traces");
        assert_eq!(ids(pulled.path(), &[]), want, "{db}: the same traces");
        // Every trace, a few processes at a time.
        let want: Vec<&String> = want.iter().collect();
        std::thread::scope(|scope| {
            for chunk in want.chunks(want.len().div_ceil(3)) {
                let (pulled, dumped) = (pulled.path(), dumped.path());
                scope.spawn(move || {
                    for id in chunk {
                        let a = ok(trawl(pulled).args(["show", id, "--json"]));
                        let b = ok(trawl(dumped).args(["show", id, "--json"]));
                        assert_eq!(
                            a, b,
                            "{db}: trace {id} differs between the pull and the dump"
                        );
                    }
                });
            }
        });
    }
}

#[test]
fn filters_pull_the_traces_the_local_filters_select() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    ok(trawl(local.path()).args(["import", &fixture_arg(crate::util::SUPPORT_BOT)]));
    let all = ids(local.path(), &[]);
    // One user, session and model that the fixture has.
    let first: serde_json::Value = serde_json::from_str(&ok(
        trawl(local.path()).args(["traces", "--json", "--limit", "1", "--status", "ok"])
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let first = first
        .as_array()
        .and_then(|a| a.first().cloned())
        .or_else(|| first.get("traces").and_then(|t| t.get(0)).cloned())
        .unwrap_or_default();
    let field = |k: &str| {
        first
            .get(k)
            .and_then(|v| {
                v.as_str()
                    .map(String::from)
                    .or_else(|| v.get(0).and_then(|x| x.as_str()).map(String::from))
            })
            .unwrap_or_else(|| panic!("no {k} in {first}"))
    };
    let (user, session) = (field("user_id"), field("session_id"));
    let cases: Vec<Vec<String>> = vec![
        vec!["--on".into(), "2026-11-10".into()],
        vec![
            "--since".into(),
            "2026-11-01".into(),
            "--until".into(),
            "2026-11-12T12:00:00Z".into(),
        ],
        vec!["--user".into(), user],
        vec!["--session".into(), session],
        vec!["--model".into(), "gpt-4o-mini".into()],
        vec!["--service".into(), "fernhill-support-bot".into()],
        vec!["--status".into(), "error".into()],
        vec![
            "--on".into(),
            "2026-11-10".into(),
            "--status".into(),
            "ok".into(),
        ],
    ];
    for case in &cases {
        let args: Vec<&str> = case.iter().map(String::as_str).collect();
        let want = ids(local.path(), &args);
        assert!(
            want.len() < all.len() || case[0] == "--service",
            "{case:?} should narrow"
        );
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        ok(trawl(home.path())
            .args(["import", &front.url("otel")])
            .args(&args));
        assert_eq!(ids(home.path(), &[]), want, "pull with {case:?}");
    }
    // Free text: ClickHouse pre-selects traces with the words in any attribute, and the store's
    // own index keeps exactly what the local search finds (questions and answers only).
    for search in ["restocking fee", "refund", "\"price match\""] {
        let want = ids(local.path(), &["--search", search]);
        assert!(!want.is_empty(), "{search}");
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        ok(trawl(home.path()).args(["import", &front.url("otel"), "--search", search]));
        let got = ids(home.path(), &[]);
        assert_eq!(got, want, "search {search}");
        assert!(got.len() < all.len());
    }
}

#[test]
fn a_pull_search_folds_case_and_diacritics_like_the_local_index() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let local = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    ok(trawl(local.path()).args([
        "import",
        &fixture_arg("remote_edge_cases.synthetic.otlp.jsonl"),
    ]));
    // "cafe" is the café trace and the CAFE one, never the cafeteria; "café" the same two.
    let cafe: BTreeSet<String> = [
        "000000000000000000000000000000e6",
        "000000000000000000000000000000e8",
    ]
    .map(String::from)
    .into();
    for search in ["cafe", "café", "CAFÉ"] {
        let want = ids(local.path(), &["--search", search]);
        assert_eq!(want, cafe, "local search {search}");
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        ok(trawl(home.path()).args(["import", &front.url("edge"), "--search", search]));
        assert_eq!(ids(home.path(), &[]), want, "pull --search {search}");
    }
}

#[test]
fn pulls_are_idempotent_limited_and_report_json() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let json = |t: &mut Trawl| -> serde_json::Value {
        serde_json::from_str(&ok(t)).unwrap_or_else(|e| panic!("{e}"))
    };
    let first = json(trawl(home.path()).args([
        "import",
        &front.url("otel"),
        "--limit-traces",
        "7",
        "--json",
    ]));
    assert_eq!(first["traces_imported"], 7);
    let spans = first["spans_imported"].as_u64().unwrap_or(0);
    assert!(spans >= 7);
    let again = json(trawl(home.path()).args([
        "import",
        &front.url("otel"),
        "--limit-traces",
        "7",
        "--json",
    ]));
    assert_eq!(again["spans_imported"], 0, "{again}");
    assert_eq!(again["duplicates_skipped"].as_u64(), Some(spans));
    // Resuming: the rest of the table comes in, the first seven once.
    let rest = json(trawl(home.path()).args(["import", &front.url("otel"), "--json"]));
    assert_eq!(rest["traces_imported"], 33);
    assert_eq!(ids(home.path(), &[]).len(), 40);
}

#[test]
fn passwords_stay_out_of_output_and_store_and_errors_are_clear() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A password in the URL works, with a warning that does not repeat it.
    let url = front.url("otel").replace(
        clickhouse::USER,
        &format!("{}:{PASSWORD}", clickhouse::USER),
    );
    let o = Trawl::new(home.path())
        .args(["import", &url, "--limit-traces", "2"])
        .output();
    let (out, err) = streams(&o);
    assert!(o.status.success(), "{out}{err}");
    assert!(err.contains("warning") && err.contains("password"), "{err}");
    assert!(
        !out.contains(PASSWORD) && !err.contains(PASSWORD),
        "{out}{err}"
    );
    for entry in std::fs::read_dir(home.path().join("data/trawl")).unwrap_or_else(|e| panic!("{e}"))
    {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "{} holds the password",
            path.display()
        );
    }
    // A wrong password: ClickHouse's authentication error, exit 1, no password echoed.
    let o = Trawl::new(home.path())
        .env("TRAWL_CLICKHOUSE_PASSWORD", "wrong-one")
        .args(["import", &front.url("otel")])
        .output();
    let (out, err) = streams(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("516") && err.contains("Authentication failed"),
        "{err}"
    );
    assert!(!err.contains("wrong-one"));
    // --password-env names another variable.
    let o = Trawl::new(home.path())
        .env("CH_PW", PASSWORD)
        .args([
            "import",
            &front.url("otel"),
            "--password-env",
            "CH_PW",
            "--limit-traces",
            "1",
        ])
        .output();
    assert!(o.status.success(), "{:?}", streams(&o));
    // A missing table names itself.
    let o = trawl(home.path())
        .args([
            "import",
            &front.url("otel").replace("otel_traces", "no_such_table"),
        ])
        .output();
    let (_, err) = streams(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("no_such_table"), "{err}");
}

#[test]
fn a_langfuse_pull_equals_the_trace_download_newest_versions_only() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let pulled = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let downloaded = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = ok(trawl(pulled.path()).args(["import", &front.langfuse_url(), "--json"]));
    let report: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report["traces_imported"], 1,
        "the deleted trace is not pulled: {report}"
    );
    let direct = ok(trawl(downloaded.path()).args([
        "import",
        &fixture_arg("langfuse_trace.synthetic.json"),
        "--json",
    ]));
    let direct: serde_json::Value = serde_json::from_str(&direct).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report["spans_imported"], direct["spans_imported"],
        "{report}"
    );
    let id = "5b8efff798038103d269b633813fc60c";
    assert_eq!(ids(pulled.path(), &[]), BTreeSet::from([id.to_string()]));
    let a = ok(trawl(pulled.path()).args(["show", id, "--json"]));
    let b = ok(trawl(downloaded.path()).args(["show", id, "--json"]));
    let (a, b): (serde_json::Value, serde_json::Value) = (
        serde_json::from_str(&a).unwrap_or_else(|e| panic!("{e}")),
        serde_json::from_str(&b).unwrap_or_else(|e| panic!("{e}")),
    );
    assert_eq!(a, b, "pulled:\n{a:#}\ndownloaded:\n{b:#}");
    // The newest versions: the trace's current name, the generation's usage and cost.
    assert_eq!(a["name"], "support-answer", "{a:#}");
    let text = a.to_string();
    assert!(
        text.contains("helpfulness") && text.contains("friendly"),
        "scores land: {text}"
    );
    // Pulling again adds nothing, scores included.
    let again = ok(trawl(pulled.path()).args(["import", &front.langfuse_url(), "--json"]));
    assert!(again.contains("\"spans_imported\": 0"), "{again}");
    let b2 = ok(trawl(pulled.path()).args(["show", id, "--json"]));
    let b2: serde_json::Value = serde_json::from_str(&b2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b2);
    // A search pulls what the local search finds: "2001" is the answer; "brief" is only in the
    // system prompt, which a bare search does not look at, though ClickHouse sees it.
    for (search, n) in [("2001", 1), ("brief", 0)] {
        let want = ids(downloaded.path(), &["--search", search]);
        assert_eq!(want.len(), n, "local {search}");
        let home = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        ok(trawl(home.path()).args(["import", &front.langfuse_url(), "--search", search]));
        assert_eq!(ids(home.path(), &[]), want, "pull --search {search}");
    }
}
