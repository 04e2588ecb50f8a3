//! OTLP/JSON lines under the mutator. Lines are rebuilt from the fixtures' spans (a window of
//! up to six spans of one scope, so each case stays small) and either one span is damaged
//! (then every other span must still be read, and a lost span must be reported) or the whole
//! line is (then reading must merely not panic).

use std::sync::OnceLock;

use serde::de::IgnoredAny;
use serde_json::Value;

use super::{cases, excerpt, finish_like_import, fixture, mutate, run_cases};
use crate::ingest::{detect, otlp};
use crate::model::Span;
use crate::pricing::PriceBook;

const OTLP_FIXTURES: &[&str] = &[
    "assets/demo/support-bot.otlp.jsonl",
    "tests/fixtures/genai_current.synthetic.otlp.jsonl",
    "tests/fixtures/genai_events.synthetic.otlp.jsonl",
    "tests/fixtures/js_exporter_crosscheck.otlp.jsonl",
    "tests/fixtures/openllmetry_legacy.synthetic.otlp.jsonl",
];

const MAX_WINDOW: usize = 6;

/// One scope of one fixture line: what its spans share, and the spans.
struct ScopeGroup {
    /// `resource` of the enclosing `resourceSpans`, serialised.
    resource: Option<String>,
    /// The scope object without its spans, serialised.
    scope: String,
    spans: Vec<Value>,
}

fn corpus() -> &'static [ScopeGroup] {
    static CORPUS: OnceLock<Vec<ScopeGroup>> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let mut out = Vec::new();
        for path in OTLP_FIXTURES {
            let text = fixture(path);
            for line in text.split(|b| *b == b'\n') {
                let Ok(doc) = serde_json::from_slice::<Value>(line) else {
                    continue;
                };
                for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
                    let resource = rs.get("resource").map(Value::to_string);
                    for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                        let mut scope = ss.clone();
                        let spans = match scope.as_object_mut().and_then(|o| o.remove("spans")) {
                            Some(Value::Array(a)) if !a.is_empty() => a,
                            _ => continue,
                        };
                        out.push(ScopeGroup {
                            resource: resource.clone(),
                            scope: scope.to_string(),
                            spans,
                        });
                    }
                }
            }
        }
        assert!(
            out.len() > 10,
            "the OTLP fixtures hold many scopes ({})",
            out.len()
        );
        out
    })
}

/// A line holding `spans` (already serialised) in one scope of `group`.
fn line_with(group: &ScopeGroup, spans: &[Vec<u8>]) -> Vec<u8> {
    let mut line = Vec::with_capacity(spans.iter().map(Vec::len).sum::<usize>() + 256);
    line.extend_from_slice(b"{\"resourceSpans\":[{");
    if let Some(r) = &group.resource {
        line.extend_from_slice(b"\"resource\":");
        line.extend_from_slice(r.as_bytes());
        line.push(b',');
    }
    line.extend_from_slice(b"\"scopeSpans\":[");
    // The scope object with `"spans":[…]` spliced in before its closing brace.
    let scope = group.scope.strip_suffix('}').unwrap_or(&group.scope);
    line.extend_from_slice(scope.as_bytes());
    if scope.len() > 1 {
        line.push(b',');
    }
    line.extend_from_slice(b"\"spans\":[");
    for (i, s) in spans.iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        line.extend_from_slice(s);
    }
    line.extend_from_slice(b"]}]}]}");
    line
}

/// Whether `line` is JSON (after the reader's U+FFFD repair of invalid UTF-8).
fn is_json(line: &[u8]) -> bool {
    match std::str::from_utf8(line) {
        Ok(_) => serde_json::from_slice::<IgnoredAny>(line).is_ok(),
        Err(_) => serde_json::from_str::<IgnoredAny>(&String::from_utf8_lossy(line)).is_ok(),
    }
}

