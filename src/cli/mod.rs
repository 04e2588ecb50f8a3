//! Command-line interface: argument definitions (clap derive) and one module per subcommand.
//! Commands read through `store::query`; none of them parses source files itself except
//! `import`, which hands files to the importer.

mod agreement_cmd;
mod export_cmd;
mod import_cmd;
mod judge_cmd;
mod label_cmd;
mod show_cmd;
mod stats_cmd;
pub mod traces_cmd;
mod tui_cmd;

use crate::model::Verdict;
use crate::store::{Store, TraceFilter};
use crate::timefilter;
use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

const ABOUT: &str = "A terminal trace explorer for LLM applications.

Reads OTLP/JSON trace dumps (OpenInference, OTel GenAI, OpenLLMetry) into a local SQLite store,
shows traces, span trees, tokens and cost, and scores answers with LLM-as-judge.";

const EXAMPLES: &str = "Examples:
  trawl assets/demo/support-bot.otlp.jsonl     open a dump in the TUI
  trawl import traces.jsonl                     import into the default store
  trawl traces --on tuesday --status error      last Tuesday's failed traces
  trawl traces --search \"refund\" --json         full-text search, as JSON
  trawl show 447afa24                           span tree of one trace (id prefix is enough)";

#[derive(Debug, Parser)]
#[command(name = "trawl", version, about = ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Trace dumps or a trawl store to open in the TUI.
    #[arg(value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,

    #[command(flatten)]
    pub store: StoreArg,

    /// Colour theme for the TUI (NO_COLOR also selects mono).
    #[arg(long, value_parser = ["dark", "light", "mono"], global = true)]
    pub theme: Option<String>,

    /// Enable mouse support in the TUI (off by default so terminal selection works).
    #[arg(long)]
    pub mouse: bool,

    /// Keep reading SOURCES as they grow (like tail -f).
    #[arg(long)]
    pub follow: bool,

    /// Log level for the log file (error, warn, info, debug, trace).
    #[arg(long, env = "TRAWL_LOG", default_value = "info", global = true)]
    pub log_level: String,
}

#[derive(Debug, Args, Clone, Default)]
pub struct StoreArg {
    /// Store file (default: trawl.db in the user's data directory).
    #[arg(long, value_name = "DB", global = true, env = "TRAWL_STORE")]
    pub store: Option<PathBuf>,
}

impl StoreArg {
    pub fn path(&self) -> PathBuf {
        self.store
            .clone()
            .unwrap_or_else(crate::paths::default_store)
    }

    /// Opens the store, creating it on first use.
    pub fn open(&self) -> Result<Store> {
        let p = self.path();
        Store::open(&p).map_err(anyhow::Error::from)
    }

