//! The SQLite store: one file a user can copy, share and re-open. Everything the CLI and the TUI
//! show is read from here through [`query`]; importers write through [`write`](mod@write).
//!
//! This is the only module that speaks SQL to trawl's own store: the connection is private,
//! and every question other modules ask is a method named after what it answers.

mod aggregates;
mod cell_delta;
mod checkpointer;
mod codec;
mod counts;
mod dictionary;
mod filter_sql;
mod model_shares;
mod open;
mod previews;
pub mod query;
mod replays;
mod rollup;
mod row_fields;
mod schema;
pub mod scores;
mod short_ids;
mod sources;
pub mod stats;
mod stats_scan;
pub mod text_cover;
pub mod text_index;
mod trace_view;
mod transaction;
mod triage;
pub mod write;

pub use codec::{SpanEncoder, decode_fields, decode_span, encode_span, span_json};
pub use dictionary::Dictionary;
pub use open::{Access, Writable};
pub use query::{SortKey, TraceFilter};
pub use replays::{REPLAY_SOURCE, ReplayLink};
pub use short_ids::SHORT_ID_MIN;
pub use triage::FlaggedTrace;
pub use write::{PreparedSpan, SourceOutcome, SourceRecord, SpanWriter, WriteStats};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a trawl store ({reason})")]
    NotAStore { path: String, reason: String },
    #[error("{path}: store is read-only ({reason})")]
    ReadOnly { path: String, reason: String },
    #[error("{path} is a directory; pass a store file, e.g. {path}/trawl.db")]
    IsDirectory { path: String },
    #[error("{path}: cannot open ({reason}; is the folder missing or not readable?)")]
    CannotOpen { path: String, reason: String },
    #[error(
        "{path}: store was written by a newer trawl (schema {found}, this build knows {known})"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    #[error("{path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    #[error("{0}")]
    Query(#[from] rusqlite::Error),
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    access: Access,
}

impl Store {
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// How this store was opened; only [`Access::ReadWrite`] takes writes.
    pub fn access(&self) -> Access {
        self.access
    }
}

/// Turns SQLite's generic errors into ones that say what is wrong with the file.
fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::ErrorCode;
    if let rusqlite::Error::SqliteFailure(f, msg) = &e {
        let reason = msg.clone().unwrap_or_else(|| f.to_string());
        match f.code {
            ErrorCode::NotADatabase => {
                return StoreError::NotAStore {
                    path: path.into(),
                    reason: "the file is not a SQLite database".into(),
                };
            }
            ErrorCode::ReadOnly => {
                return StoreError::ReadOnly {
                    path: path.into(),
                    reason,
                };
            }
            ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                return StoreError::CannotOpen {
                    path: path.into(),
                    reason,
                };
            }
            _ => {}
        }
    }
    StoreError::Sqlite {
        path: path.into(),
        source: e,
    }
}
