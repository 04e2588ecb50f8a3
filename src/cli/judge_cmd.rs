//! `trawl judge`: score traces with LLM-as-judge rules.

use super::FilterArgs;
use crate::config::{Config, Overrides};
use crate::judge::{
    self, Estimate, JudgeEvent, JudgeRequest, RetryPolicy, Rule, StopReason, StopSignal, Summary,
};
use crate::sanitize::clean_line;
use anyhow::{Context, Result};
use clap::parser::ValueSource;
use clap::{ArgMatches, Args};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

const EXAMPLES: &str = "Examples:
  trawl judge --rule grounded --since 7d
  trawl judge --rule answered,grounded --trace 447afa24 --yes
  trawl judge --rule grounded --base-url http://localhost:11434/v1 --model qwen2.5:7b
  trawl judge --rule escalated --provider anthropic --model claude-haiku-4-5 --max-cost 0.50
  trawl judge --rule grounded --samples 3 --verdict grounded=false --force
  trawl judge --list-rules
  trawl traces --verdict grounded=false        then list the FALSE ones

Rules: answered, grounded and escalated are built in; add TOML rules in ~/.config/trawl/rules/
or pass --rules FILE. API keys are read from OPENAI_API_KEY / ANTHROPIC_API_KEY (or the variable
named by --api-key-env) and never stored or printed; local servers need none.
--provider, --model, --base-url, --api-key-env, --concurrency and --timeout default to
TRAWL_JUDGE_PROVIDER, _MODEL, _BASE_URL, _API_KEY_ENV, _CONCURRENCY, _TIMEOUT, then to the
[judge] table of ~/.config/trawl/config.toml (see trawl config), then to the defaults shown.
Verdicts already judged with the same rule, model and prompt are reused for free (--force re-asks).
A key is never sent over plain http to another machine without a warning and a confirmation
(--yes sends it after the warning); http to localhost is fine. Echoes of the key in the judge's
answers and errors are replaced by [redacted key]. Waits a server asks for are capped by
--max-retry-wait; all tries and waits of one verdict get three --timeout's plus one
--max-retry-wait.
Exit status: 0 when the run completed (FALSE verdicts included), 1 when it was paused by an
auth/quota error or stopped by --max-cost, or when every verdict the run asked the judge for
ended in an error, 2 for usage errors.";

#[derive(Debug, Args)]
// `--model` is the judge model here; the trace filter of the same name becomes --trace-model.
#[command(after_help = EXAMPLES, mut_arg("model", |a| a.long("trace-model")
    .help("Only traces that used this model (the trace filter `trawl traces --model`)")))]
pub struct JudgeArgs {
    #[command(flatten)]
    pub filter: FilterArgs,

    /// Rules to run, comma-separated (see --list-rules).
    #[arg(long, value_name = "ID[,ID…]", value_delimiter = ',')]
    pub rule: Vec<String>,

    /// Extra rule file (or directory of *.toml); same ids override built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<PathBuf>,

    /// List the known rules and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// Judge these traces (ids or unique prefixes; repeatable).
    #[arg(long = "trace", value_name = "ID", num_args = 1..)]
    pub traces: Vec<String>,

    /// At most this many traces (newest first).
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,

    /// Judge API: openai (any OpenAI-compatible server) or anthropic.
    #[arg(long, default_value = "openai", value_parser = ["openai", "anthropic"])]
    pub provider: String,

    /// Judge model (default gpt-4o-mini / claude-haiku-4-5).
    #[arg(id = "judge_model", long = "model", value_name = "MODEL")]
    pub judge_model: Option<String>,

    /// Base URL of the API (default https://api.openai.com/v1 or https://api.anthropic.com).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,

    /// Environment variable holding the API key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,

    /// Parallel requests.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub concurrency: usize,

    /// Ask N times and keep the majority verdict (records the agreement).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub samples: u32,

    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,

    /// Output token limit per call.
    #[arg(long, default_value_t = 400, value_name = "N")]
    pub max_tokens: u32,

    /// Per-request timeout in seconds (at most 3600).
    #[arg(long, default_value_t = 60.0, value_name = "SECS", value_parser = seconds_arg)]
    pub timeout: f64,

    /// Longest wait between tries, whatever the server's retry-after asks (seconds, at most 3600).
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS", value_parser = seconds_arg)]
    pub max_retry_wait: f64,

