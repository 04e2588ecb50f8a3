//! The numbers of traces and spans in the store, read in O(1) (issue 13: the live TUI asks for
//! them at every refresh, and `count(*)` scans an index that grows with the store).
//!
//! Kept exact by the one writer of both tables, [`super::write::SpanWriter`]: it adds its
//! batch's new rows in the batch's own transaction, just before COMMIT, so a rollback or a
//! crash loses the rows and their count together. Spans are only inserted by
//! `SpanWriter::store_row` and traces only by `rollup::refresh_with` (which it calls); nothing
//! deletes either. Chosen over per-row triggers: one statement per commit instead of one per
//! span. Migration 9 sets the counts from `count(*)` for stores written before it.

use super::{Result, Store};
use rusqlite::Connection;

impl Store {
    /// Sets the kept counts from the rows: for stores written around trawl (the synthetic
    /// benchmark store), as [`Store::rebuild_stats_cells`] does for the statistics cells.
    /// Trawl's own writers keep them exact themselves.
    pub fn recount_totals(&self) -> Result<()> {
        recount(&self.conn)
    }
}

/// Adds a committed batch's new traces and spans (call inside the batch's transaction).
pub(super) fn add(conn: &Connection, traces: u64, spans: u64) -> Result<()> {
    if traces == 0 && spans == 0 {
        return Ok(());
    }
    let updated = conn
        .prepare_cached(
            "UPDATE store_counts SET traces = traces + ?1, spans = spans + ?2 WHERE id = 1",
        )?
        .execute(rusqlite::params![traces as i64, spans as i64])?;
    if updated == 0 {
        // No row (never expected after migration 9): count once, the batch's rows included.
        recount(conn)?;
    }
    Ok(())
}

/// The numbers of traces and spans, as `count(*)` would give them.
pub(super) fn read(conn: &Connection) -> Result<(i64, i64)> {
    Ok(conn
        .prepare_cached("SELECT traces, spans FROM store_counts WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// Sets the counts from the tables themselves (a scan of each).
pub(super) fn recount(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO store_counts(id, traces, spans)
         VALUES (1, (SELECT count(*) FROM traces), (SELECT count(*) FROM spans))",
        [],
    )?;
    Ok(())
}

#[cfg(test)]
#[path = "counts_tests.rs"]
mod tests;
