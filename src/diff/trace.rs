//! Structural diff of two traces: span trees aligned by path (kind + name from the root, then
//! order among equals), added / removed / changed spans with duration, token and cost deltas,
//! model and status changes; word diffs of question, answer and system prompt; retrieved
//! documents as set and rank changes. Pure: reads spans, writes nothing.

use super::words::{self, Piece};
use crate::judge::input::trace_input;
use crate::model::rollup::RollupSpan;
use crate::model::{Span, SpanKind, Trace};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One span's place in its tree: `kind:name/kind:name/…` from the root.
pub type SpanPath = String;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRef {
    pub path: SpanPath,
    pub span_id: String,
    pub kind: String,
    pub name: String,
}

/// A before/after pair of a number.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Delta<T> {
    pub a: T,
    pub b: T,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanChange {
    pub path: SpanPath,
    pub a_span_id: String,
    pub b_span_id: String,
    pub duration_ms: Delta<Option<f64>>,
    pub input_tokens: Delta<Option<i64>>,
    pub output_tokens: Delta<Option<i64>>,
    pub cost_usd: Delta<Option<f64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<Delta<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Delta<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextDiff {
    pub a: Option<String>,
    pub b: Option<String>,
    pub changed: bool,
    pub diff: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocMove {
    pub id: String,
    /// 1-based ranks.
    pub from: usize,
    pub to: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DocumentDiff {
    pub added: Vec<String>,
    pub dropped: Vec<String>,
    pub moved: Vec<DocMove>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub spans: Delta<usize>,
    pub duration_ms: Delta<f64>,
    pub input_tokens: Delta<i64>,
    pub output_tokens: Delta<i64>,
    pub cost_usd: Delta<Option<f64>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceDiff {
    pub a: String,
    pub b: String,
    pub totals: Totals,
    pub added: Vec<SpanRef>,
    pub removed: Vec<SpanRef>,
    pub changed: Vec<SpanChange>,
    pub question: TextDiff,
    pub answer: TextDiff,
    pub system_prompt: TextDiff,
    pub documents: DocumentDiff,
}

/// Paths of every span, by span id; a span whose parent is missing starts its own path.
fn paths(spans: &[Span]) -> HashMap<&str, SpanPath> {
    let by_id: HashMap<&str, &Span> = spans.iter().map(|s| (s.span_id.as_str(), s)).collect();
    let mut out = HashMap::new();
    for s in spans {
        let mut parts = Vec::new();
        let mut cur = Some(s);
        let mut guard = 0;
        while let Some(c) = cur {
            parts.push(format!("{}:{}", c.kind.as_str(), c.name));
            guard += 1;
            if guard > 256 {
                break;
            }
            cur = c.parent_id.as_deref().and_then(|p| by_id.get(p)).copied();
        }
        parts.reverse();
        out.insert(s.span_id.as_str(), parts.join("/"));
    }
    out
}

/// Spans grouped by path, each group in start order.
fn grouped(spans: &[Span]) -> BTreeMap<SpanPath, Vec<&Span>> {
    let p = paths(spans);
    let mut g: BTreeMap<SpanPath, Vec<&Span>> = BTreeMap::new();
    let mut sorted: Vec<&Span> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.start_ns, s.span_id.clone()));
    for s in sorted {
        let path = p.get(s.span_id.as_str()).cloned().unwrap_or_default();
        g.entry(path).or_default().push(s);
    }
    g
}

fn span_ref(path: &str, s: &Span) -> SpanRef {
    SpanRef {
        path: path.into(),
        span_id: s.span_id.clone(),
        kind: s.kind.as_str().into(),
        name: s.name.clone(),
    }
}

fn ms(ns: Option<i64>) -> Option<f64> {
    ns.map(|n| n as f64 / 1e6)
}
fn tokens(s: &Span) -> (Option<i64>, Option<i64>) {
    s.usage
        .as_ref()
        .map_or((None, None), |u| (u.input, u.output))
}
fn cost(s: &Span) -> Option<f64> {
    s.cost.as_ref().and_then(|c| c.total)
}

/// The diff of trace `a` → trace `b` (spans in any order).
pub fn diff(a_id: &str, a: &[Span], b_id: &str, b: &[Span]) -> TraceDiff {
    let (ga, gb) = (grouped(a), grouped(b));
    let (mut added, mut removed, mut changed) = (Vec::new(), Vec::new(), Vec::new());
    let mut all_paths: Vec<&SpanPath> = ga.keys().chain(gb.keys()).collect();
    all_paths.sort();
    all_paths.dedup();
    for path in all_paths {
        let empty = Vec::new();
        let xs = ga.get(path).unwrap_or(&empty);
        let ys = gb.get(path).unwrap_or(&empty);
        for i in 0..xs.len().max(ys.len()) {
            match (xs.get(i), ys.get(i)) {
                (Some(x), None) => removed.push(span_ref(path, x)),
                (None, Some(y)) => added.push(span_ref(path, y)),
                (Some(x), Some(y)) => {
                    let (xi, xo) = tokens(x);
                    let (yi, yo) = tokens(y);
                    let c = SpanChange {
                        path: path.clone(),
                        a_span_id: x.span_id.clone(),
                        b_span_id: y.span_id.clone(),
                        duration_ms: Delta {
                            a: ms(x.duration_ns()),
                            b: ms(y.duration_ns()),
                        },
                        input_tokens: Delta { a: xi, b: yi },
                        output_tokens: Delta { a: xo, b: yo },
                        cost_usd: Delta {
                            a: cost(x),
                            b: cost(y),
                        },
                        model: (x.model != y.model).then(|| Delta {
                            a: x.model.clone(),
                            b: y.model.clone(),
                        }),
                        status: (x.status != y.status).then(|| Delta {
                            a: x.status.as_str().to_string(),
                            b: y.status.as_str().to_string(),
                        }),
                    };
                    let differs = c.duration_ms.a != c.duration_ms.b
                        || c.input_tokens.a != c.input_tokens.b
                        || c.output_tokens.a != c.output_tokens.b
                        || c.cost_usd.a != c.cost_usd.b
                        || c.model.is_some()
                        || c.status.is_some();
                    if differs {
                        changed.push(c);
                    }
                }
                (None, None) => {}
            }
        }
    }
    let (ia, ib) = (trace_input(a_id, a), trace_input(b_id, b));
    TraceDiff {
        a: a_id.into(),
        b: b_id.into(),
        totals: totals(a, b),
        added,
        removed,
        changed,
        question: text_diff(ia.last_user_message, ib.last_user_message),
        answer: text_diff(ia.final_answer, ib.final_answer),
        system_prompt: text_diff(system_prompt(a), system_prompt(b)),
        documents: documents(a, b),
    }
}

fn text_diff(a: Option<String>, b: Option<String>) -> TextDiff {
    let d = words::diff(a.as_deref().unwrap_or(""), b.as_deref().unwrap_or(""));
    TextDiff {
        changed: a != b,
        a,
        b,
        diff: d,
    }
}

/// The system prompt of the trace's last LLM call (by start).
fn system_prompt(spans: &[Span]) -> Option<String> {
    spans
        .iter()
        .filter(|s| s.kind == SpanKind::Llm)
        .max_by_key(|s| (s.start_ns, s.end_ns))
        .and_then(|s| s.input_messages.iter().find(|m| m.role == "system"))
        .map(|m| m.content.clone())
}

/// Retrieved document ids in rank order (retriever spans in start order; first rank wins).
fn doc_ids(spans: &[Span]) -> Vec<String> {
    let mut sorted: Vec<&Span> = spans
        .iter()
        .filter(|s| s.kind == SpanKind::Retriever)
        .collect();
    sorted.sort_by_key(|s| s.start_ns);
    let mut out: Vec<String> = Vec::new();
    for s in sorted {
        for d in &s.documents {
            let id =
                d.id.clone()
                    .or_else(|| {
                        d.content
                            .as_ref()
                            .map(|c| crate::sanitize::truncate_chars(c, 40))
                    })
                    .unwrap_or_default();
            if !out.contains(&id) {
                out.push(id);
            }
        }
    }
    out
}

fn documents(a: &[Span], b: &[Span]) -> DocumentDiff {
    let (da, db) = (doc_ids(a), doc_ids(b));
    let mut d = DocumentDiff::default();
    for (i, id) in da.iter().enumerate() {
        match db.iter().position(|x| x == id) {
            None => d.dropped.push(id.clone()),
            Some(j) if j != i => d.moved.push(DocMove {
                id: id.clone(),
                from: i + 1,
                to: j + 1,
            }),
            Some(_) => {}
        }
    }
    d.added = db.iter().filter(|id| !da.contains(id)).cloned().collect();
    d
}

fn totals(a: &[Span], b: &[Span]) -> Totals {
    // The store's own roll-up, so totals never count an aggregate span's usage twice.
    let roll = |spans: &[Span]| {
        let r: Vec<RollupSpan> = spans.iter().map(RollupSpan::from_span).collect();
        Trace::roll_up("", &r)
    };
    let (ta, tb) = (roll(a), roll(b));
    Totals {
        spans: Delta {
            a: a.len(),
            b: b.len(),
        },
        duration_ms: Delta {
            a: ta.duration_ns as f64 / 1e6,
            b: tb.duration_ns as f64 / 1e6,
        },
        input_tokens: Delta {
            a: ta.input_tokens,
            b: tb.input_tokens,
        },
        output_tokens: Delta {
            a: ta.output_tokens,
            b: tb.output_tokens,
        },
        cost_usd: Delta {
            a: ta.cost_usd,
            b: tb.cost_usd,
        },
    }
}

#[cfg(test)]
#[path = "trace_tests.rs"]
mod tests;
