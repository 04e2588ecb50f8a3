//! Per-bucket (and per-group) figures of `trawl stats`, the TUI metrics view and `trawl check`.
//!
//! The store aggregates everything in SQLite ([`Store::bucket_figures`]); this module turns its
//! sums and ranks into rates, milliseconds and changes against the previous bucket.

use super::buckets::{Bucket, GroupBy};
use crate::store::stats::Buckets;
use crate::store::{Result, Store, TraceFilter};
use chrono::FixedOffset;
use serde::Serialize;
use std::collections::BTreeMap;

/// How traces are put in buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bucketing {
    Every(Bucket, FixedOffset),
    /// One bucket holding the whole filter (its key is 0); used by `trawl check`.
    Whole,
}

/// The store's figures per bucket and group under the names the checks use.
pub(crate) use crate::store::stats::{BucketFigures as Raw, WantedPercentiles as Wanted};

/// Computes the raw figures per (bucket start ns, group). The group is "" when ungrouped.
pub(crate) fn compute_raw(
    store: &Store,
    filter: &TraceFilter,
    bucketing: Bucketing,
    group: Option<GroupBy>,
    wanted: &Wanted,
) -> Result<BTreeMap<(i64, String), Raw>> {
    let buckets = match bucketing {
        Bucketing::Every(b, tz) => b.store_buckets(tz),
        Bucketing::Whole => Buckets::Whole,
    };
    store.bucket_figures(filter, buckets, group, wanted)
}

/// FALSE rate of one judge rule in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RuleStats {
    /// Traces whose latest judge verdict for the rule is TRUE or FALSE (NA and errors excluded).
    pub n: i64,
    /// FALSE / n; `None` when n is 0.
    pub false_rate: Option<f64>,
}

/// Change of a rule's figures against the previous bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RuleChange {
    /// Relative change of n.
    pub n: Option<f64>,
    /// Difference of the rates (fraction points: -0.008 is -0.8pp).
    pub false_rate: Option<f64>,
}

/// The figures of one bucket (and group). JSON field names are a public interface.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BucketStats {
    /// Bucket start, UTC nanoseconds (inclusive).
    #[serde(skip)]
    pub start_ns: i64,
    /// Bucket end, UTC nanoseconds (exclusive): the TUI filters the trace list to [start, end).
    #[serde(skip)]
    pub end_ns: i64,
    /// ISO date (day, week) or date-time (hour) of the bucket start, in the chosen offset.
    pub bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    pub traces: i64,
    /// Failed share of the traces (root span failed); under `--group-by model`, of the
    /// model's own calls.
    pub error_rate: f64,
    /// LLM calls: under `--group-by model` the model's own calls, else those of the bucket's
    /// traces (ungrouped: those starting in the bucket).
    pub llm_calls: i64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub llm_latency_p95_ms: Option<f64>,
    /// Median time to first token over LLM spans that report it.
    pub ttft_p50_ms: Option<f64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Known application cost (a lower bound when `unknown_cost_traces` > 0). Never includes
    /// judging.
    pub cost_usd: f64,
    /// Mean cost of the traces whose cost is fully known.
    pub cost_per_trace_usd: Option<f64>,
    pub unknown_cost_traces: i64,
    /// What LLM-as-judge calls on these traces cost, kept apart from `cost_usd`; `None` (JSON
    /// null) when some verdict's cost is unknown (a judge model without a price), never 0.
    pub judge_cost_usd: Option<f64>,
    /// The known part of the judge cost.
    pub judge_cost_known_usd: f64,
    /// Judge verdicts whose cost is unknown.
    pub judge_unknown_cost_verdicts: i64,
    pub rules: BTreeMap<String, RuleStats>,
    /// Against the previous bucket of the same group; `None` when that bucket has no traces.
    pub change: Option<Change>,
}

/// Change of every figure against the previous bucket. Rates (`error_rate`, `false_rate`) are
/// differences in fraction points; everything else is a relative change (0.12 = +12%), `None`
/// when either side is missing or the previous value is 0 (and the new one is not).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub traces: Option<f64>,
    pub error_rate: Option<f64>,
    pub llm_calls: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p95_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub llm_latency_p95_ms: Option<f64>,
    pub ttft_p50_ms: Option<f64>,
    pub input_tokens: Option<f64>,
    pub output_tokens: Option<f64>,
    pub cost_usd: Option<f64>,
    pub cost_per_trace_usd: Option<f64>,
    pub unknown_cost_traces: Option<f64>,
    pub judge_cost_usd: Option<f64>,
    pub rules: BTreeMap<String, RuleChange>,
}

/// Relative change from `prev` to `cur`.
pub fn relative(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    let (c, p) = (cur?, prev?);
    if p == 0.0 {
        return (c == 0.0).then_some(0.0);
    }
    Some((c - p) / p)
}