    /// Stop when the run has spent this much (USD); refuse to start when the estimate is above.
    #[arg(long, value_name = "USD")]
    pub max_cost: Option<f64>,

    /// Don't ask for confirmation.
    #[arg(long)]
    pub yes: bool,

    /// Ignore cached verdicts and ask again.
    #[arg(long)]
    pub force: bool,

    /// Print the summary as JSON (with per-trace results).
    #[arg(long)]
    pub json: bool,

    /// First retry delay in milliseconds (tests use a small one).
    #[arg(long, default_value_t = 1000, hide = true)]
    pub retry_base_ms: u64,
}

/// Exit code for usage errors.
const USAGE: i32 = 2;

/// Longest `--timeout` / `--max-retry-wait`: an hour is already far beyond any sane call.
const MAX_SECONDS: f64 = 3600.0;

/// A number of seconds in (0, 3600]: rejected at parse time (exit 2) rather than panicking
/// when it becomes a `Duration`.
fn seconds_arg(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= MAX_SECONDS {
        Ok(v)
    } else {
        Err(format!(
            "must be more than 0 and at most {MAX_SECONDS} seconds"
        ))
    }
}

fn duration(secs: f64) -> Duration {
    Duration::try_from_secs_f64(secs.clamp(0.0, MAX_SECONDS)).unwrap_or(Duration::from_secs(60))
}

/// The judge settings typed on the command line. Flags with a clap default count only when
/// typed, so a config file's `concurrency = 8` is not overridden by the default 4.
pub fn overrides(args: &JudgeArgs, m: &ArgMatches, o: &mut Overrides) {
    let typed = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    o.judge_provider = Some(args.provider.clone()).filter(|_| typed("provider"));
    o.judge_model = args.judge_model.clone();
    o.judge_base_url = args.base_url.clone();
    o.judge_api_key_env = args.api_key_env.clone();
    o.judge_concurrency = Some(args.concurrency).filter(|_| typed("concurrency"));
    o.judge_timeout_secs = Some(args.timeout).filter(|_| typed("timeout"));
}

