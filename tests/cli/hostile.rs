//! A hostile OTLP/JSON file run through the commands: impossible numbers never become figures,
//! and prose lines fit `$COLUMNS` like the tables do.

use serde_json::{Value, json};
use std::path::Path;

use crate::util::{
    Trawl, import_lines, otlp_attributes as attrs, otlp_string as s, run_at_width, streams,
};

/// Control sequences a terminal would act on: OSC title and clipboard writes, a screen clear,
/// BEL, a C1 CSI, a bidi override, a carriage return, backspace and DEL.
const HOSTILE: &str =
    "\u{1b}]0;T\u{7}\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31m\u{202e}\r\u{8}\u{7f}";

/// One trace: a chain root with a question and answer over one LLM call whose token counts are
/// `prompt` and `completion` (as OTLP `intValue` strings).
fn trace_line(trace_id: &str, prompt: &str, completion: &str) -> String {
    let root = json!({
        "traceId": trace_id, "spanId": "1111111111111111", "name": format!("root{HOSTILE}"),
        "startTimeUnixNano": "1793013548000000000", "endTimeUnixNano": "1793013549000000000",
        "attributes": attrs(&[
            ("openinference.span.kind", s("CHAIN")),
            ("input.value", s(&format!("question{HOSTILE}"))),
            ("output.value", s(&format!("answer{HOSTILE}"))),
        ]),
    });
    let llm = json!({
        "traceId": trace_id, "spanId": "2222222222222222", "parentSpanId": "1111111111111111",
        "name": "llm", "startTimeUnixNano": "1793013548100000000",
        "endTimeUnixNano": "1793013548900000000",
        "attributes": attrs(&[
            ("openinference.span.kind", s("LLM")),
            ("llm.model_name", s("gpt-4o")),
            ("llm.token_count.prompt", json!({"intValue": prompt})),
            ("llm.token_count.completion", json!({"intValue": completion})),
        ]),
    });
    json!({"resourceSpans": [{"resource": {"attributes": []},
        "scopeSpans": [{"scope": {"name": "s"}, "spans": [root, llm]}]}]})
    .to_string()
}

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    run_at_width(dir, args, 80)
}

/// What reaches a terminal carries no control character but newlines, and no bidi override.
fn assert_no_raw_controls(texts: &[&str]) {
    for text in texts {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "raw control: {text:?}"
        );
        assert!(!text.contains('\u{202e}'), "raw bidi override: {text:?}");
    }
}

/// Runs trawl with its stdout closed before it writes (a reader that went away, `| head -0`):
/// the exit code and stderr, which must show no panic.
fn run_with_stdout_closed(dir: &Path, args: &[&str]) -> (Option<i32>, String) {
    use std::process::Stdio;
    let mut child = Trawl::new(dir)
        .args(args)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (o.status.code(), err)
}

/// A store in `dir` holding one small trace (id 0123…cdef); its path.
fn store_with_one_trace(dir: &Path) -> String {
    let line = trace_line("0123456789abcdef0123456789abcdef", "12", "3");
    import_lines(dir, &[line], 80).0
}

