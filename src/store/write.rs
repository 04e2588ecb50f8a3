//! Batched, idempotent span writes. Spans are keyed by (trace, span_id), the trace by its integer
//! key (`traces.tkey`, given once per trace in increasing order, see [`SpanWriter::trace_key`]
//! and schema migration 8): a span seen again is
//! counted as a duplicate and its stored copy replaced only when its content changed (the last
//! copy wins). Trace roll-ups are refreshed for every trace a batch touched, when the batch
//! commits, so readers see whole traces appear while a big import is still running.

use super::checkpointer::Checkpointer;
use super::rollup::{self, BatchTrace};
use super::text_index::SpanText;
use super::{Result, Store};
use crate::model::Span;
use crate::model::rollup::RollupSpan;
use rusqlite::OptionalExtension;
use std::collections::{HashMap, HashSet};

/// Spans per transaction: large enough to amortise commits, small enough that a reader
/// watching the import sees progress often.
pub const BATCH_SPANS: usize = 5000;

/// The first batch of an import commits at this many spans, without waiting: a fresh file's
/// first screenful of traces then shows in tens of milliseconds instead of after a full batch.
pub const FIRST_BATCH_SPANS: usize = 500;

/// How long the RESTART checkpoint after a commit waits for readers to leave the log before
/// it gives up until the next commit.
const RESTART_PATIENCE: std::time::Duration = std::time::Duration::from_millis(100);

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
    /// The traces the open batch met, by id: key, time range before the batch, and the
    /// roll-up columns of the spans it wrote.
    batch: HashMap<String, BatchTrace>,
    /// The key the open batch gives its next new trace (read once per batch, under its lock).
    next_key: Option<i64>,
    /// Every trace this import wrote a span of, for [`WriteStats::traces_touched`].
    touched: KeySet,
    pub stats: WriteStats,
    /// `stats.spans_new` when the open batch began: the batch's new spans are the difference
    /// (added to the store's counts at commit, see [`super::counts`]).
    spans_new_before_batch: u64,
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
            batch: HashMap::new(),
            next_key: None,
            touched: KeySet::default(),
            stats: WriteStats::default(),
            spans_new_before_batch: 0,
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
        if let Some(id) = self.store_row(p)? {
            self.index_text(id, p)?;
            self.note_rollup(&p.key.trace_id, p.rollup.clone());
        }
        Ok(())
    }

    /// Writes spans that arrived together (a request, a parsed chunk); their roll-up columns
    /// move into the batch instead of being copied. Their text is indexed after their rows,
    /// deciding largest first: a span whose text another of its trace holds whole (the
    /// reranker's passages are the retriever's, the root's question and answer are the LLM
    /// call's) is then met after that one and left out of the index (see
    /// [`super::text_cover::TraceText`]), whatever order the spans came in.
    pub fn write_all(&mut self, spans: Vec<PreparedSpan>) -> Result<()> {
        let mut written: Vec<(i64, String, SpanText)> = Vec::with_capacity(spans.len());
        for p in spans {
            let Some(id) = self.store_row(&p)? else {
                continue;
            };
            let PreparedSpan {
                key, rollup, text, ..
            } = p;
            self.note_rollup(&key.trace_id, rollup);
            written.push((id, key.trace_id, text));
        }
        let texts: Vec<(i64, &SpanText)> = written.iter().map(|(id, _, t)| (*id, t)).collect();
        let batch = &mut self.batch;
        super::text_cover::insert_deduplicated(&self.store.conn, &texts, |i, t| {
            claim_text(batch, &written[i].1, t)
        })
    }

    /// Indexes a written span's text, unless a span of its trace indexed in this batch holds
    /// all of it, or its trace is indexed again at commit.
    fn index_text(&mut self, rowid: i64, p: &PreparedSpan) -> Result<()> {
        if claim_text(&mut self.batch, &p.key.trace_id, &p.text) {
            super::text_index::insert(&self.store.conn, rowid, &p.text)?;
        }
        Ok(())
    }

    /// Keeps a written span's roll-up columns with its trace (which [`Self::trace_key`] put
    /// in the batch before the span was stored).
    fn note_rollup(&mut self, trace_id: &str, rollup: RollupSpan) {
        if let Some(t) = self.batch.get_mut(trace_id) {
            self.touched.insert(t.key);
            t.spans.push(rollup);
        }
    }

    /// The key of trace `trace_id`: looked up once per batch, or the next free key for a trace
    /// the store does not hold yet (its row is written when the batch commits). Called inside
    /// the batch's transaction, so no other writer takes keys meanwhile.
    fn trace_key(&mut self, trace_id: &str) -> Result<i64> {
        if let Some(t) = self.batch.get(trace_id) {
            return Ok(t.key);
        }
        let conn = &self.store.conn;
        let found: Option<(i64, i64, i64)> = conn
            .prepare_cached("SELECT tkey, start_ns, end_ns FROM traces WHERE trace_id = ?1")?
            .query_row([trace_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let (key, before) = match found {
            Some((key, start, end)) => (key, Some((start, end))),
            None => {
                let key = match self.next_key {
                    Some(k) => k,
                    None => {
                        conn.query_row("SELECT coalesce(max(tkey), 0) + 1 FROM traces", [], |r| {
                            r.get(0)
                        })?
                    }
                };
                self.next_key = Some(key + 1);
                (key, None)
            }
        };
        self.batch.insert(
            trace_id.to_string(),
            BatchTrace {
                key,
                before,
                spans: Vec::new(),
                text: Default::default(),
                reindex: false,
            },
        );
        Ok(key)
    }

    /// Inserts or updates the span's rows; its row id when the span is new or changed (its
    /// trace's roll-up needs refreshing, and its text indexing).
    fn store_row(&mut self, p: &PreparedSpan) -> Result<Option<i64>> {
        if !self.in_tx {
            self.store.conn.execute_batch("BEGIN IMMEDIATE")?;
            self.in_tx = true;
        }
        let trace_key = self.trace_key(&p.key.trace_id)?;
        let k = &p.key;
        let row = &p.row;
        let conn = &self.store.conn;
        let params = rusqlite::params![
            trace_key,
            k.span_id,
            k.parent_id,
            k.name,
            k.kind.as_str(),
            k.start_ns,
            k.end_ns,
            k.status.as_str(),
            k.model,
            k.provider,
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
            p.hash,
            self.source_id
        ];
        let inserted = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO spans(trace_key, span_id, parent_id, name, kind, start_ns, end_ns, status,
                   model, provider, input_tokens, output_tokens, total_tokens, cache_read_tokens,
                   cache_write_tokens, reasoning_tokens, cost_usd, cost_source, ttft_ns, tags, hash, source_id)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22)",
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
                   provider=?10, input_tokens=?11, output_tokens=?12, total_tokens=?13, cache_read_tokens=?14,
                   cache_write_tokens=?15, reasoning_tokens=?16, cost_usd=?17, cost_source=?18, ttft_ns=?19,
                   tags=?20, hash=?21, source_id=?22
                 WHERE trace_key=?1 AND span_id=?2 AND hash != ?21
                 RETURNING id",
            )?;
            let mut rows = upd.query(params)?;
            rowid = match rows.next()? {
                Some(r) => Some(r.get::<_, i64>(0)?),
                None => None,
            };
            if let Some(id) = rowid {
                super::text_index::delete(conn, id)?;
                // Another span of the trace may have been left out of the index because this
                // one held its text (see `TraceText`): the whole trace is indexed again.
                if let Some(t) = self.batch.get_mut(&p.key.trace_id) {
                    t.reindex = true;
                }
            }
        }
        if let Some(id) = rowid {
            conn.prepare_cached("INSERT OR REPLACE INTO span_data(id, data) VALUES (?1, ?2)")?
                .execute(rusqlite::params![id, p.data])?;
        }
        self.pending += 1;
        Ok(rowid)
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
    /// store that is most pages of the `traces.trace_id` index (the one index still keyed by
    /// the text id; the others use the trace's integer key, which appends) whatever the
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
        let touched: Vec<String> = self
            .batch
            .iter()
            .filter(|(_, t)| !t.spans.is_empty())
            .map(|(id, _)| id.clone())
            .collect();
        for t in self.batch.values().filter(|t| t.reindex) {
            super::text_cover::reindex_trace(&self.store.conn, t.key)?;
        }
        let new = rollup::refresh_with(&self.store.conn, &mut self.batch)?;
        self.batch.clear();
        self.next_key = None;
        self.stats.traces_new += new;
        // In the batch's transaction, so the counts commit (or roll back) with the rows.
        super::counts::add(
            &self.store.conn,
            new,
            self.stats.spans_new - self.spans_new_before_batch,
        )?;
        self.spans_new_before_batch = self.stats.spans_new;
        self.store.conn.execute_batch("COMMIT")?;
        self.in_tx = false;
        if let Some(c) = &self.checkpointer
            && c.restart_wanted
                .swap(false, std::sync::atomic::Ordering::Relaxed)
        {
            // Between transactions: the log starts over (see `Checkpointer`). A failure (a
            // reader kept an old snapshot past the busy timeout) only postpones it. The wait is
            // short: a RESTART blocks this writer until every reader has left the log, and with
            // the TUI reading a live store it waited up to the store's 10 s busy timeout, no
            // commit meanwhile (the writer slept 9% of a 180 s `trawl --listen` run).
            let conn = &self.store.conn;
            let patience: i64 = conn
                .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
                .unwrap_or(10_000);
            let _ = conn.busy_timeout(RESTART_PATIENCE);
            let _ = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()));
            let _ = conn.busy_timeout(std::time::Duration::from_millis(patience.max(0) as u64));
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
        self.stats.traces_touched = self.touched.len();
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