/// Difference of two rates.
pub fn difference(cur: Option<f64>, prev: Option<f64>) -> Option<f64> {
    Some(cur? - prev?)
}

fn ms(ns: Option<i64>) -> Option<f64> {
    ns.map(|v| v as f64 / 1e6)
}

fn bucket_stats(
    start_ns: i64,
    group: &str,
    grouping: Option<GroupBy>,
    raw: &Raw,
    by: Bucket,
    tz: FixedOffset,
) -> BucketStats {
    // A model's errors are its failed calls: a trace that failed on gpt-4o and recovered on
    // another model is an ok trace, but not an ok call of gpt-4o.
    let error_rate = if grouping != Some(GroupBy::Model) {
        raw.error_rate().unwrap_or(0.0)
    } else if raw.llm_calls > 0 {
        raw.llm_errors as f64 / raw.llm_calls as f64
    } else {
        0.0
    };
    BucketStats {
        start_ns,
        end_ns: start_ns.saturating_add(by.len_ns()),
        bucket: by.label_of(start_ns, tz),
        group: grouping.is_some().then(|| group.to_string()),
        traces: raw.traces,
        error_rate,
        llm_calls: raw.llm_calls,
        latency_p50_ms: ms(raw.latency.get(50)),
        latency_p95_ms: ms(raw.latency.get(95)),
        latency_p99_ms: ms(raw.latency.get(99)),
        llm_latency_p95_ms: ms(raw.llm.get(95)),
        ttft_p50_ms: ms(raw.ttft.get(50)),
        input_tokens: raw.input_tokens,
        output_tokens: raw.output_tokens,
        cost_usd: raw.cost_known,
        cost_per_trace_usd: raw.cost_per_trace(),
        unknown_cost_traces: raw.unknown_cost_traces,
        judge_cost_usd: (raw.judge_cost_unknown == 0).then_some(raw.judge_cost),
        judge_cost_known_usd: raw.judge_cost,
        judge_unknown_cost_verdicts: raw.judge_cost_unknown,
        rules: raw
            .rules
            .iter()
            .map(|(k, &(f, n))| {
                let rate = (n > 0).then(|| f as f64 / n as f64);
                (
                    k.clone(),
                    RuleStats {
                        n,
                        false_rate: rate,
                    },
                )
            })
            .collect(),
        change: None,
    }
}

/// The change of `cur` against `prev`.
pub fn change(cur: &BucketStats, prev: &BucketStats) -> Change {
    let i = |v: i64| Some(v as f64);
    let mut rules = BTreeMap::new();
    for (name, r) in &cur.rules {
        let p = prev.rules.get(name);
        rules.insert(
            name.clone(),
            RuleChange {
                n: relative(i(r.n), p.map(|p| p.n as f64)),
                false_rate: difference(r.false_rate, p.and_then(|p| p.false_rate)),
            },
        );
    }
    Change {
        traces: relative(i(cur.traces), i(prev.traces)),
        error_rate: difference(Some(cur.error_rate), Some(prev.error_rate)),
        llm_calls: relative(i(cur.llm_calls), i(prev.llm_calls)),
        latency_p50_ms: relative(cur.latency_p50_ms, prev.latency_p50_ms),
        latency_p95_ms: relative(cur.latency_p95_ms, prev.latency_p95_ms),
        latency_p99_ms: relative(cur.latency_p99_ms, prev.latency_p99_ms),
        llm_latency_p95_ms: relative(cur.llm_latency_p95_ms, prev.llm_latency_p95_ms),
        ttft_p50_ms: relative(cur.ttft_p50_ms, prev.ttft_p50_ms),
        input_tokens: relative(i(cur.input_tokens), i(prev.input_tokens)),
        output_tokens: relative(i(cur.output_tokens), i(prev.output_tokens)),
        cost_usd: relative(Some(cur.cost_usd), Some(prev.cost_usd)),
        cost_per_trace_usd: relative(cur.cost_per_trace_usd, prev.cost_per_trace_usd),
        unknown_cost_traces: relative(i(cur.unknown_cost_traces), i(prev.unknown_cost_traces)),
        judge_cost_usd: relative(cur.judge_cost_usd, prev.judge_cost_usd),
        rules,
    }
}

/// Figures per bucket (oldest first) and, when `group` is set, per group within each bucket
/// (groups sorted by name). Only buckets with traces are returned; each one's `change` is
/// against the immediately preceding bucket of the same group, `None` when that one is empty
/// or outside the filter.
pub fn compute_stats(
    store: &Store,
    filter: &TraceFilter,
    by: Bucket,
    group: Option<GroupBy>,
    tz: FixedOffset,
) -> Result<Vec<BucketStats>> {
    let wanted = stats_wanted();
    let raw = compute_raw(store, filter, Bucketing::Every(by, tz), group, &wanted)?;
    Ok(stats_from_raw(&raw, by, group, tz))
}

