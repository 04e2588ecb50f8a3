//! `trawl replay`: re-send recorded LLM calls (as recorded, or with a new model, system prompt
//! or parameters), store each replay as a trace linked to its original, and with `--judge`
//! judge both answers and report fixed / regressed.

use super::FilterArgs;
use crate::config::Config;
use crate::judge::{
    self, JudgeEvent, JudgeRequest, ProviderConfig, ProviderKind, RetryPolicy, StopSignal,
};
use crate::model::{Span, Verdict};
use crate::replay::report::{self, Item, Side};
use crate::replay::{Outcome, Overrides, RecordedRequest, outcome, run, select, single};
use crate::sanitize::clean_line;
use crate::store::{ReplayLink, Store};
use anyhow::Result;
use clap::Args;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

const EXAMPLES: &str = "Examples:
  trawl replay 447afa24                                 the trace's final LLM call, as recorded
  trawl replay 447afa24 --model gpt-4.1-mini --set temperature=0
  trawl replay --verdict grounded=false --on tuesday --system-file prompt-v2.txt --judge grounded
  trawl replay --verdict grounded=false --since 7d --judge grounded --fail-on-regression --json
  trawl replay c2dc66eb --provider anthropic --model claude-haiku-4-5

A trace id replays its final LLM call (the one whose output became the answer); --all-calls
replays every LLM call in order; a span id replays that call. The request is the recorded one:
messages, tool definitions and parameters as stored; calls whose input was not captured in full
(hidden, truncated) are refused. Each replay is stored as a trace of its own, linked to the
original (trawl show lists it; trawl traces and trawl stats hide replays unless --replays).
Keys come from OPENAI_API_KEY / ANTHROPIC_API_KEY or --api-key-env, as for trawl judge.
Exit status: 0; 1 with --fail-on-regression when a replay regressed, or when the estimate is
above --max-cost (nothing is sent); 2 for usage errors.";

#[derive(Debug, Args)]
// `--model` is the replay model here; the trace filter of the same name becomes --trace-model.
#[command(after_help = EXAMPLES, mut_arg("model", |a| a.long("trace-model")
    .help("Only traces that used this model (the trace filter `trawl traces --model`)")))]
pub struct ReplayArgs {
    /// Trace or span ids (a unique trace id prefix is enough).
    #[arg(value_name = "TRACE_OR_SPAN")]
    pub ids: Vec<String>,

    #[command(flatten)]
    pub filter: FilterArgs,

    /// Replay every LLM call of each trace, in order (default: the final call).
    #[arg(long)]
    pub all_calls: bool,

    /// At most this many traces from the filter (newest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Wire format: openai (any OpenAI-compatible server) or anthropic (default: the recorded
    /// provider's, else openai).
    #[arg(long, value_parser = ["openai", "anthropic"])]
    pub provider: Option<String>,

    /// Model to replay with (default: the recorded one).
    #[arg(id = "replay_model", long = "model", value_name = "MODEL")]
    pub replay_model: Option<String>,

    /// Base URL of the API (default https://api.openai.com/v1 or https://api.anthropic.com).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,

    /// Replace the system message with this file's text.
    #[arg(long, value_name = "FILE")]
    pub system_file: Option<PathBuf>,

    /// Override a parameter, e.g. temperature=0 (value is JSON, else a string; null removes).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Judge original and replay with these rules and classify each item.
    #[arg(long, value_name = "RULE[,RULE…]", value_delimiter = ',')]
    pub judge: Vec<String>,

    /// Judge API (default: the judge's configuration, see trawl config).
    #[arg(long, value_name = "PROVIDER", value_parser = ["openai", "anthropic"])]
    pub judge_provider: Option<String>,
    /// Judge model (default: the judge's configuration).
    #[arg(long, value_name = "MODEL")]
    pub judge_model: Option<String>,
    /// Judge API base URL (default: the judge's configuration).
    #[arg(long, value_name = "URL")]
    pub judge_base_url: Option<String>,

    /// Parallel requests.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,

    /// Refuse to start when the estimated cost of the replays is above this (USD).
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,

    /// Don't ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Exit 1 when any replay regressed (with --judge).
    #[arg(long)]
    pub fail_on_regression: bool,

    #[arg(long)]
    pub json: bool,

    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 60.0, value_name = "SECS")]
    pub timeout: f64,

    /// First retry delay in milliseconds (tests use a small one).
    #[arg(long, default_value_t = 1000, hide = true)]
    pub retry_base_ms: u64,
}

const USAGE: i32 = 2;

