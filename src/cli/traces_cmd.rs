//! `trawl traces`: the trace list as a table or JSON.

use super::FilterArgs;
use super::out::{Column, Table, output_width, wrap_words};
use crate::config::Config;
use crate::display;
use crate::filter::{TraceFilter, nearest_in_data};
use crate::model::{Score, ScoreSource, Trace};
use crate::sanitize::clean_line;
use crate::store::{SortKey, Store};
use crate::timefilter;
use anyhow::{Result, bail};
use clap::Args;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const EXAMPLES: &str = "Examples:
  trawl traces --on tuesday
  trawl traces --since 7d --user user_0204 --status error
  trawl traces --model gpt-4o --search \"refund policy\" --json
  trawl traces --verdict grounded=false

--json prints one array; each object has trace_id, start (RFC 3339, UTC), duration_ms, name,
session_id, user_id, models, span_count, input_tokens, output_tokens, total_tokens, cost_usd
(null when unknown), status (\"ok\" or \"error\"), and scores.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct TracesArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
    /// At most this many traces.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Sort column: start, duration, tokens, cost, name, user, session, status, spans.
    #[arg(long, default_value = "start")]
    pub sort: String,
    /// Oldest / smallest first.
    #[arg(long)]
    pub asc: bool,
    #[arg(long)]
    pub json: bool,
    /// Every column at full width, whatever the terminal's width (piped output is never cut).
    #[arg(long)]
    pub wide: bool,
    /// Include replays (`trawl replay`'s traces), hidden by default.
    #[arg(long)]
    pub replays: bool,
}

pub fn run(args: &TracesArgs, cfg: &Config) -> Result<i32> {
    let now = timefilter::now();
    let mut filter = args.filter.to_filter(now)?;
    filter.replays = args.replays;
    let Some(sort) = SortKey::parse(&args.sort) else {
        bail!("--sort {}: unknown column", args.sort);
    };
    let store = super::open_existing_store(cfg)?;
    let rows = store.list_traces(&filter, sort, !args.asc, args.limit, 0)?;
    let ids: Vec<String> = rows.iter().map(|r| r.trace_id.clone()).collect();
    let scores = store.latest_scores(&ids, ScoreSource::Judge)?;
    if rows.is_empty() && args.json {
        // The JSON stays an empty array; the hint goes to stderr.
        hint_when_empty(&store, args, &filter, now)?;
    }
    if args.json {
        let arr: Vec<Value> = rows
            .iter()
            .map(|t| trace_json(t, scores.iter().filter(|s| s.trace_id == t.trace_id)))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&arr)?);
        return Ok(0);
    }
    if rows.is_empty() {
        outln!("no traces match");
        hint_when_empty(&store, args, &filter, now)?;
        return Ok(0);
    }
    // The shortest prefix `show` resolves (at least 8 chars): time-ordered ids share longer
    // starts.
    let short = store.short_trace_ids(&ids, crate::store::SHORT_ID_MIN)?;
    let mut table = Table::new(vec![
        Column::left("START (UTC)", 16, 1),
        Column::left("TRACE", 8, 0),
        Column::left("QUESTION / NAME", 16, 0).flexible(),
        Column::left("USER", 6, 4).flexible(),
        Column::left("MODELS", 8, 5).flexible(),
        Column::right("DURATION", 8, 2),
        Column::right("TOKENS", 6, 6),
        Column::right("COST", 7, 3),
        Column::left("STATUS", 6, 2).flexible(),
    ]);
    for (t, short) in rows.iter().zip(&short) {
        let mut status = if t.error {
            "✗ error".to_string()
        } else {
            "ok".to_string()
        };
        if !t.error && t.error_count > 0 {
            status = format!(
                "ok ({} inner error{})",
                t.error_count,
                if t.error_count == 1 { "" } else { "s" }
            );
        }
        let badges: Vec<String> = scores
            .iter()
            .filter(|s| s.trace_id == t.trace_id)
            .filter_map(|s| {
                s.verdict
                    .map(|v| format!("{}={}", clean_line(&s.name), v.as_str()))
            })
            .collect();
        if !badges.is_empty() {
            status.push_str("  ");
            status.push_str(&badges.join(" "));
        }
        table.row(vec![
            timefilter::table_time(t.start_ns),
            clean_line(short),
            clean_line(title(t)),
            clean_line(t.user_id.as_deref().unwrap_or("-")),
            clean_line(&t.models.join(",")),
            display::duration_ns(t.duration_ns),
            display::tokens(t.total_tokens),
            display::trace_cost(t.cost_usd, t.cost_known_usd, t.unknown_cost_spans),
            status,
        ]);
    }
    for line in table.render(output_width(args.wide)) {
        outln!("{line}");
    }
    let total = store.count_traces(&filter)?;
    if total as usize > rows.len() {
        outln!("({} of {} traces; --limit N for more)", rows.len(), total);
    }
    Ok(0)
}

