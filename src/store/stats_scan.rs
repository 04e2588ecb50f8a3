//! The span path of the statistics: sums, every latency value and the judge figures per
//! (bucket, group), read from `traces`, `spans` and `scores` with the filter applied. It
//! answers what the aggregate cells cannot ([`super::aggregates`]), computes the cells
//! themselves (over one time range at a time), and is the reference the cells are tested
//! against.

use super::filter_sql::where_clause;
use super::stats::{Buckets, GroupBy, plausible_call, plausible_where};
use super::{Result, TraceFilter};
use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use std::collections::{BTreeMap, HashMap};

/// Which latency series to collect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SeriesWanted {
    pub latency: bool,
    pub llm: bool,
    pub ttft: bool,
}

impl SeriesWanted {
    pub const ALL: SeriesWanted = SeriesWanted {
        latency: true,
        llm: true,
        ttft: true,
    };
}

/// A float sum that keeps its rounding error (Kahan–Babuška–Neumaier, as SQLite's `total()`),
/// so adding up per-cell sums gives the same figure as one sum over every trace.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) struct Sum {
    hi: f64,
    lo: f64,
}

impl Sum {
    pub fn of(v: f64) -> Sum {
        Sum { hi: v, lo: 0.0 }
    }

    pub fn add(&mut self, v: f64) {
        let t = self.hi + v;
        if self.hi.abs() >= v.abs() {
            self.lo += (self.hi - t) + v;
        } else {
            self.lo += (v - t) + self.hi;
        }
        self.hi = t;
    }

    pub fn value(self) -> f64 {
        self.hi + self.lo
    }

    /// The sum and its rounding error, to store and add up exactly later.
    pub fn parts(self) -> (f64, f64) {
        (self.hi, self.lo)
    }

    pub fn from_parts(hi: f64, lo: f64) -> Sum {
        Sum { hi, lo }
    }

    /// Adds another sum with its error, so per-cell sums add up to the one-pass figure.
    pub fn merge(&mut self, o: Sum) {
        self.add(o.hi);
        self.add(o.lo);
    }
}

/// Everything one (bucket, group) adds up to before its percentiles are picked: sums, every
/// value of each latency series, judge figures. A cell of the aggregate tables holds one.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Partial {
    pub traces: i64,
    pub errors: i64,
    /// LLM calls with a plausible time, and how many of them failed.
    pub llm_calls: i64,
    pub llm_errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_known: Sum,
    pub cost_full_n: i64,
    pub cost_full_sum: Sum,
    pub unknown_cost_traces: i64,
    /// What judging cost, per rule: the bucket's judge cost adds these up in rule order.
    pub rule_costs: BTreeMap<String, Sum>,
    pub judge_cost_unknown: i64,
    /// Trace durations, LLM call durations, times to first token (unsorted).
    pub latency: Vec<i64>,
    pub llm: Vec<i64>,
    pub ttft: Vec<i64>,
    /// rule → (FALSE verdicts, TRUE + FALSE verdicts).
    pub rules: BTreeMap<String, (i64, i64)>,
}

impl Partial {
    /// Adds `o`, a partial of other traces (another cell of the same bucket).
    pub fn absorb(&mut self, o: Partial) {
        self.traces += o.traces;
        self.errors += o.errors;
        self.llm_calls += o.llm_calls;
        self.llm_errors += o.llm_errors;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cost_known.merge(o.cost_known);
        self.cost_full_n += o.cost_full_n;
        self.cost_full_sum.merge(o.cost_full_sum);
        self.unknown_cost_traces += o.unknown_cost_traces;
        for (rule, cost) in o.rule_costs {
            self.rule_costs.entry(rule).or_default().merge(cost);
        }
        self.judge_cost_unknown += o.judge_cost_unknown;
        self.latency.extend(o.latency);
        self.llm.extend(o.llm);
        self.ttft.extend(o.ttft);
        for (rule, (f, n)) in o.rules {
            let e = self.rules.entry(rule).or_default();
            e.0 += f;
            e.1 += n;
        }
    }
}

/// (bucket start ns, group).
pub(super) type PartitionKey = (i64, String);

pub(super) type Partials = BTreeMap<PartitionKey, Partial>;

/// `[from, to)` in UTC ns: traces starting there and, for the ungrouped LLM series, calls
/// starting there.
pub(super) type Range = (i64, i64);