/// The judge settings typed on this command line (`--judge-*`), for the configuration.
pub fn overrides(args: &ReplayArgs, o: &mut crate::config::Overrides) {
    o.judge_provider = args.judge_provider.clone();
    o.judge_model = args.judge_model.clone();
    o.judge_base_url = args.judge_base_url.clone();
}

/// A call chosen for replay, with its request (or why it cannot be replayed).
struct Planned {
    trace_id: String,
    spans: Vec<Span>,
    span: Span,
    request: Result<RecordedRequest, String>,
}

pub fn run(args: &ReplayArgs, cfg: &Config) -> Result<i32> {
    let mut ov = Overrides {
        model: args.replay_model.clone(),
        ..Overrides::default()
    };
    for s in &args.set {
        match Overrides::parse_set(s) {
            Ok((k, v)) => {
                ov.set.insert(k, v);
            }
            Err(e) => return usage(&e),
        }
    }
    if let Some(p) = &args.system_file {
        match std::fs::read_to_string(p) {
            Ok(t) => ov.system = Some(t),
            Err(e) => return usage(&format!("--system-file {}: {e}", p.display())),
        }
    }
    let rules = if args.judge.iter().all(|r| r.trim().is_empty()) {
        Vec::new()
    } else {
        let all = match judge::load_rules(None) {
            Ok(r) => r,
            Err(e) => return usage(&e.to_string()),
        };
        match judge::select_rules(&all, &args.judge) {
            Ok(r) => r,
            Err(e) => return usage(&e.to_string()),
        }
    };
    let filter_given = !args.filter.terms().is_empty();
    if args.ids.is_empty() && !filter_given {
        return usage(
            "name traces or spans to replay, or select traces with filter flags (--verdict grounded=false --since 7d)",
        );
    }

    let mut db = super::open_existing_store_for_writing(cfg)?;
    let planned = match plan(&db, args) {
        Ok(p) => p,
        Err(e) => return usage(&e),
    };
    if planned.is_empty() {
        errln!("trawl replay: no LLM calls to replay");
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&report::json(&[]))?);
        }
        return Ok(0);
    }

    // Where to send: the flag, else the recorded provider's wire format.
    let recorded_kind = planned
        .iter()
        .find_map(|p| p.request.as_ref().ok())
        .map(single::recorded_kind)
        .unwrap_or(ProviderKind::OpenAi);
    let kind = args
        .provider
        .as_deref()
        .and_then(ProviderKind::parse)
        .unwrap_or(recorded_kind);
    let mut target = ProviderConfig::new(kind);
    if let Some(u) = &args.base_url {
        target.base_url = u.trim_end_matches('/').to_string();
    }
    if let Some(k) = &args.api_key_env {
        target.api_key_env = k.clone();
    }
    target.timeout = Duration::try_from_secs_f64(args.timeout.clamp(0.1, 3600.0))
        .unwrap_or(Duration::from_secs(60));
    if target.insecure_key_host().is_some() {
        if !args.yes {
            return usage(&format!(
                "the API key in ${} would be sent over plain http to another machine; use https, or pass --yes",
                target.api_key_env
            ));
        }
        target.allow_plain_http_key = true;
    }

    // Bodies and the estimate, before anything is sent.
    let mut sends: Vec<(usize, RecordedRequest, serde_json::Value)> = Vec::new();
    let mut est = run::Estimate::zero();
    for (i, p) in planned.iter().enumerate() {
        if let Ok(req) = &p.request {
            let call = single::wire_call(req, &p.span, &ov, &target);
            est.add(&call.estimate);
            sends.push((i, call.sent, call.body));
        }
    }
    errln!(
        "replay: {} calls to {} ({}), ~{} input + ~{} output tokens, estimated cost {}",
        est.calls,
        clean_line(&target.base_url),
        kind.as_str(),
        est.input_tokens,
        est.output_tokens,
        est.cost_usd
            .map_or("unknown".into(), |c| format!("${c:.4}"))
    );
    if let (Some(max), Some(c)) = (args.max_cost, est.cost_usd)
        && c > max
    {
        errln!(
            "trawl replay: the estimate ${c:.4} is above --max-cost ${max:.4}; raise it or replay fewer calls"
        );
        return Ok(1);
    }
    let cheap =
        est.cost_usd.is_some_and(|c| c < 1.0) || (est.cost_usd.is_none() && !target.is_official());
    if !args.yes && !cheap && !std::io::stdin().is_terminal() {
        return usage(
            "not starting: the estimate is $1 or more (or unknown) and stdin is not a terminal; pass --yes to run",
        );
    }

    let retry = RetryPolicy {
        base: Duration::from_millis(args.retry_base_ms),
        ..RetryPolicy::default()
    };
    let bodies: Vec<serde_json::Value> = sends.iter().map(|(_, _, b)| b.clone()).collect();
    let results = match run::send_all(&target, bodies, args.concurrency, &retry) {
        Ok(r) => r,
        Err(e @ (judge::JudgeError::MissingKey { .. } | judge::JudgeError::InsecureKey { .. })) => {
            return usage(&e.to_string());
        }
        Err(e) => return Err(e.into()),
    };

    // Store every answered replay; build the items.
    let mut items: Vec<Item> = Vec::new();
    let mut sent_by_plan: BTreeMap<
        usize,
        (
            RecordedRequest,
            serde_json::Value,
            Result<run::Sent, String>,
        ),
    > = BTreeMap::new();
    for ((i, sent, body), result) in sends.into_iter().zip(results) {
        sent_by_plan.insert(i, (sent, body, result));
    }
    let mut to_store: Vec<(Vec<Span>, ReplayLink)> = Vec::new();
    for (i, p) in planned.iter().enumerate() {
        let original = Side::of_span(&p.span, select::answer_text(&p.span));
        let mut item = Item {
            trace_id: p.trace_id.clone(),
            span_id: p.span.span_id.clone(),
            replay_trace_id: None,
            outcome: Outcome::Error,
            error: None,
            original,
            replay: None,
        };
        match (&p.request, sent_by_plan.remove(&i)) {
            (Err(why), _) => item.error = Some(format!("refused: {why}")),
            (Ok(_), Some((sent, body, Ok(s)))) => {
                let outgoing = single::Outgoing {
                    trace_id: &p.trace_id,
                    spans: &p.spans,
                    span: &p.span,
                    sent: &sent,
                    body: &body,
                    overrides: &ov,
                    target: &target,
                };
                let (spans, link) =
                    single::stored_replay(&outgoing, &s).map_err(anyhow::Error::msg)?;
                let trace_id = link.trace_id.clone();
                let llm = spans.iter().find(|x| x.kind == crate::model::SpanKind::Llm);
                item.replay = llm.map(|l| Side::of_span(l, Some(s.answer.text.clone())));
                item.replay_trace_id = Some(trace_id);
                item.outcome = Outcome::Replayed;
                to_store.push((spans, link));
            }
            (Ok(_), Some((_, _, Err(e)))) => item.error = Some(format!("replay failed: {e}")),
            (Ok(_), None) => item.error = Some("not sent".into()),
        }
        items.push(item);
    }

    db.record_replays(&to_store)?;

    if !rules.is_empty() {
        judge_items(&db, cfg, args, &rules, &mut items)?;
    }

    let regressed = items.iter().any(|i| i.outcome == Outcome::Regressed);
    let code = if args.fail_on_regression && regressed {
        1
    } else {
        0
    };
    match print_report(&db, args, &rules, &items) {
        // The outcome is known before the report is written: a reader that went away
        // (`trawl replay … --fail-on-regression | head`) must not turn a regression into exit 0.
        Err(e) if super::out::is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

fn print_report(
    db: &Store,
    args: &ReplayArgs,
    rules: &[judge::Rule],
    items: &[Item],
) -> Result<()> {
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report::json(items))?);
    } else {
        // Trace ids as `trawl show` takes them back (a store error falls back to 8 columns).
        let shown = |id: &str| {
            super::typed_id(db, id, crate::store::SHORT_ID_MIN)
                .unwrap_or_else(|_| crate::sanitize::display_id(id, 8))
        };
        for it in items {
            for l in report::item_lines_with(it, &shown) {
                outln!("{l}");
            }
        }
        outln!();
        for l in report::summary_lines(&report::Summary::of(items), !rules.is_empty()) {
            outln!("{l}");
        }
    }
    Ok(())
}