#[test]
fn impossible_token_counts_are_unknown_not_figures() {
    let d = tempfile::tempdir().unwrap();
    // Two traces, so the store's sums meet two out-of-range counts (they once saturated at
    // i64::MAX and overflowed the stats roll-up); a negative count; and a sane trace.
    let lines = [
        trace_line(
            "0123456789abcdef0123456789abcdef",
            "99999999999999999999999",
            "-5",
        ),
        trace_line(
            "fedcba9876543210fedcba9876543210",
            "9223372036854775807",
            "7",
        ),
        trace_line("00000000000000000000000000000001", "12", "3"),
    ];
    let (db, _) = import_lines(d.path(), &lines, 80);
    let tokens = |id: &str| {
        let (code, out, err) = run(d.path(), &["show", "--store", &db, id, "--json"]);
        assert_eq!(code, Some(0), "{err}");
        let v: Value = serde_json::from_str(&out).unwrap();
        (v["input_tokens"].clone(), v["output_tokens"].clone())
    };
    assert_eq!(tokens("0123"), (json!(0), json!(0)));
    assert_eq!(tokens("fedc"), (json!(0), json!(7)));
    assert_eq!(tokens("00000000"), (json!(12), json!(3)));
    // The store-wide figures add only the counts that are real.
    let (code, out, err) = run(
        d.path(),
        &["stats", "--store", &db, "--since", "3000d", "--json"],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(!out.contains("9223372036854775807"), "{out}");
    assert!(!out.contains("-5"), "{out}");
}

#[test]
fn the_import_total_counts_span_problems_apart_from_bad_lines() {
    let d = tempfile::tempdir().unwrap();
    // Each file: one good trace whose LLM span carries a 200-deep attribute (a span problem,
    // the rest of the line kept).
    let mut deep = s("x");
    for _ in 0..200 {
        deep = json!({"arrayValue": {"values": [deep]}});
    }
    let mut files = Vec::new();
    for (i, id) in [
        "0123456789abcdef0123456789abcdef",
        "fedcba9876543210fedcba9876543210",
    ]
    .iter()
    .enumerate()
    {
        let mut v: Value = serde_json::from_str(&trace_line(id, "12", "3")).unwrap();
        let span = &mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][1];
        span["attributes"]
            .as_array_mut()
            .unwrap()
            .push(json!({"key": "deep", "value": deep}));
        let file = d.path().join(format!("f{i}.jsonl"));
        std::fs::write(&file, v.to_string() + "\n").unwrap();
        files.push(file.display().to_string());
    }
    let db = d.path().join("t.db").display().to_string();
    let (code, out, err) = run(d.path(), &["import", "--store", &db, &files[0], &files[1]]);
    assert_eq!(code, Some(0), "{err}");
    // The total line, its continuation lines (wrapped to 80 columns) joined back.
    let from = out.find("total:").unwrap();
    let total = out[from..].split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        total,
        "total: 2 traces, 4 spans imported, 0 duplicates skipped, 0 bad lines, \
         2 span problems (the rest of the line kept)"
    );
}

/// The widest line of `out`, in terminal columns.
fn widest(out: &str) -> usize {
    use unicode_width::UnicodeWidthStr;
    out.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn prose_of_agreement_judge_rules_diff_check_config_label_and_import_fits_columns() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("t.jsonl");
    let long = |id: &str, answer: &str| {
        let mut v: Value = serde_json::from_str(&trace_line(id, "12", "3")).unwrap();
        let root = &mut v["resourceSpans"][0]["scopeSpans"][0]["spans"][0];
        root["attributes"][2]["value"] = s(&format!("{answer} {}", "refund policy ".repeat(20)));
        v.to_string()
    };
    let lines = [
        long("0123456789abcdef0123456789abcdef", "yes"),
        long("fedcba9876543210fedcba9876543210", "no"),
    ];
    let (db, _) = import_lines(d.path(), &lines, 80);
    let label = [
        "label",
        "--store",
        &db,
        "0123",
        "--rule",
        "grounded",
        "--verdict",
        "true",
    ];
    assert_eq!(run(d.path(), &label).0, Some(0));
    for cols in ["60", "80"] {
        for args in [
            vec!["agreement", "--store", &db],
            vec!["judge", "--store", &db, "--list-rules"],
            vec!["diff", "--store", &db, "0123", "fedc"],
            vec![
                "check",
                "--store",
                &db,
                "--since",
                "3000d",
                "p95(llm_latency) < 1ms",
            ],
            vec!["config"],
            vec![
                "label",
                "--store",
                &db,
                "0123",
                "--rule",
                "a-rather-long-rule-name",
                "--verdict",
                "false",
            ],
            vec!["import", "--store", &db, file.to_str().unwrap()],
        ] {
            let o = Trawl::new(d.path())
                .args(&args)
                .env("COLUMNS", cols)
                .output();
            let (out, err) = streams(&o);
            assert!(matches!(o.status.code(), Some(0 | 1)), "{args:?}: {err}");
            let w: usize = cols.parse().unwrap();
            assert!(widest(&out) <= w, "{args:?} at {cols} columns:\n{out}");
            // Nothing is lost to the wrapping: the words are all still there.
            if args[0] == "diff" {
                assert!(out.contains("policy"), "{out}");
            }
        }
    }
}

