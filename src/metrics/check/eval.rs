//! Evaluating checks over a time window (and the previous one, for `change` checks).

use super::{CheckExpr, Kind, Metric, Series};
use crate::filter::TraceFilter;
use crate::metrics::stats::{Bucketing, Raw, Wanted, compute_raw, difference, relative};
use crate::store::{Result, Store};
use serde::Serialize;

/// The traces a check looks at. Plain checks use `filter` as given; `change` checks compare
/// the window [a, b) with [a - (b - a), a), where a = `filter.since_ns` (default b - 7 days) and
/// b = `filter.until_ns` (default `now_ns`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckWindow {
    pub filter: TraceFilter,
    pub now_ns: i64,
}

pub const DEFAULT_WINDOW_NS: i64 = crate::filter::DEFAULT_CHANGE_WINDOW_NS;

impl CheckWindow {
    /// ([a, b) current, [a', a) previous) of change checks (the filter language defines them).
    pub fn change_windows(&self) -> ((i64, i64), (i64, i64)) {
        self.filter.change_windows(self.now_ns)
    }
}

/// The outcome of one check. `value` and `threshold` are in base units (ms, fraction, USD,
/// count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub expr: String,
    pub metric: String,
    pub value: Option<f64>,
    pub op: &'static str,
    pub threshold: f64,
    /// The threshold holds. A check without data is never ok here; the CLI turns it into a
    /// pass only under `--allow-empty`.
    pub ok: bool,
    /// Values the figure was computed from (traces, LLM calls, or judged traces).
    pub n: i64,
    /// Why there is no value (empty window, no verdicts, …).
    #[serde(skip)]
    pub no_data: Option<String>,
    /// The window had no traces at all.
    #[serde(skip)]
    pub empty_window: bool,
    #[serde(skip)]
    pub check: CheckExpr,
}

/// A metric's value in a window (`None` with the reason when there is none) and its n.
fn value_of(raw: Option<&Raw>, m: &Metric) -> (std::result::Result<f64, String>, i64) {
    let Some(r) = raw.filter(|r| r.traces > 0) else {
        return (Err("no traces in the window".into()), 0);
    };
    let t = r.traces;
    match m {
        Metric::Percentile(p, s) => {
            let (ranked, what) = match s {
                Series::Latency => (&r.latency, "traces"),
                Series::LlmLatency => (&r.llm, "LLM calls"),
                Series::Ttft => (&r.ttft, "spans with time to first token"),
            };
            match ranked.get(*p) {
                Some(ns) => (Ok(ns as f64 / 1e6), ranked.n),
                None => (Err(format!("no {what} in the window")), 0),
            }
        }
        Metric::FailRate(rule) => match r.rules.get(rule) {
            Some(&(f, n)) if n > 0 => (Ok(f as f64 / n as f64), n),
            _ => (
                Err(format!(
                    "no TRUE/FALSE judge verdicts for '{rule}' in the window"
                )),
                0,
            ),
        },
        Metric::ErrorRate => (Ok(r.errors as f64 / t as f64), t),
        Metric::Traces => (Ok(t as f64), t),
        Metric::Cost => (Ok(r.cost_known), t),
        Metric::CostPerTrace => match r.cost_per_trace() {
            Some(c) => (Ok(c), r.cost_full_n),
            None => (Err("no trace with a known cost in the window".into()), 0),
        },
        Metric::InputTokens => (Ok(r.input_tokens as f64), t),
        Metric::OutputTokens => (Ok(r.output_tokens as f64), t),
        Metric::UnknownCostTraces => (Ok(r.unknown_cost_traces as f64), t),
        Metric::JudgeCost if r.judge_cost_unknown > 0 => (
            Err("some judge verdicts have no price: the judge cost is unknown".into()),
            0,
        ),
        Metric::JudgeCost => (Ok(r.judge_cost), t),
    }
}

fn wanted_for(exprs: &[CheckExpr]) -> Wanted {
    let mut w = Wanted::default();
    for e in exprs {
        if let Metric::Percentile(p, s) = e.metric {
            let v = match s {
                Series::Latency => &mut w.latency,
                Series::LlmLatency => &mut w.llm,
                Series::Ttft => &mut w.ttft,
            };
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    w
}

fn whole(store: &Store, filter: &TraceFilter, wanted: &Wanted) -> Result<Option<Raw>> {
    let mut m = compute_raw(store, filter, Bucketing::Whole, None, wanted)?;
    Ok(m.remove(&(0, String::new())))
}

/// Evaluates every check. Figures are computed once per window, whatever the number of checks.
pub fn evaluate(
    store: &Store,
    window: &CheckWindow,
    exprs: &[CheckExpr],
) -> Result<Vec<CheckResult>> {
    evaluate_with(window, exprs, &mut |filter, wanted| {
        whole(store, filter, wanted)
    })
}

/// The figures of one window (all matching traces in one bucket), from wherever they are
/// computed: the store, or a remote source.
pub type WindowFigures<'a> = dyn FnMut(&TraceFilter, &Wanted) -> Result<Option<Raw>> + 'a;

/// [`evaluate`] with the figures of each window computed by `figures`.
pub fn evaluate_with(
    window: &CheckWindow,
    exprs: &[CheckExpr],
    figures: &mut WindowFigures<'_>,
) -> Result<Vec<CheckResult>> {
    let wanted = wanted_for(exprs);
    let plain = if exprs.iter().any(|e| !e.change) {
        figures(&window.filter, &wanted)?
    } else {
        None
    };
    let (cur, prev) = if exprs.iter().any(|e| e.change) {
        let ((a, b), (pa, pb)) = window.change_windows();
        let cur = figures(&window.filter.in_window(a, b), &wanted)?;
        let prev = figures(&window.filter.in_window(pa, pb), &wanted)?;
        (cur, prev)
    } else {
        (None, None)
    };
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        let (value, n, empty) = if e.change {
            let (c, n) = value_of(cur.as_ref(), &e.metric);
            let (p, _) = value_of(prev.as_ref(), &e.metric);
            let empty = cur.as_ref().is_none_or(|r| r.traces == 0);
            let v = match (c, p) {
                (Err(why), _) => Err(why),
                (Ok(_), Err(why)) => Err(format!("previous window: {why}")),
                (Ok(c), Ok(p)) => {
                    let d = if e.metric.kind() == Kind::Rate {
                        difference(Some(c), Some(p))
                    } else {
                        relative(Some(c), Some(p))
                    };
                    d.ok_or_else(|| {
                        "the previous window's value was 0: no relative change".to_string()
                    })
                }
            };
            (v, n, empty)
        } else {
            let (v, n) = value_of(plain.as_ref(), &e.metric);
            (v, n, plain.as_ref().is_none_or(|r| r.traces == 0))
        };
        let (value, no_data) = match value {
            Ok(v) => (Some(v), None),
            Err(why) => (None, Some(why)),
        };
        out.push(CheckResult {
            expr: e.text.clone(),
            metric: e.metric_label(),
            value,
            op: e.op.as_str(),
            threshold: e.threshold,
            ok: value.is_some_and(|v| e.op.holds(v, e.threshold)),
            n,
            no_data,
            empty_window: empty,
            check: e.clone(),
        });
    }
    Ok(out)
}
