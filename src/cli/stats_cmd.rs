//! `trawl stats` (figures per time bucket with change against the previous one) and
//! `trawl check` (thresholds for cron and CI). The numbers come from [`crate::metrics`].

use super::{FilterArgs, StoreArg};
use crate::display;
use crate::metrics::{self, Bucket, BucketStats, CheckResult, CheckWindow, GroupBy};
use crate::sanitize::{clean_line, truncate_chars};
use crate::timefilter;
use anyhow::Result;
use clap::Args;
use serde_json::json;

const STATS_HELP: &str = "Examples:
  trawl stats --by week
  trawl stats --by day --since 14d --group-by model
  trawl stats --by day --group-by tag --json      cost per feature per day
  trawl stats --by hour --on yesterday --tz +01:00

Per bucket (and group): traces, error rate (root span failed), trace latency p50/p95/p99,
LLM-call latency p95, time to first token p50 (LLM spans that report it), input/output tokens,
cost (known application cost; a lower bound when some traces have unknown cost), cost per
trace (mean over traces whose cost is fully known), traces with unknown cost, judge cost
(LLM-as-judge calls, never included in cost), and per judge rule the FALSE rate over the latest
judge verdict of each trace (NA and error verdicts are left out of n).

Percentiles are exact nearest-rank: the p-th percentile of n values is the value at rank
ceil(p/100 * n) in ascending order. They are computed inside SQLite with window functions
(ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY duration) and COUNT(*) OVER the same
partition), so only the rows at the wanted ranks are read back, never every trace.

Buckets start in UTC unless --tz gives a fixed offset; weeks start on Monday. A trace belongs
to the bucket of its start time. With --group-by model or tag a trace counts in every group
it belongs to; traces without a value are in group \"(none)\".

Change is against the immediately preceding bucket of the same group (blank when that bucket
has no traces): relative for amounts (+12%), a difference in percentage points for rates
(-0.8pp). In --json the `change` object has the same keys, as fractions (0.12 = +12%,
-0.008 = -0.8pp), and is null for a bucket without a previous one.

--json prints {\"buckets\": [...]}; each has bucket, group (when grouped), traces, error_rate,
latency_p50_ms, latency_p95_ms, latency_p99_ms, llm_latency_p95_ms, ttft_p50_ms, input_tokens,
output_tokens, cost_usd, cost_per_trace_usd, unknown_cost_traces, judge_cost_usd,
rules {RULE: {n, false_rate}} and change.";

#[derive(Debug, Args)]
#[command(after_help = STATS_HELP)]
pub struct StatsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Bucket size.
    #[arg(long, value_name = "SIZE", default_value = "day", value_parser = ["hour", "day", "week"])]
    pub by: String,
    /// Split every bucket by model, tag, trace name, user or service.
    #[arg(long, value_name = "FIELD", value_parser = ["model", "tag", "name", "user", "service"])]
    pub group_by: Option<String>,
    /// Fixed UTC offset for bucket boundaries and labels: UTC, +HH:MM or -HH:MM.
    #[arg(
        long,
        value_name = "OFFSET",
        default_value = "UTC",
        allow_hyphen_values = true
    )]
    pub tz: String,
    #[arg(long)]
    pub json: bool,
}

const CHECK_HELP: &str = "Examples:
  trawl check --since 1d 'fail_rate(grounded) <= 0.03' 'p95(latency) <= 2s'
  trawl check --since 7d 'p95(latency) change <= 20%' 'cost_per_trace <= 0.05'
  trawl check --on yesterday 'error_rate < 1%' 'traces >= 10' --json

Metrics: pNN(latency) (trace duration), pNN(llm_latency) (LLM calls), pNN(ttft), with NN from
1 to 100 (exact nearest-rank); fail_rate(RULE) (FALSE share of the latest judge verdicts, NA and
errors left out); error_rate; traces; cost (known application cost, USD); cost_per_trace;
input_tokens; output_tokens; unknown_cost_traces; judge_cost.
Operators: < <= > >= == !=. Units: ms, s, m for latencies (required); rates and changes are
fractions or percentages (0.03 == 3%); costs may be written $0.05.

METRIC change OP X compares the window [a, b) with the one before it, [a - (b - a), a), where
a is --since (or --on's day start; default b - 7 days) and b is --until (or --on's day end;
default now). Change is relative for amounts (20% = 1.2x) and a difference in percentage points
for rates. Plain checks use the filters as given (all traces when there is no time filter).

Prints each check with its value, threshold and PASS or FAIL. Exit status: 0 when every check
holds, 1 when any is breached or has no data (an empty window is not a pass; --allow-empty
accepts it), 2 for usage errors (a bad expression is shown with a caret under the error).
--json prints an array of {expr, metric, value, op, threshold, ok, n}; value and threshold are
in ms, fractions, USD or counts.";

