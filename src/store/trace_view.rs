//! Reads for showing one big trace a piece at a time: the payloads of a batch of spans in one
//! query (by the row ids of [`Store::trace_skeleton`]), so a reader that walks 100,000 spans
//! asks SQLite a few hundred times rather than once per span.

use super::{Result, Store, StoreError};
use std::collections::HashMap;
use std::fmt::Write as _;

/// Row ids asked in one query: well under SQLite's bound-parameter limit (32,766), and few
/// enough that a batch of decoded spans stays small.
pub const PAYLOAD_BATCH: usize = 256;

impl Store {
    /// The spans stored under `row_ids` (at most [`PAYLOAD_BATCH`] are read per query),
    /// each decoded by `decode` straight from SQLite's buffer, in the order of `row_ids`;
    /// `None` where a row is gone (the trace was re-imported since the skeleton was read).
    /// A payload that cannot be decoded is an error naming its row. The ids are distinct.
    pub fn span_payload_batch<T>(
        &self,
        row_ids: &[i64],
        decode: impl Fn(&[u8]) -> std::result::Result<T, String>,
    ) -> Result<Vec<Option<T>>> {
        let mut out: Vec<Option<T>> = Vec::with_capacity(row_ids.len());
        out.resize_with(row_ids.len(), || None);
        let mut slot: HashMap<i64, usize> = HashMap::with_capacity(PAYLOAD_BATCH);
        // The trace id, looked up once per trace rather than joined into every row.
        let mut trace: Option<(i64, String)> = None;
        for (chunk_no, chunk) in row_ids.chunks(PAYLOAD_BATCH).enumerate() {
            let base = chunk_no * PAYLOAD_BATCH;
            slot.clear();
            for (i, id) in chunk.iter().enumerate() {
                slot.insert(*id, base + i);
            }
            let mut st = self.conn.prepare_cached(&batch_sql(chunk.len()))?;
            let mut rows = st.query(rusqlite::params_from_iter(chunk.iter()))?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                let data = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
                let tkey: i64 = row.get(2)?;
                if trace.as_ref().is_none_or(|(k, _)| *k != tkey) {
                    trace = Some((tkey, self.trace_id_of_key(tkey)?));
                }
                let trace_id = trace.as_ref().map_or("", |(_, t)| t.as_str());
                let fields = super::row_fields::RowFields::at_without_trace(row, 3, trace_id)?;
                let value = super::codec::decode_in_row(data, &fields, &decode).map_err(|e| {
                    StoreError::Other(format!(
                        "span row {id}: the stored span could not be read ({e}); re-import the source"
                    ))
                })?;
                if let Some(cell) = slot.get(&id).and_then(|&i| out.get_mut(i)) {
                    *cell = Some(value);
                }
            }
        }
        Ok(out)
    }

    /// The trace id stored under trace key `tkey` ("" when the trace is gone: its spans are
    /// then gone too, so no payload is decoded with it).
    fn trace_id_of_key(&self, tkey: i64) -> Result<String> {
        use rusqlite::OptionalExtension as _;
        let id: Option<String> = self
            .conn
            .prepare_cached("SELECT trace_id FROM traces WHERE tkey = ?1")?
            .query_row([tkey], |r| r.get(0))
            .optional()?;
        Ok(id.unwrap_or_default())
    }
}

impl Store {
    /// Runs `read` with this connection's page cache capped at `kib` KiB, then gives the cache
    /// its size back: a one-off read of a big trace keeps no page twice (the default cache
    /// would fill with the trace's rows), and a long-lived connection keeps its cache size.
    pub fn with_page_cache<T>(
        &self,
        kib: i64,
        read: impl FnOnce(&Store) -> Result<T>,
    ) -> Result<T> {
        let before: i64 = self
            .conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))?;
        self.limit_page_cache(kib)?;
        let out = read(self);
        self.conn.pragma_update(None, "cache_size", before)?;
        out
    }
}