/// The percentiles `trawl stats` shows.
pub fn stats_wanted() -> Wanted {
    Wanted {
        latency: vec![50, 95, 99],
        llm: vec![95],
        ttft: vec![50],
    }
}

/// [`compute_stats`] from figures computed elsewhere (a remote source computes them itself).
pub fn stats_from_raw(
    raw: &BTreeMap<(i64, String), Raw>,
    by: Bucket,
    group: Option<GroupBy>,
    tz: FixedOffset,
) -> Vec<BucketStats> {
    let stats: BTreeMap<(i64, String), BucketStats> = raw
        .iter()
        .map(|((bk, g), r)| ((*bk, g.clone()), bucket_stats(*bk, g, group, r, by, tz)))
        .collect();
    let mut out = Vec::with_capacity(stats.len());
    for ((bk, g), s) in &stats {
        let mut s = s.clone();
        if let Some(prev) = stats.get(&(bk - by.len_ns(), g.clone())) {
            s.change = Some(change(&s, prev));
        }
        out.push(s);
    }
    out
}

/// A bucket with no traces, for drawing a linear time axis.
pub fn empty_bucket(
    start_ns: i64,
    group: Option<String>,
    by: Bucket,
    tz: FixedOffset,
) -> BucketStats {
    BucketStats {
        start_ns,
        end_ns: start_ns.saturating_add(by.len_ns()),
        bucket: by.label_of(start_ns, tz),
        group,
        traces: 0,
        error_rate: 0.0,
        llm_calls: 0,
        latency_p50_ms: None,
        latency_p95_ms: None,
        latency_p99_ms: None,
        llm_latency_p95_ms: None,
        ttft_p50_ms: None,
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: 0.0,
        cost_per_trace_usd: None,
        unknown_cost_traces: 0,
        judge_cost_usd: Some(0.0),
        judge_cost_known_usd: 0.0,
        judge_unknown_cost_verdicts: 0,
        rules: BTreeMap::new(),
        change: None,
    }
}

/// Most buckets [`with_empty_buckets`] fills in per group; a longer span stays sparse (an
/// hourly view of years of data is not worth a million empty columns).
pub const MAX_FILLED_BUCKETS: i64 = 20_000;

/// `stats` (as [`compute_stats`] returns them: oldest first, only buckets with traces) with
/// every missing bucket between each group's first and last one added as an empty bucket, so
/// the buckets of a group are consecutive: a linear time axis. `trawl stats` keeps the sparse
/// form; the TUI chart uses this.
pub fn with_empty_buckets(
    stats: Vec<BucketStats>,
    by: Bucket,
    tz: FixedOffset,
) -> Vec<BucketStats> {
    let len = by.len_ns();
    let mut by_group: BTreeMap<Option<String>, Vec<BucketStats>> = BTreeMap::new();
    for s in stats {
        by_group.entry(s.group.clone()).or_default().push(s);
    }
    let mut out = Vec::new();
    for (group, mut series) in by_group {
        series.sort_by_key(|s| s.start_ns);
        let (Some(first), Some(last)) = (series.first(), series.last()) else {
            continue;
        };
        let span = (last.start_ns - first.start_ns) / len;
        if span > MAX_FILLED_BUCKETS {
            out.extend(series);
            continue;
        }
        let mut at = first.start_ns;
        for s in series {
            while at < s.start_ns {
                out.push(empty_bucket(at, group.clone(), by, tz));
                at += len;
            }
            at = s.start_ns + len;
            out.push(s);
        }
    }
    out.sort_by(|a, b| (a.start_ns, &a.group).cmp(&(b.start_ns, &b.group)));
    out
}

#[cfg(test)]
mod fill_tests {
    use super::*;

    #[test]
    fn missing_buckets_become_empty_ones_per_group() {
        let utc = FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!());
        let day = Bucket::Day.len_ns();
        let with = |start: i64, g: &str, traces: i64| BucketStats {
            traces,
            ..empty_bucket(start, Some(g.to_string()), Bucket::Day, utc)
        };
        let stats = vec![with(0, "a", 2), with(0, "b", 1), with(3 * day, "a", 4)];
        let out = with_empty_buckets(stats, Bucket::Day, utc);
        let a: Vec<(i64, i64)> = out
            .iter()
            .filter(|s| s.group.as_deref() == Some("a"))
            .map(|s| (s.start_ns / day, s.traces))
            .collect();
        assert_eq!(a, vec![(0, 2), (1, 0), (2, 0), (3, 4)]);
        // Group b has one bucket: nothing to fill.
        assert_eq!(
            out.iter()
                .filter(|s| s.group.as_deref() == Some("b"))
                .count(),
            1
        );
        assert_eq!(out[1].bucket, "1970-01-01");
    }
}