#[derive(Debug, Args)]
#[command(after_help = CHECK_HELP)]
pub struct CheckArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// A window without data passes instead of failing.
    #[arg(long)]
    pub allow_empty: bool,
    #[arg(long)]
    pub json: bool,
    /// Checks, e.g. 'p95(latency) <= 2s' (quote each one).
    #[arg(value_name = "EXPR", required = true)]
    pub exprs: Vec<String>,
}

pub fn run_stats(args: &StatsArgs, store: &StoreArg) -> Result<i32> {
    let filter = args.filter.to_filter()?;
    let by = Bucket::parse(&args.by).unwrap_or(Bucket::Day);
    let group = args.group_by.as_deref().and_then(GroupBy::parse);
    let Some(tz) = metrics::parse_tz(&args.tz) else {
        eprintln!(
            "trawl: error: --tz {}: expected UTC, +HH:MM or -HH:MM",
            clean_line(&args.tz)
        );
        return Ok(2);
    };
    let store = store.open_existing()?;
    let buckets = metrics::compute_stats(&store, &filter, by, group, tz)?;
    let excluded = store.implausible_traces(&filter)?;
    if excluded > 0 {
        eprintln!(
            "warning: {excluded} trace(s) with timestamps outside 1970–2200 left out of time buckets"
        );
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "buckets": buckets, "excluded_out_of_range": excluded })
            )?
        );
        return Ok(0);
    }
    if buckets.is_empty() {
        println!("no traces match");
        return Ok(0);
    }
    print_table(&buckets, by, group, &args.tz);
    Ok(0)
}

fn pct_change(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(0.0) => "0%".into(),
        Some(x) if (x * 100.0).abs() >= 10.0 => format!("{:+.0}%", x * 100.0),
        Some(x) => format!("{:+.1}%", x * 100.0),
    }
}

fn pp_change(v: Option<f64>) -> String {
    match v {
        None => String::new(),
        Some(0.0) => "0pp".into(),
        Some(x) => format!("{:+.1}pp", x * 100.0),
    }
}

fn ms(v: Option<f64>) -> String {
    v.map(|m| display::duration_ns((m * 1e6).round() as i64))
        .unwrap_or_else(|| "-".into())
}

fn rate(v: f64) -> String {
    format!("{:.1}%", v * 100.0)
}

/// One bucket in the table: its values, its change line (if any) and its judge rules.
type Row = (Vec<String>, Option<Vec<String>>, Vec<String>);

fn print_table(buckets: &[BucketStats], by: Bucket, group: Option<GroupBy>, tz: &str) {
    let tz_label = if metrics::parse_tz(tz).is_some_and(|o| o.local_minus_utc() == 0) {
        "UTC".to_string()
    } else {
        tz.to_string()
    };
    let mut headers: Vec<String> = vec![format!("{} ({tz_label})", by.label().to_uppercase())];
    if let Some(g) = group {
        headers.push(g.label().to_uppercase());
    }
    for h in [
        "TRACES", "ERRORS", "P50", "P95", "P99", "LLM P95", "TTFT P50", "IN TOK", "OUT TOK",
        "COST", "$/TRACE", "?COST", "JUDGE $",
    ] {
        headers.push(h.to_string());
    }
    let mut rows: Vec<Row> = Vec::new();
    for b in buckets {
        let mut v = vec![b.bucket.clone()];
        if group.is_some() {
            v.push(truncate_chars(
                &clean_line(b.group.as_deref().unwrap_or("")),
                24,
            ));
        }
        v.extend([
            b.traces.to_string(),
            rate(b.error_rate),
            ms(b.latency_p50_ms),
            ms(b.latency_p95_ms),
            ms(b.latency_p99_ms),
            ms(b.llm_latency_p95_ms),
            ms(b.ttft_p50_ms),
            display::tokens(b.input_tokens),
            display::tokens(b.output_tokens),
            display::cost_value(b.cost_usd),
            display::cost(b.cost_per_trace_usd),
            b.unknown_cost_traces.to_string(),
            display::cost_value(b.judge_cost_usd),
        ]);
        let c = b.change.as_ref().map(|c| {
            let mut v = vec!["  vs previous".to_string()];
            if group.is_some() {
                v.push(String::new());
            }
            v.extend([
                pct_change(c.traces),
                pp_change(c.error_rate),
                pct_change(c.latency_p50_ms),
                pct_change(c.latency_p95_ms),
                pct_change(c.latency_p99_ms),
                pct_change(c.llm_latency_p95_ms),
                pct_change(c.ttft_p50_ms),
                pct_change(c.input_tokens),
                pct_change(c.output_tokens),
                pct_change(c.cost_usd),
                pct_change(c.cost_per_trace_usd),
                pct_change(c.unknown_cost_traces),
                pct_change(c.judge_cost_usd),
            ]);
            v
        });
        let rules: Vec<String> = b
            .rules
            .iter()
            .map(|(name, r)| {
                let rate = r.false_rate.map(rate).unwrap_or_else(|| "-".into());
                let delta = b
                    .change
                    .as_ref()
                    .and_then(|c| c.rules.get(name))
                    .map(|c| pp_change(c.false_rate))
                    .filter(|s| !s.is_empty())
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default();
                format!("{} {rate} false (n={}{delta})", clean_line(name), r.n)
            })
            .collect();
        rows.push((v, c, rules));
    }
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for (v, c, _) in &rows {
        for line in std::iter::once(v).chain(c.iter()) {
            for (i, cell) in line.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
    }
    let text_cols = if group.is_some() { 2 } else { 1 };
    let fmt_line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i < text_cols {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            } else {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            }
        }
        s.trim_end().to_string()
    };
    println!("{}", fmt_line(&headers));
    for (v, c, rules) in &rows {
        println!("{}", fmt_line(v));
        if let Some(c) = c {
            println!("{}", fmt_line(c));
        }
        if !rules.is_empty() {
            println!("  judge: {}", rules.join("; "));
        }
    }
    let unknown: i64 = buckets.iter().map(|b| b.unknown_cost_traces).sum();
    println!();
    println!(
        "Percentiles are exact nearest-rank. COST is the application's known cost; JUDGE $ is kept apart."
    );
    if unknown > 0 {
        println!(
            "{unknown} trace(s) had a span without a price: their cost is a lower bound (see ?COST)."
        );
    }
}