impl Store {
    /// Runs `read` in one read transaction: every query in it sees the same snapshot (a live
    /// list's count and rows agree while a writer commits), and the connection takes one WAL
    /// read lock and checks its page cache once rather than at every statement. Inside an
    /// open transaction it just runs `read`. The transaction always ends, whatever `read`
    /// returns: a snapshot kept open would stop the writer's checkpoints from resetting the WAL.
    pub fn in_read_snapshot<T>(&self, read: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        if !self.conn.is_autocommit() {
            return read(self);
        }
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let out = read(self);
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            tracing::debug!("ending a read snapshot: {e}");
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        out
    }
}

/// `SELECT … WHERE id IN (?, …)` with `n` parameters (the same text for the same `n`, so
/// full batches share one cached statement).
fn batch_sql(n: usize) -> String {
    let mut sql = String::with_capacity(48 + 2 * n);
    let _ = write!(
        sql,
        "SELECT d.id, d.data, s.trace_key, {} FROM span_data d JOIN spans s ON s.id = d.id \
         WHERE d.id IN (",
        super::row_fields::COLUMNS_WITHOUT_TRACE,
    );
    for i in 0..n {
        let _ = write!(sql, "{}?", if i == 0 { "" } else { "," });
    }
    sql.push(')');
    sql
}

#[cfg(test)]
mod tests {
    use crate::import::{ImportOptions, import_file};
    use crate::store::{Store, TraceFilter, decode_span};
    use std::path::Path;

    #[test]
    fn a_batch_reads_each_row_as_one_read_of_it_would() {
        let bot = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/openinference_support_bot_40.otlp.jsonl"
        );
        let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        import_file(&mut store, Path::new(bot), ImportOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let mut rows: Vec<i64> = Vec::new();
        for id in store.trace_ids(&TraceFilter::default(), None).unwrap() {
            rows.extend(store.trace_skeleton(&id).unwrap().iter().map(|s| s.row_id));
        }
        // More than one batch, out of row order, and a row that is not there.
        assert!(rows.len() > super::PAYLOAD_BATCH, "{} rows", rows.len());
        rows.reverse();
        rows.insert(7, -5);
        let batch = store.span_payload_batch(&rows, decode_span).unwrap();
        assert_eq!(batch.len(), rows.len());
        for (row, got) in rows.iter().zip(&batch) {
            let want = store.span_payload(*row).unwrap();
            assert_eq!(
                got.as_ref().map(|s| serde_json::to_string(s).unwrap()),
                want.map(|s| serde_json::to_string(&s).unwrap()),
                "row {row}"
            );
        }
        assert!(batch[7].is_none());
        // A payload that does not decode is an error naming its row.
        let err = store
            .span_payload_batch(&rows[..3], |_| Err::<(), _>("bad".to_string()))
            .unwrap_err();
        assert!(err.to_string().contains("span row"), "{err}");
    }

    #[test]
    fn a_read_snapshot_ends_whatever_the_read_returns() {
        let store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let n = store
            .in_read_snapshot(|s| {
                assert!(!s.conn.is_autocommit(), "inside a transaction");
                // Nested: runs in the open transaction.
                s.in_read_snapshot(|s| s.count_traces(&TraceFilter::default()))
            })
            .unwrap();
        assert_eq!(n, 0);
        assert!(store.conn.is_autocommit());
        let failed = store.in_read_snapshot(|_| {
            Err::<(), _>(crate::store::StoreError::Other("read failed".into()))
        });
        assert!(failed.is_err());
        assert!(
            store.conn.is_autocommit(),
            "the snapshot ended after a failed read"
        );
    }

    #[test]
    fn a_read_through_a_small_page_cache_gives_the_cache_its_size_back() {
        let store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let size = |s: &Store| -> i64 {
            s.conn
                .pragma_query_value(None, "cache_size", |r| r.get(0))
                .unwrap()
        };
        let before = size(&store);
        let inside = store.with_page_cache(64, |s| Ok(size(s))).unwrap();
        assert_eq!(inside, -64);
        assert_eq!(size(&store), before);
        assert_ne!(before, -64);
    }
}
