//! Statistics aggregates kept beside the spans (issue 17): for every 15-minute UTC cell and
//! every grouping (none, model, tag, name, user, service), the sums of the traces starting in
//! the cell, every value of the three latency series (trace durations, LLM call durations,
//! times to first token, as little-endian i64 blobs) and the judge figures. `trawl stats`
//! then reads a few thousand cells instead of every trace and span.
//!
//! **Exact, not approximate.** A cell holds the same [`Partial`] the span path computes for the
//! traces starting in it (ungrouped LLM calls count by their own start, as in the span path),
//! so a bucket made of whole cells adds up to the span path's figures, percentiles included:
//! they are picked from the bucket's values, never from per-cell percentiles. Every bucket of
//! `--by hour/day/week` at an offset that is a multiple of 15 minutes (every real time zone)
//! is made of whole cells.
//!
//! **When the span path answers instead** (see [`answer`]): any filter other than the default
//! (which hides replays) — a filter selects traces, and the cells no longer know which traces
//! they hold; an offset that is not a multiple of 15 minutes; and a store with many cells not
//! yet recomputed.
//!
//! **Parts.** A cell may be stored as several rows (`part` 0, 1, …): each import batch appends
//! what its new traces add as a part of its own ([`super::cell_delta`]) rather than reading and
//! rewriting the cell, and readers add the parts up as they add cells up. A cell reaching
//! [`super::cell_delta::MAX_PARTS`] parts has its newest parts merged ([`merge_tail`]: only
//! parts of similar size, so a value is rewritten a logarithmic number of times); a recomputed
//! cell is one part.
//!
//! **Staying current.** Whatever changes a trace's figures marks its time range dirty in
//! `stats_dirty`: the roll-up of every committed batch (the old and the new range of each trace
//! it touched, so a span rewritten by a later import is covered), and triggers on judge scores
//! and on replays. Dirty cells are recomputed from the spans by [`refresh`] at the end of an
//! import ([`Store::refresh_stats_cells`] for other writers), or by a writable reader when
//! they are few; until then a read computes the few from the spans itself, and the span path
//! answers when many are dirty.

use super::stats::{Buckets, GroupBy};
use super::stats_scan::{Partial, Partials, Range, SeriesWanted, Sum, scan};
use super::{Result, Store, TraceFilter};
use crate::display::{PLAUSIBLE_MAX_NS, PLAUSIBLE_MIN_NS};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::time::Duration;

/// Cell length: 15 minutes, the greatest common divisor of every time zone offset in use.
pub(super) const CELL_NS: i64 = 15 * 60 * 1_000_000_000;

/// More dirty ranges than this are not computed one by one on read: the span path is faster.
const MAX_LIVE_RANGES: usize = 32;

/// A reader recomputes at most this many dirty cells (four days) before answering. More is
/// what an import still running leaves (it recomputes them itself when it ends): a reader
/// that took it on would hold the write lock for seconds, and the TUI reads while importing.
const MAX_REFRESH_ON_READ: i64 = 4 * 96;

/// Every grouping the cells are kept for. Not users: a user has about one trace per cell, so
/// user cells would be as many rows as traces (a fifth of the store's cells on the benchmark
/// store, and a sixth of the work at the end of every import) and no faster to read than the
/// traces themselves; `--group-by user` reads the spans.
pub(super) const DIMS: [Option<GroupBy>; 5] = [
    None,
    Some(GroupBy::Model),
    Some(GroupBy::Tag),
    Some(GroupBy::Name),
    Some(GroupBy::Service),
];

pub(super) fn dim_key(g: Option<GroupBy>) -> &'static str {
    g.map_or("", GroupBy::label)
}

pub(super) fn cell_floor(ns: i64) -> i64 {
    ns - ns.rem_euclid(CELL_NS)
}

/// `[start, end]` (inclusive, any order of magnitude) as whole plausible cells, or `None`
/// when nothing of it is plausible (such traces are in no bucket).
fn cells_of(start: i64, end: i64) -> Option<Range> {
    let a = start.max(PLAUSIBLE_MIN_NS);
    let b = end.max(start).min(PLAUSIBLE_MAX_NS);
    (a <= b).then(|| (cell_floor(a), cell_floor(b) + CELL_NS))
}

