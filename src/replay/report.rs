//! What `trawl replay` reports: one item per replayed call (original vs replay: answer,
//! verdicts, tokens, cost, latency; the outcome) and the summary. Pure: text lines and the
//! `--json` shape.

use super::outcome::Outcome;
use crate::diff::words;
use crate::model::{Span, Verdict};
use crate::sanitize::{clean_line, display_id};
use serde::Serialize;
use std::collections::BTreeMap;

/// One side (original or replay) of an item.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Side {
    /// The model that answered (else the one asked for).
    pub model: Option<String>,
    pub answer: Option<String>,
    /// Rule → verdict (`true`, `false`, `na`, `error`); empty without `--judge`.
    pub verdicts: BTreeMap<String, Verdict>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<f64>,
}

impl Side {
    /// The figures of an LLM span (the original call or the replayed one).
    pub fn of_span(s: &Span, answer: Option<String>) -> Side {
        Side {
            model: s.model.clone().or_else(|| s.request_model.clone()),
            answer,
            verdicts: BTreeMap::new(),
            input_tokens: s.usage.as_ref().and_then(|u| u.input),
            output_tokens: s.usage.as_ref().and_then(|u| u.output),
            cost_usd: s.cost.as_ref().and_then(|c| c.total),
            latency_ms: s.duration_ns().map(|d| d as f64 / 1e6),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Item {
    pub trace_id: String,
    pub span_id: String,
    pub replay_trace_id: Option<String>,
    pub outcome: Outcome,
    /// Why the item is an error (refused input, failed call, failed verdict).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub original: Side,
    pub replay: Option<Side>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    pub items: usize,
    pub fixed: usize,
    pub regressed: usize,
    pub still_failing: usize,
    pub still_passing: usize,
    pub error: usize,
    /// Replayed without `--judge`.
    pub replayed: usize,
    pub original_cost_usd: Option<f64>,
    /// What the replays cost (`None` when a price is unknown).
    pub replay_cost_usd: Option<f64>,
    pub original_output_tokens: i64,
    pub replay_output_tokens: i64,
}

impl Summary {
    pub fn of(items: &[Item]) -> Summary {
        let mut s = Summary {
            items: items.len(),
            original_cost_usd: Some(0.0),
            replay_cost_usd: Some(0.0),
            ..Summary::default()
        };
        let add = |t: Option<f64>, x: Option<f64>| t.zip(x).map(|(a, b)| a + b);
        for it in items {
            match it.outcome {
                Outcome::Fixed => s.fixed += 1,
                Outcome::Regressed => s.regressed += 1,
                Outcome::StillFailing => s.still_failing += 1,
                Outcome::StillPassing => s.still_passing += 1,
                Outcome::Error => s.error += 1,
                Outcome::Replayed => s.replayed += 1,
            }
            let Some(r) = &it.replay else { continue };
            s.original_cost_usd = add(s.original_cost_usd, it.original.cost_usd);
            s.replay_cost_usd = add(s.replay_cost_usd, r.cost_usd);
            s.original_output_tokens += it.original.output_tokens.unwrap_or(0);
            s.replay_output_tokens += r.output_tokens.unwrap_or(0);
        }
        s
    }
}

/// `{"items": […], "summary": {…}}`.
pub fn json(items: &[Item]) -> serde_json::Value {
    serde_json::json!({"items": items, "summary": Summary::of(items)})
}

fn money(c: Option<f64>) -> String {
    match c {
        Some(c) => format!("${c:.6}"),
        None => "?".into(),
    }
}

fn int_delta(a: Option<i64>, b: Option<i64>) -> String {
    let f = |v: Option<i64>| v.map_or("?".into(), |v| v.to_string());
    match (a, b) {
        (Some(x), Some(y)) => format!("{x} → {y} ({:+})", y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}

fn cost_delta(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.6})", money(a), money(b), y - x),
        _ => format!("{} → {}", money(a), money(b)),
    }
}

fn ms_delta(a: Option<f64>, b: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("?".into(), |v| format!("{v:.0} ms"));
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.0} ms)", f(a), f(b), y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}

/// The lines of one item, trace ids cut to 8 columns.
pub fn item_lines(it: &Item) -> Vec<String> {
    item_lines_with(it, &|id| display_id(id, 8))
}

/// The lines of one item, trace ids shown by `trace_id` (the CLI passes the store's shortest
/// unique prefix, so `trawl show` opens what it prints).
pub fn item_lines_with(it: &Item, trace_id: &dyn Fn(&str) -> String) -> Vec<String> {
    let mut out = vec![format!(
        "{} {}  {}{}",
        trace_id(&it.trace_id),
        display_id(&it.span_id, 8),
        it.outcome.label(),
        it.replay_trace_id
            .as_ref()
            .map(|r| format!("  (replay {})", trace_id(r)))
            .unwrap_or_default()
    )];
    if let Some(e) = &it.error {
        out.push(format!("  {}", clean_line(e)));
    }
    let Some(r) = &it.replay else { return out };
    let pieces = words::diff(
        it.original.answer.as_deref().unwrap_or(""),
        r.answer.as_deref().unwrap_or(""),
    );
    out.push(format!(
        "  answer: {}",
        clean_line(&words::render_plain(&pieces))
    ));
    if r.model != it.original.model {
        out.push(format!(
            "  model: {} → {}",
            clean_line(it.original.model.as_deref().unwrap_or("?")),
            clean_line(r.model.as_deref().unwrap_or("?"))
        ));
    }
    out.push(format!(
        "  tokens in {}, out {}; cost {}; latency {}",
        int_delta(it.original.input_tokens, r.input_tokens),
        int_delta(it.original.output_tokens, r.output_tokens),
        cost_delta(it.original.cost_usd, r.cost_usd),
        ms_delta(it.original.latency_ms, r.latency_ms)
    ));
    for (rule, before) in &it.original.verdicts {
        let after = r.verdicts.get(rule).map_or("-", |v| v.as_str());
        out.push(format!(
            "  {}: {} → {}",
            clean_line(rule),
            before.as_str().to_ascii_uppercase(),
            after.to_ascii_uppercase()
        ));
    }
    out
}

/// The closing table.
pub fn summary_lines(s: &Summary, judged: bool) -> Vec<String> {
    let mut out = vec![format!("{:<15} {:>5}", "outcome", "items")];
    if judged {
        for (o, n) in [
            (Outcome::Fixed, s.fixed),
            (Outcome::Regressed, s.regressed),
            (Outcome::StillFailing, s.still_failing),
            (Outcome::StillPassing, s.still_passing),
            (Outcome::Error, s.error),
        ] {
            out.push(format!("{:<15} {:>5}", o.label(), n));
        }
    } else {
        out.push(format!("{:<15} {:>5}", "replayed", s.replayed));
        out.push(format!("{:<15} {:>5}", "error", s.error));
    }
    out.push(format!("{:<15} {:>5}", "total", s.items));
    out.push(format!(
        "cost {} → {}; output tokens {} → {}",
        money(s.original_cost_usd),
        money(s.replay_cost_usd),
        s.original_output_tokens,
        s.replay_output_tokens
    ));
    out
}
