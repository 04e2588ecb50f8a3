//! Batched, idempotent span writes. Spans are keyed by (trace_id, span_id): a span seen again is
//! counted as a duplicate and its stored copy replaced only when its content changed (the last
//! copy wins). Trace roll-ups are refreshed for every trace a batch touched, when the batch
//! commits, so readers see whole traces appear while a big import is still running.

use super::text_index::SpanText;
use super::{Result, Store, rollup};
use crate::model::Span;
use crate::model::rollup::RollupSpan;
use crate::sanitize::truncate_chars;
use std::collections::HashSet;

/// Spans per transaction: large enough to amortise commits, small enough that a reader
/// watching the import sees progress often.
pub const BATCH_SPANS: usize = 5000;

/// The first batch of an import commits at this many spans, without waiting: a fresh file's
/// first screenful of traces then shows in tens of milliseconds instead of after a full batch.
pub const FIRST_BATCH_SPANS: usize = 500;

/// A batch stays open at least this many times as long as the last commit took.
const COMMIT_COST_RATIO: u32 = 8;

/// What is known about a source before its import starts.
#[derive(Debug, Clone, Default)]
pub struct SourceRecord {
    pub path: String,
    pub format: String,
    pub size: Option<u64>,
    pub mtime_ns: Option<i64>,
}

/// How a source's import ended, recorded with the source by [`SpanWriter::finish`]. The
/// importer fills it from its own report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceOutcome {
    /// Lines (or records) read.
    pub lines: u64,
    pub lines_ok: u64,
    pub lines_bad: u64,
    /// The reported bad lines as a JSON array, kept with the source for diagnosis.
    pub errors_json: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub spans_new: u64,
    pub duplicates: u64,
    pub traces_touched: u64,
    pub traces_new: u64,
}

pub struct SpanWriter<'a> {
    store: &'a mut Store,
    source_id: i64,
    in_tx: bool,
    pending: usize,
    touched: HashSet<String>,
    /// Roll-up columns of the spans written in the open batch, per trace.
    batch_rollup: std::collections::HashMap<String, Vec<RollupSpan>>,
    pub stats: WriteStats,
    batch_spans: usize,
    last_commit: std::time::Instant,
    /// How long the last commit took (roll-ups and COMMIT), see [`Self::commit_every`].
    last_commit_cost: std::time::Duration,
    /// Whether a batch was committed yet (the first one is committed early).
    committed_once: bool,
    /// Copies committed WAL frames into the database on its own thread while we write.
    checkpointer: Option<Checkpointer>,
    autocheckpoint: i64,
}

