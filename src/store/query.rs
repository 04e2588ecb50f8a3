//! Read queries: the only way the CLI and the TUI see data.

use super::filter_sql::{selects_all, where_clause};
use super::{Result, Store, StoreError};
// `TraceFilter` is the filter language's (`crate::filter`); its SQL is in `filter_sql`.
// Re-exported while callers move to `crate::filter::TraceFilter`.
pub use crate::filter::TraceFilter;
use crate::model::{Span, SpanKind, SpanSkeleton, StatusCode, Trace, Usage};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Start,
    Duration,
    Tokens,
    Cost,
    Name,
    User,
    Session,
    Status,
    Spans,
    Models,
}

impl SortKey {
    pub const ALL: [SortKey; 10] = [
        SortKey::Start,
        SortKey::Name,
        SortKey::User,
        SortKey::Session,
        SortKey::Models,
        SortKey::Duration,
        SortKey::Tokens,
        SortKey::Cost,
        SortKey::Status,
        SortKey::Spans,
    ];

    fn column(self) -> &'static str {
        match self {
            SortKey::Start => "t.start_ns",
            SortKey::Duration => "t.duration_ns",
            SortKey::Tokens => "t.total_tokens",
            SortKey::Cost => "coalesce(t.cost_usd, t.cost_known_usd)",
            SortKey::Name => "coalesce(t.input_preview, t.name)",
            SortKey::User => "t.user_id",
            SortKey::Session => "t.session_id",
            SortKey::Status => "t.status",
            SortKey::Spans => "t.span_count",
            SortKey::Models => "t.models",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SortKey::Start => "start",
            SortKey::Duration => "duration",
            SortKey::Tokens => "tokens",
            SortKey::Cost => "cost",
            SortKey::Name => "name",
            SortKey::User => "user",
            SortKey::Session => "session",
            SortKey::Status => "status",
            SortKey::Spans => "spans",
            SortKey::Models => "models",
        }
    }

    pub fn parse(s: &str) -> Option<SortKey> {
        SortKey::ALL.into_iter().find(|k| k.label() == s)
    }
}

/// The spans of the trace whose text id is `?1`: its key is looked up once, then the spans are
/// read as one range of the `(trace_key, span_id)` index.
const OF_TRACE: &str = "trace_key = (SELECT tkey FROM traces WHERE trace_id = ?1)";

const TRACE_COLS: &str = "t.trace_id, t.start_ns, t.end_ns, t.duration_ns, t.name, t.session_id, t.user_id, t.service,
    t.models, t.tags, t.span_count, t.error_count, t.llm_calls, t.input_tokens, t.output_tokens, t.total_tokens,
    t.cache_read_tokens, t.reasoning_tokens, t.cost_usd, t.cost_known_usd, t.unknown_cost_spans, t.status,
    t.missing_parents, t.input_preview, t.output_preview";

fn trace_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Trace> {
    let models: String = r.get(8)?;
    let tags: String = r.get(9)?;
    let status: String = r.get(21)?;
    Ok(Trace {
        trace_id: r.get(0)?,
        start_ns: r.get(1)?,
        end_ns: r.get(2)?,
        duration_ns: r.get(3)?,
        name: r.get(4)?,
        session_id: r.get(5)?,
        user_id: r.get(6)?,
        service: r.get(7)?,
        models: serde_json::from_str(&models).unwrap_or_default(),
        tags: serde_json::from_str(&tags).unwrap_or_default(),
        span_count: r.get(10)?,
        error_count: r.get(11)?,
        llm_calls: r.get(12)?,
        input_tokens: r.get(13)?,
        output_tokens: r.get(14)?,
        total_tokens: r.get(15)?,
        cache_read_tokens: r.get(16)?,
        reasoning_tokens: r.get(17)?,
        cost_usd: r.get(18)?,
        cost_known_usd: r.get(19)?,
        unknown_cost_spans: r.get(20)?,
        error: status == "error",
        missing_parents: r.get(22)?,
        input_preview: r.get(23)?,
        output_preview: super::previews::unpack(r.get_ref(24)?),
    })
}