#[test]
fn fuzz_otlp_lines() {
    let corpus = corpus();
    let book = PriceBook::embedded();
    // What the one-span cases came to: the damaged span kept (problem recorded or not),
    // dropped and reported, or the line's JSON broken.
    let (mut confined, mut dropped, mut kept_with_problem, mut broken) = (0usize, 0, 0, 0);
    run_cases("otlp", cases(), |rng| {
        let group = &corpus[rng.usize(0..corpus.len())];
        let len = rng.usize(1..=MAX_WINDOW.min(group.spans.len()));
        let start = rng.usize(0..=group.spans.len() - len);
        let window = &group.spans[start..start + len];
        let texts: Vec<Vec<u8>> = window.iter().map(|s| s.to_string().into_bytes()).collect();
        let clean_line = line_with(group, &texts);
        let clean =
            otlp::read_line(&clean_line).map_err(|e| format!("unmutated line rejected: {e}"))?;
        if clean.spans.len() != len || !clean.problems.is_empty() {
            return Err(format!(
                "unmutated line: {} of {len} spans, problems {:?}",
                clean.spans.len(),
                clean.problems
            ));
        }

        if rng.u8(0..3) == 0 {
            // The whole line, anything goes: no panic, here or in the importer's later steps.
            let line = mutate::mutate_json_input(rng, &clean_line);
            let _ = detect::detect_bytes(&line);
            if let Ok(read) = otlp::read_line(&line) {
                finish_like_import(book, read.spans);
            }
            return Ok(());
        }

        // Exactly one span damaged.
        confined += 1;
        let k = rng.usize(0..len);
        let mut texts = texts;
        if rng.bool() {
            let mut span = window[k].clone();
            mutate::mutate_tree(rng, &mut span);
            texts[k] = mutate::render(rng, &span).into_bytes();
        } else {
            mutate::mutate_bytes(rng, &mut texts[k]);
        }
        let line = line_with(group, &texts);
        let read = match otlp::read_line(&line) {
            Ok(r) => r,
            Err(e) if is_json(&line) => {
                return Err(format!(
                    "line rejected over span {k}: {e}; line {}",
                    excerpt(&texts[k])
                ));
            }
            // The damage broke the line's JSON itself: nothing can be kept, nothing to check.
            Err(_) => {
                broken += 1;
                return Ok(());
            }
        };
        if read.spans.len() < len {
            dropped += 1;
        } else if !read.problems.is_empty() {
            kept_with_problem += 1;
        }
        check_others_kept(&clean.spans, &read, k)
            .map_err(|e| format!("{e}; span {k} became {}", excerpt(&texts[k])))?;
        finish_like_import(book, read.spans);
        Ok(())
    });
    eprintln!(
        "fuzz otlp: {confined} cases damaged one span: {dropped} dropped it (others kept), \
         {kept_with_problem} kept it with a problem recorded, {broken} broke the line's JSON"
    );
    assert!(
        confined >= cases() / 2,
        "most cases damage one span ({confined})"
    );
}

/// Every span but `k` of the clean line is read from the damaged one, and a lost span is
/// reported.
fn check_others_kept(clean: &[Span], read: &otlp::LineSpans, k: usize) -> Result<(), String> {
    for (j, span) in clean.iter().enumerate() {
        if j != k && !read.spans.contains(span) {
            return Err(format!(
                "span {j} ({:?}) lost; problems {:?}",
                span.name, read.problems
            ));
        }
    }
    if read.spans.len() < clean.len() && read.problems.is_empty() {
        return Err("a span was dropped without a problem being reported".into());
    }
    Ok(())
}

/// The property itself can fail: a reader that drops the whole line is caught.
#[test]
fn the_property_catches_a_lost_line() {
    let group = &corpus()[0];
    let texts: Vec<Vec<u8>> = group
        .spans
        .iter()
        .take(3)
        .map(|s| s.to_string().into_bytes())
        .collect();
    let clean = otlp::read_line(&line_with(group, &texts)).expect("clean line");
    let lost = otlp::LineSpans::default();
    assert!(check_others_kept(&clean.spans, &lost, 0).is_err() || clean.spans.len() <= 1);
    assert!(check_others_kept(&clean.spans, &clean, 0).is_ok());
}