impl<'a> SpanWriter<'a> {
    pub fn begin(store: &'a mut Store, source: &SourceRecord) -> Result<Self> {
        store.ensure_writable()?;
        store.conn.execute(
            "INSERT INTO sources(path, format, size, mtime_ns, imported_at_ns) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                source.path,
                source.format,
                source.size.map(|s| s as i64),
                source.mtime_ns,
                now_ns()
            ],
        )?;
        let source_id = store.conn.last_insert_rowid();
        let autocheckpoint: i64 = store
            .conn
            .query_row("PRAGMA wal_autocheckpoint", [], |r| r.get(0))
            .unwrap_or(1000);
        let checkpointer = store.path().and_then(Checkpointer::start);
        if checkpointer.is_some() {
            store.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        }
        Ok(SpanWriter {
            store,
            source_id,
            in_tx: false,
            pending: 0,
            touched: HashSet::new(),
            batch_rollup: std::collections::HashMap::new(),
            stats: WriteStats::default(),
            batch_spans: BATCH_SPANS,
            last_commit: std::time::Instant::now(),
            last_commit_cost: std::time::Duration::ZERO,
            committed_once: false,
            checkpointer,
            autocheckpoint,
        })
    }

    pub fn source_id(&self) -> i64 {
        self.source_id
    }

    /// Smaller batches make a live view update more often (used when tailing a file).
    pub fn set_batch_size(&mut self, n: usize) {
        self.batch_spans = n.max(1);
    }

    /// Writes one span (prepares it on this thread; importers prepare on a parser thread).
    pub fn write(&mut self, span: &Span) -> Result<()> {
        let prepared = PreparedSpan::new(span.clone())?;
        self.write_prepared(&prepared)
    }

    pub fn write_prepared(&mut self, p: &PreparedSpan) -> Result<()> {
        if self.store_row(p)? {
            self.note_rollup(p.key.trace_id.clone(), p.rollup.clone());
        }
        Ok(())
    }

    /// [`Self::write_prepared`] for a span the caller no longer needs: its roll-up columns
    /// move into the batch instead of being copied.
    pub fn write_owned(&mut self, p: PreparedSpan) -> Result<()> {
        if self.store_row(&p)? {
            self.note_rollup(p.key.trace_id, p.rollup);
        }
        Ok(())
    }

    fn note_rollup(&mut self, trace_id: String, rollup: RollupSpan) {
        match self.batch_rollup.get_mut(&trace_id) {
            Some(v) => v.push(rollup),
            None => {
                self.touched.insert(trace_id.clone());
                self.batch_rollup.insert(trace_id, vec![rollup]);
            }
        }
    }

    /// Inserts or updates the span's rows; true when the span is new or changed (its trace's
    /// roll-up needs refreshing).
    fn store_row(&mut self, p: &PreparedSpan) -> Result<bool> {
        if !self.in_tx {
            self.store.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_tx = true;
        }
        let k = &p.key;
        let row = &p.row;
        let conn = &self.store.conn;
        let params = rusqlite::params![
            k.trace_id,
            k.span_id,
            k.parent_id,
            k.name,
            k.kind.as_str(),
            k.start_ns,
            k.end_ns,
            k.status.as_str(),
            k.model,
            k.provider,
            k.session_id,
            k.user_id,
            k.service_name,
            row.input,
            row.output,
            row.total,
            row.cache_read,
            row.cache_write,
            row.reasoning,
            row.cost,
            row.cost_source,
            k.ttft_ns,
            row.tags,
            row.preview_in,
            row.preview_out,
            p.hash,
            self.source_id
        ];
        let inserted = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO spans(trace_id, span_id, parent_id, name, kind, start_ns, end_ns, status,
                   model, provider, session_id, user_id, service, input_tokens, output_tokens, total_tokens,
                   cache_read_tokens, cache_write_tokens, reasoning_tokens, cost_usd, cost_source, ttft_ns,
                   tags, preview_in, preview_out, hash, source_id)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26,?27)",
            )?
            .execute(params)?
            == 1;
        let rowid;
        if inserted {
            self.stats.spans_new += 1;
            rowid = Some(conn.last_insert_rowid());
        } else {
            self.stats.duplicates += 1;
            // The last copy wins, but an identical copy (a re-import) changes nothing.
            let mut upd = conn.prepare_cached(
                "UPDATE spans SET parent_id=?3, name=?4, kind=?5, start_ns=?6, end_ns=?7, status=?8, model=?9,
                   provider=?10, session_id=?11, user_id=?12, service=?13, input_tokens=?14, output_tokens=?15,
                   total_tokens=?16, cache_read_tokens=?17, cache_write_tokens=?18, reasoning_tokens=?19,
                   cost_usd=?20, cost_source=?21, ttft_ns=?22, tags=?23, preview_in=?24, preview_out=?25,
                   hash=?26, source_id=?27
                 WHERE trace_id=?1 AND span_id=?2 AND hash != ?26
                 RETURNING id",
            )?;
            let mut rows = upd.query(params)?;
            rowid = match rows.next()? {
                Some(r) => Some(r.get::<_, i64>(0)?),
                None => None,
            };
            if let Some(id) = rowid {
                super::text_index::delete(conn, id)?;
            }
        }
        if let Some(id) = rowid {
            conn.prepare_cached("INSERT OR REPLACE INTO span_data(id, data) VALUES (?1, ?2)")?
                .execute(rusqlite::params![id, p.data])?;
            super::text_index::insert(conn, id, &p.text)?;
        }
        self.pending += 1;
        Ok(rowid.is_some())
    }

    /// Saves a payload dictionary trained during the import, in the open batch if any: payloads
    /// naming it are written after it, so they commit with it or later.
    pub fn save_payload_dictionary(&self, d: &std::sync::Arc<super::Dictionary>) -> Result<()> {
        super::dictionary::save(&self.store.conn, d)
    }

    /// Spans written since the last commit.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Whether the open batch is big enough to commit.
    /// Commits cost a rewrite of every index page the batch touched, so a bulk import commits
    /// at most about once a second (readers still see progress that often; less often once
    /// commits get slow, see [`Self::commit_every`]), or when a batch grows very large. The first batch is the exception: it commits at
    /// [`FIRST_BATCH_SPANS`], so the first traces show at once.
    pub fn batch_full(&self) -> bool {
        // `usize::MAX` means one transaction for everything (`--strict`): no early commit.
        if !self.committed_once && self.batch_spans != usize::MAX {
            return self.pending >= FIRST_BATCH_SPANS.min(self.batch_spans);
        }
        self.pending >= self.batch_spans.saturating_mul(10)
            || (self.pending >= self.batch_spans
                && self.last_commit.elapsed() >= self.commit_every())
    }

    /// How long a batch stays open: a second, or longer when commits get expensive. A commit
    /// rewrites every index page the batch touched, and trace ids are random, so in a big
    /// store that is most pages of the `(trace_id, span_id)` and `traces` indexes whatever the
    /// batch size: waiting [`COMMIT_COST_RATIO`] times the last commit keeps that cost a fixed
    /// share of the import instead of one that grows with the store.
    fn commit_every(&self) -> std::time::Duration {
        (self.last_commit_cost * COMMIT_COST_RATIO).max(std::time::Duration::from_secs(1))
    }

    /// Commits the open batch and refreshes the roll-ups of the traces it touched.
    /// Returns the ids of those traces.
    pub fn commit_batch(&mut self) -> Result<Vec<String>> {
        if !self.in_tx {
            return Ok(Vec::new());
        }
        let started = std::time::Instant::now();
        let touched: Vec<String> = self.touched.drain().collect();
        let new = rollup::refresh_with(&self.store.conn, &touched, &mut self.batch_rollup)?;
        self.batch_rollup.clear();
        self.stats.traces_new += new;
        self.store.conn.execute_batch("COMMIT")?;
        self.in_tx = false;
        if let Some(c) = &self.checkpointer
            && c.restart_wanted
                .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            // Between transactions: the log starts over (see `Checkpointer`). A failure (a
            // reader kept an old snapshot past the busy timeout) only postpones it.
            let _ = self
                .store
                .conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
        }
        self.pending = 0;
        self.committed_once = true;
        self.last_commit = std::time::Instant::now();
        self.last_commit_cost = started.elapsed();
        Ok(touched)
    }

    /// Commits what is left and records the source's counts.
    pub fn finish(mut self, outcome: &SourceOutcome) -> Result<WriteStats> {
        self.commit_batch()?;
        // Counted in SQL rather than remembered, so memory does not grow with the file.
        self.stats.traces_touched = self.store.conn.query_row(
            "SELECT count(DISTINCT trace_id) FROM spans WHERE source_id = ?1",
            [self.source_id],
            |r| r.get::<_, i64>(0),
        )? as u64;
        self.store.conn.execute(
            "UPDATE sources SET lines=?2, lines_ok=?3, lines_bad=?4, spans_new=?5, duplicates=?6, traces=?7,
               complete=1, errors=?8 WHERE id=?1",
            rusqlite::params![
                self.source_id,
                outcome.lines as i64,
                outcome.lines_ok as i64,
                outcome.lines_bad as i64,
                self.stats.spans_new as i64,
                self.stats.duplicates as i64,
                self.stats.traces_touched as i64,
                outcome.errors_json
            ],
        )?;
        super::aggregates::refresh_after_import(&self.store.conn);
        Ok(self.stats.clone())
    }

    /// Abandons the open batch (used by `--strict`). Earlier batches stay committed.
    pub fn rollback(mut self) -> Result<()> {
        if self.in_tx {
            self.store.conn.execute_batch("ROLLBACK")?;
            self.in_tx = false;
        }
        Ok(())
    }
}