/// Sorted, merged ranges.
fn coalesce(mut ranges: Vec<Range>) -> Vec<Range> {
    ranges.sort_unstable();
    let mut out: Vec<Range> = Vec::with_capacity(ranges.len());
    for (a, b) in ranges {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// The time ranges a batch changed, written to `stats_dirty` at once.
#[derive(Debug, Default)]
pub(super) struct DirtyRanges(Vec<Range>);

impl DirtyRanges {
    /// Marks the cells of a trace spanning `[start_ns, end_ns]`: its start and, for the
    /// ungrouped LLM series, the start of every call in it.
    pub fn mark(&mut self, start_ns: i64, end_ns: i64) {
        if let Some(r) = cells_of(start_ns, end_ns) {
            self.0.push(r);
        }
    }

    pub fn flush(self, conn: &Connection) -> Result<()> {
        for (a, b) in coalesce(self.0) {
            conn.prepare_cached("INSERT INTO stats_dirty(from_ns, to_ns) VALUES (?1, ?2)")?
                .execute([a, b - 1])?;
        }
        Ok(())
    }
}

/// The dirty cells as sorted, merged, plausible cell ranges.
pub(super) fn load_dirty(conn: &Connection) -> Result<Vec<Range>> {
    let mut st = conn.prepare_cached("SELECT from_ns, to_ns FROM stats_dirty")?;
    let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out = Vec::new();
    for r in rows {
        let (a, b) = r?;
        // Stored ranges are inclusive at both ends, in any order of magnitude.
        if let Some(r) = cells_of(a, b) {
            out.push(r);
        }
    }
    Ok(coalesce(out))
}

/// The bucket start of the cell starting at `cell_ns`, when every instant of the cell falls
/// in that bucket; `None` when buckets do not follow cell boundaries.
fn bucket_of(cell_ns: i64, buckets: Buckets) -> Option<i64> {
    match buckets {
        Buckets::Whole => Some(0),
        Buckets::Every { len_ns, shift_ns } => {
            let aligned = len_ns > 0 && len_ns % CELL_NS == 0 && shift_ns % CELL_NS == 0;
            aligned
                .then(|| cell_floor(cell_ns) - (cell_floor(cell_ns) + shift_ns).rem_euclid(len_ns))
        }
    }
}

/// The partials of `filter` per (bucket, group) from the cells, or `None` when the cells
/// cannot answer exactly and the span path must (see the module comment).
pub(super) fn answer(
    store: &Store,
    filter: &TraceFilter,
    buckets: Buckets,
    group: Option<GroupBy>,
    series: SeriesWanted,
    has_replays: bool,
) -> Result<Option<Partials>> {
    let writable = store.access().is_writable();
    from_cells(
        &store.conn,
        writable,
        filter,
        buckets,
        group,
        series,
        has_replays,
    )
}

/// [`answer`] on `conn`; dirty cells are recomputed first when `writable`, else read from the
/// spans.
fn from_cells(
    conn: &Connection,
    writable: bool,
    filter: &TraceFilter,
    buckets: Buckets,
    group: Option<GroupBy>,
    series: SeriesWanted,
    has_replays: bool,
) -> Result<Option<Partials>> {
    if !filter.is_empty() || bucket_of(0, buckets).is_none() || !DIMS.contains(&group) {
        return Ok(None);
    }
    let mut dirty = load_dirty(conn)?;
    let dirty_cells: i64 = dirty.iter().map(|(a, b)| (b - a) / CELL_NS).sum();
    if !dirty.is_empty() && writable && dirty_cells <= MAX_REFRESH_ON_READ {
        // Recompute now if nobody else is writing; a busy store is read as it is.
        match refresh_without_waiting(conn) {
            Ok(_) => dirty.clear(),
            Err(e) => tracing::debug!("statistics cells not refreshed: {e}"),
        }
    }
    if dirty.len() > MAX_LIVE_RANGES
        || dirty.iter().map(|(a, b)| (b - a) / CELL_NS).sum::<i64>() > MAX_REFRESH_ON_READ
    {
        return Ok(None);
    }
    let in_dirty = |cell: i64| {
        let i = dirty.partition_point(|&(_, b)| b <= cell);
        dirty.get(i).is_some_and(|&(a, _)| a <= cell)
    };
    // A bucket's values are gathered cell by cell as chunks and copied once into a vector of
    // the final size: growing one vector per bucket cost more than everything else here.
    let mut acc = Gathered::new();
    let mut add = |cell: i64, grp: String, p: Partial| {
        if let Some(bk) = bucket_of(cell, buckets) {
            gather(&mut acc, (bk, grp), p);
        }
    };
    let dim = dim_key(group);
    {
        let mut st = conn.prepare_cached(&format!(
            "SELECT cell_ns, grp, {CELL_COLUMNS} FROM stats_cells WHERE dim = ?1"
        ))?;
        let mut rows = st.query([dim])?;
        while let Some(r) = rows.next()? {
            let cell: i64 = r.get(0)?;
            if in_dirty(cell) {
                continue;
            }
            let p = cell_from_row(r, series)?;
            add(cell, r.get(1)?, p);
        }
        let mut st = conn.prepare_cached(
            "SELECT cell_ns, grp, rule, false_n, n, cost, cost_err FROM stats_rule_cells WHERE dim = ?1",
        )?;
        let mut rows = st.query([dim])?;
        while let Some(r) = rows.next()? {
            let cell: i64 = r.get(0)?;
            if in_dirty(cell) {
                continue;
            }
            let mut p = Partial::default();
            let rule: String = r.get(2)?;
            p.rule_costs
                .insert(rule.clone(), Sum::from_parts(r.get(5)?, r.get(6)?));
            p.rules.insert(rule, (r.get(3)?, r.get(4)?));
            add(cell, r.get(1)?, p);
        }
    }
    for &range in &dirty {
        let live = scan(
            conn,
            filter,
            buckets,
            group,
            series,
            Some(range),
            has_replays,
        )?;
        for (key, p) in live {
            gather(&mut acc, key, p);
        }
    }
    let out = acc
        .into_iter()
        .map(|(key, (mut p, [latency, llm, ttft]))| {
            p.latency = latency.concat();
            p.llm = llm.concat();
            p.ttft = ttft.concat();
            (key, p)
        })
        .collect();
    Ok(Some(out))
}

const CELL_COLUMNS: &str = "traces, errors, input_tokens, output_tokens, cost_known, cost_known_err,
    cost_full_n, cost_full_sum, cost_full_sum_err, unknown_cost_traces, judge_cost_unknown, latency, llm, ttft,
    llm_calls, llm_errors";

/// The cell in `r`, whose columns from the third on are [`CELL_COLUMNS`]; the latency series
/// not in `series` are left empty.
fn cell_from_row(r: &rusqlite::Row<'_>, series: SeriesWanted) -> rusqlite::Result<Partial> {
    let values = |i: usize, wanted: bool| -> rusqlite::Result<Vec<i64>> {
        Ok(if wanted {
            decode(r.get_ref(i)?.as_blob_or_null()?.unwrap_or_default())
        } else {
            Vec::new()
        })
    };
    Ok(Partial {
        traces: r.get(2)?,
        errors: r.get(3)?,
        input_tokens: r.get(4)?,
        output_tokens: r.get(5)?,
        cost_known: Sum::from_parts(r.get(6)?, r.get(7)?),
        cost_full_n: r.get(8)?,
        cost_full_sum: Sum::from_parts(r.get(9)?, r.get(10)?),
        unknown_cost_traces: r.get(11)?,
        judge_cost_unknown: r.get(12)?,
        latency: values(13, series.latency)?,
        llm: values(14, series.llm)?,
        ttft: values(15, series.ttft)?,
        llm_calls: r.get(16)?,
        llm_errors: r.get(17)?,
        ..Default::default()
    })
}

/// Adds `p` to a cell as a new part, reading none of the stored ones; returns how many parts
/// the cell now has.
pub(super) fn append_part(
    conn: &Connection,
    dim: &str,
    cell: i64,
    grp: &str,
    p: &Partial,
) -> Result<i64> {
    // The last key of the cell: one index seek, no value read.
    let part: i64 = conn
        .prepare_cached(
            "SELECT coalesce(max(part), -1) + 1 FROM stats_cells WHERE dim = ?1 AND cell_ns = ?2 AND grp = ?3",
        )?
        .query_row(rusqlite::params![dim, cell, grp], |r| r.get(0))?;
    store_part(conn, dim, cell, grp, part, p)?;
    Ok(part + 1)
}

/// Merges the newest parts of a cell into one, from the oldest part that holds no more values
/// than all the parts after it (see [`tail_to_merge`]); returns whether anything was merged.
/// A cell that fills while it is current (live traffic lands in one cell for 15 minutes) then
/// costs each value a rewrite only when its part at least doubles: merging every part each
/// time rewrote the whole cell every [`super::cell_delta::MAX_PARTS`] commits, a cost that
/// grew with the cell until it was most of the writer's work.
pub(super) fn merge_tail(conn: &Connection, dim: &str, cell: i64, grp: &str) -> Result<bool> {
    let parts: Vec<(i64, i64)> = conn
        .prepare_cached(
            "SELECT part, max(traces + llm_calls, 1) FROM stats_cells
             WHERE dim = ?1 AND cell_ns = ?2 AND grp = ?3 ORDER BY part",
        )?
        .query_map(rusqlite::params![dim, cell, grp], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let sizes: Vec<i64> = parts.iter().map(|&(_, n)| n).collect();
    let Some(from) = tail_to_merge(&sizes) else {
        return Ok(false);
    };
    let first = parts[from].0;
    let mut st = conn.prepare_cached(&format!(
        "SELECT cell_ns, grp, {CELL_COLUMNS} FROM stats_cells
         WHERE dim = ?1 AND cell_ns = ?2 AND grp = ?3 AND part >= ?4"
    ))?;
    let mut rows = st.query(rusqlite::params![dim, cell, grp, first])?;
    let mut merged = Partial::default();
    while let Some(r) = rows.next()? {
        merged.absorb(cell_from_row(r, SeriesWanted::ALL)?);
    }
    drop(rows);
    conn.prepare_cached(
        "DELETE FROM stats_cells WHERE dim = ?1 AND cell_ns = ?2 AND grp = ?3 AND part >= ?4",
    )?
    .execute(rusqlite::params![dim, cell, grp, first])?;
    store_part(conn, dim, cell, grp, first, &merged)?;
    Ok(true)
}

/// Which parts to merge, given each part's number of values, oldest first: from the oldest
/// part no bigger than all the parts after it together, to the newest. `None` when every part
/// is bigger than the parts after it together: sizes then at least double towards the oldest,
/// so a cell holds a logarithmic number of parts, and a part merged at least doubles, so each
/// value is rewritten a logarithmic number of times.
pub(super) fn tail_to_merge(sizes: &[i64]) -> Option<usize> {
    let mut after = 0i64;
    let mut from = None;
    for (i, &n) in sizes.iter().enumerate().rev() {
        if i + 1 < sizes.len() && n <= after {
            from = Some(i);
        }
        after = after.saturating_add(n);
    }
    from
}

/// Per bucket: the sums so far and the chunks of each latency series.
type Gathered = BTreeMap<(i64, String), (Partial, [Vec<Vec<i64>>; 3])>;

fn gather(acc: &mut Gathered, key: (i64, String), mut p: Partial) {
    let (sums, chunks) = acc.entry(key).or_default();
    for (i, v) in [&mut p.latency, &mut p.llm, &mut p.ttft]
        .into_iter()
        .enumerate()
    {
        if !v.is_empty() {
            chunks[i].push(std::mem::take(v));
        }
    }
    sums.absorb(p);
}

/// [`refresh`] unless another connection holds the write lock: a reader never waits.
fn refresh_without_waiting(conn: &Connection) -> Result<usize> {
    let waited: i64 = conn.query_row("PRAGMA busy_timeout", [], |r| r.get(0))?;
    conn.busy_timeout(Duration::ZERO)?;
    let r = refresh(conn);
    conn.busy_timeout(Duration::from_millis(waited.max(0) as u64))?;
    r
}

/// [`refresh`] at the end of an import. The spans are committed by then: if this fails, the
/// cells stay dirty and the next reader computes them from the spans.
pub(super) fn refresh_after_import(conn: &Connection) {
    let started = std::time::Instant::now();
    match refresh(conn) {
        Ok(n) => tracing::debug!(
            "stats cells: {n} recomputed after the import in {:?}",
            started.elapsed()
        ),
        Err(e) => tracing::warn!("statistics cells not refreshed after the import: {e}"),
    }
}

/// Recomputes the dirty cells from the spans; returns how many cells it wrote. Runs in its own
/// savepoint, so inside or outside a transaction.
pub(super) fn refresh(conn: &Connection) -> Result<usize> {
    conn.execute_batch("SAVEPOINT stats_refresh")?;
    match refresh_in(conn) {
        Ok(n) => {
            conn.execute_batch("RELEASE stats_refresh")?;
            Ok(n)
        }
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK TO stats_refresh; RELEASE stats_refresh");
            Err(e)
        }
    }
}

fn refresh_in(conn: &Connection) -> Result<usize> {
    // The write lock first, so no commit lands between reading the dirty ranges and clearing
    // them.
    conn.execute("DELETE FROM stats_dirty WHERE 0", [])?;
    let dirty = load_dirty(conn)?;
    conn.execute("DELETE FROM stats_dirty", [])?;
    let has_replays = conn
        .prepare_cached("SELECT 1 FROM replays LIMIT 1")?
        .exists([])?;
    let cells = Buckets::Every {
        len_ns: CELL_NS,
        shift_ns: 0,
    };
    let mut written = 0;
    for (a, b) in dirty {
        for group in DIMS {
            let dim = dim_key(group);
            for table in ["stats_cells", "stats_rule_cells"] {
                conn.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE dim = ?1 AND cell_ns >= ?2 AND cell_ns < ?3"
                ))?
                .execute(rusqlite::params![dim, a, b])?;
            }
            let partials = scan(
                conn,
                &TraceFilter::default(),
                cells,
                group,
                SeriesWanted::ALL,
                Some((a, b)),
                has_replays,
            )?;
            for ((cell, grp), p) in partials {
                store_part(conn, dim, cell, &grp, 0, &p)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

/// Writes part `part` of a cell, and the cell's judge rules (only a recomputed cell, part 0,
/// has any).
fn store_part(
    conn: &Connection,
    dim: &str,
    cell: i64,
    grp: &str,
    part: i64,
    p: &Partial,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO stats_cells(dim, cell_ns, grp, part, traces, errors, input_tokens, output_tokens,
           cost_known, cost_known_err, cost_full_n, cost_full_sum, cost_full_sum_err, unknown_cost_traces,
           judge_cost_unknown, latency, llm, ttft, llm_calls, llm_errors)
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)",
    )?
    .execute(rusqlite::params![
        dim,
        cell,
        grp,
        part,
        p.traces,
        p.errors,
        p.input_tokens,
        p.output_tokens,
        p.cost_known.parts().0,
        p.cost_known.parts().1,
        p.cost_full_n,
        p.cost_full_sum.parts().0,
        p.cost_full_sum.parts().1,
        p.unknown_cost_traces,
        p.judge_cost_unknown,
        encode(&p.latency),
        encode(&p.llm),
        encode(&p.ttft),
        p.llm_calls,
        p.llm_errors
    ])?;
    for (rule, (f, n)) in &p.rules {
        let (cost, err) = p.rule_costs.get(rule).copied().unwrap_or_default().parts();
        conn.prepare_cached(
            "INSERT INTO stats_rule_cells(dim, cell_ns, grp, rule, false_n, n, cost, cost_err)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
        )?
        .execute(rusqlite::params![dim, cell, grp, rule, f, n, cost, err])?;
    }
    Ok(())
}

fn encode(values: &[i64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn decode(bytes: &[u8]) -> Vec<i64> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            i64::from_le_bytes(b)
        })
        .collect()
}

impl Store {
    /// Recomputes the statistics cells that writes since the last import made stale (judge
    /// verdicts, replays, a live receiver's commits); returns how many cells it wrote.
    pub fn refresh_stats_cells(&self) -> Result<usize> {
        refresh(&self.conn)
    }

    /// Recomputes every statistics cell from the spans: for stores written around trawl (the
    /// synthetic benchmark store) and tests. Imports keep the cells current themselves.
    pub fn rebuild_stats_cells(&self) -> Result<usize> {
        self.conn.execute(
            "INSERT INTO stats_dirty(from_ns, to_ns) VALUES (?1, ?2)",
            [PLAUSIBLE_MIN_NS, PLAUSIBLE_MAX_NS],
        )?;
        refresh(&self.conn)
    }
}

#[cfg(test)]
#[path = "aggregates_tests.rs"]
pub(super) mod equality_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_coalesce_and_cells_align() {
        assert_eq!(
            coalesce(vec![(5, 9), (0, 3), (3, 4), (8, 12)]),
            vec![(0, 4), (5, 12)]
        );
        assert_eq!(
            cells_of(CELL_NS + 1, CELL_NS + 2),
            Some((CELL_NS, 2 * CELL_NS))
        );
        assert_eq!(cells_of(i64::MIN, -1), None);
        assert_eq!(cells_of(i64::MIN, i64::MAX).map(|r| r.0), Some(0));
        assert_eq!(decode(&encode(&[-1, 0, i64::MAX])), vec![-1, 0, i64::MAX]);
    }

    #[test]
    fn buckets_of_cells_follow_offsets_in_quarter_hours_only() {
        let hour = 4 * CELL_NS;
        let every = |shift_ns| Buckets::Every {
            len_ns: hour,
            shift_ns,
        };
        assert_eq!(bucket_of(5 * CELL_NS, every(0)), Some(hour));
        // +00:45: 01:30 UTC is 02:15 local, in the hour starting 02:00 local = 01:15 UTC.
        assert_eq!(
            bucket_of(6 * CELL_NS, every(3 * CELL_NS)),
            Some(5 * CELL_NS)
        );
        assert_eq!(bucket_of(5 * CELL_NS, every(60_000_000_000)), None);
        assert_eq!(bucket_of(5 * CELL_NS, Buckets::Whole), Some(0));
    }
}