fn usage(msg: &str) -> Result<i32> {
    errln!("trawl replay: {}", clean_line(msg));
    Ok(USAGE)
}

/// The calls to replay: named traces (final call, or all) and spans, then the filter's traces.
fn plan(db: &Store, args: &ReplayArgs) -> Result<Vec<Planned>, String> {
    let mut targets: Vec<(String, Option<String>)> = Vec::new();
    for id in &args.ids {
        // A trace id (or prefix) first: the span lookup has no index of its own.
        if let Some(t) = db.resolve_trace_id(id).map_err(|e| e.to_string())? {
            targets.push((t, None));
            continue;
        }
        match db.trace_of_span(id).map_err(|e| e.to_string())? {
            Some(t) => targets.push((t, Some(id.trim().to_string()))),
            None => {
                return Err(format!(
                    "no trace or span '{}' (list traces with: trawl traces)",
                    clean_line(id)
                ));
            }
        }
    }
    if !args.filter.terms().is_empty() {
        let filter = args
            .filter
            .to_filter_with_model_flag(crate::timefilter::now(), "--trace-model")
            .map_err(|e| e.to_string())?;
        for t in db
            .trace_ids(&filter, args.limit)
            .map_err(|e| e.to_string())?
        {
            targets.push((t, None));
        }
    }
    let mut out = Vec::new();
    for (trace_id, span_id) in targets {
        let spans = db.trace_spans(&trace_id).map_err(|e| e.to_string())?;
        let chosen: Vec<Span> = match &span_id {
            Some(sid) => spans
                .iter()
                .filter(|s| &s.span_id == sid)
                .cloned()
                .collect(),
            None if args.all_calls => select::llm_calls(&spans).into_iter().cloned().collect(),
            None => select::final_call(&spans).into_iter().cloned().collect(),
        };
        if chosen.is_empty() {
            errln!(
                "trawl replay: trace {}: no LLM call to replay",
                clean_line(&trace_id)
            );
        }
        for span in chosen {
            let request = if span.kind == crate::model::SpanKind::Llm {
                crate::replay::from_span(&span).map_err(|e| e.to_string())
            } else {
                Err(format!(
                    "span {} is a {} span, not an LLM call",
                    span.span_id,
                    span.kind.as_str()
                ))
            };
            out.push(Planned {
                trace_id: trace_id.clone(),
                spans: spans.clone(),
                span,
                request,
            });
        }
    }
    Ok(out)
}

