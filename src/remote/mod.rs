//! Remote sources: traces that live in ClickHouse (the OpenTelemetry Collector exporter's
//! `otel_traces`, Langfuse v3's tables) rather than in a dump.
//!
//! Two things happen here, both over ClickHouse's HTTP interface ([`client`]):
//! - **pulling a slice** into the local store ([`pull`]): the filter becomes SQL
//!   ([`otel_sql`]), whole traces are selected (ids first, then their spans), and every row is
//!   turned into the OTLP/JSON the dump importer reads ([`otel_rows`]), so a pulled span and
//!   the same span from a dump are stored identically;
//! - **figures computed where the data is** ([`figures`]): `trawl stats --source` and
//!   `trawl check --source` send one aggregate query per request and get back a few rows per
//!   bucket, never spans.
//!
//! The SQL here is ClickHouse's, against other programs' tables: the repository check that
//! keeps SQLite SQL inside `store/` lists this module among the foreign adapters.

pub mod client;
pub mod figures;
pub mod langfuse;
mod otel_fetch;
pub mod otel_rows;
pub(crate) mod otel_sql;
pub mod pull;
pub mod url;

pub use client::Client;
pub use pull::{PullOptions, PullProgress, pull};
pub use url::{ClickHouseUrl, PASSWORD_ENV, Schema, is_clickhouse_url};

/// What can go wrong talking to a remote source.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The source URL is malformed (the message never holds the password).
    #[error("{0}")]
    Url(String),
    /// Connecting or reading failed.
    #[error("{0}")]
    Io(String),
    /// ClickHouse answered with an exception.
    #[error("ClickHouse error{}: {message}", code.map(|c| format!(" {c}")).unwrap_or_default())]
    Server {
        status: u16,
        code: Option<i64>,
        message: String,
    },
    /// The answer was not what the query asked for.
    #[error("unexpected answer from ClickHouse: {0}")]
    Protocol(String),
    /// The tables are not the expected ones.
    #[error("{0}")]
    Schema(String),
    /// Asked for something only the local store has.
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