/// The partials of the traces matching `filter`, per (bucket, group).
///
/// Without `range`, buckets holding no trace are left out. With it, only traces starting in
/// the range count, and ungrouped LLM calls count by their own start in the range whatever
/// their trace's start: the caller adds such partials up, so a bucket may hold calls from a
/// cell with no trace start.
pub(super) fn scan(
    conn: &Connection,
    filter: &TraceFilter,
    buckets: Buckets,
    group: Option<GroupBy>,
    series: SeriesWanted,
    range: Option<Range>,
    has_replays: bool,
) -> Result<Partials> {
    let (w, params) = where_clause(filter);
    // Traces and calls outside 1970–2200 are left out (see `implausible_traces`): their
    // bucket arithmetic would overflow SQLite's integers into REALs.
    let w_all = plausible_where(&w, "t.start_ns");
    let within = |col: &str| {
        range.map_or(String::new(), |(a, b)| {
            format!(" AND {col} >= {a} AND {col} < {b}")
        })
    };
    let w = format!("{w_all}{}", within("t.start_ns"));
    let bk = buckets.sql("t.start_ns");
    let (join, grp) = match group {
        Some(g) => g.sql(),
        None => ("", "''".to_string()),
    };
    // Each query reads `traces t` with the filter itself rather than sharing a materialised
    // CTE: the filter is cheap, while an unindexed CTE made every join to spans and scores
    // slower than a primary-key lookup into traces.
    if group == Some(GroupBy::Model) {
        // A model's own calls, which SQL cannot tell apart (see `model_shares`).
        let mut out = super::model_shares::scan(conn, &bk, &w, &params, series)?;
        judge_partials(
            conn,
            &bk,
            &grp,
            join,
            &w,
            &params,
            range.is_some(),
            &mut out,
        )?;
        return Ok(out);
    }
    let from = format!("FROM traces t {join} {w}");
    let mut out = Partials::new();
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
            let p = Partial {
                traces: r.get(2)?,
                errors: r.get::<_, f64>(3)? as i64,
                input_tokens: r.get::<_, f64>(4)? as i64,
                output_tokens: r.get::<_, f64>(5)? as i64,
                cost_known: Sum::of(r.get(6)?),
                cost_full_n: r.get(7)?,
                cost_full_sum: Sum::of(r.get(8)?),
                unknown_cost_traces: r.get::<_, f64>(9)? as i64,
                ..Default::default()
            };
            out.insert(key, p);
        }
    }
    if out.is_empty() && range.is_none() {
        return Ok(out);
    }
    if range.is_some() {
        exact_cost_sums(conn, &bk, &grp, &from, &params, &mut out)?;
    }
    // LLM calls: without a grouping, bucket each call by its own start and read only the
    // covering index on spans (kind, start, end, ttft, trace); a filter restricts the calls
    // to the matching traces with a subquery. A grouping needs the trace's columns, so it
    // joins.
    let (bk_s, spans_from) = match group {
        None => {
            // Replays are hidden by the filter's WHERE, so a store holding some restricts.
            let restrict = if filter.is_empty() && !has_replays {
                String::new()
            } else {
                format!("AND s.trace_key IN (SELECT t.tkey FROM traces t {w_all})")
            };
            (
                buckets.sql("s.start_ns"),
                format!(
                    "FROM spans s WHERE s.kind = 'llm' AND {}{} {restrict}",
                    plausible_call("s"),
                    within("s.start_ns")
                ),
            )
        }
        // Over a range (recomputing cells), from the range's traces to their calls: left to
        // itself the planner read every call of the store through the plausible-time bounds
        // of `spans_llm_start` and looked each one's trace up, so recomputing one cell cost a
        // pass over the whole store (issue 17, growth).
        Some(_) => (
            bk.clone(),
            format!(
                "FROM traces t {} spans s ON s.trace_key = t.tkey {join} {w} AND s.kind = 'llm' AND {}",
                if range.is_some() {
                    "CROSS JOIN"
                } else {
                    "JOIN"
                },
                plausible_call("s")
            ),
        ),
    };
    {
        let sql = format!(
            "SELECT {bk_s} AS bk, {grp} AS grp, count(*), total(s.status = 'error') {spans_from} GROUP BY 1, 2"
        );
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            let key: (i64, String) = (r.get(0)?, r.get(1)?);
            let (calls, errors): (i64, f64) = (r.get(2)?, r.get(3)?);
            let p = match out.get_mut(&key) {
                Some(p) => p,
                // As for the latency series below.
                None if range.is_some() => out.entry(key).or_default(),
                None => continue,
            };
            p.llm_calls = calls;
            p.llm_errors = errors as i64;
        }
    }
    type Field = fn(&mut Partial) -> &mut Vec<i64>;
    let sources: [(String, bool, Field); 3] = [
        (
            format!("SELECT {bk} AS bk, {grp} AS grp, t.duration_ns AS v {from}"),
            series.latency,
            |p| &mut p.latency,
        ),
        (
            format!(
                "SELECT {bk_s} AS bk, {grp} AS grp, s.end_ns - s.start_ns AS v {spans_from} AND s.end_ns IS NOT NULL"
            ),
            series.llm,
            |p| &mut p.llm,
        ),
        (
            format!(
                "SELECT {bk_s} AS bk, {grp} AS grp, s.ttft_ns AS v {spans_from} AND s.ttft_ns IS NOT NULL"
            ),
            series.ttft,
            |p| &mut p.ttft,
        ),
    ];
    for (source, wanted, field) in sources {
        if !wanted {
            continue;
        }
        for (key, values) in values_by_partition(conn, &source, &params)? {
            match out.get_mut(&key) {
                Some(p) => *field(p) = values,
                // A bucket without traces only matters when the caller adds ranges up.
                None if range.is_some() => {
                    let mut p = Partial::default();
                    *field(&mut p) = values;
                    out.insert(key, p);
                }
                None => {}
            }
        }
    }
    judge_partials(
        conn,
        &bk,
        &grp,
        join,
        &w,
        &params,
        range.is_some(),
        &mut out,
    )?;
    Ok(out)
}