#[test]
fn check_keeps_its_exit_code_when_the_reader_goes_away() {
    let d = tempfile::tempdir().unwrap();
    let db = store_with_one_trace(d.path());
    for json in [false, true] {
        let mut args = vec!["check", "--store", &db, "--since", "3000d", "traces < 1"];
        if json {
            args.push("--json");
        }
        // A breach (one trace, not fewer than one) whose report nobody reads: exit 1 all the same.
        let (code, err) = run_with_stdout_closed(d.path(), &args);
        assert_eq!(code, Some(1), "{args:?}: {err}");
        assert_eq!(run(d.path(), &args).0, Some(1), "{args:?}");
    }
}

#[test]
fn a_failed_judge_run_exits_1_even_when_the_reader_goes_away() {
    let d = tempfile::tempdir().unwrap();
    let db = store_with_one_trace(d.path());
    // Nothing listens on port 1: every verdict ends in an error, which README says exits 1.
    let args = [
        "judge",
        "--store",
        &db,
        "--rule",
        "answered",
        "--trace",
        "0123",
        "--base-url",
        "http://127.0.0.1:1/v1",
        "--model",
        "m",
        "--yes",
        "--timeout",
        "1",
    ];
    let (code, err) = run_with_stdout_closed(d.path(), &args);
    assert_eq!(code, Some(1), "{err}");
}

#[test]
fn import_with_a_closed_stdout_imports_every_file_and_keeps_its_exit_code() {
    let d = tempfile::tempdir().unwrap();
    let ids = [
        "0123456789abcdef0123456789abcdef",
        "fedcba9876543210fedcba9876543210",
    ];
    let mut files = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let file = d.path().join(format!("f{i}.jsonl"));
        std::fs::write(&file, trace_line(id, "12", "3") + "\n").unwrap();
        files.push(file.display().to_string());
    }
    let garbage = d.path().join("garbage.jsonl");
    std::fs::write(&garbage, "not json\n").unwrap();
    let db = d.path().join("t.db").display().to_string();
    let closed = |args: &[&str]| run_with_stdout_closed(d.path(), args);
    // Both files land although the first report line already met the closed pipe.
    let (code, err) = closed(&["import", "--store", &db, &files[0], &files[1]]);
    assert_eq!(code, Some(0), "{err}");
    for id in ids {
        let (code, _, err) = run(d.path(), &["show", "--store", &db, id, "--json"]);
        assert_eq!(code, Some(0), "{id} not imported: {err}");
    }
    // Nothing importable is exit 1, read or not.
    let g = garbage.display().to_string();
    assert_eq!(closed(&["import", "--store", &db, &g]).0, Some(1));
    assert_eq!(closed(&["import", "--store", &db, &g, "--json"]).0, Some(1));
}

#[test]
fn a_file_name_with_escapes_is_reported_escaped() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("t.db").display().to_string();
    let missing = d.path().join(format!("no{HOSTILE}.jsonl"));
    let (code, out, err) = run(
        d.path(),
        &["import", "--store", &db, missing.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "{err}");
    assert_no_raw_controls(&[&out, &err]);
    assert!(err.contains("no such file"), "{err}");
}

#[test]
fn a_bad_flag_value_is_quoted_escaped_in_the_usage_error() {
    let d = tempfile::tempdir().unwrap();
    for args in [
        vec!["traces", "--status", HOSTILE],
        vec!["traces", "--limit", HOSTILE],
        vec!["label", "x", "--rule", "r", "--verdict", HOSTILE],
    ] {
        let (code, out, err) = run(d.path(), &args);
        assert_eq!(code, Some(2), "{args:?}: {err}");
        assert_no_raw_controls(&[&out, &err]);
        assert!(err.contains("invalid value"), "{err}");
    }
    // Help still reaches stdout whole, with exit 0.
    let (code, out, _) = run(d.path(), &["traces", "--help"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("Usage: trawl traces"), "{out}");
}

#[test]
fn judge_list_rules_prints_json_when_asked() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("t.db").display().to_string();
    let (code, out, err) = run(
        d.path(),
        &["judge", "--store", &db, "--list-rules", "--json"],
    );
    assert_eq!(code, Some(0), "{err}");
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let grounded = v
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "grounded")
        .unwrap();
    assert_eq!(grounded["target"], "trace");
    assert!(
        grounded["inputs"]
            .as_array()
            .unwrap()
            .contains(&json!("retrieved_documents"))
    );
    assert_eq!(grounded["hash"].as_str().unwrap().len(), 64);
}