/// What a human calls the trace: the user's question, else the root span name.
pub fn title(t: &Trace) -> &str {
    t.input_preview
        .as_deref()
        .or(t.name.as_deref())
        .unwrap_or("-")
}

/// Tells the user why nothing matched a time window when the data lies elsewhere: a relative
/// day (`--on tuesday`) is resolved against the store's last day as well, and the flag that
/// shows it is named (never applied silently: a script asked for what it asked for).
fn hint_when_empty(
    store: &Store,
    args: &TracesArgs,
    filter: &TraceFilter,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    if filter.since_ns.is_none() && filter.until_ns.is_none() {
        return Ok(());
    }
    let Some((a, b)) = store.time_range()? else {
        return Ok(());
    };
    let width = output_width(false);
    if let Some(alt) = nearest_in_data(&args.filter.terms(), now, (a, b))
        && store.count_traces(&alt.filter)? > 0
    {
        for line in wrap_words(&format!("hint: {}", alt.offer(&alt.flags)), width) {
            errln!("{line}");
        }
        return Ok(());
    }
    let window = timefilter::describe_window(filter.since_ns, filter.until_ns);
    let text = format!(
        "hint: no traces {window}; the store holds traces from {} to {} (relative days count from now; set TRAWL_NOW to move \"now\")",
        timefilter::rfc3339(a),
        timefilter::rfc3339(b)
    );
    for line in wrap_words(&text, width) {
        errln!("{line}");
    }
    Ok(())
}

/// The documented `--json` object for one trace.
pub fn trace_json<'a>(t: &Trace, scores: impl Iterator<Item = &'a Score>) -> Value {
    let mut sc = BTreeMap::new();
    for s in scores {
        sc.entry(s.name.clone()).or_insert_with(|| {
            json!({
                "verdict": s.verdict.map(|v| v.as_str()),
                "explanation": s.explanation,
                "model": s.model,
                "samples": s.samples,
                "agree": s.agree,
            })
        });
    }
    json!({
        "trace_id": t.trace_id,
        "start": timefilter::rfc3339(t.start_ns),
        "end": timefilter::rfc3339(t.end_ns),
        "duration_ms": t.duration_ns as f64 / 1e6,
        "name": t.name,
        "input_preview": t.input_preview,
        "output_preview": t.output_preview,
        "session_id": t.session_id,
        "user_id": t.user_id,
        "service": t.service,
        "models": t.models,
        "tags": t.tags,
        "span_count": t.span_count,
        "llm_calls": t.llm_calls,
        "error_count": t.error_count,
        "input_tokens": t.input_tokens,
        "output_tokens": t.output_tokens,
        "total_tokens": t.total_tokens,
        "cache_read_tokens": t.cache_read_tokens,
        "reasoning_tokens": t.reasoning_tokens,
        "cost_usd": t.cost_usd,
        "cost_known_usd": t.cost_known_usd,
        "unknown_cost_spans": t.unknown_cost_spans,
        "status": if t.error { "error" } else { "ok" },
        "missing_parents": t.missing_parents,
        "scores": sc,
    })
}
