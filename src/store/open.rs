//! Opening a store file without harming it.
//!
//! Three rules, each from a failure seen in the field (issue 15):
//! - **Look before touching.** An existing file is first read through an `immutable` read-only
//!   connection (no lock, no journal, no `-wal`/`-shm`) and checked to be empty or a trawl
//!   store. Only then is it opened for writing and given pragmas: another app's SQLite database
//!   passed as `--store` is refused byte-for-byte unchanged.
//! - **Create the schema under a lock.** Two processes creating the same new store re-check
//!   `user_version` inside `BEGIN EXCLUSIVE`, so exactly one creates the tables and the other
//!   finds them.
//! - **Browse what cannot be written.** A store whose file or folder is not writable opens
//!   read-only (`mode=ro`), or as an `immutable` snapshot when SQLite cannot keep its WAL
//!   index there; judging, labelling and importing then fail with a clear error.

use super::schema::{self, SCHEMA_VERSION};
use super::{Result, Store, StoreError, classify};
use crate::sqlite_file::{file_uri, has_table};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// How a store was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    /// Read-only connection (`mode=ro`): sees other writers' commits.
    ReadOnly,
    /// `immutable=1`: the file as it was; SQLite takes no locks and ignores any WAL, because
    /// the folder cannot hold the WAL index.
    Snapshot,
}

impl Access {
    pub fn is_writable(self) -> bool {
        self == Access::ReadWrite
    }

    /// One line for the user when the store is not writable.
    pub fn note(self, path: &Path) -> Option<String> {
        match self {
            Access::ReadWrite => None,
            Access::ReadOnly => Some(format!(
                "{} is read-only: browsing only (judging and labelling need a writable store)",
                path.display()
            )),
            Access::Snapshot => Some(format!(
                "{} is in a folder trawl cannot write: browsing a snapshot of it (judging and labelling need a writable store)",
                path.display()
            )),
        }
    }
}

/// Whether the store file and its folder can be written by this process (a probe, so tests
/// can pretend).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writable {
    pub file: bool,
    pub folder: bool,
}

impl Writable {
    /// Asks the OS (`access(2)`): root passes mode checks, a read-only mount does not.
    pub fn probe(path: &Path) -> Writable {
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        Writable {
            file: !path.exists() || can_write(path),
            folder: can_write(folder),
        }
    }

    fn all(self) -> bool {
        self.file && self.folder
    }
}

#[cfg(unix)]
fn can_write(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `c` is a valid NUL-terminated string that outlives the call.
    unsafe { libc::access(c.as_ptr(), libc::W_OK) == 0 }
}

#[cfg(not(unix))]
fn can_write(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.permissions().readonly())
}

fn display(path: &Path) -> String {
    path.display().to_string()
}

fn reject_directory(path: &Path) -> Result<()> {
    if path.is_dir() {
        return Err(StoreError::IsDirectory {
            path: display(path),
        });
    }
    Ok(())
}

fn open_uri(path: &Path, params: &str) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(file_uri(path, params), flags)
        .map_err(|e| classify(&display(path), e))
}

