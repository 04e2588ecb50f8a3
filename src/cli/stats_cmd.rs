//! `trawl stats`: figures per time bucket with change against the previous one. The numbers
//! come from [`crate::metrics`].

use super::FilterArgs;
use super::out::{Column, Table, output_width, wrap_words};
use crate::config::Config;
use crate::display;
use crate::metrics::{self, Bucket, BucketStats, GroupBy};
use crate::sanitize::{clean_line, fit_width};
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
ceil(p/100 * n) in ascending order, picked from every value of the bucket (kept per quarter
hour at import), never estimated.

Buckets start in UTC unless --tz gives a fixed offset; weeks start on Monday. A trace belongs
to the bucket of its start time. With --group-by tag a trace counts in every tag it has, with
all its figures (tags overlap, so group counts may add up to more than the traces); name,
user and service give each trace one group. Traces without a value are in group \"(none)\".

With --group-by model a row holds that model's own LLM calls (in the store; --source
clickhouse still gives each model its traces' figures): llm_calls, tokens, cost,
unknown cost, LLM-call latency and time to first token are those calls' figures, and ERRORS
(error_rate) is the share of them that failed, so a call that failed on one model and was
retried on another counts against the first only. TRACES counts the traces that called the
model (a trace calling two models counts in both, so the groups may add up to more than the
traces), and trace latency P50/P95/P99 and judge figures are those traces' whole figures.
Calls naming no model are in \"(none)\", with the traces that name none. An embedding
model has a row with its tokens and cost (as on a provider's bill) and no LLM calls.

Change is against the immediately preceding bucket of the same group (blank when that bucket
has no traces): relative for amounts (+12%), a difference in percentage points for rates
(-0.8pp). In --json the `change` object has the same keys, as fractions (0.12 = +12%,
-0.008 = -0.8pp), and is null for a bucket without a previous one.

--source clickhouse://USER@HOST:8123/DB?table=otel_traces computes the same figures inside
ClickHouse (one query, a few rows back per bucket) from the OpenTelemetry exporter's table, with
the password from TRAWL_CLICKHOUSE_PASSWORD (or --password-env VAR). Judge figures need local
verdicts and are empty there; LLM calls count in their trace's bucket.

--json prints {\"buckets\": [...]}; each has bucket, group (when grouped), traces, error_rate,
llm_calls, latency_p50_ms, latency_p95_ms, latency_p99_ms, llm_latency_p95_ms, ttft_p50_ms, input_tokens,
output_tokens, cost_usd, cost_per_trace_usd, unknown_cost_traces, judge_cost_usd (null when a
judge verdict has no price), judge_cost_known_usd, judge_unknown_cost_verdicts,
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
    /// Every column, whatever the terminal's width (piped output is never cut).
    #[arg(long)]
    pub wide: bool,
    /// Compute in ClickHouse instead of the store: clickhouse://USER@HOST:8123/DB?table=otel_traces.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// Environment variable holding the ClickHouse password (default TRAWL_CLICKHOUSE_PASSWORD).
    #[arg(long, value_name = "VAR", requires = "source")]
    pub password_env: Option<String>,
    /// Include replays (`trawl replay`'s traces), hidden by default.
    #[arg(long)]
    pub replays: bool,
}

pub fn run(args: &StatsArgs, cfg: &Config) -> Result<i32> {
    let mut filter = args.filter.to_filter(timefilter::now())?;
    filter.replays = args.replays;
    let by = Bucket::parse(&args.by).unwrap_or(Bucket::Day);
    let group = args.group_by.as_deref().and_then(GroupBy::parse);
    let Some(tz) = metrics::parse_tz(&args.tz) else {
        errln!(
            "trawl: error: --tz {}: expected UTC, +HH:MM or -HH:MM",
            clean_line(&args.tz)
        );
        return Ok(2);
    };
    let (buckets, excluded) = match &args.source {
        Some(url) => {
            let client = super::remote_src::connect(url, args.password_env.as_deref())?;
            let raw = crate::remote::figures::bucket_figures(
                &client,
                &filter,
                by.store_buckets(tz),
                group,
                &metrics::stats_wanted(),
            )?;
            (metrics::stats_from_raw(&raw, by, group, tz), 0)
        }
        None => {
            let store = super::open_existing_store(cfg)?;
            let buckets = metrics::compute_stats(&store, &filter, by, group, tz)?;
            (buckets, store.implausible_traces(&filter)?)
        }
    };
    if excluded > 0 {
        eprintln!(
            "warning: {excluded} trace(s) with timestamps outside 1970–2200 left out of time buckets"
        );
    }
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "buckets": buckets, "excluded_out_of_range": excluded })
            )?
        );
        return Ok(0);
    }
    if buckets.is_empty() {
        outln!("no traces match");
        return Ok(0);
    }
    print_table(&buckets, by, group, &args.tz, args.wide)?;
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

fn print_table(
    buckets: &[BucketStats],
    by: Bucket,
    group: Option<GroupBy>,
    tz: &str,
    wide: bool,
) -> Result<()> {
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
            v.push(fit_width(&clean_line(b.group.as_deref().unwrap_or("")), 24));
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
            // A bucket with unpriced traces shows its known cost as a lower bound ("$0.12+?",
            // or "?" when nothing was priced), as a trace's cost is shown: never "$0" for
            // calls whose price is not known.
            display::trace_cost(
                (b.unknown_cost_traces == 0).then_some(b.cost_usd),
                b.cost_usd,
                b.unknown_cost_traces,
            ),
            display::cost(b.cost_per_trace_usd),
            b.unknown_cost_traces.to_string(),
            display::trace_cost(
                b.judge_cost_usd,
                b.judge_cost_known_usd,
                b.judge_unknown_cost_verdicts,
            ),
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
    // Figures are never cut, only dropped (least telling first) when the terminal is narrow.
    const KEEP: usize = usize::MAX;
    let mut columns = vec![Column::left(&headers[0], 10, 0)];
    if group.is_some() {
        columns.push(Column::left(&headers[1], 8, 0).flexible());
    }
    for (h, rank) in headers[columns.len()..]
        .iter()
        .zip([1, 2, 3, 2, 6, 7, 9, 10, 11, 4, 8, 12, 5])
    {
        columns.push(Column::right(h, KEEP, rank));
    }
    let mut table = Table::new(columns);
    for (v, c, rules) in rows {
        table.row(v);
        if let Some(c) = c {
            table.row(c);
        }
        if !rules.is_empty() {
            table.note(format!("  judge: {}", rules.join("; ")));
        }
    }
    let width = output_width(wide);
    for line in table.render(width) {
        outln!("{line}");
    }
    let unknown: i64 = buckets.iter().map(|b| b.unknown_cost_traces).sum();
    outln!();
    let mut prose = vec![
        "Percentiles are exact nearest-rank. COST is the application's known cost; JUDGE $ is kept apart.".to_string(),
    ];
    if unknown > 0 {
        prose.push(format!(
            "{unknown} trace(s) had a span without a price: their cost is a lower bound (see ?COST)."
        ));
    }
    for line in prose.iter().flat_map(|p| wrap_words(p, width)) {
        outln!("{line}");
    }
    Ok(())
}
