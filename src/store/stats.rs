//! Figures per time bucket (and group) for `trawl stats`, the TUI metrics view and
//! `trawl check`. They are read from the aggregate cells kept at import
//! ([`super::aggregates`]) when those can answer exactly, else from the spans
//! ([`super::stats_scan`]); both give the same [`Partial`]s per bucket, turned into figures here.
//!
//! Percentiles are exact nearest-rank ones: the p-th percentile of n sorted values is the value
//! at rank ceil(p/100 · n) (1-based, [`nearest_rank`]), picked per partition with a linear
//! selection in Rust ([`ranked`]): 8 bytes per value of memory, no sort.
//!
//! What the figures mean (rates, changes, labels) is the metrics module's business.

use super::aggregates;
use super::filter_sql::where_clause;
use super::stats_scan::{Partial, Partials, SeriesWanted, scan};
use super::{Result, Store, TraceFilter};
use std::collections::BTreeMap;

/// How traces are put in time buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Buckets {
    /// Buckets of `len_ns`, starting where `(start_ns + shift_ns)` is a multiple of `len_ns`
    /// (the shift holds the time zone offset and, for weeks, the Monday alignment).
    Every { len_ns: i64, shift_ns: i64 },
    /// One bucket holding the whole filter (its key is 0).
    Whole,
}

impl Buckets {
    /// The bucket start of `{col}` as SQL, with a floor modulo (SQLite's `%` truncates toward
    /// zero, so negative times need the second `+ len) % len`).
    pub(super) fn sql(self, col: &str) -> String {
        match self {
            Buckets::Every { len_ns, shift_ns } => {
                format!("({col} - ((({col} + {shift_ns}) % {len_ns}) + {len_ns}) % {len_ns})")
            }
            Buckets::Whole => "0".to_string(),
        }
    }
}

/// What `--group-by` splits each bucket by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    /// Every model a trace called, as reported (lowercased): a trace that used two models
    /// counts in both groups, each with its own calls' figures (see `model_shares`).
    Model,
    /// Every tag of a trace: a trace with two tags counts in both groups.
    Tag,
    /// Trace (root span) name: the feature or endpoint.
    Name,
    User,
    Service,
}

/// Group label for traces that have no value for the grouping column.
pub const NO_GROUP: &str = "(none)";

impl GroupBy {
    pub const ALL: [GroupBy; 5] = [
        GroupBy::Model,
        GroupBy::Tag,
        GroupBy::Name,
        GroupBy::User,
        GroupBy::Service,
    ];

    pub fn parse(s: &str) -> Option<GroupBy> {
        match s.trim().to_ascii_lowercase().as_str() {
            "model" => Some(GroupBy::Model),
            "tag" => Some(GroupBy::Tag),
            "name" => Some(GroupBy::Name),
            "user" => Some(GroupBy::User),
            "service" => Some(GroupBy::Service),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            GroupBy::Model => "model",
            GroupBy::Tag => "tag",
            GroupBy::Name => "name",
            GroupBy::User => "user",
            GroupBy::Service => "service",
        }
    }

    /// (join clause, group expression) over `traces t`.
    pub(super) fn sql(self) -> (&'static str, String) {
        match self {
            // Not `trace_models`: it holds both the dated and the undated name of each model
            // (so `--model gpt-4o` matches snapshots) and would count a trace twice.
            // Each model once, whatever case the spans spell it in (as `model_shares`).
            GroupBy::Model => (
                "LEFT JOIN json_each(t.models) g ON NOT EXISTS (SELECT 1 FROM json_each(t.models) h
                   WHERE h.key < g.key AND lower(h.value) = lower(g.value))",
                format!("coalesce(lower(g.value), '{NO_GROUP}')"),
            ),
            GroupBy::Tag => (
                "LEFT JOIN trace_tags g ON g.tkey = t.tkey",
                format!("coalesce(g.tag, '{NO_GROUP}')"),
            ),
            GroupBy::Name => ("", format!("coalesce(t.name, '{NO_GROUP}')")),
            GroupBy::User => ("", format!("coalesce(t.user_id, '{NO_GROUP}')")),
            GroupBy::Service => ("", format!("coalesce(t.service, '{NO_GROUP}')")),
        }
    }
}

/// Which percentiles to compute for each latency series (percent, 1..=100).
#[derive(Debug, Clone, Default)]
pub struct WantedPercentiles {
    /// Trace durations.
    pub latency: Vec<u32>,
    /// LLM call durations.
    pub llm: Vec<u32>,
    /// Times to first token.
    pub ttft: Vec<u32>,
}

