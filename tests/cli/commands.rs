//! Runs the real `trawl` binary for each command and exit code, on the fixtures and on bad input.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{SUPPORT_BOT, Trawl, fixture, fixture_arg, streams as text};

const JS: &str = "js_exporter_crosscheck.otlp.jsonl";

/// The sandboxed binary on Monday 2026-11-16 09:00 UTC.
fn trawl(home: &Path, args: &[&str]) -> Output {
    Trawl::new(home)
        .now("2026-11-16T09:00:00Z")
        .args(args)
        .output()
}

fn bot() -> String {
    fixture_arg(SUPPORT_BOT)
}

fn js() -> String {
    fixture_arg(JS)
}

fn store(dir: &Path) -> String {
    dir.join("t.db").display().to_string()
}

fn imported(dir: &Path) -> String {
    let db = store(dir);
    let o = trawl(dir, &["import", "--store", &db, &bot(), &js()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    db
}

#[test]
fn import_reports_counts_and_is_idempotent() {
    let d = tempfile::tempdir().unwrap();
    let db = store(d.path());
    let o = trawl(d.path(), &["import", "--store", &db, &bot()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.contains("40 traces, 271 spans imported, 0 duplicates skipped"),
        "{out}"
    );
    let o = trawl(d.path(), &["import", "--store", &db, &bot()]);
    let (out, _) = text(&o);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        out.contains("0 traces, 0 spans imported, 271 duplicates skipped"),
        "{out}"
    );
    let o = trawl(
        d.path(),
        &["traces", "--store", &db, "--limit", "1000", "--json"],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 40);
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_valid_ones_kept() {
    let d = tempfile::tempdir().unwrap();
    let good = std::fs::read_to_string(fixture(SUPPORT_BOT)).unwrap();
    let lines: Vec<&str> = good.lines().collect();
    let bad = d.path().join("mixed.jsonl");
    let mut content = String::new();
    content.push_str(lines[0]);
    content.push('\n');
    content.push_str("{not json\n");
    content.push_str("{\"hello\": 1}\n");
    for l in &lines[1..] {
        content.push_str(l);
        content.push('\n');
    }
    content.push_str(&lines[0][..100]); // truncated last line, no newline
    std::fs::write(&bad, content).unwrap();
    let db = store(d.path());
    let o = trawl(d.path(), &["import", "--store", &db, bad.to_str().unwrap()]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{err}");
    let name = bad.display().to_string();
    assert!(err.contains(&format!("{name}:2: ")), "{err}");
    assert!(err.contains(&format!("{name}:3: ")), "{err}");
    assert!(
        err.contains(&format!("{name}:{}: truncated last line", lines.len() + 3)),
        "{err}"
    );
    assert!(out.contains("40 traces, 271 spans imported"), "{out}");
    assert!(out.contains("3 bad lines skipped"), "{out}");

    // --strict: the same file fails and keeps nothing.
    let db2 = d.path().join("strict.db").display().to_string();
    let o = trawl(
        d.path(),
        &["import", "--strict", "--store", &db2, bad.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    let o = trawl(d.path(), &["traces", "--store", &db2, "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        v.as_array().unwrap().len(),
        0,
        "strict import must roll back"
    );
}

#[test]
fn unusable_inputs_fail_clearly_without_panicking() {
    let d = tempfile::tempdir().unwrap();
    let db = store(d.path());
    let empty = d.path().join("empty.jsonl");
    std::fs::write(&empty, "").unwrap();
    let other = d.path().join("other.json");
    std::fs::write(&other, "[{\"name\": \"csv-like\"}]\n").unwrap();
    let binary = d.path().join("bin.dat");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, 0x01, 0x80, 0x81]).unwrap();
    let invalid_utf8 = d.path().join("utf8.jsonl");
    let mut bytes = b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe]);
    bytes.extend_from_slice(b"\"}]}]}]}\n");
    std::fs::write(&invalid_utf8, bytes).unwrap();
    for (path, needle) in [
        (empty.clone(), "empty file"),
        (other.clone(), "unrecognised format"),
        (binary.clone(), "unrecognised format"),
        (d.path().join("missing.jsonl"), "no such file"),
    ] {
        let o = trawl(
            d.path(),
            &["import", "--store", &db, path.to_str().unwrap()],
        );
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(1), "{path:?}: {err}");
        assert!(
            err.contains(&path.display().to_string()) && err.contains(needle),
            "{path:?}: {err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = trawl(
        d.path(),
        &["import", "--store", &db, invalid_utf8.to_str().unwrap()],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains(&format!("{}:1: ", invalid_utf8.display())),
        "{err}"
    );

    // A store that is not SQLite, and one that cannot be written.
    let notdb = d.path().join("not.db");
    std::fs::write(
        &notdb,
        "this is not sqlite, just text that is long enough to have a header....",
    )
    .unwrap();
    let o = trawl(d.path(), &["traces", "--store", notdb.to_str().unwrap()]);
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("not a trawl store") || err.contains("not a SQLite"),
        "{err}"
    );
}

#[test]
fn read_only_store_gives_a_clear_error() {
    let d = tempfile::tempdir().unwrap();
    let db = imported(d.path());
    let ro_dir = d.path().join("ro");
    std::fs::create_dir(&ro_dir).unwrap();
    let ro = ro_dir.join("t.db");
    std::fs::copy(&db, &ro).unwrap();
    let mut perm = std::fs::metadata(&ro).unwrap().permissions();
    perm.set_readonly(true);
    std::fs::set_permissions(&ro, perm.clone()).unwrap();
    let mut dperm = std::fs::metadata(&ro_dir).unwrap().permissions();
    dperm.set_readonly(true);
    std::fs::set_permissions(&ro_dir, dperm).unwrap();
    let o = trawl(
        d.path(),
        &["import", "--store", ro.to_str().unwrap(), &bot()],
    );
    let (_, err) = text(&o);
    // Root can write anyway; then the import simply succeeds.
    if o.status.code() != Some(0) {
        assert_eq!(o.status.code(), Some(1));
        assert!(
            err.contains("read-only") || err.contains("readonly"),
            "{err}"
        );
        assert!(!err.contains("panicked"));
    }
    let mut dperm = std::fs::metadata(&ro_dir).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    dperm.set_readonly(false);
    std::fs::set_permissions(&ro_dir, dperm).unwrap();
}

#[test]
fn usage_errors_exit_2() {
    let d = tempfile::tempdir().unwrap();
    assert_eq!(trawl(d.path(), &["import"]).status.code(), Some(2));
    assert_eq!(
        trawl(d.path(), &["traces", "--status", "maybe"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        trawl(d.path(), &["nonsense-command", "--x"]).status.code(),
        Some(2)
    );
    let o = trawl(d.path(), &["traces", "--help"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("Examples:"));
}

#[test]
fn traces_json_has_the_documented_fields_and_filters_work() {
    let d = tempfile::tempdir().unwrap();
    let db = imported(d.path());
    let json = |args: &[&str]| -> Vec<Value> {
        let mut a = vec![
            "traces",
            "--store",
            db.as_str(),
            "--json",
            "--limit",
            "1000",
        ];
        a.extend_from_slice(args);
        let o = trawl(d.path(), &a);
        assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
        serde_json::from_slice::<Value>(&o.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    };
    let all = json(&[]);
    assert_eq!(all.len(), 43);
    for key in [
        "trace_id",
        "start",
        "duration_ms",
        "name",
        "session_id",
        "user_id",
        "models",
        "span_count",
        "input_tokens",
        "output_tokens",
        "total_tokens",
        "cost_usd",
        "status",
    ] {
        assert!(all[0].get(key).is_some(), "missing {key}");
    }
    // Newest first; RFC 3339 UTC.
    assert!(all[0]["start"].as_str().unwrap().ends_with('Z'));
    // TRAWL_NOW is Monday 2026-11-16, so "tuesday" is 2026-11-10: four fixture traces.
    let tue = json(&["--on", "tuesday"]);
    let ids: Vec<&str> = tue
        .iter()
        .map(|t| t["trace_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 4, "{ids:?}");
    assert!(ids.contains(&"a9a71350b50ef19cb7a072fe42a12a2f"));
    assert_eq!(json(&["--status", "error"]).len(), 3); // 2 support-bot + 1 JS exporter trace
    assert_eq!(json(&["--user", "user_0204"]).len(), 3);
    assert_eq!(json(&["--session", "sess_8c7ddfdad1b5"]).len(), 3);
    let claude = json(&["--model", "claude-3-5-sonnet"]);
    assert!(!claude.is_empty());
    assert!(
        claude
            .iter()
            .all(|t| t["models"].to_string().contains("claude"))
    );
    let search = json(&["--search", "student discounts"]);
    assert!(
        search
            .iter()
            .any(|t| t["trace_id"] == "2009fae10c675dd81007e4037dfdc9f2"),
        "{search:?}"
    );
    assert_eq!(
        json(&["--since", "2026-11-15", "--until", "2026-11-16"]).len(),
        5
    );
    assert_eq!(json(&["--tag", "no-such-tag"]).len(), 0);
    // Tokens and cost are plain numbers; a known model gives a known cost.
    let t = all
        .iter()
        .find(|t| t["trace_id"] == "447afa24e1e7c76486d91e88ee5db67d")
        .unwrap();
    assert!(t["cost_usd"].as_f64().unwrap() > 0.0);
    assert_eq!(
        t["total_tokens"].as_i64().unwrap(),
        t["input_tokens"].as_i64().unwrap() + t["output_tokens"].as_i64().unwrap()
    );
}

#[test]
fn show_prints_tree_and_json_with_spans() {
    let d = tempfile::tempdir().unwrap();
    let db = imported(d.path());
    let o = trawl(d.path(), &["show", "--store", &db, "447afa24"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    assert!(out.contains("support_bot.answer_question"));
    assert!(out.contains("ChatCompletion"));
    assert!(out.contains("standard shipping is always free"));
    let o = trawl(
        d.path(),
        &[
            "show",
            "--store",
            &db,
            "447afa24e1e7c76486d91e88ee5db67d",
            "--json",
        ],
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let spans = v["spans"].as_array().unwrap();
    assert_eq!(spans.len() as i64, v["span_count"].as_i64().unwrap());
    for key in [
        "span_id",
        "parent_id",
        "name",
        "kind",
        "start",
        "duration_ms",
        "model",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "reasoning_tokens",
        "cost_usd",
        "cost_source",
        "status",
        "input_messages",
        "output_messages",
        "documents",
    ] {
        assert!(spans[0].get(key).is_some(), "missing {key}");
    }
    let llm = spans.iter().find(|s| s["kind"] == "llm").unwrap();
    assert_eq!(llm["cost_source"], "computed");
    assert!(
        llm["input_messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["role"] == "user")
    );
    let ret = spans.iter().find(|s| s["kind"] == "retriever").unwrap();
    let docs = ret["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 5);
    assert!(docs[0]["id"].as_str().unwrap().starts_with("kb-"));
    assert!(docs[0]["score"].as_f64().is_some());
    // Unknown trace: exit 1 with a helpful message.
    let o = trawl(d.path(), &["show", "--store", &db, "ffffffff"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).1.contains("no trace"));
}

#[test]
fn default_store_lives_in_the_xdg_data_dir() {
    let d = tempfile::tempdir().unwrap();
    let o = trawl(d.path(), &["import", &js()]);
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    let p: PathBuf = d.path().join("data").join("trawl").join("trawl.db");
    assert!(p.exists(), "store not created at {p:?}");
    let o = trawl(d.path(), &["traces", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
}

#[test]
fn terminal_escapes_in_trace_content_are_neutralised() {
    let d = tempfile::tempdir().unwrap();
    let evil = d.path().join("evil.jsonl");
    let line = r#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"0123456789abcdef0123456789abcdef","spanId":"0123456789abcdef","name":"evil\u001b]52;c;ZXZpbA==\u0007name\u001b[2J","kind":1,"startTimeUnixNano":"1793013548276713827","endTimeUnixNano":"1793013549276713827","attributes":[{"key":"input.value","value":{"stringValue":"hi \u202e there \u001b[31mred"}}],"status":{}}]}]}]}"#;
    std::fs::write(&evil, format!("{line}\n")).unwrap();
    let db = store(d.path());
    assert_eq!(
        trawl(
            d.path(),
            &["import", "--store", &db, evil.to_str().unwrap()]
        )
        .status
        .code(),
        Some(0)
    );
    for args in [
        vec!["traces", "--store", &db],
        vec!["show", "--store", &db, "0123456789"],
    ] {
        let o = trawl(d.path(), &args);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(!out.contains('\u{1b}'), "escape leaked: {out:?}");
        assert!(!out.contains('\u{202e}'), "bidi override leaked: {out:?}");
        assert!(!out.contains('\u{7}'));
    }
}
