//! The statistics cells of traces new to the store, added to the cells directly when their
//! batch commits (issue 17): recomputing the cells of a batch's time range from the spans read
//! every trace already stored there, so an import into a store holding the same hours (a
//! second day of logs from several servers) cost as much as importing everything again.
//!
//! A new trace has no spans outside its batch, so what it adds to each cell is known from the
//! batch in memory: its sums, its duration, and its LLM calls' durations and times to first
//! token, per grouping, exactly as the span path ([`super::stats_scan::scan`]) counts them.
//! Latency values are kept unsorted (percentiles are picked by rank from a bucket's values),
//! so adding means appending: a batch writes its share of each cell as a new part (the table's
//! key is (dim, cell, group, part)) and never reads the parts stored before it — reading and
//! rewriting them made every batch cost as much as the cells it touched already held, which
//! grew with the store. Whatever else changes a cell (a trace rewritten or extended,
//! judge verdicts, replays) still marks its range dirty for recomputation; a new trace that a
//! judge verdict or a replay already names, or that starts outside 1970–2200, goes that way too.

use super::Result;
use super::aggregates::{self, DIMS, cell_floor, dim_key};
use super::model_shares::{TraceFigures, plausible_call, shares};
use super::stats::{GroupBy, NO_GROUP};
use super::stats_scan::{Partial, Sum};
use crate::display::{PLAUSIBLE_MAX_NS, PLAUSIBLE_MIN_NS};
use crate::model::Trace;
use crate::model::rollup::RollupSpan;
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// Parts a cell may hold before its newest are merged ([`aggregates::merge_tail`]): readers
/// add parts up like cells (a bucket's values are gathered in chunks anyway), so a few cost
/// them little, and merging only then keeps the rewriting a fraction of what appending saves.
pub(super) const MAX_PARTS: i64 = 8;

fn plausible(ns: i64) -> bool {
    (PLAUSIBLE_MIN_NS..=PLAUSIBLE_MAX_NS).contains(&ns)
}

/// What the new traces of one batch add, per (grouping, cell, group).
#[derive(Debug, Default)]
pub(super) struct CellDelta {
    cells: HashMap<(&'static str, i64, String), Partial>,
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
        let cell = cell_floor(r.start_ns);
        // LLM calls as the span path takes them: plausible start and end.
        let calls: Vec<&RollupSpan> = spans.iter().filter(|s| plausible_call(s)).collect();
        let llm: Vec<i64> = calls
            .iter()
            .filter_map(|s| s.end_ns.map(|e| e - s.start_ns))
            .collect();
        let ttft: Vec<i64> = calls.iter().filter_map(|s| s.ttft_ns).collect();
        let llm_errors = calls.iter().filter(|s| s.error).count() as i64;
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
            if group == Some(GroupBy::Model) {
                // A model's own calls (see `model_shares`).
                let t = TraceFigures {
                    error: r.error,
                    duration_ns: r.duration_ns,
                };
                for (grp, p) in shares(&t, spans) {
                    self.absorb((dim, cell, grp), p);
                }
                continue;
            }
            for grp in groups_of(r, group) {
                let mut p = trace_part();
                if group.is_some() {
                    // Grouped, a trace's calls count in its own cell.
                    p.llm = llm.clone();
                    p.ttft = ttft.clone();
                    p.llm_calls = calls.len() as i64;
                    p.llm_errors = llm_errors;
                }
                self.absorb((dim, cell, grp), p);
            }
        }
        // Ungrouped, each call counts in the cell of its own start.
        for s in calls {
            let call_cell = cell_floor(s.start_ns);
            let p = Partial {
                llm_calls: 1,
                llm_errors: i64::from(s.error),
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

    /// Appends the batch's contribution to the cells as new parts, in the batch's transaction,
    /// after its dirty ranges are flushed: nothing already stored is read, so the cost stays
    /// the batch's whatever the store holds for those hours. A cell reaching [`MAX_PARTS`]
    /// parts has its newest parts merged. Cells already dirty are left to their recomputation,
    /// which reads these traces from the spans.
    pub fn apply(self, conn: &Connection) -> Result<()> {
        if self.cells.is_empty() {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let dirty = aggregates::load_dirty(conn)?;
        let in_dirty = |cell: i64| {
            let i = dirty.partition_point(|&(_, b)| b <= cell);
            dirty.get(i).is_some_and(|&(a, _)| a <= cell)
        };
        let (mut appended, mut merged) = (0, 0);
        for ((dim, cell, grp), delta) in self.cells {
            if in_dirty(cell) {
                continue;
            }
            let parts = aggregates::append_part(conn, dim, cell, &grp, &delta)?;
            appended += 1;
            if parts >= MAX_PARTS && aggregates::merge_tail(conn, dim, cell, &grp)? {
                merged += 1;
            }
        }
        tracing::debug!(
            "stats cells: {appended} parts appended, {merged} cells merged in {:?}",
            started.elapsed()
        );
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
        Some(GroupBy::Model) => {
            let mut models: Vec<String> = r.models.iter().map(|m| m.to_ascii_lowercase()).collect();
            models.sort_unstable();
            models.dedup();
            or_none(models)
        }
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
        assert_eq!(groups_of(&r, Some(GroupBy::Model)), ["gpt-4o"]);
        assert_eq!(groups_of(&r, Some(GroupBy::Tag)), ["a", "b"]);
        assert_eq!(groups_of(&r, Some(GroupBy::Name)), [NO_GROUP]);
        assert_eq!(groups_of(&r, None), [""]);
    }
}

#[cfg(test)]
#[path = "cell_delta_tests.rs"]
mod slice_tests;