fn skeleton_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SpanSkeleton> {
    let kind = r.get_ref(4)?.as_str()?;
    let status = r.get_ref(7)?.as_str()?;
    let tokens: [Option<i64>; 6] = [
        r.get(9)?,
        r.get(10)?,
        r.get(11)?,
        r.get(12)?,
        r.get(13)?,
        r.get(14)?,
    ];
    let [input, output, total, cache_read, cache_write, reasoning] = tokens;
    // Every adapter stores usage only when it has a count, so a row without any count is a
    // span without usage.
    let usage = tokens.iter().any(Option::is_some).then(|| Usage {
        input,
        output,
        total,
        cache_read,
        cache_write,
        reasoning,
        ..Usage::default()
    });
    Ok(SpanSkeleton {
        row_id: r.get(0)?,
        span_id: r.get(1)?,
        parent_id: r.get(2)?,
        name: r.get(3)?,
        kind: SpanKind::parse(kind).unwrap_or(SpanKind::Unknown),
        start_ns: r.get(5)?,
        end_ns: r.get(6)?,
        status: match status {
            "error" => StatusCode::Error,
            "ok" => StatusCode::Ok,
            _ => StatusCode::Unset,
        },
        model: r.get(8)?,
        usage,
        has_cost: r.get_ref(16)?.as_str_or_null()?.is_some(),
        cost_usd: r.get(15)?,
    })
}

/// Which traces a list query reads, by how believable their start is (see
/// [`Store::list_traces`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TimePart {
    All,
    Plausible,
    Implausible,
}

impl TimePart {
    /// `w` (a WHERE clause or nothing) with this part's condition added.
    fn and(self, w: &str) -> String {
        match self {
            TimePart::All => w.to_string(),
            TimePart::Plausible => super::stats::plausible_where(w, "t.start_ns"),
            TimePart::Implausible => super::stats::implausible_where(w, "t.start_ns"),
        }
    }
}

/// The query behind one part of [`Store::list_traces`]. Ties break on start, then id; a sort
/// by start names it once: a repeated `start_ns` makes SQLite (3.50) sort the whole table
/// instead of walking `traces_start`, which on a live store cost the list half a second per
/// refresh.
pub(super) fn list_sql(
    filter: &TraceFilter,
    part: TimePart,
    sort: SortKey,
    descending: bool,
    limit: usize,
    offset: usize,
) -> (String, Vec<rusqlite::types::Value>) {
    let (w, params) = where_clause(filter);
    let dir = if descending { "DESC" } else { "ASC" };
    let ties = if sort == SortKey::Start {
        format!("t.trace_id {dir}")
    } else {
        format!("t.start_ns {dir}, t.trace_id {dir}")
    };
    let sql = format!(
        "SELECT {TRACE_COLS} FROM traces t {} ORDER BY {} {dir}, {ties} LIMIT {} OFFSET {}",
        part.and(&w),
        sort.column(),
        limit.min(i64::MAX as usize),
        offset
    );
    (sql, params)
}

/// Traces an ambiguous id prefix lists in its error.
const AMBIGUOUS_SHOWN: usize = 5;

impl Store {
    /// Traces matching `filter`, sorted, one page.
    ///
    /// Traces starting outside 1970–2200 have no believable time: they go last whichever way
    /// the list is sorted, instead of an i64::MAX start topping every newest-first list. As a
    /// first sort key that rule made SQLite sort every trace (0.8–1.6 s a page at 559k traces
    /// with one such trace), so the page is read from the believable traces by the start
    /// index, then, past their end, from the others.
    pub fn list_traces(
        &self,
        filter: &TraceFilter,
        sort: SortKey,
        descending: bool,
        limit: usize,
        offset: usize,
    ) -> Result<Vec<Trace>> {
        if !self.has_implausible_times()? {
            return self.list_rows(list_sql(
                filter,
                TimePart::All,
                sort,
                descending,
                limit,
                offset,
            ));
        }
        let mut rows = self.list_rows(list_sql(
            filter,
            TimePart::Plausible,
            sort,
            descending,
            limit,
            offset,
        ))?;
        if rows.len() < limit {
            // The believable traces ended on this page (or before it).
            let believable = if rows.is_empty() {
                usize::try_from(self.count_part(filter, TimePart::Plausible)?).unwrap_or(0)
            } else {
                offset + rows.len()
            };
            rows.extend(self.list_rows(list_sql(
                filter,
                TimePart::Implausible,
                sort,
                descending,
                limit - rows.len(),
                offset.saturating_sub(believable),
            ))?);
        }
        Ok(rows)
    }

    /// The traces a query from [`list_sql`] reads.
    fn list_rows(
        &self,
        (sql, params): (String, Vec<rusqlite::types::Value>),
    ) -> Result<Vec<Trace>> {
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(params), trace_from_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }

