//! `trawl check`: thresholds over a time window for cron and CI, with exit codes. The figures
//! come from [`crate::metrics`]; the window is the filter language's (`--since`, `--on`, …).

use super::FilterArgs;
use crate::config::Config;
use crate::metrics::{self, CheckResult, CheckWindow, Metric};
use crate::sanitize::{clean_line, truncate_chars};
use crate::store::stats::Buckets;
use crate::timefilter;
use anyhow::Result;
use clap::Args;

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
--source clickhouse://USER@HOST:8123/DB?table=otel_traces evaluates the checks inside ClickHouse
(one query per window) over the OpenTelemetry exporter's table; fail_rate(RULE) and judge_cost
need the judge verdicts of the local store and are refused there (exit 2).
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
    /// Evaluate in ClickHouse instead of the store: clickhouse://USER@HOST:8123/DB?table=otel_traces.
    #[arg(long, value_name = "URL")]
    pub source: Option<String>,
    /// Environment variable holding the ClickHouse password (default TRAWL_CLICKHOUSE_PASSWORD).
    #[arg(long, value_name = "VAR", requires = "source")]
    pub password_env: Option<String>,
    /// Checks, e.g. 'p95(latency) <= 2s' (quote each one).
    #[arg(value_name = "EXPR", required = true)]
    pub exprs: Vec<String>,
}

pub fn run(args: &CheckArgs, cfg: &Config) -> Result<i32> {
    let mut exprs = Vec::with_capacity(args.exprs.len());
    let mut bad = false;
    for (i, text) in args.exprs.iter().enumerate() {
        match metrics::parse_expr(text) {
            Ok(e) => exprs.push(e),
            Err(e) => {
                bad = true;
                errln!(
                    "trawl check: expression {} is not valid:\n{}",
                    i + 1,
                    clean_line_keep(&e.to_string())
                );
            }
        }
    }
    if bad {
        errln!("(see trawl check --help for the metrics, operators and units)");
        return Ok(2);
    }
    // One "now" for the filter and the change windows, so both count back from the same instant.
    let now = timefilter::now();
    let filter = match args.filter.to_filter(now) {
        Ok(f) => f,
        Err(e) => {
            errln!("trawl: error: {}", clean_line(&e.to_string()));
            return Ok(2);
        }
    };
    let window = CheckWindow {
        filter,
        now_ns: timefilter::to_ns(now),
    };
    let mut results = match &args.source {
        Some(url) => {
            let local_only: Vec<&str> = exprs
                .iter()
                .filter(|e| matches!(e.metric, Metric::FailRate(_) | Metric::JudgeCost))
                .map(|e| e.text.as_str())
                .collect();
            if !local_only.is_empty() {
                errln!(
                    "trawl check: {} need{} judge verdicts, which live in the local store, not in ClickHouse:\n\
                     pull the slice (trawl import {}), judge it, and check it without --source",
                    local_only.join(", "),
                    if local_only.len() == 1 { "s" } else { "" },
                    clean_line(&crate::remote::url::redact(url))
                );
                return Ok(2);
            }
            let client = super::remote_src::connect(url, args.password_env.as_deref())?;
            metrics::evaluate_with(&window, &exprs, &mut |f, wanted| {
                crate::remote::figures::bucket_figures(&client, f, Buckets::Whole, None, wanted)
                    .map(|mut m| m.remove(&(0, String::new())))
                    .map_err(super::remote_src::store_error)
            })?
        }
        None => {
            let store = super::open_existing_store(cfg)?;
            metrics::evaluate(&store, &window, &exprs)?
        }
    };
    if args.allow_empty {
        for r in &mut results {
            if r.value.is_none() {
                r.ok = true;
            }
        }
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    let code = if failed == 0 { 0 } else { 1 };
    let printed = if args.json {
        print_json(&results)
    } else {
        print_checks(&results, &window, args.allow_empty)
    };
    match printed {
        // The verdict is decided before the first line is written: a reader that went away
        // (`trawl check … | head -1`, or a closed pipe) must not turn a breach into exit 0.
        Err(e) if super::out::is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

fn print_json(results: &[CheckResult]) -> Result<()> {
    outln!("{}", serde_json::to_string_pretty(results)?);
    Ok(())
}

/// Sanitises each line of a multi-line message, keeping the line breaks (the caret line).
fn clean_line_keep(s: &str) -> String {
    s.lines().map(clean_line).collect::<Vec<_>>().join("\n")
}

fn print_checks(results: &[CheckResult], window: &CheckWindow, allow_empty: bool) -> Result<()> {
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
            // Wider than the output, a line wraps under the expression.
            Some(v) => super::out::say(
                &format!(
                    "{status:<7}  {expr:<width$}  value {}  threshold {} {thr}  (n={})",
                    metrics::check::format_value(&r.check, v),
                    r.op,
                    r.n
                ),
                9,
            )?,
            None => super::out::say(
                &format!(
                    "{status:<7}  {expr:<width$}  {}{}",
                    clean_line(r.no_data.as_deref().unwrap_or("no data")),
                    if allow_empty {
                        " (allowed by --allow-empty)"
                    } else {
                        " (not a pass; --allow-empty accepts it)"
                    }
                ),
                9,
            )?,
        }
    }
    if results.iter().any(|r| r.check.change) {
        let ((a, b), (pa, _)) = window.change_windows();
        outln!(
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
        outln!("{n} check{} passed", if n == 1 { "" } else { "s" });
    } else {
        outln!(
            "{failed} of {n} check{} failed",
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(())
}
