//! The statistics cells of traces new to the store, added to the cells directly when their
//! batch commits (issue 17): recomputing the cells of a batch's time range from the spans read
//! every trace already stored there, so an import into a store holding the same hours (a
//! second day of logs from several servers) cost as much as importing everything again.
//!
//! A new trace has no spans outside its batch, so what it adds to each cell is known from the
//! batch in memory: its sums, its duration, and its LLM calls' durations and times to first
//! token, per grouping, exactly as the span path ([`super::stats_scan::scan`]) counts them.
//! Latency values are kept unsorted (percentiles are picked by rank from a bucket's values),
//! so adding means appending. Whatever else changes a cell (a trace rewritten or extended,
//! judge verdicts, replays) still marks its range dirty for recomputation; a new trace that a
//! judge verdict or a replay already names, or that starts outside 1970–2200, goes that way too.

use super::Result;
use super::aggregates::{self, DIMS, DirtyRanges, cell_floor, dim_key};
use super::stats::{GroupBy, NO_GROUP};
use super::stats_scan::{Partial, Sum};
use crate::display::{PLAUSIBLE_MAX_NS, PLAUSIBLE_MIN_NS};
use crate::model::rollup::RollupSpan;
use crate::model::{SpanKind, Trace};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Adding a batch reads and rewrites each cell it touches. When the values already in those
/// cells outnumber the batch's own by more than this (a file in random time order, late in a
/// big import, touches every cell at every batch), its ranges are marked for recomputation
/// instead: the delta work stays proportional to the batch, the import linear in its size.
const MAX_REWRITE_RATIO: usize = 32;
/// Below this many values already stored, a batch is always added.
const REWRITE_FLOOR: usize = 1 << 16;

fn worth_adding(stored_values: usize, added_values: usize) -> bool {
    stored_values <= REWRITE_FLOOR.max(added_values.saturating_mul(MAX_REWRITE_RATIO))
}

fn plausible(ns: i64) -> bool {
    (PLAUSIBLE_MIN_NS..=PLAUSIBLE_MAX_NS).contains(&ns)
}

/// What the new traces of one batch add, per (grouping, cell, group).
#[derive(Debug, Default)]
pub(super) struct CellDelta {
    cells: HashMap<(&'static str, i64, String), Partial>,
    /// The time ranges of the traces added, to mark dirty instead when adding costs too much.
    ranges: Vec<(i64, i64)>,
}

impl CellDelta {
    /// Whether a trace new to the store can be added directly: no judge verdict or replay
    /// names it yet (those change its figures; their triggers found no trace to mark) and it
    /// starts in a plausible time (else whether its calls count depends on the store).
    pub fn accepts(conn: &Connection, trace_id: &str, start_ns: i64) -> Result<bool> {
        if !plausible(start_ns) {
            return Ok(false);
        }
        let judged = conn
            .prepare_cached(
                "SELECT 1 FROM scores WHERE trace_id = ?1 AND source = 'judge' LIMIT 1",
            )?
            .query_row([trace_id], |_| Ok(()))
            .optional()?
            .is_some();
        let replay = conn
            .prepare_cached("SELECT 1 FROM replays WHERE trace_id = ?1")?
            .query_row([trace_id], |_| Ok(()))
            .optional()?
            .is_some();
        Ok(!judged && !replay)
    }

    /// Adds trace `r` rolled up from `spans` (each span once), which [`Self::accepts`].
    pub fn add(&mut self, r: &Trace, spans: &[RollupSpan]) {
        self.ranges.push((r.start_ns, r.end_ns));
        let cell = cell_floor(r.start_ns);
        // LLM calls as the span path takes them: plausible start and end.
        let calls: Vec<&RollupSpan> = spans
            .iter()
            .filter(|s| {
                s.kind == SpanKind::Llm && plausible(s.start_ns) && s.end_ns.is_none_or(plausible)
            })
            .collect();
        let llm: Vec<i64> = calls
            .iter()
            .filter_map(|s| s.end_ns.map(|e| e - s.start_ns))
            .collect();
        let ttft: Vec<i64> = calls.iter().filter_map(|s| s.ttft_ns).collect();
        let trace_part = || {
            let mut cost_known = Sum::default();
            cost_known.add(r.cost_known_usd);
            let mut cost_full_sum = Sum::default();
            if let Some(c) = r.cost_usd {
                cost_full_sum.add(c);
            }
            Partial {
                traces: 1,
                errors: i64::from(r.error),
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                cost_known,
                cost_full_n: i64::from(r.cost_usd.is_some()),
                cost_full_sum,
                unknown_cost_traces: i64::from(r.cost_usd.is_none()),
                latency: vec![r.duration_ns],
                ..Default::default()
            }
        };
        for group in DIMS {
            let dim = dim_key(group);
            for grp in groups_of(r, group) {
                let mut p = trace_part();
                if group.is_some() {
                    // Grouped, a trace's calls count in its own cell.
                    p.llm = llm.clone();
                    p.ttft = ttft.clone();
                }
                self.absorb((dim, cell, grp), p);
            }
        }
        // Ungrouped, each call counts in the cell of its own start.
        for s in calls {
            let call_cell = cell_floor(s.start_ns);
            let p = Partial {
                llm: s.end_ns.map(|e| vec![e - s.start_ns]).unwrap_or_default(),
                ttft: s.ttft_ns.map(|t| vec![t]).unwrap_or_default(),
                ..Default::default()
            };
            self.absorb((dim_key(None), call_cell, String::new()), p);
        }
    }

