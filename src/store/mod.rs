//! The SQLite store: one file a user can copy, share and re-open. Everything the CLI and the TUI
//! show is read from here through [`query`]; importers write through [`write`](mod@write).
//!
//! This is the only module that speaks SQL to trawl's own store: the connection is private,
//! and every question other modules ask is a method named after what it answers.

mod codec;
mod filter_sql;
pub mod query;
mod rollup;
mod schema;
pub mod scores;
mod sources;
pub mod stats;
mod transaction;
mod triage;
pub mod write;

pub use codec::decode_span;
pub use query::{SortKey, TraceFilter};
pub use triage::FlaggedTrace;
pub use write::{PreparedSpan, SourceOutcome, SourceRecord, SpanWriter, WriteStats};

use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: not a trawl store ({reason})")]
    NotAStore { path: String, reason: String },
    #[error("{path}: store is read-only ({reason})")]
    ReadOnly { path: String, reason: String },
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
}

impl Store {
    /// Opens (creating if needed) a store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        let display = path.display().to_string();
        if let Some(parent) = path.parent()
            && !parent.as_os_str().is_empty()
            && !parent.exists()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Other(format!(
                    "{}: cannot create directory: {e}",
                    parent.display()
                ))
            })?;
        }
        let conn = Connection::open(path).map_err(|e| classify(&display, e))?;
        let store = Store {
            conn,
            path: Some(path.to_path_buf()),
        };
        store.init(&display)?;
        Ok(store)
    }

    /// Opens an existing store without writing to it (for browsing someone else's file).
    pub fn open_read_only(path: &Path) -> Result<Store> {
        let display = path.display().to_string();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| classify(&display, e))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let v = schema::check_version(&conn, &display)?;
        if v == 0 {
            return Err(StoreError::NotAStore {
                path: display,
                reason: "no trawl schema".into(),
            });
        }
        Ok(Store {
            conn,
            path: Some(path.to_path_buf()),
        })
    }

    /// A private in-memory store (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let store = Store { conn, path: None };
        store.init(":memory:")?;
        Ok(store)
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(&self, display: &str) -> Result<()> {
        let c = &self.conn;
        c.busy_timeout(Duration::from_secs(10))
            .map_err(|e| classify(display, e))?;
        // Reading the header is the first thing that fails on a file that is not SQLite.
        c.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            .map_err(|e| classify(display, e))?;
        // Span payloads are kilobytes each; bigger pages mean fewer overflow chains. Only takes
        // effect on a new, empty database (before WAL is switched on).
        c.pragma_update(None, "page_size", 16384)
            .map_err(|e| classify(display, e))?;
        c.pragma_update(None, "journal_mode", "WAL")
            .or_else(|e| match e {
                // In-memory databases answer "memory"; fine.
                rusqlite::Error::ExecuteReturnedResults => Ok(()),
                other => Err(other),
            })
            .map_err(|e| classify(display, e))?;
        c.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(display, e))?;
        c.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| classify(display, e))?;
        c.pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| classify(display, e))?;
        // A bigger page cache keeps index pages hot during imports (64 MB, a fixed bound) and
        // checkpoints in bigger, less frequent steps.
        c.pragma_update(None, "cache_size", -65536)
            .map_err(|e| classify(display, e))?;
        let page_size: i64 = c
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap_or(4096);
        c.pragma_update(None, "wal_autocheckpoint", (32 << 20) / page_size.max(512))
            .map_err(|e| classify(display, e))?;
        schema::migrate(c, display)
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
            ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied => {
                return StoreError::ReadOnly {
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
