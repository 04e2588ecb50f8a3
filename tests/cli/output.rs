//! The CLI's output layer, through the real binary: hostile trace text never reaches the
//! terminal raw, multibyte ids never panic, a closed pipe ends quietly with exit 0, tables fit
//! `$COLUMNS`, and an unpriced judge cost reads `?` / null rather than $0.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use trawl::model::{Score, ScoreSource, Verdict};
use unicode_width::UnicodeWidthStr;

use crate::util::{SUPPORT_BOT, Trawl, fixture, fixture_arg, streams as text};

/// Escape sequences (OSC title, OSC 52 clipboard write, C1 CSI), bidi override and invisible
/// characters in one string.
const HOSTILE: &str =
    "\u{1b}]0;x\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{9b}2J\u{202e}\u{200b}\u{feff}\u{e0041}";

/// The sandboxed binary as user `tester` on Monday 2026-11-16 09:00 UTC, `COLUMNS` unset.
fn sandboxed(dir: &Path, args: &[&str]) -> Trawl {
    let mut cmd = Trawl::new(dir);
    cmd.user("tester").now("2026-11-16T09:00:00Z").args(args);
    cmd
}

fn command(dir: &Path, args: &[&str]) -> Command {
    sandboxed(dir, args).command()
}

fn trawl(dir: &Path, args: &[&str]) -> Output {
    sandboxed(dir, args).output()
}

fn trawl_cols(dir: &Path, cols: &str, args: &[&str]) -> Output {
    sandboxed(dir, args).env("COLUMNS", cols).output()
}

fn ok(o: &Output) -> String {
    let (out, err) = text(o);
    assert_eq!(o.status.code(), Some(0), "stdout:\n{out}\nstderr:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    out
}

/// Anything a terminal would act on or hide: C0 (but newline), DEL, C1, bidi controls,
/// zero-width and other invisible characters, tag characters.
fn raw_char(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
            | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{00ad}'
            | '\u{2028}' | '\u{2029}' | '\u{e0000}'..='\u{e007f}')
}

fn assert_clean(what: &str, o: &Output) {
    for (stream, bytes) in [("stdout", &o.stdout), ("stderr", &o.stderr)] {
        let s = String::from_utf8_lossy(bytes);
        if let Some(c) = s.chars().find(|c| raw_char(*c)) {
            panic!("{what}: raw {c:?} on {stream}:\n{s}");
        }
    }
}

/// One trace of the bot fixture (line `index`), its ids, names, models and user replaced.
fn hostile_line(index: usize, trace_id: &str) -> String {
    let src = std::fs::read_to_string(fixture(SUPPORT_BOT)).expect("fixture");
    let line = src.lines().nth(index).expect("line");
    let mut d: Value = serde_json::from_str(line).expect("json");
    for rs in d["resourceSpans"].as_array_mut().expect("resourceSpans") {
        for ss in rs["scopeSpans"].as_array_mut().expect("scopeSpans") {
            for span in ss["spans"].as_array_mut().expect("spans") {
                span["traceId"] = Value::from(trace_id);
                let name = format!("span{HOSTILE}name");
                span["name"] = Value::from(name);
                for a in span["attributes"].as_array_mut().expect("attributes") {
                    let key = a["key"].as_str().unwrap_or_default().to_string();
                    if key == "llm.model_name" {
                        a["value"] = serde_json::json!({"stringValue": format!("gpt{HOSTILE}-4o")});
                    }
                    if key == "user.id" {
                        a["value"] = serde_json::json!({"stringValue": format!("user{HOSTILE}")});
                    }
                }
            }
        }
    }
    serde_json::to_string(&d).expect("json")
}

fn hostile_store(dir: &Path) -> String {
    let file = dir.join("hostile.jsonl");
    let lines = [
        hostile_line(7, &format!("hostile{HOSTILE}-id")),
        hostile_line(3, "aaaaaaaé-multibyte"),
        hostile_line(6, "bbbbbbbbbbbé-multibyte"),
    ];
    std::fs::write(&file, lines.join("\n") + "\n").expect("write fixture");
    let db = dir.join("t.db").display().to_string();
    ok(&trawl(
        dir,
        &["import", "--store", &db, &file.display().to_string()],
    ));
    db
}