impl Drop for SpanWriter<'_> {
    fn drop(&mut self) {
        if self.in_tx {
            let _ = self.store.conn.execute_batch("ROLLBACK");
        }
        if self.checkpointer.take().is_some() {
            let _ = self
                .store
                .conn
                .pragma_update(None, "wal_autocheckpoint", self.autocheckpoint);
        }
    }
}

/// A second connection that checkpoints the WAL every few hundred milliseconds, so the
/// importing thread never stops to copy pages itself (PASSIVE checkpoints never block it).
///
/// PASSIVE alone never lets the WAL start over: the writer commits again before a checkpoint
/// catches up, so the log only grows (`trawl listen` left a 4.9 GB WAL beside a 1 GB store
/// after 24 s, and every commit then paid the file system for fresh blocks: a fifth of the
/// writer's time, growing with the store). Once the log passes [`RESTART_WAL_BYTES`], the
/// checkpointer asks the writer, which runs a RESTART checkpoint right after its next commit:
/// it copies the few frames PASSIVE has not, and the next transaction writes from the start of
/// the log again. The checkpointer cannot do it itself: the writer holds its lock almost all the
/// time, and SQLite's busy waiting would rarely catch the gap between two transactions.
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    restart_wanted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// The WAL size past which the checkpointer makes the log start over (see [`Checkpointer`]).
const RESTART_WAL_BYTES: i64 = 64 << 20;