/// What an existing file holds, judged without writing to it: `Ok(Some(user_version))` for
/// an empty file or a trawl store (0 = empty, to be created), an error for anything else.
/// `Ok(None)` when the immutable read itself failed: a store being checkpointed by another
/// process right now can be read torn. The caller's own connection checks again.
pub(super) fn inspect(path: &Path) -> Result<Option<i64>> {
    let shown = display(path);
    let mut header = [0u8; 16];
    let mut f = std::fs::File::open(path).map_err(|e| StoreError::CannotOpen {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let n = f.read(&mut header).map_err(|e| StoreError::CannotOpen {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    if n == 0 {
        return Ok(Some(0));
    }
    if n < header.len() || &header != b"SQLite format 3\0" {
        return Err(StoreError::NotAStore {
            path: shown,
            reason: "the file is not a SQLite database".into(),
        });
    }
    // Immutable: no lock, no journal, no -wal/-shm, nothing written. It ignores a WAL, which
    // only matters for a trawl store whose schema is not checkpointed yet: that reads as empty
    // here, and the locked re-check in `create_schema` finds the truth.
    let checked = open_uri(path, "immutable=1")
        .and_then(|conn| schema::check_version(&conn, &shown, foreign_kind(&conn)));
    match checked {
        Ok(v) => Ok(Some(v)),
        // Without locks, a file another process is writing right now (a creator mid-commit, a
        // checkpoint) can read as anything. A refusal is confirmed through a read-only
        // connection, which takes a shared lock (waiting for the writer) and writes nothing
        // to a rollback-journal file such as an `llm` logs.db.
        Err(StoreError::NotAStore { .. } | StoreError::TooNew { .. }) => {
            let confirmed = open_uri(path, "mode=ro").and_then(|conn| {
                conn.busy_timeout(Duration::from_secs(10))
                    .map_err(|e| classify(&shown, e))?;
                schema::check_version(&conn, &shown, foreign_kind(&conn))
            });
            match confirmed {
                Ok(v) => Ok(Some(v)),
                Err(e @ (StoreError::NotAStore { .. } | StoreError::TooNew { .. })) => Err(e),
                Err(e) => {
                    tracing::debug!("{shown}: read-only check inconclusive: {e}");
                    Ok(None)
                }
            }
        }
        Err(e) => {
            tracing::debug!("{shown}: immutable probe inconclusive: {e}");
            Ok(None)
        }
    }
}

/// Names another app's database from its tables, for the refusal message.
fn foreign_kind(conn: &Connection) -> &'static str {
    let has = |t: &str| has_table(conn, t);
    if (has("responses") && has("conversations")) || (has("turns") && has("threads")) {
        "an `llm` logs.db"
    } else if has("spans") && has("traces") && (has("alembic_version") || has("projects")) {
        "a Phoenix database"
    } else {
        "another app's SQLite database"
    }
}

impl Store {
    /// Opens (creating if needed) a store at `path` for reading and writing, and brings its
    /// schema up to date. Refuses directories, other apps' databases (unchanged) and stores
    /// this process cannot write.
    pub fn open(path: &Path) -> Result<Store> {
        reject_directory(path)?;
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
        Self::open_writable(path, Writable::probe(path))
    }

    fn open_writable(path: &Path, writable: Writable) -> Result<Store> {
        let shown = display(path);
        if path.exists() {
            inspect(path)?;
        }
        if !writable.all() {
            return Err(StoreError::ReadOnly {
                path: shown,
                reason: format!(
                    "{} is not writable; importing, judging and labelling need write access",
                    if writable.file {
                        "its folder"
                    } else {
                        "the file"
                    }
                ),
            });
        }
        let conn = Connection::open(path).map_err(|e| classify(&shown, e))?;
        let store = Store {
            conn,
            path: Some(path.to_path_buf()),
            access: Access::ReadWrite,
        };
        store.init_writable(&shown)?;
        super::dictionary::load_store(&store.conn, Some(path))?;
        Ok(store)
    }

    /// Opens an existing store for browsing: read-write when this process can write it,
    /// otherwise read-only or as a snapshot (see [`Access`]). Never creates anything.
    pub fn open_for_reading(path: &Path) -> Result<(Store, Access)> {
        Self::open_for_reading_with(path, Writable::probe(path))
    }

    /// [`Store::open_for_reading`] with the writability probe's answer given.
    pub fn open_for_reading_with(path: &Path, writable: Writable) -> Result<(Store, Access)> {
        reject_directory(path)?;
        if !path.exists() {
            return Err(StoreError::CannotOpen {
                path: display(path),
                reason: "no such file".into(),
            });
        }
        if writable.all() {
            match Self::open_writable(path, writable) {
                Ok(s) => return Ok((s, Access::ReadWrite)),
                // A read-only mount can pass the probe's mode checks; browse it anyway.
                Err(StoreError::ReadOnly { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        let mut last = None;
        for access in [Access::ReadOnly, Access::Snapshot] {
            match Self::open_without_writing(path, access) {
                Ok(s) => return Ok((s, access)),
                Err(e @ (StoreError::ReadOnly { .. } | StoreError::CannotOpen { .. })) => {
                    last = Some(e)
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| StoreError::Other(format!("{}: cannot open", display(path)))))
    }

    /// Opens an existing store read-only ([`Access::ReadOnly`]) or as a snapshot
    /// ([`Access::Snapshot`]); no pragma, no migration, nothing written.
    pub fn open_without_writing(path: &Path, access: Access) -> Result<Store> {
        let shown = display(path);
        reject_directory(path)?;
        let params = match access {
            Access::Snapshot => "immutable=1",
            _ => "mode=ro",
        };
        if inspect(path)? == Some(0) {
            return Err(StoreError::NotAStore {
                path: shown,
                reason: "an empty file, not a trawl store yet".into(),
            });
        }
        let conn = open_uri(path, params)?;
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(|e| classify(&shown, e))?;
        // Reading through this connection is what fails when SQLite cannot map the WAL index.
        let v = schema::check_version(&conn, &shown, foreign_kind(&conn))
            .map_err(|e| reclassify(&shown, e))?;
        if v < SCHEMA_VERSION {
            return Err(StoreError::ReadOnly {
                path: shown,
                reason: format!(
                    "schema {v} needs an upgrade to {SCHEMA_VERSION}, which needs a writable store"
                ),
            });
        }
        super::dictionary::load_store(&conn, Some(path)).map_err(|e| reclassify(&shown, e))?;
        Ok(Store {
            conn,
            path: Some(path.to_path_buf()),
            access,
        })
    }

    /// A private in-memory store (tests, benchmarks).
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        let store = Store {
            conn,
            path: None,
            access: Access::ReadWrite,
        };
        store.init_writable(":memory:")?;
        Ok(store)
    }

    /// Pragmas and schema of a connection that may write. The file was already inspected.
    fn init_writable(&self, shown: &str) -> Result<()> {
        let c = &self.conn;
        // First, so that every step below waits for a concurrent creator instead of failing.
        c.busy_timeout(Duration::from_secs(10))
            .map_err(|e| classify(shown, e))?;
        create_schema(c, shown)?;
        set_wal(c, shown)?;
        c.pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| classify(shown, e))?;
        c.pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| classify(shown, e))?;
        c.pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| classify(shown, e))?;
        // A bigger page cache keeps index pages hot during imports (64 MB, a fixed bound) and
        // checkpoints in bigger, less frequent steps.
        c.pragma_update(None, "cache_size", -65536)
            .map_err(|e| classify(shown, e))?;
        let page_size: i64 = c
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap_or(4096);
        c.pragma_update(None, "wal_autocheckpoint", (32 << 20) / page_size.max(512))
            .map_err(|e| classify(shown, e))?;
        Ok(())
    }

    /// Writes fail with this on a store opened for browsing only.
    pub(super) fn ensure_writable(&self) -> Result<()> {
        if self.access.is_writable() {
            return Ok(());
        }
        Err(StoreError::ReadOnly {
            path: self
                .path
                .as_deref()
                .map(display)
                .unwrap_or_else(|| ":memory:".into()),
            reason:
                "opened for browsing only; judging, labelling and importing need a writable store"
                    .into(),
        })
    }
}

/// A read error from a read-only connection that means "cannot map the WAL index here".
fn reclassify(shown: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Query(q) => classify(shown, q),
        other => other,
    }
}

/// Creates or upgrades the schema. A current store costs one read; otherwise the check is
/// repeated under `BEGIN EXCLUSIVE`, so of two concurrent creators one creates the tables and
/// the other waits (busy timeout) and then finds them.
fn create_schema(c: &Connection, shown: &str) -> Result<()> {
    let v = schema::check_version(c, shown, foreign_kind(c)).map_err(|e| reclassify(shown, e))?;
    if v == SCHEMA_VERSION {
        return Ok(());
    }
    // Span payloads are kilobytes each; bigger pages mean fewer overflow chains. Takes effect
    // only on a database with no pages yet, and writes nothing by itself.
    c.pragma_update(None, "page_size", 16384)
        .map_err(|e| classify(shown, e))?;
    let tx = Transaction::new_unchecked(c, TransactionBehavior::Exclusive)
        .map_err(|e| classify(shown, e))?;
    let v = schema::check_version(&tx, shown, foreign_kind(&tx))?;
    schema::migrate_from(&tx, v)?;
    tx.commit().map_err(|e| classify(shown, e))?;
    Ok(())
}

/// Switches to WAL (once per store; later opens find it set). The switch needs a moment alone
/// with the file, so a concurrent opener's read can make it busy: retry briefly.
fn set_wal(c: &Connection, shown: &str) -> Result<()> {
    let mut tries = 0;
    loop {
        let mode: rusqlite::Result<String> =
            c.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0));
        match mode {
            // In-memory databases answer "memory"; fine.
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ffi::ErrorCode::DatabaseBusy && tries < 50 =>
            {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20 + fastrand::u64(0..40)));
            }
            Err(e) => return Err(classify(shown, e)),
        }
    }
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;
