//! Command-line interface: the top-level `Cli`, the subcommand enum and the argument groups
//! several commands share (store, filter). Each subcommand's own arguments live next to it in
//! `*_cmd.rs`. Commands get the [`Config`] resolved once in `main`; they read through
//! `store::query`, and none parses source files itself except `import`.

#[macro_use]
pub mod out;
mod agreement_cmd;
mod check_cmd;
mod config_cmd;
mod diff_cmd;
mod export_cmd;
mod import_cmd;
mod judge_cmd;
mod label_cmd;
mod listen_cmd;
mod remote_src;
mod replay_cmd;
mod show_cmd;
mod show_json;
mod stats_cmd;
pub mod traces_cmd;
mod tui_cmd;

use crate::config::{Config, Overrides};
use crate::filter::{FilterError, Key, Origin, Term, TraceFilter};
use crate::store::Store;
use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use clap::builder::PossibleValue;
use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

const ABOUT: &str = "A terminal trace explorer for LLM applications.

Reads OTLP/JSON trace dumps (OpenInference, OTel GenAI, OpenLLMetry) into a local SQLite store,
shows traces, span trees, tokens and cost, and scores answers with LLM-as-judge.";

const EXAMPLES: &str = "Examples:
  trawl assets/demo/support-bot.otlp.jsonl     open a dump in the TUI
  trawl import traces.jsonl                     import into the default store
  trawl traces --on tuesday --status error      last Tuesday's failed traces
  trawl traces --search \"refund\" --json         full-text search, as JSON
  trawl show 447afa24                           span tree of one trace (id prefix is enough)
  trawl config                                  settings in effect and where each came from";

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

    /// Receive OTLP traces while open (HTTP 127.0.0.1:4318, gRPC 127.0.0.1:4317), as `trawl listen`.
    #[arg(long)]
    pub listen: bool,

    /// The OTLP/HTTP address the TUI receives on (loopback), or "off"; implies --listen.
    #[arg(long, value_name = "ADDR")]
    pub listen_http: Option<String>,

    /// The OTLP/gRPC address the TUI receives on (loopback), or "off"; implies --listen.
    #[arg(long, value_name = "ADDR")]
    pub listen_grpc: Option<String>,

    /// Log level for the log file (error, warn, info, debug, trace).
    #[arg(long, env = "TRAWL_LOG", default_value = "info", global = true)]
    pub log_level: String,

    /// What to pull when SOURCES is a clickhouse:// URL (`trawl 'clickhouse://…' --since tuesday`).
    #[command(flatten, next_help_heading = "Pulling from ClickHouse")]
    pub pull: FilterArgs,

    /// Environment variable holding the ClickHouse password (default TRAWL_CLICKHOUSE_PASSWORD).
    #[arg(long, value_name = "VAR", help_heading = "Pulling from ClickHouse")]
    pub password_env: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct StoreArg {
    /// Store file (default: trawl.db in the user's data directory).
    #[arg(long, value_name = "DB", global = true, env = "TRAWL_STORE")]
    pub store: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Import trace files into the store.
    Import(import_cmd::ImportArgs),

    /// List traces, newest first.
    Traces(traces_cmd::TracesArgs),

    /// Show one trace: span tree with timings, kinds, models, tokens and cost.
    Show(show_cmd::ShowArgs),

    /// Score traces with LLM-as-judge rules.
    Judge(judge_cmd::JudgeArgs),

    /// Quality, latency and cost over time.
    Stats(stats_cmd::StatsArgs),

    /// Alert checks for cron and CI (exit 1 when a threshold is breached).
    Check(check_cmd::CheckArgs),

    /// Record a human label for a trace and rule.
    Label(label_cmd::LabelArgs),

    /// How far the judge agrees with human labels, per rule.
    Agreement(agreement_cmd::AgreementArgs),

    /// Export traces as an eval dataset or as OTLP/JSON.
    Export(export_cmd::ExportArgs),

    /// Show the settings in effect and where each came from (flag, environment, config file).
    Config(config_cmd::ConfigArgs),

    /// Re-send recorded LLM calls (new model, prompt or parameters), judge before/after.
    Replay(replay_cmd::ReplayArgs),

    /// Structural diff of two traces: spans, tokens, cost, answer and documents.
    Diff(diff_cmd::DiffArgs),

    /// Receive traces over OTLP (HTTP and gRPC) straight into the store.
    Listen(listen_cmd::ListenArgs),
}

