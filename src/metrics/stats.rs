//! Per-bucket (and per-group) figures of `trawl stats`, the TUI metrics view and `trawl check`.
//!
//! Everything is aggregated in SQLite: one pass for counts and sums, one window query per
//! latency series for the percentiles, one for judge verdicts and judge cost. Rust only
//! sees one row per bucket and group (plus one per wanted percentile rank).

use super::buckets::{Bucket, GroupBy};
use super::percentile::{self, Ranked};
use crate::store::{Result, Store, TraceFilter};
use chrono::FixedOffset;
use rusqlite::types::Value as SqlValue;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// How traces are put in buckets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Bucketing {
    Every(Bucket, FixedOffset),
    /// One bucket holding the whole filter (its key is 0); used by `trawl check`.
    Whole,
}

/// Which percentiles to compute for each latency series (percent, 1..=100).
#[derive(Debug, Clone, Default)]
pub(crate) struct Wanted {
    pub latency: Vec<u32>,
    pub llm: Vec<u32>,
    pub ttft: Vec<u32>,
}

/// Sums and percentiles of one bucket and group, before any presentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct Raw {
    pub traces: i64,
    pub errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Sum of the known part of every trace's cost.
    pub cost_known: f64,
    /// Traces whose whole cost is known, and their cost.
    pub cost_full_n: i64,
    pub cost_full_sum: f64,
    pub unknown_cost_traces: i64,
    pub judge_cost: f64,
    pub latency: Ranked,
    pub llm: Ranked,
    pub ttft: Ranked,
    /// rule → (FALSE verdicts, TRUE + FALSE verdicts), latest judge verdict per trace.
    pub rules: BTreeMap<String, (i64, i64)>,
}

impl Raw {
    pub fn error_rate(&self) -> Option<f64> {
        (self.traces > 0).then(|| self.errors as f64 / self.traces as f64)
    }
    pub fn cost_per_trace(&self) -> Option<f64> {
        (self.cost_full_n > 0).then(|| self.cost_full_sum / self.cost_full_n as f64)
    }
}

/// A percentile query: its source rows, the wanted percentiles, and where the result goes.
type Series<'a> = (String, &'a Vec<u32>, fn(&mut Raw) -> &mut Ranked);

/// Computes the raw figures per (bucket start ns, group). The group is "" when ungrouped.
pub(crate) fn compute_raw(
    store: &Store,
    filter: &TraceFilter,
    bucketing: Bucketing,
    group: Option<GroupBy>,
    wanted: &Wanted,
) -> Result<BTreeMap<(i64, String), Raw>> {
    let conn = store.conn();
    let (w, params) = filter.to_sql();
    let bk = match bucketing {
        Bucketing::Every(b, tz) => b.sql("t.start_ns", tz),
        Bucketing::Whole => "0".to_string(),
    };
    let (join, grp) = match group {
        Some(g) => g.sql(),
        None => ("", "''".to_string()),
    };
    // Each query reads `traces t` with the filter itself rather than sharing a materialised
    // CTE: the filter is cheap, while an unindexed CTE made every join to spans and scores
    // slower than a primary-key lookup into traces.
    let from = format!("FROM traces t {join} {w}");
    // The filter's WHERE, continued with more conditions.
    let and = if w.is_empty() { "WHERE" } else { "AND" };
    let mut out: BTreeMap<(i64, String), Raw> = BTreeMap::new();
    {
        let sql = format!(
            "SELECT {bk} AS bk, {grp} AS grp, count(*), total(t.status = 'error'), total(t.input_tokens),
                    total(t.output_tokens), total(t.cost_known_usd), count(t.cost_usd), total(t.cost_usd),
                    total(t.cost_usd IS NULL)
             {from} GROUP BY 1, 2"
        );
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            let key: (i64, String) = (r.get(0)?, r.get(1)?);
            let raw = Raw {
                traces: r.get(2)?,
                errors: r.get::<_, f64>(3)? as i64,
                input_tokens: r.get::<_, f64>(4)? as i64,
                output_tokens: r.get::<_, f64>(5)? as i64,
                cost_known: r.get(6)?,
                cost_full_n: r.get(7)?,
                cost_full_sum: r.get(8)?,
                unknown_cost_traces: r.get::<_, f64>(9)? as i64,
                ..Default::default()
            };
            out.insert(key, raw);
        }
    }
    if out.is_empty() {
        return Ok(out);
    }
    // LLM calls: without a grouping, bucket each call by its own start and read only the
    // covering index on spans (kind, start, end, ttft, trace); a filter restricts the calls to
    // the matching traces with a subquery. A grouping needs the trace's columns, so it joins.
    let (bk_s, spans_from) = match group {
        None => {
            let restrict = if w.is_empty() {
                String::new()
            } else {
                format!("AND s.trace_id IN (SELECT t.trace_id FROM traces t {w})")
            };
            let bk_s = match bucketing {
                Bucketing::Every(b, tz) => b.sql("s.start_ns", tz),
                Bucketing::Whole => "0".to_string(),
            };
            (
                bk_s,
                format!("FROM spans s WHERE s.kind = 'llm' {restrict}"),
            )
        }
        Some(_) => (
            bk.clone(),
            format!(
                "FROM spans s JOIN traces t ON t.trace_id = s.trace_id {join} {w} {and} s.kind = 'llm'"
            ),
        ),
    };
    let series: [Series<'_>; 3] = [
        (
            format!("SELECT {bk} AS bk, {grp} AS grp, t.duration_ns AS v {from}"),
            &wanted.latency,
            |r| &mut r.latency,
        ),
        (
            format!(
                "SELECT {bk_s} AS bk, {grp} AS grp, s.end_ns - s.start_ns AS v {spans_from} AND s.end_ns IS NOT NULL"
            ),
            &wanted.llm,
            |r| &mut r.llm,
        ),
        (
            format!(
                "SELECT {bk_s} AS bk, {grp} AS grp, s.ttft_ns AS v {spans_from} AND s.ttft_ns IS NOT NULL"
            ),
            &wanted.ttft,
            |r| &mut r.ttft,
        ),
    ];
    for (source, ps, field) in series {
        let ranked: HashMap<(i64, String), Ranked> =
            percentile::ranked(conn, &source, &params, ps)?;
        for (key, r) in ranked {
            if let Some(raw) = out.get_mut(&key) {
                *field(raw) = r;
            }
        }
    }
    judge(conn, &bk, &grp, join, &w, &params, &mut out)?;
    Ok(out)
}