impl Checkpointer {
    fn start(path: &std::path::Path) -> Option<Checkpointer> {
        let conn = rusqlite::Connection::open(path).ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).ok()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let restart_wanted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let want_restart = restart_wanted.clone();
        let handle = std::thread::Builder::new()
            .name("trawl-checkpoint".into())
            .spawn(move || {
                let page_size: i64 = conn
                    .query_row("PRAGMA page_size", [], |r| r.get(0))
                    .unwrap_or(4096);
                let restart_frames = RESTART_WAL_BYTES / page_size.max(512);
                // (busy, frames in the log, frames checkpointed)
                let checkpoint = |mode: &str| {
                    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                        r.get::<_, i64>(1)
                    })
                    .ok()
                };
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(250));
                    if checkpoint("PASSIVE").is_some_and(|frames| frames > restart_frames) {
                        want_restart.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                checkpoint("PASSIVE");
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            restart_wanted,
            handle: Some(handle),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A span with everything the writer needs computed in advance (serialised and compressed
/// payload, hash, index text), so that work can run on the parser thread, off the writer's.
pub struct PreparedSpan {
    key: SpanKey,
    rollup: RollupSpan,
    data: Vec<u8>,
    hash: i64,
    text: SpanText,
    row: SpanRow,
}

impl PreparedSpan {
    /// The span's trace and the text the search index gets (see [`super::text_index`]).
    pub fn search_text(&self) -> (&str, &SpanText) {
        (&self.key.trace_id, &self.text)
    }

    /// Prepares a span with its payload compressed without a dictionary.
    pub fn new(mut span: Span) -> Result<PreparedSpan> {
        let encoded = super::codec::encode_span(&mut span).map_err(super::StoreError::Other)?;
        Self::with_payload(span, encoded)
    }

    /// Prepares a span with its payload compressed by `encoder` (the store's dictionary).
    pub fn encoded(mut span: Span, encoder: &mut super::SpanEncoder) -> Result<PreparedSpan> {
        let encoded = encoder
            .encode_span(&mut span)
            .map_err(super::StoreError::Other)?;
        Self::with_payload(span, encoded)
    }

    fn with_payload(span: Span, encoded: super::codec::Encoded) -> Result<PreparedSpan> {
        let super::codec::Encoded { data, hash } = encoded;
        let text = SpanText::of(&span);
        let row = SpanRow::from_span(&span);
        let mut roll = RollupSpan::from_span(&span);
        roll.preview_in = row.preview_in.clone();
        roll.preview_out = row.preview_out.clone();
        // Only the scalar columns travel to the writer; the span itself (attributes, messages)
        // is freed here, on the thread that allocated it, which is much cheaper for malloc.
        let key = SpanKey {
            trace_id: span.trace_id,
            span_id: span.span_id,
            parent_id: span.parent_id,
            name: span.name,
            kind: span.kind,
            start_ns: span.start_ns,
            end_ns: span.end_ns,
            status: span.status,
            model: span.model,
            provider: span.provider,
            session_id: span.session_id,
            user_id: span.user_id,
            service_name: span.service_name,
            ttft_ns: span.ttft_ns,
        };
        Ok(PreparedSpan {
            key,
            rollup: roll,
            data,
            hash,
            text,
            row,
        })
    }
}

/// The span's own scalar columns.
struct SpanKey {
    trace_id: String,
    span_id: String,
    parent_id: Option<String>,
    name: String,
    kind: crate::model::SpanKind,
    start_ns: i64,
    end_ns: Option<i64>,
    status: crate::model::StatusCode,
    model: Option<String>,
    provider: Option<String>,
    session_id: Option<String>,
    user_id: Option<String>,
    service_name: Option<String>,
    ttft_ns: Option<i64>,
}

/// Flat columns derived from a span for filtering and roll-ups.
struct SpanRow {
    input: Option<i64>,
    output: Option<i64>,
    total: Option<i64>,
    cache_read: Option<i64>,
    cache_write: Option<i64>,
    reasoning: Option<i64>,
    cost: Option<f64>,
    cost_source: Option<&'static str>,
    tags: Option<String>,
    preview_in: Option<String>,
    preview_out: Option<String>,
}

const PREVIEW_CHARS: usize = 240;

impl SpanRow {
    fn from_span(s: &Span) -> SpanRow {
        let u = s.usage.as_ref();
        let wants_preview = s.parent_id.is_none() || s.kind == crate::model::SpanKind::Llm;
        SpanRow {
            input: u.and_then(|u| u.input),
            output: u.and_then(|u| u.output),
            total: u.and_then(|u| u.total_or_sum()),
            cache_read: u.and_then(|u| u.cache_read),
            cache_write: u.and_then(|u| u.cache_write),
            reasoning: u.and_then(|u| u.reasoning),
            cost: s.cost.as_ref().and_then(|c| c.total),
            cost_source: s.cost.as_ref().map(|c| c.source.as_str()),
            tags: if s.tags.is_empty() {
                None
            } else {
                serde_json::to_string(&s.tags).ok()
            },
            // Only roots and LLM calls feed a trace's question/answer preview.
            preview_in: wants_preview
                .then(|| preview_in(s))
                .flatten()
                .map(|t| truncate_chars(t.trim(), PREVIEW_CHARS)),
            preview_out: wants_preview
                .then(|| preview_out(s))
                .flatten()
                .map(|t| truncate_chars(t.trim(), PREVIEW_CHARS)),
        }
    }
}

/// What the span was asked. An LLM call's own messages come first; any other span (a root
/// workflow, agent or chain) is read from its raw input, reduced to the user's text.
fn preview_in(s: &Span) -> Option<String> {
    let from_messages = || s.last_user_message().map(str::to_string);
    if s.kind == crate::model::SpanKind::Llm {
        from_messages().or_else(|| s.input_text())
    } else {
        s.input_text().or_else(from_messages)
    }
}

/// What the span answered, by the same rule as [`preview_in`].
fn preview_out(s: &Span) -> Option<String> {
    let from_messages = || {
        s.output_messages
            .iter()
            .rev()
            .find(|m| !m.content.is_empty())
            .map(|m| m.content.clone())
    };
    if s.kind == crate::model::SpanKind::Llm {
        from_messages().or_else(|| s.output_text())
    } else {
        s.output_text().or_else(from_messages)
    }
}

pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