/// Filters shared by every command that selects traces. Each flag is one term of the filter
/// language ([`crate::filter`]), the same as the TUI filter line's `key:value`.
#[derive(Debug, Args, Clone, Default)]
pub struct FilterArgs {
    /// Only traces starting at or after: RFC 3339, a date, or a duration back from now (7d, 36h).
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Only traces starting before: RFC 3339, a date, or a duration back from now.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// UTC days: 2026-11-10, 11-10, today, yesterday, tuesday or last-tuesday (the most recent
    /// past one), 7d (the last 7 days), or a range 11-09..11-11.
    #[arg(long, value_name = "DAY")]
    pub on: Option<String>,
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub session: Option<String>,
    // Placed here, not after --name, because clap breaks display-order ties with global flags
    // alphabetically: anywhere later would reshuffle --store/--theme in some commands' help.
    /// Service that produced the trace (its resource's service.name).
    #[arg(long)]
    pub service: Option<String>,
    /// Model name; an undated name matches its dated snapshots (gpt-4o ~ gpt-4o-2024-08-06).
    #[arg(long)]
    pub model: Option<String>,
    #[arg(long)]
    pub tag: Option<String>,
    /// Trace (root span) name.
    #[arg(long)]
    pub name: Option<String>,
    /// Outcome of the trace's root span.
    #[arg(long, value_parser = [PossibleValue::new("ok"), PossibleValue::new("error").alias("err")])]
    pub status: Option<String>,
    /// Full-text search over questions and answers ("quoted phrase" supported); q:, a:, doc:
    /// and sys: scope a word to questions, answers, retrieved passages or system prompts.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,
    /// Full-text search in questions (user input) only.
    #[arg(long, value_name = "TEXT")]
    pub question: Option<String>,
    /// Full-text search in answers (model output) only.
    #[arg(long, value_name = "TEXT")]
    pub answer: Option<String>,
    /// Full-text search in retrieved passages and tool results only.
    #[arg(long, value_name = "TEXT")]
    pub doc: Option<String>,
    /// Full-text search in system prompts only.
    #[arg(long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Latest verdict for a rule from any source (judge, human label, imported annotation),
    /// e.g. grounded=false (repeatable).
    #[arg(long, value_name = "RULE=VERDICT")]
    pub verdict: Vec<String>,
}

impl FilterArgs {
    /// The flags as filter-language terms.
    pub fn terms(&self) -> Vec<Term> {
        let one = [
            (Key::Since, &self.since),
            (Key::Until, &self.until),
            (Key::On, &self.on),
            (Key::User, &self.user),
            (Key::Session, &self.session),
            (Key::Model, &self.model),
            (Key::Tag, &self.tag),
            (Key::Name, &self.name),
            (Key::Service, &self.service),
            (Key::Status, &self.status),
            (Key::Text, &self.search),
            (Key::Question, &self.question),
            (Key::Answer, &self.answer),
            (Key::Docs, &self.doc),
            (Key::System, &self.system),
        ];
        let mut terms: Vec<Term> = one
            .into_iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| Term::flag(k, v.clone())))
            .collect();
        terms.extend(
            self.verdict
                .iter()
                .map(|v| Term::flag(Key::Verdict, v.clone())),
        );
        terms
    }

    /// The filter these flags select; relative times count back from `now`.
    pub fn to_filter(&self, now: DateTime<Utc>) -> Result<TraceFilter, FilterError> {
        TraceFilter::from_terms(self.terms(), now)
    }

    /// [`FilterArgs::to_filter`] for a command that renamed `--model` (so errors name the flag
    /// the user typed).
    pub fn to_filter_with_model_flag(
        &self,
        now: DateTime<Utc>,
        model_flag: &'static str,
    ) -> Result<TraceFilter, FilterError> {
        let terms = self.terms().into_iter().map(|mut t| {
            if t.key == Key::Model {
                t.origin = Origin::Flag(model_flag);
            }
            t
        });
        TraceFilter::from_terms(terms, now)
    }
}

/// The settings typed on this command line, for [`Config::resolve`]. Only values the user gave
/// count as flags: clap's defaults and `TRAWL_STORE` (which clap reads for `--store`'s help) are
/// left to the config's own layers so `trawl config` can say where they came from.
pub fn overrides(cli: &Cli, matches: &ArgMatches) -> Overrides {
    let typed = |m: &ArgMatches, id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    let mut o = Overrides {
        store: cli.store.store.clone().filter(|_| typed(matches, "store")),
        theme: cli.theme.clone(),
        ..Overrides::default()
    };
    if let Some((name, sub)) = matches.subcommand() {
        // Global flags given after the subcommand are recorded on its matches.
        if o.store.is_none() && typed(sub, "store") {
            o.store = cli.store.store.clone();
        }
        match &cli.command {
            Some(Command::Judge(a)) if name == "judge" => judge_cmd::overrides(a, sub, &mut o),
            Some(Command::Label(a)) => o.author = a.author.clone(),
            Some(Command::Replay(a)) => replay_cmd::overrides(a, &mut o),
            _ => {}
        }
    }
    o
}