/// Per judge rule: the FALSE rate from the latest judge verdict of each (trace, rule), and what
/// judging cost. Every judge call counts towards the cost, superseded verdicts too: they were
/// paid for.
fn judge(
    conn: &rusqlite::Connection,
    bk: &str,
    grp: &str,
    join: &str,
    w: &str,
    params: &[SqlValue],
    out: &mut BTreeMap<(i64, String), Raw>,
) -> Result<()> {
    // SQLite takes the bare column `verdict` from the row holding max(id): the latest verdict
    // of each (trace, rule), in the same pass that sums the cost of every call.
    let sql = format!(
        "SELECT {bk} AS bk, {grp} AS grp, x.name, total(x.verdict = 'false'),
                total(x.verdict IN ('true', 'false')), total(x.cost)
         FROM (SELECT trace_id, name, verdict, max(id) AS id, total(cost_usd) AS cost
               FROM scores WHERE source = 'judge' GROUP BY trace_id, name) x
         JOIN traces t ON t.trace_id = x.trace_id {join} {w}
         GROUP BY 1, 2, 3"
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let key: (i64, String) = (r.get(0)?, r.get(1)?);
        let name: String = r.get(2)?;
        let f = r.get::<_, f64>(3)? as i64;
        let n = r.get::<_, f64>(4)? as i64;
        let cost: f64 = r.get(5)?;
        if let Some(raw) = out.get_mut(&key) {
            raw.judge_cost += cost;
            // A rule with only NA / error verdicts stays listed with n = 0.
            raw.rules.insert(name, (f, n));
        }
    }
    Ok(())
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
    pub error_rate: f64,
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
    /// What LLM-as-judge calls on these traces cost, kept apart from `cost_usd`.
    pub judge_cost_usd: f64,
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
    grouped: bool,
    raw: &Raw,
    by: Bucket,
    tz: FixedOffset,
) -> BucketStats {
    BucketStats {
        start_ns,
        end_ns: start_ns.saturating_add(by.len_ns()),
        bucket: by.label_of(start_ns, tz),
        group: grouped.then(|| group.to_string()),
        traces: raw.traces,
        error_rate: raw.error_rate().unwrap_or(0.0),
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
        judge_cost_usd: raw.judge_cost,
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
        judge_cost_usd: relative(Some(cur.judge_cost_usd), Some(prev.judge_cost_usd)),
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
    let wanted = Wanted {
        latency: vec![50, 95, 99],
        llm: vec![95],
        ttft: vec![50],
    };
    let raw = compute_raw(store, filter, Bucketing::Every(by, tz), group, &wanted)?;
    let stats: BTreeMap<(i64, String), BucketStats> = raw
        .iter()
        .map(|((bk, g), r)| {
            (
                (*bk, g.clone()),
                bucket_stats(*bk, g, group.is_some(), r, by, tz),
            )
        })
        .collect();
    let mut out = Vec::with_capacity(stats.len());
    for ((bk, g), s) in &stats {
        let mut s = s.clone();
        if let Some(prev) = stats.get(&(bk - by.len_ns(), g.clone())) {
            s.change = Some(change(&s, prev));
        }
        out.push(s);
    }
    Ok(out)
}