/// Judges originals and replays with the judge's configuration (cached verdicts reused) and
/// classifies each replayed item.
fn judge_items(
    db: &Store,
    cfg: &Config,
    args: &ReplayArgs,
    rules: &[judge::Rule],
    items: &mut [Item],
) -> Result<()> {
    let mut ids: Vec<String> = Vec::new();
    for it in items.iter() {
        if let Some(r) = &it.replay_trace_id {
            for id in [&it.trace_id, r] {
                if !ids.contains(id) {
                    ids.push(id.clone());
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(());
    }
    let mut provider = cfg.judge.provider_config();
    if provider.insecure_key_host().is_some() && args.yes {
        provider.allow_plain_http_key = true;
    }
    let mut req = JudgeRequest::new(rules.to_vec(), ids, provider);
    req.concurrency = cfg.judge.concurrency;
    req.retry = RetryPolicy {
        base: Duration::from_millis(args.retry_base_ms),
        ..RetryPolicy::default()
    };
    let stop = StopSignal::new();
    let mut confirm = |e: &judge::Estimate| {
        errln!(
            "judge: {} verdicts ({} cached); {} calls to {}",
            e.items,
            e.cached,
            e.calls,
            clean_line(&e.model)
        );
        true
    };
    let mut on_event = |e: JudgeEvent| {
        if let JudgeEvent::Paused(r) = e {
            errln!("trawl replay: judge: {}", clean_line(&r.message()));
        }
    };
    let summary = match judge::run_blocking(db, &req, &stop, &mut confirm, &mut on_event) {
        Ok(s) => s,
        Err(e) => {
            errln!("trawl replay: judge: {}", clean_line(&e.to_string()));
            judge::Summary::default()
        }
    };
    let mut verdicts: BTreeMap<String, BTreeMap<String, Verdict>> = BTreeMap::new();
    for r in summary.results.iter().filter(|r| r.span_id.is_none()) {
        verdicts
            .entry(r.trace_id.clone())
            .or_default()
            .insert(r.rule.clone(), r.verdict);
    }
    let names: Vec<String> = rules.iter().map(|r| r.id.clone()).collect();
    for it in items.iter_mut() {
        let (Some(rid), Some(rep)) = (&it.replay_trace_id, it.replay.as_mut()) else {
            continue;
        };
        it.original.verdicts = verdicts.get(&it.trace_id).cloned().unwrap_or_default();
        rep.verdicts = verdicts.get(rid).cloned().unwrap_or_default();
        it.outcome = outcome::classify(&names, &it.original.verdicts, &rep.verdicts);
        if it.outcome == Outcome::Error && it.error.is_none() {
            it.error = Some("a verdict is missing or failed".into());
        }
    }
    Ok(())
}