/// Nearest rank (1-based) of percentile `p` (1..=100) among `n` values; 0 when `n` is 0. The
/// percentile query computes the same rank in SQL.
pub fn nearest_rank(p: u32, n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    // ceil(p·n/100) in integers, so p=50 on n=2 is rank 1, not a float 1.0000001 → 2.
    ((i64::from(p) * n + 99) / 100).clamp(1, n)
}

/// The wanted percentiles of one partition and how many values it had.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranked {
    pub n: i64,
    /// percentile → value (same unit as the source column).
    pub values: BTreeMap<u32, i64>,
}

impl Ranked {
    pub fn get(&self, p: u32) -> Option<i64> {
        self.values.get(&p).copied()
    }
}

/// Sums and percentiles of one bucket and group, before any presentation.
#[derive(Debug, Clone, Default)]
pub struct BucketFigures {
    pub traces: i64,
    pub errors: i64,
    /// LLM calls (with a plausible time) and how many failed: a model's own calls under
    /// `--group-by model`, else the calls of the bucket's traces (ungrouped: the calls
    /// starting in the bucket).
    pub llm_calls: i64,
    pub llm_errors: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Sum of the known part of every trace's cost.
    pub cost_known: f64,
    /// Traces whose whole cost is known, and their cost.
    pub cost_full_n: i64,
    pub cost_full_sum: f64,
    pub unknown_cost_traces: i64,
    pub judge_cost: f64,
    /// Judge verdicts stored without a cost (the judge model has no price): the judge cost is
    /// then unknown, not 0.
    pub judge_cost_unknown: i64,
    pub latency: Ranked,
    pub llm: Ranked,
    pub ttft: Ranked,
    /// rule → (FALSE verdicts, TRUE + FALSE verdicts), latest judge verdict per trace.
    pub rules: BTreeMap<String, (i64, i64)>,
}

impl BucketFigures {
    pub fn error_rate(&self) -> Option<f64> {
        (self.traces > 0).then(|| self.errors as f64 / self.traces as f64)
    }
    pub fn cost_per_trace(&self) -> Option<f64> {
        (self.cost_full_n > 0).then(|| self.cost_full_sum / self.cost_full_n as f64)
    }
}

impl Store {
    /// The figures of the traces matching `filter`, per (bucket start ns, group); the group is
    /// "" when ungrouped. Buckets without traces are absent.
    pub fn bucket_figures(
        &self,
        filter: &TraceFilter,
        buckets: Buckets,
        group: Option<GroupBy>,
        wanted: &WantedPercentiles,
    ) -> Result<BTreeMap<(i64, String), BucketFigures>> {
        let series = SeriesWanted {
            latency: !wanted.latency.is_empty(),
            llm: !wanted.llm.is_empty(),
            ttft: !wanted.ttft.is_empty(),
        };
        let has_replays = self.has_replays()?;
        let partials = match aggregates::answer(self, filter, buckets, group, series, has_replays)?
        {
            Some(p) => p,
            None => scan(
                &self.conn,
                filter,
                buckets,
                group,
                series,
                None,
                has_replays,
            )?,
        };
        Ok(figures_of(partials, wanted))
    }
}

/// The figures of each bucket holding traces.
pub(super) fn figures_of(
    partials: Partials,
    wanted: &WantedPercentiles,
) -> BTreeMap<(i64, String), BucketFigures> {
    partials
        .into_iter()
        .filter(|(_, p)| p.traces > 0)
        .map(|(key, p)| (key, figures(p, wanted)))
        .collect()
}

fn figures(p: Partial, wanted: &WantedPercentiles) -> BucketFigures {
    BucketFigures {
        traces: p.traces,
        errors: p.errors,
        llm_calls: p.llm_calls,
        llm_errors: p.llm_errors,
        input_tokens: p.input_tokens,
        output_tokens: p.output_tokens,
        cost_known: p.cost_known.value(),
        cost_full_n: p.cost_full_n,
        cost_full_sum: p.cost_full_sum.value(),
        unknown_cost_traces: p.unknown_cost_traces,
        // Added rule by rule in rule order, as the span path's rows come.
        judge_cost: p.rule_costs.values().fold(0.0, |sum, c| sum + c.value()),
        judge_cost_unknown: p.judge_cost_unknown,
        latency: ranked(p.latency, &wanted.latency),
        llm: ranked(p.llm, &wanted.llm),
        ttft: ranked(p.ttft, &wanted.ttft),
        rules: p.rules,
    }
}

/// The percentiles `ps` of `values`; empty (n = 0) when no percentile is wanted or there is
/// no value.
pub(super) fn ranked(mut values: Vec<i64>, ps: &[u32]) -> Ranked {
    if ps.is_empty() || values.is_empty() {
        return Ranked::default();
    }
    let n = values.len() as i64;
    let mut r = Ranked {
        n,
        values: BTreeMap::new(),
    };
    for &p in ps {
        let rank = nearest_rank(p, n);
        if rank >= 1 {
            let i = (rank - 1) as usize;
            let (_, v, _) = values.select_nth_unstable(i);
            r.values.insert(p, *v);
        }
    }
    r
}