/// The cost sums of each partial again, from every trace's cost, with their rounding error:
/// a cell's sum rounded to one float would make the cells of a bucket add up to a figure one
/// unit in the last place off the span path's single `total()`.
fn exact_cost_sums(
    conn: &Connection,
    bk: &str,
    grp: &str,
    from: &str,
    params: &[SqlValue],
    out: &mut Partials,
) -> Result<()> {
    let mut sums: HashMap<(i64, String), (Sum, Sum)> = HashMap::new();
    let sql = format!("SELECT {bk}, {grp}, t.cost_known_usd, t.cost_usd {from}");
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let e = sums.entry((r.get(0)?, r.get(1)?)).or_default();
        e.0.add(r.get::<_, Option<f64>>(2)?.unwrap_or(0.0));
        if let Some(c) = r.get::<_, Option<f64>>(3)? {
            e.1.add(c);
        }
    }
    for (key, (known, full)) in sums {
        if let Some(p) = out.get_mut(&key) {
            p.cost_known = known;
            p.cost_full_sum = full;
        }
    }
    Ok(())
}

/// Reads `source`, a query with columns `bk` (integer), `grp` (text) and `v` (integer), and
/// returns the values per (bk, grp): 8 bytes per value, picked from later by rank
/// ([`super::stats::ranked`]) rather than sorted in SQLite, whose sorter dominated
/// `trawl stats` on big stores.
fn values_by_partition(
    conn: &Connection,
    source: &str,
    params: &[SqlValue],
) -> rusqlite::Result<Vec<(PartitionKey, Vec<i64>)>> {
    // Group → bucket → values; looked up by the row's borrowed group text, so rows of a known
    // partition allocate nothing.
    let mut partitions: HashMap<String, HashMap<i64, Vec<i64>>> = HashMap::new();
    let mut st = conn.prepare(&format!("SELECT bk, grp, v FROM ({source})"))?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let bk: i64 = r.get(0)?;
        let v: i64 = r.get(2)?;
        let grp = r.get_ref(1)?;
        let grp = grp.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, grp.data_type(), Box::new(e))
        })?;
        let by_bucket = match partitions.get_mut(grp) {
            Some(b) => b,
            None => partitions.entry(grp.to_string()).or_default(),
        };
        by_bucket.entry(bk).or_default().push(v);
    }
    let mut out = Vec::new();
    for (grp, by_bucket) in partitions {
        for (bk, values) in by_bucket {
            out.push(((bk, grp.clone()), values));
        }
    }
    Ok(out)
}

/// Per judge rule: the FALSE rate from the latest judge verdict of each (trace, rule), and what
/// judging cost. Every judge call counts towards the cost, superseded verdicts too: they were
/// paid for.
#[allow(clippy::too_many_arguments)]
fn judge_partials(
    conn: &Connection,
    bk: &str,
    grp: &str,
    join: &str,
    w: &str,
    params: &[SqlValue],
    exact: bool,
    out: &mut Partials,
) -> Result<()> {
    // SQLite takes the bare column `verdict` from the row holding max(id): the latest verdict
    // of each (trace, rule), in the same pass that sums the cost of every call.
    let sql = format!(
        "SELECT {bk} AS bk, {grp} AS grp, x.name, total(x.verdict = 'false'),
                total(x.verdict IN ('true', 'false')), total(x.cost), total(x.unpriced)
         FROM (SELECT trace_id, name, verdict, max(id) AS id, total(cost_usd) AS cost,
                      total(cost_usd IS NULL) AS unpriced
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
        let unpriced = r.get::<_, f64>(6)? as i64;
        // Judged traces are among the filter's traces, so their partial exists.
        if let Some(p) = out.get_mut(&key) {
            p.rule_costs.insert(name.clone(), Sum::of(cost));
            p.judge_cost_unknown += unpriced;
            // A rule with only NA / error verdicts stays listed with n = 0.
            p.rules.insert(name, (f, n));
        }
    }
    if exact {
        // Per rule again with the rounding error, for the same reason as `exact_cost_sums`.
        let sql = format!(
            "SELECT {bk} AS bk, {grp} AS grp, x.name, x.cost
             FROM (SELECT trace_id, name, total(cost_usd) AS cost
                   FROM scores WHERE source = 'judge' GROUP BY trace_id, name) x
             JOIN traces t ON t.trace_id = x.trace_id {join} {w}"
        );
        let mut sums: HashMap<(i64, String, String), Sum> = HashMap::new();
        let mut st = conn.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        while let Some(r) = rows.next()? {
            sums.entry((r.get(0)?, r.get(1)?, r.get(2)?))
                .or_default()
                .add(r.get(3)?);
        }
        for ((bk, grp, rule), sum) in sums {
            if let Some(p) = out.get_mut(&(bk, grp)) {
                p.rule_costs.insert(rule, sum);
            }
        }
    }
    Ok(())
}