#[test]
fn hostile_ids_names_models_users_and_score_names_are_shown_escaped() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = hostile_store(d.path());
    let rule = format!("rule{HOSTILE}");
    for args in [
        vec!["traces", "--store", &db],
        vec![
            "label",
            "--store",
            &db,
            "hostile",
            "--rule",
            &rule,
            "--verdict",
            "true",
        ],
        vec!["show", "--store", &db, "hostile"],
        vec!["agreement", "--store", &db],
        vec!["stats", "--store", &db, "--since", "3000d"],
    ] {
        let o = trawl(d.path(), &args);
        ok(&o);
        assert_clean(&args.join(" "), &o);
    }
    // The escapes are visible, not dropped: the reader can tell something was there.
    let out = ok(&trawl(d.path(), &["show", "--store", &db, "hostile"]));
    assert!(out.contains("\\u{202e}"), "{out}");
    assert!(out.contains("␛"), "{out}");
    assert!(out.contains("score rule"), "{out}");
}

#[test]
fn multibyte_ids_do_not_panic_traces_label_or_show() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = hostile_store(d.path());
    let out = ok(&trawl(d.path(), &["traces", "--store", &db]));
    assert!(out.contains("aaaaaaaé"), "{out}");
    for id in ["aaaaaaa", "bbbbbbbbbbb"] {
        let o = trawl(
            d.path(),
            &[
                "label",
                "--store",
                &db,
                id,
                "--rule",
                "r",
                "--verdict",
                "false",
            ],
        );
        let out = ok(&o);
        assert!(out.contains("labelled"), "{out}");
        ok(&trawl(d.path(), &["show", "--store", &db, id]));
    }
}

fn demo_store(dir: &Path) -> String {
    let db = dir.join("t.db").display().to_string();
    ok(&trawl(
        dir,
        &["import", "--store", &db, &fixture_arg(SUPPORT_BOT)],
    ));
    db
}

