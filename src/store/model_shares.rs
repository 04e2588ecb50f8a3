//! What one trace adds to each model's statistics (`--group-by model`): a model's row holds
//! **its own LLM calls** — their number, failures, tokens, cost, durations and times to first
//! token — and, for the trace-level figures (trace count, trace errors, trace latency, judge
//! verdicts), the traces that called it. A trace that failed on gpt-4o and retried on
//! gpt-4o-mini gives gpt-4o one failed call and no tokens, and the retry's tokens and latency
//! to gpt-4o-mini only.
//!
//! One function for both paths: the cells kept at import ([`super::cell_delta`]) and the span
//! path ([`super::stats_scan`]) call [`shares`] on the same roll-up columns, so they agree to
//! the bit.
//!
//! Rules, as a demanding reader of the table expects them:
//! - A trace counts under every model it called (lowercased, ASCII), once per model; a trace
//!   with no call naming a model counts under `(none)`. Group trace counts may therefore add
//!   up to more than the store's.
//! - Calls that name no model count under `(none)`, whatever else the trace called.
//! - Tokens and cost are those of the calls counted in the trace's totals (the deepest calls
//!   carrying usage, see [`crate::model::rollup::counted`]). Embedding calls are calls of their
//!   model too (text-embedding-3-small has a row with its tokens and cost, as in a provider's
//!   bill), but not LLM calls: they add no `llm_calls`, failures, latency or TTFT.
//! - A model's cost per trace is the mean, over the traces whose calls of that model all have
//!   a price, of what those calls cost; `unknown_cost_traces` counts the others.

use super::Result;
use super::stats::NO_GROUP;
use super::stats_scan::{Partial, Partials, SeriesWanted, Sum};
use crate::display::{PLAUSIBLE_MAX_NS, PLAUSIBLE_MIN_NS};
use crate::model::SpanKind;
use crate::model::rollup::{RollupSpan, counted};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use std::collections::BTreeMap;

fn plausible(ns: i64) -> bool {
    (PLAUSIBLE_MIN_NS..=PLAUSIBLE_MAX_NS).contains(&ns)
}

/// An LLM call whose start and end (when known) are plausible: the calls whose durations the
/// statistics keep (as the span path's `plausible_call`).
pub(super) fn plausible_call(s: &RollupSpan) -> bool {
    s.kind == SpanKind::Llm && plausible(s.start_ns) && s.end_ns.is_none_or(plausible)
}

/// The trace-level figures of a trace, as one trace's [`Partial`].
pub(super) struct TraceFigures {
    pub error: bool,
    pub duration_ns: i64,
}

/// Per model group: what the trace adds. `spans` are the trace's spans, each once.
pub(super) fn shares(t: &TraceFigures, spans: &[RollupSpan]) -> BTreeMap<String, Partial> {
    let counted = counted(spans);
    // Per group: the calls' partial and whether any counted call of it has no price.
    let mut out: BTreeMap<String, (Partial, f64, bool)> = BTreeMap::new();
    // Costs are added in one order whatever order the spans come in (the writer's or the
    // store's), so both paths get the same float.
    let mut order: Vec<usize> = (0..spans.len())
        .filter(|&i| matches!(spans[i].kind, SpanKind::Llm | SpanKind::Embedding))
        .collect();
    order.sort_by(|&a, &b| {
        (spans[a].start_ns, &spans[a].span_id).cmp(&(spans[b].start_ns, &spans[b].span_id))
    });
    for i in order {
        let (s, counted) = (&spans[i], counted[i]);
        let group = s
            .model
            .as_deref()
            .map_or_else(|| NO_GROUP.to_string(), str::to_ascii_lowercase);
        let (p, cost, unpriced) = out.entry(group).or_default();
        if plausible_call(s) {
            p.llm_calls += 1;
            p.llm_errors += i64::from(s.error);
            if let Some(e) = s.end_ns {
                p.llm.push(e - s.start_ns);
            }
            if let Some(ttft) = s.ttft_ns {
                p.ttft.push(ttft);
            }
        }
        if counted {
            p.input_tokens += s.input.unwrap_or(0);
            p.output_tokens += s.output.unwrap_or(0);
            match s.cost {
                // Added in span order as the trace's own cost is ([`Trace::roll_up`]).
                Some(c) => *cost += c,
                None => *unpriced = true,
            }
        }
    }
    // Models named by some call; a trace naming none counts under `(none)`.
    let named = out.keys().any(|g| g != NO_GROUP);
    if !named {
        out.entry(NO_GROUP.to_string()).or_default();
    }
    out.into_iter()
        .map(|(group, (mut p, cost, unpriced))| {
            p.cost_known = Sum::of(cost);
            if group != NO_GROUP || !named {
                p.traces = 1;
                p.errors = i64::from(t.error);
                p.latency = vec![t.duration_ns];
                p.cost_full_n = i64::from(!unpriced);
                if !unpriced {
                    p.cost_full_sum = Sum::of(cost);
                }
                p.unknown_cost_traces = i64::from(unpriced);
            }
            (group, p)
        })
        .collect()
}