    fn absorb(&mut self, key: (&'static str, i64, String), p: Partial) {
        self.cells.entry(key).or_default().absorb(p);
    }

    /// Writes the batch's contribution into the cells, in the batch's transaction, after its
    /// dirty ranges are flushed. Cells already dirty are left to their recomputation, which
    /// reads these traces from the spans; a batch whose cells hold far more than it adds marks
    /// its ranges dirty instead (see [`MAX_REWRITE_RATIO`]).
    pub fn apply(self, conn: &Connection) -> Result<()> {
        if self.cells.is_empty() {
            return Ok(());
        }
        let dirty = aggregates::load_dirty(conn)?;
        let in_dirty = |cell: i64| {
            let i = dirty.partition_point(|&(_, b)| b <= cell);
            dirty.get(i).is_some_and(|&(a, _)| a <= cell)
        };
        let values = |p: &Partial| p.latency.len() + p.llm.len() + p.ttft.len();
        let added: usize = self.cells.values().map(values).sum();
        let mut merged = Vec::with_capacity(self.cells.len());
        let mut stored = 0;
        for ((dim, cell, grp), delta) in self.cells {
            if in_dirty(cell) {
                continue;
            }
            let mut p = aggregates::load_cell(conn, dim, cell, &grp)?.unwrap_or_default();
            stored += values(&p);
            if !worth_adding(stored, added) {
                let mut dirty = DirtyRanges::default();
                for (a, b) in self.ranges {
                    dirty.mark(a, b);
                }
                return dirty.flush(conn);
            }
            p.absorb(delta);
            merged.push((dim, cell, grp, p));
        }
        for (dim, cell, grp, p) in merged {
            aggregates::store_cell(conn, dim, cell, &grp, &p)?;
        }
        Ok(())
    }
}

/// The groups trace `r` counts in under `group`, as the span path's join finds them: one row
/// per model as reported (lowercased the way SQLite's `lower` does, ASCII only), one per
/// distinct tag, or the name or service; `(none)` when there is nothing.
fn groups_of(r: &Trace, group: Option<GroupBy>) -> Vec<String> {
    let or_none = |v: Vec<String>| {
        if v.is_empty() {
            vec![NO_GROUP.to_string()]
        } else {
            v
        }
    };
    match group {
        None => vec![String::new()],
        Some(GroupBy::Model) => or_none(r.models.iter().map(|m| m.to_ascii_lowercase()).collect()),
        Some(GroupBy::Tag) => {
            let mut tags: Vec<String> = r.tags.clone();
            tags.sort_unstable();
            tags.dedup();
            or_none(tags)
        }
        Some(GroupBy::Name) => vec![r.name.clone().unwrap_or_else(|| NO_GROUP.to_string())],
        Some(GroupBy::Service) => vec![r.service.clone().unwrap_or_else(|| NO_GROUP.to_string())],
        Some(GroupBy::User) => vec![r.user_id.clone().unwrap_or_else(|| NO_GROUP.to_string())],
    }
}

/// Checked by the equality tests in `aggregates_tests.rs`; this only pins the grouping rules.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_follow_the_span_paths_joins() {
        let r = Trace {
            models: vec!["GPT-4o".into(), "gpt-4o".into()],
            tags: vec!["b".into(), "a".into(), "b".into()],
            ..Default::default()
        };
        assert_eq!(groups_of(&r, Some(GroupBy::Model)), ["gpt-4o", "gpt-4o"]);
        assert_eq!(groups_of(&r, Some(GroupBy::Tag)), ["a", "b"]);
        assert_eq!(groups_of(&r, Some(GroupBy::Name)), [NO_GROUP]);
        assert_eq!(groups_of(&r, None), [""]);
    }

    #[test]
    fn a_batch_is_added_unless_its_cells_hold_far_more_than_it_adds() {
        assert!(worth_adding(REWRITE_FLOOR, 1));
        assert!(worth_adding(10 * REWRITE_FLOOR, REWRITE_FLOOR));
        assert!(!worth_adding(40 * REWRITE_FLOOR, REWRITE_FLOOR));
    }
}

#[cfg(test)]
#[path = "cell_delta_tests.rs"]
mod slice_tests;