    /// Opens an existing store for reading; a missing default store is created empty so that
    /// a first `trawl traces` says "no traces" instead of failing.
    pub fn open_existing(&self) -> Result<Store> {
        let p = self.path();
        if self.store.is_some() && !p.exists() {
            bail!(
                "{}: no such store (import something first: trawl import --store {} FILE)",
                p.display(),
                p.display()
            );
        }
        Store::open(&p).map_err(anyhow::Error::from)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import trace files into the store.
    #[command(after_help = "Examples:
  trawl import traces.jsonl more/*.jsonl
  trawl import --store team.db --strict export.jsonl

Prints traces and spans imported, duplicates skipped, and each bad line as file:line: reason.
Exit status: 0 when everything valid was imported (bad lines are skipped and reported),
1 when nothing could be imported or --strict met an error, 2 for usage errors.")]
    Import(ImportArgs),

    /// List traces, newest first.
    #[command(after_help = "Examples:
  trawl traces --on tuesday
  trawl traces --since 7d --user user_0204 --status error
  trawl traces --model gpt-4o --search \"refund policy\" --json
  trawl traces --verdict grounded=false

--json prints one array; each object has trace_id, start (RFC 3339, UTC), duration_ms, name,
session_id, user_id, models, span_count, input_tokens, output_tokens, total_tokens, cost_usd
(null when unknown), status (\"ok\" or \"error\"), and scores.")]
    Traces(TracesArgs),

    /// Show one trace: span tree with timings, kinds, models, tokens and cost.
    #[command(after_help = "Examples:
  trawl show 447afa24e1e7c76486d91e88ee5db67d
  trawl show 447afa24 --json | jq '.spans[] | select(.kind == \"llm\")'")]
    Show(ShowArgs),

    /// Score traces with LLM-as-judge rules.
    Judge(judge_cmd::JudgeArgs),

    /// Quality, latency and cost over time.
    Stats(stats_cmd::StatsArgs),

    /// Alert checks for cron and CI (exit 1 when a threshold is breached).
    Check(stats_cmd::CheckArgs),

    /// Record a human label for a trace and rule.
    Label(label_cmd::LabelArgs),

    /// How far the judge agrees with human labels, per rule.
    Agreement(agreement_cmd::AgreementArgs),

    /// Export traces as an eval dataset or as OTLP/JSON.
    Export(export_cmd::ExportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files to import.
    #[arg(required = true, value_name = "SOURCES")]
    pub sources: Vec<PathBuf>,
    /// Stop at the first bad line and roll that file's import back.
    #[arg(long)]
    pub strict: bool,
    /// Skip format detection (otlp, langfuse, langsmith, phoenix, llm, console).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Keep reading a growing dump (like tail -f) until interrupted.
    #[arg(long)]
    pub follow: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Filters shared by every command that selects traces.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only traces starting at or after: RFC 3339, a date, or a duration back from now (7d, 36h).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only traces starting before: RFC 3339, a date, or a duration back from now.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// One UTC day: a date, today, yesterday, or a weekday name (the most recent past one).
    #[arg(long, value_name = "DAY")]
    pub on: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub session: Option<String>,
    /// Model name; an undated name matches its dated snapshots (gpt-4o ~ gpt-4o-2024-08-06).
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    /// Trace (root span) name.
    #[arg(long)]
    pub name: Option<String>,
    /// Outcome of the trace's root span.
    #[arg(long, value_parser = ["ok", "error"])]
    pub status: Option<String>,
    /// Full-text search over prompts and responses ("quoted phrase" supported).
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Latest verdict for a rule from any source (judge, human label, imported annotation),
    /// e.g. grounded=false (repeatable).
    #[arg(long, value_name = "RULE=VERDICT")]
    pub verdict: Vec<String>,
}

impl FilterArgs {
    pub fn to_filter(&self) -> Result<TraceFilter> {
        let now = timefilter::now();
        let mut f = TraceFilter::default();
        if let Some(s) = &self.since {
            f.since_ns = Some(timefilter::to_ns(
                timefilter::parse_instant(s, now).context("--since")?,
            ));
        }
        if let Some(u) = &self.until {
            f.until_ns = Some(timefilter::to_ns(
                timefilter::parse_instant(u, now).context("--until")?,
            ));
        }
        if let Some(d) = &self.on {
            let (a, b) = timefilter::parse_day(d, now).context("--on")?;
            let (a, b) = (timefilter::to_ns(a), timefilter::to_ns(b));
            f.since_ns = Some(f.since_ns.map_or(a, |s| s.max(a)));
            f.until_ns = Some(f.until_ns.map_or(b, |u| u.min(b)));
        }
        f.user = self.user.clone();
        f.session = self.session.clone();
        f.model = self.model.clone();
        f.tag = self.tag.clone();
        f.name = self.name.clone();
        f.error = self.status.as_deref().map(|s| s == "error");
        f.search = self.search.clone();
        for v in &self.verdict {
            f.verdicts.push(parse_verdict_filter(v)?);
        }
        Ok(f)
    }
}

pub fn parse_verdict_filter(s: &str) -> Result<(String, Verdict)> {
    let Some((rule, v)) = s.split_once('=') else {
        bail!("--verdict {s}: expected RULE=true|false|na|error");
    };
    let Some(verdict) = Verdict::parse(v) else {
        bail!("--verdict {s}: '{v}' is not one of true, false, na, error");
    };
    Ok((rule.trim().to_string(), verdict))
}

#[derive(Debug, Args)]
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
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Trace id (a unique prefix is enough).
    pub trace_id: String,
    #[arg(long)]
    pub json: bool,
}

/// Runs a subcommand; returns the process exit code.
pub fn run(cmd: Command, store: &StoreArg) -> Result<i32> {
    match cmd {
        Command::Import(a) => import_cmd::run(&a, store),
        Command::Traces(a) => traces_cmd::run(&a, store),
        Command::Show(a) => show_cmd::run(&a, store),
        Command::Judge(a) => judge_cmd::run(&a, store),
        Command::Stats(a) => stats_cmd::run_stats(&a, store),
        Command::Check(a) => stats_cmd::run_check(&a, store),
        Command::Label(a) => label_cmd::run(&a, store),
        Command::Agreement(a) => agreement_cmd::run(&a, store),
        Command::Export(a) => export_cmd::run(&a, store),
    }
}

/// Resolves a user-typed trace id (or prefix) to a full id, or fails with a helpful message.
pub fn resolve_trace(store: &Store, id: &str) -> Result<String> {
    match store.resolve_trace_id(id)? {
        Some(t) => Ok(t),
        None => bail!(
            "no trace '{}' in {} (list them with: trawl traces)",
            crate::sanitize::clean_line(id),
            store
                .path()
                .map(Path::display)
                .map(|d| d.to_string())
                .unwrap_or_default()
        ),
    }
}

/// Opens the TUI on the given sources (or the default store).
pub fn run_tui(cli: &Cli) -> Result<i32> {
    tui_cmd::run(cli)
}