    fn count_part(&self, filter: &TraceFilter, part: TimePart) -> Result<i64> {
        let (w, params) = where_clause(filter);
        let sql = format!("SELECT count(*) FROM traces t {}", part.and(&w));
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))?)
    }

    pub fn count_traces(&self, filter: &TraceFilter) -> Result<i64> {
        if let Some(hides_replays) = selects_all(filter) {
            // The live list asks at every refresh: read the kept count, not the whole index.
            let (traces, _) = super::counts::read(&self.conn)?;
            let replays: i64 = if hides_replays {
                self.conn
                    .prepare_cached(
                        "SELECT count(*) FROM replays r
                         WHERE EXISTS (SELECT 1 FROM traces t WHERE t.trace_id = r.trace_id)",
                    )?
                    .query_row([], |r| r.get(0))?
            } else {
                0
            };
            return Ok(traces - replays);
        }
        let (w, params) = where_clause(filter);
        let sql = format!("SELECT count(*) FROM traces t {w}");
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(params), |r| r.get(0))?)
    }

    /// All trace ids matching a filter, newest first (for judge runs and exports).
    pub fn trace_ids(&self, filter: &TraceFilter, limit: Option<usize>) -> Result<Vec<String>> {
        let (w, params) = where_clause(filter);
        let lim = limit.map(|l| format!("LIMIT {l}")).unwrap_or_default();
        let sql = format!("SELECT t.trace_id FROM traces t {w} ORDER BY t.start_ns DESC {lim}");
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(params), |r| {
            r.get::<_, String>(0)
        })?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r?);
        }
        Ok(out)
    }

    /// Resolves a full trace id or a unique prefix of one. The id is matched as typed first
    /// (ids that are not hex are stored verbatim, `TRACE_ONE!` included); only a hex-looking
    /// id is then tried in lowercase, the form hex ids are stored in (`447AFA24`).
    pub fn resolve_trace_id(&self, id: &str) -> Result<Option<String>> {
        let id = id.trim();
        if id.is_empty() {
            return Ok(None);
        }
        if let Some(found) = self.resolve_trace_id_as_typed(id)? {
            return Ok(Some(found));
        }
        let lower = id.to_ascii_lowercase();
        if lower != id && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return self.resolve_trace_id_as_typed(&lower);
        }
        Ok(None)
    }

    fn resolve_trace_id_as_typed(&self, id: &str) -> Result<Option<String>> {
        let exact = self
            .conn
            .prepare_cached("SELECT 1 FROM traces WHERE trace_id = ?1")?
            .exists([id])?;
        if exact {
            return Ok(Some(id.to_string()));
        }
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT trace_id FROM traces WHERE trace_id >= ?1 AND trace_id < ?1 || char(1114111) LIMIT {}",
            AMBIGUOUS_SHOWN + 1
        ))?;
        let ids: Vec<String> = st
            .query_map([id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        match ids.len() {
            0 => Ok(None),
            1 => Ok(ids.into_iter().next()),
            n => {
                // The candidates, as git lists them for an ambiguous hash: enough of each to
                // tell them apart and to copy the one meant.
                let mut shown: Vec<String> = ids
                    .iter()
                    .take(AMBIGUOUS_SHOWN)
                    .map(|t| crate::sanitize::clean_line(t))
                    .collect();
                if n > AMBIGUOUS_SHOWN {
                    shown.push("…".into());
                }
                Err(StoreError::Other(format!(
                    "trace id prefix '{}' is ambiguous; type more characters. It starts: {}",
                    crate::sanitize::clean_line(id),
                    shown.join(", ")
                )))
            }
        }
    }

    pub fn trace_summary(&self, trace_id: &str) -> Result<Option<Trace>> {
        let sql = format!("SELECT {TRACE_COLS} FROM traces t WHERE t.trace_id = ?1");
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows = st.query_map([trace_id], trace_from_row)?;
        Ok(rows.next().transpose()?)
    }

    /// Every span of a trace, in start order (ties by row id). The order comes from the span
    /// rows; payloads are then read one by one in that order, so SQLite's sorter never holds
    /// a copy of every compressed payload (it did, for a 100,000-span trace, beside the
    /// decoded spans).
    pub fn trace_spans(&self, trace_id: &str) -> Result<Vec<Span>> {
        let mut st = self
            .conn
            .prepare_cached(&format!("SELECT id, start_ns FROM spans WHERE {OF_TRACE}"))?;
        let mut order = st
            .query_map([trace_id], |r| {
                Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(0)?))
            })?
            .collect::<rusqlite::Result<Vec<(i64, i64)>>>()?;
        order.sort_unstable();
        let mut out = Vec::with_capacity(order.len());
        for (_, row_id) in order {
            match self.span_payload_raw(row_id)? {
                Some(Ok(s)) => out.push(s),
                Some(Err(e)) => {
                    return Err(StoreError::Other(format!(
                        "trace {trace_id}: a stored span could not be read ({e}); re-import the source"
                    )));
                }
                None => {}
            }
        }
        Ok(out)
    }

    /// Every span of a trace without its payload (what a tree line shows), in start order
    /// (ties by row id, as [`Store::trace_spans`] orders them). One read of the span rows;
    /// nothing is decompressed, so a 100,000-span trace costs a few megabytes.
    pub fn trace_skeleton(&self, trace_id: &str) -> Result<Vec<SpanSkeleton>> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT id, span_id, parent_id, name, kind, start_ns, end_ns, status, model,
                    input_tokens, output_tokens, total_tokens, cache_read_tokens, cache_write_tokens,
                    reasoning_tokens, cost_usd, cost_source
             FROM spans WHERE {OF_TRACE}"
        ))?;
        use rusqlite::OptionalExtension as _;
        // Sized from the trace's kept span count (a hint: a concurrent import may change it),
        // so a 100,000-span skeleton is not grown by doubling, which kept the old and the new
        // buffer alive at each step: `show` of that trace peaked at 84 MB, now 68 MB.
        let expected: i64 = self
            .conn
            .prepare_cached("SELECT span_count FROM traces WHERE trace_id = ?1")?
            .query_row([trace_id], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        let mut out = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).min(1 << 24));
        for row in st.query_map([trace_id], skeleton_from_row)? {
            out.push(row?);
        }
        // Sorted here rather than by SQLite, whose sorter would copy every row once more.
        out.sort_unstable_by_key(|s| (s.start_ns, s.row_id));
        Ok(out)
    }

    /// The full span stored under `row_id` (a [`SpanSkeleton::row_id`]); `None` when it is
    /// gone (the trace was re-imported since the skeleton was read).
    pub fn span_payload(&self, row_id: i64) -> Result<Option<Span>> {
        match self.span_payload_raw(row_id)? {
            Some(Ok(s)) => Ok(Some(s)),
            Some(Err(e)) => Err(StoreError::Other(format!(
                "span row {row_id}: the stored span could not be read ({e}); re-import the source"
            ))),
            None => Ok(None),
        }
    }

    /// Some fields of the span under `row_id` (see [`super::decode_fields`]): cheaper
    /// than [`Store::span_payload`] when a reader needs no attributes.
    pub fn span_payload_fields<T: serde::de::DeserializeOwned>(
        &self,
        row_id: i64,
    ) -> Result<Option<T>> {
        match self.with_payload(row_id, super::decode_fields)? {
            None => Ok(None),
            Some(fields) => fields.map(Some).map_err(|e| {
                StoreError::Other(format!(
                    "span row {row_id}: the stored span could not be read ({e}); re-import the source"
                ))
            }),
        }
    }

    /// The payload under `row_id`, decoded straight from SQLite's buffer; the inner error
    /// says why it could not be decoded.
    fn span_payload_raw(&self, row_id: i64) -> Result<Option<std::result::Result<Span, String>>> {
        self.with_payload(row_id, super::decode_span)
    }

    /// `decode` applied to the stored payload under `row_id` (made whole with its row's
    /// fields, see [`super::row_fields`]), read in place from SQLite's buffer; `None` when
    /// there is no such row.
    fn with_payload<T>(
        &self,
        row_id: i64,
        decode: impl FnOnce(&[u8]) -> std::result::Result<T, String>,
    ) -> Result<Option<std::result::Result<T, String>>> {
        super::row_fields::read_payload(&self.conn, row_id, decode)
    }

    /// Caps this connection's page cache at `kib` KiB. A command that reads a big trace once
    /// keeps no page twice, and the default cache would hold tens of megabytes of it.
    pub fn limit_page_cache(&self, kib: i64) -> Result<()> {
        self.conn.pragma_update(None, "cache_size", -kib.max(1))?;
        Ok(())
    }

    /// Frees the pages this connection's cache holds and no read is using
    /// (`sqlite3_db_release_memory`). The TUI's reader calls it after each live refresh: with a
    /// writer committing every second, SQLite's own count of the memory it holds
    /// (`SQLITE_STATUS_MEMORY_USED`) rose 20 → 43 MB in 100 s, heaptrack put the growth in
    /// page-cache pages allocated by the reader's list queries, and with this call the count
    /// stayed at 17.7 MB. Cheap: a commit by the writer makes the next read start from an
    /// empty cache anyway.
    pub fn release_page_cache(&self) -> Result<()> {
        self.conn.release_memory()?;
        Ok(())
    }

    /// A number that changes when another connection (another process's `trawl listen` or
    /// import, or this process's writer) has committed since it was last read: how a reader
    /// notices writes it did not make.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// The traces of one session, oldest first.
    pub fn session_traces(&self, session_id: &str) -> Result<Vec<Trace>> {
        let filter = TraceFilter {
            session: Some(session_id.to_string()),
            ..Default::default()
        };
        self.list_traces(&filter, SortKey::Start, false, 10_000, 0)
    }

    /// Counts for the status line: traces and spans in the store.
    /// Read from the counts the writer keeps (see [`super::counts`]), so the cost does not
    /// grow with the store (the live TUI asks at every refresh).
    pub fn totals(&self) -> Result<(i64, i64)> {
        super::counts::read(&self.conn)
    }

    /// `totals` counted from the rows themselves (tests compare the two).
    #[cfg(test)]
    pub(crate) fn totals_counted(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT (SELECT count(*) FROM traces), (SELECT count(*) FROM spans)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// When the first and the last trace with a plausible start (1970–2200) started (UTC ns);
    /// `None` when there is none. For hints such as "the store holds traces from … to …".
    pub fn time_range(&self) -> Result<Option<(i64, i64)>> {
        // Two subqueries, so each is one lookup at an end of `traces_start`: together in one
        // SELECT, min and max scan the whole index, on every refresh of a live list.
        let (first, last): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT min(start_ns) FROM traces WHERE start_ns >= ?1),
                    (SELECT max(start_ns) FROM traces WHERE start_ns <= ?2)",
            [
                crate::display::PLAUSIBLE_MIN_NS,
                crate::display::PLAUSIBLE_MAX_NS,
            ],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(first.zip(last))
    }

    /// Does any trace start outside 1970–2200? Two index lookups: as two subqueries, since
    /// `min` and `max` in one SELECT scan the whole `traces_start` index (every list refresh).
    fn has_implausible_times(&self) -> Result<bool> {
        let (first, last): (Option<i64>, Option<i64>) = self.conn.query_row(
            "SELECT (SELECT min(start_ns) FROM traces), (SELECT max(start_ns) FROM traces)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(first.is_some_and(|t| !crate::display::plausible_ns(t))
            || last.is_some_and(|t| !crate::display::plausible_ns(t)))
    }

    /// Sources imported so far, newest first: (path, format, lines, bad lines, spans, complete).
    pub fn sources(&self) -> Result<Vec<SourceSummary>> {
        let mut st = self.conn.prepare(
            "SELECT path, format, size, mtime_ns, lines, lines_bad, spans_new, duplicates, traces, complete, imported_at_ns
             FROM sources ORDER BY id DESC",
        )?;
        let rows = st.query_map([], |r| {
            Ok(SourceSummary {
                path: r.get(0)?,
                format: r.get(1)?,
                size: r.get(2)?,
                mtime_ns: r.get(3)?,
                lines: r.get(4)?,
                lines_bad: r.get(5)?,
                spans_new: r.get(6)?,
                duplicates: r.get(7)?,
                traces: r.get(8)?,
                complete: r.get::<_, i64>(9)? != 0,
                imported_at_ns: r.get(10)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Was this exact file (path, size, mtime) already imported completely?
    pub fn source_is_current(&self, path: &str, size: u64, mtime_ns: i64) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT 1 FROM sources WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 AND complete = 1",
            )?
            .exists(rusqlite::params![path, size as i64, mtime_ns])?)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SourceSummary {
    pub path: String,
    pub format: String,
    pub size: Option<i64>,
    pub mtime_ns: Option<i64>,
    pub lines: i64,
    pub lines_bad: i64,
    pub spans_new: i64,
    pub duplicates: i64,
    pub traces: i64,
    pub complete: bool,
    pub imported_at_ns: i64,
}

#[cfg(test)]
#[path = "query_tests.rs"]
mod tests;