/// Runs the judge. Provider, model, base URL, key variable, concurrency and timeout come from
/// `cfg.judge` (which already holds any of those flags); the other flags are read here.
pub fn run(args: &JudgeArgs, cfg: &Config) -> Result<i32> {
    let all = match judge::load_rules(args.rules.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            errln!("trawl judge: {}", clean_line(&e.to_string()));
            return Ok(USAGE);
        }
    };
    if args.list_rules {
        if args.json {
            print_rules_json(&all)?;
        } else {
            print_rules(&all)?;
        }
        return Ok(0);
    }
    if args.rule.iter().all(|r| r.trim().is_empty()) {
        errln!(
            "trawl judge: name the rules to run with --rule ID[,ID…]; known rules: {}",
            ids(&all)
        );
        return Ok(USAGE);
    }
    let rules = match judge::select_rules(&all, &args.rule) {
        Ok(r) => r,
        Err(e) => {
            errln!("trawl judge: {}", clean_line(&e.to_string()));
            return Ok(USAGE);
        }
    };
    // --concurrency and --timeout are checked with the rest of the configuration.
    if args.samples == 0 {
        errln!("trawl judge: --samples must be at least 1");
        return Ok(USAGE);
    }

    let db = super::open_existing_store_for_writing(cfg)?;
    let mut filter = args
        .filter
        .to_filter_with_model_flag(crate::timefilter::now(), "--trace-model")?;
    for t in &args.traces {
        filter.trace_ids.push(super::resolve_trace(&db, t)?);
    }
    let trace_ids = db.trace_ids(&filter, args.limit)?;
    if trace_ids.is_empty() {
        errln!("trawl judge: no traces match (list them with: trawl traces)");
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&Summary::default())?);
        }
        return Ok(0);
    }

    let mut provider = cfg.judge.provider_config();
    provider.temperature = args.temperature;
    provider.max_tokens = args.max_tokens;
    if let Some(host) = provider.insecure_key_host() {
        match confirm_plain_http(&provider.api_key_env, &host, args.yes) {
            Some(true) => provider.allow_plain_http_key = true,
            Some(false) => return Ok(0),
            None => return Ok(USAGE),
        }
    }

    let mut req = JudgeRequest::new(rules, trace_ids, provider);
    req.samples = args.samples;
    req.concurrency = cfg.judge.concurrency;
    req.max_cost_usd = args.max_cost;
    req.force = args.force;
    req.retry = RetryPolicy {
        base: Duration::from_millis(args.retry_base_ms),
        max_wait: duration(args.max_retry_wait),
        ..RetryPolicy::default()
    };

    let stop = StopSignal::new();
    let mut refused_non_tty = false;
    let official = req.provider.is_official();
    let mut confirm = |est: &Estimate| -> bool {
        errln!("{}", estimate_line(est));
        if est.calls == 0 || args.yes {
            return true;
        }
        if std::io::stdin().is_terminal() {
            let _ = write!(std::io::stderr(), "Proceed? [y/N] ");
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            if std::io::stdin().read_line(&mut line).is_err() {
                return false;
            }
            return matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes");
        }
        // Unattended: small known costs (or a local server with no price) go ahead.
        let cheap = match est.cost_usd {
            Some(c) => c < 1.0,
            None => !official,
        };
        if !cheap {
            refused_non_tty = true;
        }
        cheap
    };
    let progress_tty = std::io::stderr().is_terminal();
    let mut last_pct = 0usize;
    let mut on_event = |e: JudgeEvent| match e {
        JudgeEvent::Progress { done, total } => {
            if progress_tty {
                let _ = write!(std::io::stderr(), "\rjudging: {done}/{total}   ");
                if done == total {
                    errln!();
                }
            } else {
                let pct = done * 10 / total.max(1);
                if pct > last_pct || done == total {
                    last_pct = pct;
                    errln!("judging: {done}/{total}");
                }
            }
        }
        JudgeEvent::Paused(r) => {
            if progress_tty {
                errln!();
            }
            errln!("trawl judge: {}", clean_line(&r.message()));
        }
        _ => {}
    };

    let summary = match judge::run_blocking(&db, &req, &stop, &mut confirm, &mut on_event) {
        Ok(s) => s,
        Err(e @ (judge::JudgeError::MissingKey { .. } | judge::JudgeError::InsecureKey { .. })) => {
            errln!("trawl judge: {}", clean_line(&e.to_string()));
            return Ok(USAGE);
        }
        Err(e) => return Err(e).context("judge run failed"),
    };
    // The verdicts marked their traces' statistics cells stale: recompute them now rather
    // than in the next `trawl stats` (or from the spans when many are stale).
    if let Err(e) = db.refresh_stats_cells() {
        tracing::warn!("statistics cells not refreshed after judging: {e}");
    }
    if refused_non_tty {
        errln!(
            "trawl judge: not starting: the estimate is $1 or more (or unknown) and stdin is not a terminal; pass --yes to run"
        );
        return Ok(USAGE);
    }

    // Every verdict asked of the judge errored: the judge is broken, not the traces.
    let all_errored = summary.errors > 0 && summary.errors == summary.judged - summary.cached;
    let code = match &summary.stopped {
        None if all_errored => 1,
        None => 0,
        // Declined at the prompt: the user's choice, not a failure.
        Some(StopReason::Cancelled) if summary.judged == 0 && summary.calls == 0 => 0,
        Some(_) => 1,
    };
    let printed = if args.json {
        print_summary_json(&summary)
    } else {
        print_summary(&summary, &db)
    };
    match printed {
        // The run's outcome is known before the summary is written: a reader that went away
        // (`trawl judge … | head -1`) must not turn a failed run into exit 0 in CI.
        Err(e) if super::out::is_broken_pipe(&e) => Ok(code),
        Err(e) => Err(e),
        Ok(()) => Ok(code),
    }
}

fn print_summary_json(summary: &Summary) -> Result<()> {
    let mut v = serde_json::to_value(summary)?;
    // Calls without a price cost an unknown amount, not $0.
    if summary.cost_unknown && summary.cost_usd == 0.0 {
        v["cost_usd"] = serde_json::Value::Null;
    }
    outln!("{}", serde_json::to_string_pretty(&v)?);
    Ok(())
}