pub fn run_check(args: &CheckArgs, store: &StoreArg) -> Result<i32> {
    let mut exprs = Vec::with_capacity(args.exprs.len());
    let mut bad = false;
    for (i, text) in args.exprs.iter().enumerate() {
        match metrics::parse_expr(text) {
            Ok(e) => exprs.push(e),
            Err(e) => {
                bad = true;
                eprintln!(
                    "trawl check: expression {} is not valid:\n{}",
                    i + 1,
                    clean_line_keep(&e.to_string())
                );
            }
        }
    }
    if bad {
        eprintln!("(see trawl check --help for the metrics, operators and units)");
        return Ok(2);
    }
    let filter = match args.filter.to_filter() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("trawl: error: {}", clean_line(&format!("{e:#}")));
            return Ok(2);
        }
    };
    let store = store.open_existing()?;
    let window = CheckWindow {
        filter,
        now_ns: timefilter::to_ns(timefilter::now()),
    };
    let mut results = metrics::evaluate(&store, &window, &exprs)?;
    if args.allow_empty {
        for r in &mut results {
            if r.value.is_none() {
                r.ok = true;
            }
        }
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        print_checks(&results, &window, args.allow_empty);
    }
    Ok(if failed == 0 { 0 } else { 1 })
}

/// Sanitises each line of a multi-line message, keeping the line breaks (the caret line).
fn clean_line_keep(s: &str) -> String {
    s.lines().map(clean_line).collect::<Vec<_>>().join("\n")
}

fn print_checks(results: &[CheckResult], window: &CheckWindow, allow_empty: bool) {
    let width = results
        .iter()
        .map(|r| r.expr.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    for r in results {
        let status = match (r.value, r.ok) {
            (None, true) => "EMPTY",
            (None, false) => "NO DATA",
            (Some(_), true) => "PASS",
            (Some(_), false) => "FAIL",
        };
        let expr = truncate_chars(&clean_line(&r.expr), 48);
        let thr = metrics::check::format_value(&r.check, r.threshold);
        match r.value {
            Some(v) => println!(
                "{status:<7}  {expr:<width$}  value {}  threshold {} {thr}  (n={})",
                metrics::check::format_value(&r.check, v),
                r.op,
                r.n
            ),
            None => println!(
                "{status:<7}  {expr:<width$}  {}{}",
                clean_line(r.no_data.as_deref().unwrap_or("no data")),
                if allow_empty {
                    " (allowed by --allow-empty)"
                } else {
                    " (not a pass; --allow-empty accepts it)"
                }
            ),
        }
    }
    if results.iter().any(|r| r.check.change) {
        let ((a, b), (pa, _)) = window.change_windows();
        println!(
            "change: {} .. {} against {} .. {}",
            timefilter::short_time(a),
            timefilter::short_time(b),
            timefilter::short_time(pa),
            timefilter::short_time(a)
        );
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    let n = results.len();
    if failed == 0 {
        println!("{n} check{} passed", if n == 1 { "" } else { "s" });
    } else {
        println!(
            "{failed} of {n} check{} failed",
            if n == 1 { "" } else { "s" }
        );
    }
}
