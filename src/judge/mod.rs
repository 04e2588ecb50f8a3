//! LLM-as-judge: rules (TOML), prompt rendering, provider clients (OpenAI-compatible and
//! Anthropic), verdict parsing, and a tokio runner with retries, a cache and a cost budget.
//!
//! Front ends use three entry points:
//! - [`load_rules`] / [`rules::select_rules`] to pick rules,
//! - [`estimate`] to show "N calls ≈ $X" before anything is sent,
//! - [`spawn_run`] (background thread, events over a channel, cancellable: the TUI) or
//!   [`run_blocking`] (the CLI).
//!
//! The SQLite store is `!Sync`, so it stays on the calling thread; HTTP calls run on a tokio
//! runtime and send their results back through a channel to be written there.

pub mod input;
pub mod limits;
pub mod parse;
pub mod prompt;
pub mod provider;
pub mod redact;
pub mod rules;
pub mod runner;
pub mod spans;

pub use input::JudgeInput;
pub use provider::{ProviderConfig, ProviderKind};
pub use rules::{InputKind, Rule, Target, load_rules, load_rules_from, select_rules};
pub use runner::{
    DEFAULT_MAX_RETRY_WAIT, Estimate, ItemResult, JudgeEvent, JudgeHandle, JudgeRequest,
    RetryPolicy, StopReason, StopSignal, Summary, estimate, run_blocking, spawn_run,
};

#[derive(Debug, thiserror::Error)]
pub enum JudgeError {
    #[error("rule {origin}: {reason}")]
    Rule { origin: String, reason: String },
    #[error("unknown rule {ids}; known rules: {known}")]
    UnknownRule { ids: String, known: String },
    #[error(
        "no API key: set the environment variable {var} (keys are read from the environment only) to call {base_url}"
    )]
    MissingKey { var: String, base_url: String },
    #[error(
        "refusing to send the API key in ${var} over plain http to {host}: use https, a local server, or confirm (trawl judge asks; --yes sends it)"
    )]
    InsecureKey { var: String, host: String },
    #[error("HTTP client: {0}")]
    Http(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error("{0}")]
    Other(String),
}