/// Whether a span's text is to be indexed now (see [`super::text_cover::TraceText`]): not when
/// a span of its trace indexed in this batch holds all of it, nor when the trace is indexed
/// again at commit.
fn claim_text(batch: &mut HashMap<String, BatchTrace>, trace_id: &str, t: &SpanText) -> bool {
    match batch.get_mut(trace_id) {
        Some(b) => !b.reindex && b.text.claim(t),
        None => !t.is_empty(),
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
    pub fn new(span: Span) -> Result<PreparedSpan> {
        Self::with_dictionary(span, None)
    }

    /// Prepares a span with its payload compressed with `dict` (or none) on this thread's
    /// encoder for it: for threads that prepare spans one request at a time (the receiver's).
    pub fn with_dictionary(
        mut span: Span,
        dict: Option<&std::sync::Arc<super::Dictionary>>,
    ) -> Result<PreparedSpan> {
        let encoded = super::codec::encode_span_for_row_with(&mut span, dict)
            .map_err(super::StoreError::Other)?;
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
        (roll.preview_in, roll.preview_out) = super::previews::of(&span);
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

/// A set of trace keys: one bit per key up to the store's largest (keys are given densely, from
/// 1), so it takes an eighth of a byte per trace in the store whatever the file holds; a key far
/// beyond that (a hand-edited store) goes to a small hash set instead.
#[derive(Default)]
struct KeySet {
    bits: Vec<u64>,
    far: HashSet<i64>,
    len: u64,
}

/// Keys below this are kept as bits (at most 32 MB of them).
const DENSE_KEYS: i64 = 1 << 28;

impl KeySet {
    fn insert(&mut self, key: i64) {
        let new = if (0..DENSE_KEYS).contains(&key) {
            let (word, bit) = ((key / 64) as usize, key % 64);
            if word >= self.bits.len() {
                self.bits.resize(word + 1, 0);
            }
            let was = self.bits[word] & (1 << bit) != 0;
            self.bits[word] |= 1 << bit;
            !was
        } else {
            self.far.insert(key)
        };
        self.len += u64::from(new);
    }

    fn len(&self) -> u64 {
        self.len
    }
}

/// The span's own scalar columns. Its session, user and service are not among them (schema
/// 11): they go to its trace's row through the roll-up, and stay in the payload.
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
}

impl SpanRow {
    fn from_span(s: &Span) -> SpanRow {
        let u = s.usage.as_ref();
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
        }
    }
}

pub fn now_ns() -> i64 {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
}