/// Runs a subcommand; returns the process exit code.
pub fn run(cmd: Command, cfg: &Config) -> Result<i32> {
    match cmd {
        Command::Import(a) => import_cmd::run(&a, cfg),
        Command::Traces(a) => traces_cmd::run(&a, cfg),
        Command::Show(a) => show_cmd::run(&a, cfg),
        Command::Judge(a) => judge_cmd::run(&a, cfg),
        Command::Stats(a) => stats_cmd::run(&a, cfg),
        Command::Check(a) => check_cmd::run(&a, cfg),
        Command::Label(a) => label_cmd::run(&a, cfg),
        Command::Agreement(a) => agreement_cmd::run(&a, cfg),
        Command::Export(a) => export_cmd::run(&a, cfg),
        Command::Config(a) => config_cmd::run(&a, cfg),
        Command::Replay(a) => replay_cmd::run(&a, cfg),
        Command::Diff(a) => diff_cmd::run(&a, cfg),
        Command::Listen(a) => listen_cmd::run(&a, cfg),
    }
}

/// Opens the configured store, creating it on first use.
pub fn open_store(cfg: &Config) -> Result<Store> {
    Store::open(&cfg.store).map_err(anyhow::Error::from)
}

/// Opens the store for reading. A store named by `--store` or `TRAWL_STORE` must exist; the
/// default store (built in or from the config file) is created empty, so that a first
/// `trawl traces` says "no traces" instead of failing. A store this process cannot write opens
/// read-only, with a note on stderr.
pub fn open_existing_store(cfg: &Config) -> Result<Store> {
    let p = &cfg.store;
    check_store_exists(cfg)?;
    if !p.exists() {
        return Store::open(p).map_err(anyhow::Error::from);
    }
    let (store, access) = Store::open_for_reading(p)?;
    if let Some(note) = access.note(p) {
        eprintln!("note: {}", crate::sanitize::clean_line(&note));
    }
    Ok(store)
}

/// Opens an existing store that is going to be written (judging, labelling): a read-only one
/// is refused with a clear error.
pub fn open_existing_store_for_writing(cfg: &Config) -> Result<Store> {
    check_store_exists(cfg)?;
    Store::open(&cfg.store).map_err(anyhow::Error::from)
}

fn check_store_exists(cfg: &Config) -> Result<()> {
    let p = &cfg.store;
    if cfg.store_named() && !p.exists() {
        bail!(
            "{}: no such store (import something first: trawl import --store {} FILE)",
            p.display(),
            p.display()
        );
    }
    Ok(())
}

/// A stored trace id as a person types it back: the shortest prefix of at least `min` chars
/// that [`resolve_trace`] resolves (see [`Store::short_trace_id`]), escaped for the terminal.
pub fn typed_id(store: &Store, id: &str, min: usize) -> Result<String> {
    Ok(crate::sanitize::clean_line(&store.short_trace_id(id, min)?))
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

/// Opens the TUI on the given sources (or the configured store).
pub fn run_tui(cli: &Cli, cfg: &Config) -> Result<i32> {
    tui_cmd::run(cli, cfg)
}

#[cfg(test)]
mod filter_tests;

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, FromArgMatches};

    fn overrides_of(argv: &[&str]) -> Overrides {
        let m = Cli::command().try_get_matches_from(argv).unwrap();
        let cli = Cli::from_arg_matches(&m).unwrap();
        overrides(&cli, &m)
    }

    #[test]
    fn only_typed_flags_override_the_config() {
        // clap's defaults (--provider openai, --concurrency 4, --timeout 60) are not flags.
        let o = overrides_of(&["trawl", "judge", "--rule", "grounded"]);
        assert_eq!(o.judge_provider, None);
        assert_eq!(o.judge_concurrency, None);
        assert_eq!(o.judge_timeout_secs, None);
        assert_eq!(o.store, None);
        let o = overrides_of(&[
            "trawl",
            "judge",
            "--provider",
            "anthropic",
            "--model",
            "m",
            "--concurrency",
            "2",
            "--timeout",
            "5",
            "--base-url",
            "http://x/v1",
            "--api-key-env",
            "K",
        ]);
        assert_eq!(o.judge_provider.as_deref(), Some("anthropic"));
        assert_eq!(o.judge_model.as_deref(), Some("m"));
        assert_eq!(o.judge_concurrency, Some(2));
        assert_eq!(o.judge_timeout_secs, Some(5.0));
        assert_eq!(o.judge_base_url.as_deref(), Some("http://x/v1"));
        assert_eq!(o.judge_api_key_env.as_deref(), Some("K"));
        // --model of `trawl traces` is a filter, not the judge model.
        let o = overrides_of(&["trawl", "traces", "--model", "gpt-4o", "--store", "a.db"]);
        assert_eq!(o.judge_model, None);
        assert_eq!(o.store, Some(PathBuf::from("a.db")));
        let o = overrides_of(&["trawl", "--store", "b.db", "--theme", "mono", "traces"]);
        assert_eq!(o.store, Some(PathBuf::from("b.db")));
        assert_eq!(o.theme.as_deref(), Some("mono"));
        let o = overrides_of(&[
            "trawl",
            "label",
            "abc",
            "--rule",
            "r",
            "--verdict",
            "true",
            "--author",
            "kim",
        ]);
        assert_eq!(o.author.as_deref(), Some("kim"));
    }
}