/// Runs trawl with stdout a pipe whose read end is closed right after the spawn, long before
/// trawl has opened its store and written anything (the `| true` case). (`std::io::pipe` would
/// close it even before the spawn, but it is newer than the crate's MSRV.)
fn with_closed_stdout(dir: &Path, args: &[&str]) -> Output {
    let mut child = command(dir, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    child.wait_with_output().expect("wait")
}

#[test]
fn a_closed_pipe_ends_every_printer_quietly_with_exit_0() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = demo_store(d.path());
    let id = first_trace_id(d.path(), &db);
    let bot = fixture_arg(SUPPORT_BOT);
    for args in [
        vec!["traces", "--store", &db],
        vec!["traces", "--store", &db, "--json"],
        vec!["show", "--store", &db, &id],
        vec!["stats", "--store", &db, "--since", "3000d"],
        vec!["agreement", "--store", &db],
        vec!["judge", "--store", &db, "--list-rules"],
        vec!["import", "--store", &db, &bot],
        vec!["export", "--store", &db, "--otlp", "--out", "-"],
        vec!["config"],
    ] {
        let o = with_closed_stdout(d.path(), &args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

#[test]
fn head_1_on_a_long_output_exits_0_with_empty_stderr() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = demo_store(d.path());
    // The export is 1.2 MB: far more than a pipe buffer, so trawl is still writing when the
    // reader goes away after one line (like `| head -1`).
    for args in [
        vec!["export", "--store", &db, "--otlp", "--out", "-"],
        vec!["traces", "--store", &db, "--json"],
    ] {
        let mut child = command(d.path(), &args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout = child.stdout.take().expect("stdout");
        let mut first = String::new();
        BufReader::new(stdout)
            .read_line(&mut first)
            .expect("first line");
        assert!(!first.is_empty());
        // The reader (and with it the pipe's read end) is gone here.
        let o = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
        assert!(err.is_empty(), "{args:?}: {err}");
    }
}

fn first_trace_id(dir: &Path, db: &str) -> String {
    let out = ok(&trawl(
        dir,
        &["traces", "--store", db, "--json", "--limit", "1"],
    ));
    let v: Value = serde_json::from_str(&out).expect("json");
    v[0]["trace_id"].as_str().expect("id").to_string()
}

fn widest(out: &str) -> usize {
    out.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn traces_show_and_stats_fit_80_columns() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = demo_store(d.path());
    let id = first_trace_id(d.path(), &db);
    for args in [
        vec!["traces", "--store", &db],
        vec!["show", "--store", &db, &id],
        vec!["stats", "--store", &db, "--since", "3000d"],
        vec![
            "stats",
            "--store",
            &db,
            "--since",
            "3000d",
            "--group-by",
            "model",
        ],
    ] {
        let out = ok(&trawl_cols(d.path(), "80", &args));
        assert!(out.lines().count() > 3, "{out}");
        assert!(widest(&out) <= 80, "{args:?} at 80 columns:\n{out}");
        // --wide ignores the width.
        let mut wide = args.clone();
        wide.push("--wide");
        let out = ok(&trawl_cols(d.path(), "80", &wide));
        assert!(widest(&out) > 80, "{wide:?}:\n{out}");
    }
}

#[test]
fn piped_output_without_columns_is_not_cut() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = demo_store(d.path());
    let json = ok(&trawl(d.path(), &["traces", "--store", &db, "--json"]));
    let v: Value = serde_json::from_str(&json).expect("json");
    let longest = v
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|t| t["input_preview"].as_str())
        .max_by_key(|q| q.chars().count())
        .expect("a question")
        .to_string();
    assert!(longest.chars().count() > 60, "{longest}");
    let out = ok(&trawl(d.path(), &["traces", "--store", &db]));
    assert!(out.contains(&longest), "{longest}\n{out}");
}

fn judge_score(trace_id: &str, name: &str, cost: Option<f64>) -> Score {
    Score {
        verdict: Some(Verdict::True),
        model: Some("my-local-judge".into()),
        cost_usd: cost,
        ..Score::new(ScoreSource::Judge, trace_id, name)
    }
}

/// The `stats --wide` row of the day `id` starts on (JUDGE $ is its last column).
fn stats_row_for(dir: &Path, db: &str, id: &str) -> String {
    let out = ok(&trawl(dir, &["show", "--store", db, id, "--json"]));
    let v: Value = serde_json::from_str(&out).expect("json");
    let day = v["start"].as_str().expect("start")[..10].to_string();
    let out = ok(&trawl(
        dir,
        &["stats", "--store", db, "--since", "3000d", "--wide"],
    ));
    out.lines()
        .find(|l| l.starts_with(&day))
        .unwrap_or_else(|| panic!("no row for {day}:\n{out}"))
        .to_string()
}

#[test]
fn unknown_judge_cost_is_a_question_mark_and_null_never_zero() {
    let d = tempfile::tempdir().expect("tempdir");
    let db = demo_store(d.path());
    let id = first_trace_id(d.path(), &db);
    {
        let store = trawl::store::Store::open(Path::new(&db)).expect("store");
        store
            .insert_score(&judge_score(&id, "a", None))
            .expect("score");
        store
            .insert_score(&judge_score(&id, "b", None))
            .expect("score");
    }
    let row = stats_row_for(d.path(), &db, &id);
    assert!(row.trim_end().ends_with(" ?"), "{row}");
    let out = ok(&trawl(
        d.path(),
        &["stats", "--store", &db, "--since", "3000d", "--json"],
    ));
    let v: Value = serde_json::from_str(&out).expect("json");
    let buckets = v["buckets"].as_array().expect("buckets");
    let unknown: Vec<&Value> = buckets
        .iter()
        .filter(|b| b["judge_unknown_cost_verdicts"].as_i64() == Some(2))
        .collect();
    assert_eq!(unknown.len(), 1, "{out}");
    assert!(unknown[0]["judge_cost_usd"].is_null(), "{out}");

    {
        let store = trawl::store::Store::open(Path::new(&db)).expect("store");
        store
            .insert_score(&judge_score(&id, "c", Some(0.01)))
            .expect("score");
    }
    let row = stats_row_for(d.path(), &db, &id);
    assert!(row.trim_end().ends_with("$0.0100+?"), "{row}");
}

/// A flag value that does not parse is a usage error, exit 2, whichever command reads it (it
/// was 1 for `traces` and `stats`, 2 for `check` and for clap's own errors).
#[test]
fn unparsable_filter_values_exit_2_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("s.db");
    let store = store.to_str().unwrap();
    for args in [
        vec!["traces", "--since", "7x"],
        vec!["stats", "--since", "garbage"],
        vec!["traces", "--verdict", "maybe"],
        vec!["check", "p95(latency) <= 2s", "--since", "zz"],
    ] {
        let mut all = args.clone();
        all.extend(["--store", store]);
        let o = trawl(dir.path(), &all);
        let (_, err) = text(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("--since") || err.contains("--verdict"),
            "{err}"
        );
    }
}
