//! Keeps the `traces` table (one roll-up row per trace, see [`crate::model::rollup`]) and its
//! model and tag indexes in step with the spans the writer stores.

use super::Result;
use super::aggregates::DirtyRanges;
use super::cell_delta::CellDelta;
use crate::model::rollup::RollupSpan;
use crate::model::{SpanKind, Trace, model_name};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// A span rewritten within one batch appears twice; the store kept the last copy, so do we.
fn last_copy_per_span(spans: Vec<RollupSpan>) -> Vec<RollupSpan> {
    let mut seen = std::collections::HashSet::new();
    let mut out: Vec<RollupSpan> = spans
        .into_iter()
        .rev()
        .filter(|s| seen.insert(s.span_id.clone()))
        .collect();
    out.reverse();
    out
}

/// Loads the roll-up columns of one trace.
fn load(conn: &Connection, trace_id: &str) -> Result<Vec<RollupSpan>> {
    let mut st = conn.prepare_cached(
        "SELECT span_id, parent_id, name, kind, start_ns, end_ns, status, model, session_id, user_id, service,
                input_tokens, output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, cost_usd,
                cost_source, tags, preview_in, preview_out, ttft_ns
         FROM spans WHERE trace_id = ?1",
    )?;
    let rows = st.query_map([trace_id], |r| {
        let kind: String = r.get(3)?;
        let status: String = r.get(6)?;
        let cost_source: Option<String> = r.get(17)?;
        let tags: Option<String> = r.get(18)?;
        Ok(RollupSpan {
            span_id: r.get(0)?,
            parent_id: r.get(1)?,
            name: r.get(2)?,
            kind: SpanKind::parse(&kind).unwrap_or(SpanKind::Unknown),
            start_ns: r.get(4)?,
            end_ns: r.get(5)?,
            error: status == "error",
            model: r.get(7)?,
            session_id: r.get(8)?,
            user_id: r.get(9)?,
            service: r.get(10)?,
            input: r.get(11)?,
            output: r.get(12)?,
            total: r.get(13)?,
            cache_read: r.get(14)?,
            reasoning: r.get(15)?,
            cost: r.get(16)?,
            cost_unknown: cost_source.as_deref() == Some("unknown"),
            tags: tags
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            preview_in: r.get(19)?,
            preview_out: r.get(20)?,
            ttft_ns: r.get(21)?,
        })
    })?;
    let mut out = Vec::new();
    for r in rows {
        out.push(r?);
    }
    Ok(out)
}

/// Recomputes and stores the roll-ups of `trace_ids`; returns how many traces are new.
/// `batch` holds the spans the current batch wrote, per trace. A trace with no roll-up row yet
/// has no spans outside the batch (every committed batch writes the rows of its traces), so
/// its roll-up is computed from memory without reading anything back.
pub(super) fn refresh_with(
    conn: &Connection,
    trace_ids: &[String],
    batch: &mut HashMap<String, Vec<RollupSpan>>,
) -> Result<u64> {
    let mut new = 0;
    // The statistics cells of the old and the new time range of every trace change.
    let mut dirty = DirtyRanges::default();
    // Traces new to the store add to the cells directly (see `cell_delta`).
    let mut delta = CellDelta::default();
    for t in trace_ids {
        let before: Option<(i64, i64)> = conn
            .prepare_cached("SELECT start_ns, end_ns FROM traces WHERE trace_id = ?1")?
            .query_row([t], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let existed = before.is_some();
        let spans = match batch.remove(t) {
            Some(spans) if !existed => last_copy_per_span(spans),
            _ => load(conn, t)?,
        };
        let r = Trace::roll_up(t, &spans);
        if let Some((start, end)) = before {
            dirty.mark(start, end);
            dirty.mark(r.start_ns, r.end_ns);
        } else if CellDelta::accepts(conn, t, r.start_ns)? {
            delta.add(&r, &spans);
        } else {
            dirty.mark(r.start_ns, r.end_ns);
        }
        if !existed {
            new += 1;
        }
        conn.prepare_cached(
            "INSERT OR REPLACE INTO traces(trace_id, start_ns, end_ns, duration_ns, name, session_id, user_id,
               service, models, tags, span_count, error_count, llm_calls, input_tokens, output_tokens,
               total_tokens, cache_read_tokens, reasoning_tokens, cost_usd, cost_known_usd, unknown_cost_spans,
               status, missing_parents, input_preview, output_preview)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25)",
        )?
        .execute(rusqlite::params![
            t,
            r.start_ns,
            r.end_ns,
            r.duration_ns,
            r.name,
            r.session_id,
            r.user_id,
            r.service,
            serde_json::to_string(&r.models).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&r.tags).unwrap_or_else(|_| "[]".into()),
            r.span_count,
            r.error_count,
            r.llm_calls,
            r.input_tokens,
            r.output_tokens,
            r.total_tokens,
            r.cache_read_tokens,
            r.reasoning_tokens,
            r.cost_usd,
            r.cost_known_usd,
            r.unknown_cost_spans,
            if r.error { "error" } else { "ok" },
            r.missing_parents,
            r.input_preview,
            r.output_preview
        ])?;
        conn.prepare_cached("DELETE FROM trace_models WHERE trace_id = ?1")?
            .execute([t])?;
        conn.prepare_cached("DELETE FROM trace_tags WHERE trace_id = ?1")?
            .execute([t])?;
        for m in &r.models {
            let full = m.to_ascii_lowercase();
            for name in [model_name::base_model(&full), full.as_str()] {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO trace_models(trace_id, model) VALUES (?1, ?2)",
                )?
                .execute([t.as_str(), name])?;
            }
        }
        for tag in &r.tags {
            conn.prepare_cached("INSERT OR IGNORE INTO trace_tags(trace_id, tag) VALUES (?1, ?2)")?
                .execute([t, tag])?;
        }
    }
    dirty.flush(conn)?;
    delta.apply(conn)?;
    Ok(new)
}