/// `col` within 1970–2200 as SQL (literal bounds: constants, not input).
pub(super) fn plausible(col: &str) -> String {
    format!(
        "{col} BETWEEN {} AND {}",
        crate::display::PLAUSIBLE_MIN_NS,
        crate::display::PLAUSIBLE_MAX_NS
    )
}

/// The filter's WHERE clause `w` (maybe empty) with `col` restricted to plausible times.
pub(super) fn plausible_where(w: &str, col: &str) -> String {
    super::filter_sql::and_where(w, &plausible(col))
}

/// The filter's WHERE clause `w` (maybe empty) with `col` restricted to implausible times.
pub(super) fn implausible_where(w: &str, col: &str) -> String {
    super::filter_sql::and_where(w, &format!("NOT ({})", plausible(col)))
}

/// An LLM call of spans `s` whose start and end (when known) are plausible, so that its
/// duration cannot overflow.
pub(super) fn plausible_call(s: &str) -> String {
    format!(
        "{} AND ({s}.end_ns IS NULL OR {})",
        plausible(&format!("{s}.start_ns")),
        plausible(&format!("{s}.end_ns"))
    )
}

impl Store {
    /// How many traces matching `filter` start outside 1970–2200 and so are in no time bucket
    /// of [`Store::bucket_figures`]: `trawl stats` warns about them.
    pub fn implausible_traces(&self, filter: &TraceFilter) -> Result<i64> {
        let (w, params) = where_clause(filter);
        let sql = format!(
            "SELECT count(*) FROM traces t {}",
            implausible_where(&w, "t.start_ns")
        );
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))?)
    }
}

impl Store {
    /// Judge verdicts of the traces matching `filter` per (bucket start ns, rule): (FALSE,
    /// TRUE or FALSE) over the latest judge verdict of each (trace, rule), bucketed by the
    /// trace's start. The read side of the trace list's FALSE-rate sparklines: one small
    /// aggregate, far cheaper than [`Store::bucket_figures`].
    pub fn verdict_counts(
        &self,
        filter: &TraceFilter,
        buckets: Buckets,
    ) -> Result<BTreeMap<(i64, String), (i64, i64)>> {
        let (w, params) = where_clause(filter);
        let w = plausible_where(&w, "t.start_ns");
        let bk = buckets.sql("t.start_ns");
        // As in `judge_figures`: the bare `verdict` comes from the row holding max(id).
        let sql = format!(
            "SELECT {bk} AS bk, x.name, total(x.verdict = 'false'), total(x.verdict IN ('true', 'false'))
             FROM (SELECT trace_id, name, verdict, max(id) AS id
                   FROM scores WHERE source = 'judge' GROUP BY trace_id, name) x
             JOIN traces t ON t.trace_id = x.trace_id {w}
             GROUP BY 1, 2"
        );
        let mut st = self.conn.prepare(&sql)?;
        let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
        let mut out = BTreeMap::new();
        while let Some(r) = rows.next()? {
            let key: (i64, String) = (r.get(0)?, r.get(1)?);
            let f = r.get::<_, f64>(2)? as i64;
            let n = r.get::<_, f64>(3)? as i64;
            out.insert(key, (f, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    #[test]
    fn nearest_rank_edges() {
        assert_eq!(nearest_rank(50, 1), 1);
        assert_eq!(nearest_rank(99, 1), 1);
        assert_eq!(nearest_rank(50, 2), 1);
        assert_eq!(nearest_rank(51, 2), 2);
        assert_eq!(nearest_rank(95, 20), 19);
        assert_eq!(nearest_rank(95, 21), 20);
        assert_eq!(nearest_rank(100, 7), 7);
        assert_eq!(nearest_rank(50, 0), 0);
    }

    #[test]
    fn bucket_sql_floors_negative_times() {
        let day = 86_400_000_000_000_i64;
        let sql = Buckets::Every {
            len_ns: day,
            shift_ns: 0,
        }
        .sql("x");
        let conn = Connection::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let start = |x: i64| -> i64 {
            conn.query_row(&format!("SELECT {sql} FROM (SELECT ?1 AS x)"), [x], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{e}"))
        };
        assert_eq!(start(day + 5), day);
        assert_eq!(start(-5), -day);
        assert_eq!(Buckets::Whole.sql("x"), "0");
    }
}

#[cfg(test)]
#[path = "stats_time_tests.rs"]
mod time_tests;

#[cfg(test)]
#[path = "stats_model_tests.rs"]
mod model_tests;