/// Warns that the key would cross the network in clear text and asks. `Some(true)`: send it
/// (`--yes`, or yes at the prompt); `Some(false)`: declined; `None`: no terminal to ask.
fn confirm_plain_http(var: &str, host: &str, yes: bool) -> Option<bool> {
    errln!(
        "trawl judge: warning: the API key in ${} would be sent over plain http to {} (not this machine); anyone on the way can read it",
        clean_line(var),
        clean_line(host)
    );
    if yes {
        return Some(true);
    }
    if !std::io::stdin().is_terminal() {
        errln!(
            "trawl judge: not sending the key: stdin is not a terminal; use https, or pass --yes to send it anyway"
        );
        return None;
    }
    let _ = write!(std::io::stderr(), "Send the key over plain http? [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    if std::io::stdin().read_line(&mut line).is_err() {
        return Some(false);
    }
    Some(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn ids(rules: &[Rule]) -> String {
    rules
        .iter()
        .map(|r| r.id.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `--list-rules --json`: what the text list shows, one object per rule.
fn print_rules_json(rules: &[Rule]) -> Result<()> {
    let arr: Vec<serde_json::Value> = rules
        .iter()
        .map(|r| {
            let inputs: Vec<&str> = r.shown_inputs().iter().map(|k| k.as_str()).collect();
            serde_json::json!({
                "id": r.id,
                "target": r.target.as_str(),
                "title": r.title,
                "question": r.question,
                "inputs": inputs,
                "origin": r.origin,
                "hash": r.hash(),
            })
        })
        .collect();
    outln!("{}", serde_json::to_string_pretty(&arr)?);
    Ok(())
}

fn print_rules(rules: &[Rule]) -> Result<()> {
    // Both lines wrap under the title's column when wider than the output.
    const TITLE_COLUMN: usize = 22;
    let width = super::out::output_width(false);
    for r in rules {
        let inputs: Vec<&str> = r.shown_inputs().iter().map(|k| k.as_str()).collect();
        let title = format!(
            "{:<12} {:<8} {}",
            clean_line(&r.id),
            r.target.as_str(),
            clean_line(r.title.as_deref().unwrap_or(&r.question))
        );
        let about = format!(
            "{:<12} {:<8} inputs: {}; from {}; hash {}",
            "",
            "",
            inputs.join(", "),
            clean_line(&r.origin),
            r.hash().get(..12).unwrap_or_default()
        );
        for line in super::out::wrap_hanging(&title, width, TITLE_COLUMN)
            .into_iter()
            .chain(super::out::wrap_hanging(&about, width, 0))
        {
            outln!("{line}");
        }
    }
    Ok(())
}

fn money(c: Option<f64>) -> String {
    match c {
        Some(c) if c < 0.01 && c > 0.0 => format!("${c:.4}"),
        Some(c) => format!("${c:.2}"),
        None => "unknown (no price for this model)".into(),
    }
}

fn estimate_line(e: &Estimate) -> String {
    format!(
        "judge: {} traces, {} verdicts ({} cached); {} calls to {}, ~{} input + ~{} output tokens, estimated cost {}",
        e.traces,
        e.items,
        e.cached,
        e.calls,
        clean_line(&e.model),
        e.input_tokens,
        e.output_tokens,
        money(e.cost_usd)
    )
}

fn print_summary(s: &Summary, store: &crate::store::Store) -> Result<()> {
    let cost = if s.cost_unknown && s.cost_usd == 0.0 {
        "unknown (no price for the judge model)".to_string()
    } else if s.cost_unknown {
        format!("≥ ${:.4} (some prices unknown)", s.cost_usd)
    } else {
        format!("${:.4}", s.cost_usd)
    };
    outln!(
        "judged {}: TRUE {}, FALSE {}, NA {}, errors {}; cached {}; skipped {}",
        s.judged,
        s.true_,
        s.false_,
        s.na,
        s.errors,
        s.cached,
        s.skipped
    );
    outln!(
        "judge tokens: {} input, {} output; {} calls; cost {}",
        s.input_tokens,
        s.output_tokens,
        s.calls,
        cost
    );
    let notable: Vec<_> = s
        .results
        .iter()
        .filter(|r| {
            matches!(
                r.verdict,
                crate::model::Verdict::False | crate::model::Verdict::Error
            )
        })
        .collect();
    let width = super::out::output_width(false);
    for r in notable.iter().take(20) {
        let line = format!(
            "  {} {:<10} {:<5}  {}",
            super::typed_id(store, &r.trace_id, crate::store::SHORT_ID_MIN)?,
            clean_line(&r.rule),
            r.verdict.as_str().to_ascii_uppercase(),
            crate::sanitize::fit_width(&clean_line(&r.explanation), 100)
        );
        outln!("{}", super::out::cut(&line, width));
    }
    if notable.len() > 20 {
        outln!(
            "  … {} more (trawl traces --verdict RULE=false)",
            notable.len() - 20
        );
    }
    Ok(())
}