/// The span path of `--group-by model`: the shares of every trace of `traces t {w}` (a WHERE
/// clause with `params`), per (bucket `{bk}` of the trace, model). Reads every span of those
/// traces: which calls' usage counts depends on the tree. Traces drive the join (`CROSS
/// JOIN`), so a range reads only its own traces' spans.
pub(super) fn scan(
    conn: &Connection,
    bk: &str,
    w: &str,
    params: &[SqlValue],
    series: SeriesWanted,
) -> Result<Partials> {
    let sql = format!(
        "SELECT t.tkey, {bk}, t.duration_ns, t.status = 'error', s.span_id, s.parent_id, s.kind, s.model,
                s.start_ns, s.end_ns, s.status = 'error', s.input_tokens, s.output_tokens, s.total_tokens,
                s.cost_usd, s.ttft_ns
         FROM traces t CROSS JOIN spans s ON s.trace_key = t.tkey {w} ORDER BY t.start_ns, t.tkey"
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    let mut out = Partials::new();
    // The trace being read: key, bucket, figures, spans.
    let mut current: Option<(i64, i64, TraceFigures)> = None;
    let mut spans: Vec<RollupSpan> = Vec::new();
    let mut flush = |trace: Option<(i64, i64, TraceFigures)>, spans: &mut Vec<RollupSpan>| {
        if let Some((_, bucket, t)) = trace {
            for (group, mut p) in shares(&t, spans) {
                for (wanted, values) in [
                    (series.latency, &mut p.latency),
                    (series.llm, &mut p.llm),
                    (series.ttft, &mut p.ttft),
                ] {
                    if !wanted {
                        values.clear();
                    }
                }
                out.entry((bucket, group)).or_default().absorb(p);
            }
        }
        spans.clear();
    };
    while let Some(r) = rows.next()? {
        let key: i64 = r.get(0)?;
        if current.as_ref().is_none_or(|c| c.0 != key) {
            flush(current.take(), &mut spans);
            current = Some((
                key,
                r.get(1)?,
                TraceFigures {
                    duration_ns: r.get(2)?,
                    error: r.get(3)?,
                },
            ));
        }
        let kind: String = r.get(6)?;
        spans.push(RollupSpan {
            span_id: r.get(4)?,
            parent_id: r.get(5)?,
            kind: SpanKind::parse(&kind).unwrap_or(SpanKind::Unknown),
            model: r.get(7)?,
            start_ns: r.get(8)?,
            end_ns: r.get(9)?,
            error: r.get(10)?,
            input: r.get(11)?,
            output: r.get(12)?,
            total: r.get(13)?,
            cost: r.get(14)?,
            ttft_ns: r.get(15)?,
            ..Default::default()
        });
    }
    flush(current.take(), &mut spans);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, model: Option<&str>, input: i64, cost: Option<f64>) -> RollupSpan {
        RollupSpan {
            span_id: id.into(),
            parent_id: Some("root".into()),
            kind: SpanKind::Llm,
            start_ns: PLAUSIBLE_MIN_NS + 10,
            end_ns: Some(PLAUSIBLE_MIN_NS + 30),
            model: model.map(str::to_string),
            input: Some(input),
            cost,
            ..Default::default()
        }
    }

    #[test]
    fn each_model_gets_its_own_calls_and_the_trace_once() {
        let root = RollupSpan {
            span_id: "root".into(),
            start_ns: PLAUSIBLE_MIN_NS,
            ..Default::default()
        };
        let mut failed = call("a", Some("GPT-4o"), 0, None);
        failed.input = None;
        failed.error = true;
        let spans = [
            root,
            failed,
            call("b", Some("gpt-4o"), 5, Some(0.5)),
            call("c", Some("mini"), 7, None),
            call("d", None, 3, Some(0.25)),
        ];
        let t = TraceFigures {
            error: false,
            duration_ns: 99,
        };
        let s = shares(&t, &spans);
        assert_eq!(
            s.keys().map(String::as_str).collect::<Vec<_>>(),
            ["(none)", "gpt-4o", "mini"]
        );
        let big = &s["gpt-4o"];
        assert_eq!((big.traces, big.llm_calls, big.llm_errors), (1, 2, 1));
        assert_eq!(big.input_tokens, 5);
        assert_eq!(big.llm, [20, 20]);
        assert_eq!(big.latency, [99]);
        // The failed call had no usage, so it is not counted and its price is not missing.
        assert_eq!((big.cost_full_n, big.unknown_cost_traces), (1, 0));
        let mini = &s["mini"];
        assert_eq!((mini.cost_full_n, mini.unknown_cost_traces), (0, 1));
        // A call naming no model counts under (none); the trace does not.
        let none = &s[NO_GROUP];
        assert_eq!((none.traces, none.llm_calls, none.input_tokens), (0, 1, 3));
        assert!(none.latency.is_empty());
    }

    #[test]
    fn a_trace_without_calls_counts_under_none() {
        let root = RollupSpan {
            span_id: "root".into(),
            ..Default::default()
        };
        let t = TraceFigures {
            error: true,
            duration_ns: 5,
        };
        let s = shares(&t, &[root]);
        let none = &s[NO_GROUP];
        assert_eq!((none.traces, none.errors, none.llm_calls), (1, 1, 0));
        assert_eq!(none.cost_full_n, 1);
    }
}
