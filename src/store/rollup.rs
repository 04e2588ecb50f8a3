//! Keeps the `traces` table (one roll-up row per trace, see [`crate::model::rollup`]) and its
//! model and tag indexes in step with the spans the writer stores.

use super::Result;
use super::aggregates::DirtyRanges;
use super::cell_delta::CellDelta;
use super::previews;
use crate::model::rollup::RollupSpan;
use crate::model::{SpanKind, Trace, model_name};
use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;

/// A trace the open batch wrote spans of.
pub(super) struct BatchTrace {
    /// Its key (`traces.tkey`, `spans.trace_key`).
    pub key: i64,
    /// Its stored time range before the batch; `None` for a trace new to the store.
    pub before: Option<(i64, i64)>,
    /// Roll-up columns of the spans the batch wrote, in write order.
    pub spans: Vec<RollupSpan>,
    /// What the batch's spans of the trace put in the text index.
    pub text: super::text_cover::TraceText,
    /// A span of the trace changed in the batch: its text index is rebuilt at commit.
    pub reindex: bool,
}

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

/// Loads the roll-up columns of one trace. Previews are not stored per span: those of the
/// spans the batch wrote come from `written` (last copy wins, as in the store), the others'
/// from their payloads ([`previews::stored`]; only roots and LLM calls have any). Nor are
/// sessions, users and services (see [`fill_labels`]).
fn load(conn: &Connection, key: i64, written: &[RollupSpan]) -> Result<Vec<RollupSpan>> {
    let mut fresh: HashMap<&str, &RollupSpan> = HashMap::new();
    for s in written {
        fresh.insert(&s.span_id, s);
    }
    let mut st = conn.prepare_cached(
        "SELECT span_id, parent_id, name, kind, start_ns, end_ns, status, model, input_tokens,
                output_tokens, total_tokens, cache_read_tokens, reasoning_tokens, cost_usd, cost_source,
                tags, id, ttft_ns
         FROM spans WHERE trace_key = ?1",
    )?;
    let rows = st.query_map([key], |r| {
        let row_id: i64 = r.get(16)?;
        let kind: String = r.get(3)?;
        let status: String = r.get(6)?;
        let cost_source: Option<String> = r.get(14)?;
        let tags: Option<String> = r.get(15)?;
        Ok(RollupSpan {
            span_id: r.get(0)?,
            parent_id: r.get(1)?,
            name: r.get(2)?,
            kind: SpanKind::parse(&kind).unwrap_or(SpanKind::Unknown),
            start_ns: r.get(4)?,
            end_ns: r.get(5)?,
            error: status == "error",
            model: r.get(7)?,
            session_id: None,
            user_id: None,
            service: None,
            input: r.get(8)?,
            output: r.get(9)?,
            total: r.get(10)?,
            cache_read: r.get(11)?,
            reasoning: r.get(12)?,
            cost: r.get(13)?,
            cost_unknown: cost_source.as_deref() == Some("unknown"),
            tags: tags
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_default(),
            preview_in: None,
            preview_out: None,
            ttft_ns: r.get(17)?,
        })
        .map(|span| (row_id, span))
    })?;
    let mut out = Vec::new();
    let mut row_ids = Vec::new();
    for r in rows {
        let (row_id, mut span) = r?;
        row_ids.push(row_id);
        if !previews::wanted(span.parent_id.as_deref(), span.kind) {
            out.push(span);
            continue;
        }
        (span.preview_in, span.preview_out) = match fresh.get(span.span_id.as_str()) {
            Some(w) => (w.preview_in.clone(), w.preview_out.clone()),
            None => previews::stored(conn, row_id)?,
        };
        out.push(span);
    }
    fill_labels(conn, key, &mut out, &row_ids, &fresh)?;
    Ok(out)
}

/// A span's session, user and service, as its payload holds them.
#[derive(Default, serde::Deserialize)]
#[serde(default)]
struct Labels {
    session_id: Option<String>,
    user_id: Option<String>,
    service_name: Option<String>,
}

/// Sets the session, user and service of the loaded spans that decide their trace's: spans
/// do not store them in their rows (schema 11), and a trace's are the first found in start
/// order (see [`Trace::roll_up`], whose order this follows), so only the spans up to the first
/// holding each are read: the batch's from memory, the others from their payloads, and no
/// payload at all for a field the trace had none of before the batch (no stored span has it).
fn fill_labels(
    conn: &Connection,
    key: i64,
    spans: &mut [RollupSpan],
    row_ids: &[i64],
    fresh: &HashMap<&str, &RollupSpan>,
) -> Result<()> {
    let stored: Option<[bool; 3]> = conn
        .prepare_cached(
            "SELECT session_id IS NOT NULL, user_id IS NOT NULL, service IS NOT NULL
             FROM traces WHERE tkey = ?1",
        )?
        .query_row([key], |r| Ok([r.get(0)?, r.get(1)?, r.get(2)?]))
        .optional()?;
    let stored = stored.unwrap_or([false; 3]);
    let mut found = [false; 3];
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start_ns, i));
    for i in order {
        let missing = |stored_only: bool| (0..3).any(|f| !found[f] && (!stored_only || stored[f]));
        if !missing(false) {
            break;
        }
        let s = &mut spans[i];
        let labels = match fresh.get(s.span_id.as_str()) {
            Some(w) => Labels {
                session_id: w.session_id.clone(),
                user_id: w.user_id.clone(),
                service_name: w.service.clone(),
            },
            None if missing(true) => {
                let Some(&row_id) = row_ids.get(i) else {
                    continue;
                };
                match super::row_fields::read_payload(conn, row_id, super::decode_fields::<Labels>)?
                {
                    Some(Ok(l)) => l,
                    Some(Err(e)) => {
                        tracing::warn!(
                            "span row {row_id}: payload unreadable for its trace's session: {e}"
                        );
                        Labels::default()
                    }
                    None => Labels::default(),
                }
            }
            None => continue,
        };
        for (f, (slot, value)) in [
            (&mut s.session_id, labels.session_id),
            (&mut s.user_id, labels.user_id),
            (&mut s.service, labels.service_name),
        ]
        .into_iter()
        .enumerate()
        {
            if !found[f] && value.is_some() {
                *slot = value;
                found[f] = true;
            }
        }
    }
    Ok(())
}

/// Recomputes and stores the roll-ups of the traces the batch wrote spans of; returns how many
/// are new. A trace with no roll-up row yet has no spans outside the batch (every committed
/// batch writes the rows of its traces), so its roll-up is computed from memory without
/// reading anything back, and its row is inserted under the key the writer gave it.
pub(super) fn refresh_with(
    conn: &Connection,
    batch: &mut HashMap<String, BatchTrace>,
) -> Result<u64> {
    let started = std::time::Instant::now();
    let mut new = 0;
    // The statistics cells of the old and the new time range of every trace change.
    let mut dirty = DirtyRanges::default();
    // Traces new to the store add to the cells directly (see `cell_delta`).
    let mut delta = CellDelta::default();
    let mut packer: Option<previews::Packer> = None;
    for (t, b) in batch.drain() {
        if b.spans.is_empty() {
            // Only duplicates: nothing changed.
            continue;
        }
        let before = b.before;
        let existed = before.is_some();
        let spans = if existed {
            load(conn, b.key, &b.spans)?
        } else {
            last_copy_per_span(b.spans)
        };
        let t = t.as_str();
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
        // An update keeps the trace's key (a replace would delete the row and give a new one).
        let sql = if existed {
            "UPDATE traces SET trace_id=?2, start_ns=?3, end_ns=?4, duration_ns=?5, name=?6, session_id=?7,
               user_id=?8, service=?9, models=?10, tags=?11, span_count=?12, error_count=?13, llm_calls=?14,
               input_tokens=?15, output_tokens=?16, total_tokens=?17, cache_read_tokens=?18,
               reasoning_tokens=?19, cost_usd=?20, cost_known_usd=?21, unknown_cost_spans=?22, status=?23,
               missing_parents=?24, input_preview=?25, output_preview=?26
             WHERE tkey = ?1"
        } else {
            "INSERT INTO traces(tkey, trace_id, start_ns, end_ns, duration_ns, name, session_id, user_id,
               service, models, tags, span_count, error_count, llm_calls, input_tokens, output_tokens,
               total_tokens, cache_read_tokens, reasoning_tokens, cost_usd, cost_known_usd, unknown_cost_spans,
               status, missing_parents, input_preview, output_preview)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,?22,?23,?24,?25,?26)"
        };
        let output_preview = match (&mut packer, r.output_preview.as_deref()) {
            (_, None) => rusqlite::types::Value::Null,
            (Some(p), text) => p.pack(text),
            (None, text) => packer.insert(previews::Packer::new(conn)?).pack(text),
        };
        conn.prepare_cached(sql)?.execute(rusqlite::params![
            b.key,
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
            output_preview
        ])?;
        if existed {
            conn.prepare_cached("DELETE FROM trace_models WHERE tkey = ?1")?
                .execute([b.key])?;
            conn.prepare_cached("DELETE FROM trace_tags WHERE tkey = ?1")?
                .execute([b.key])?;
        }
        for m in &r.models {
            let full = m.to_ascii_lowercase();
            for name in [model_name::base_model(&full), full.as_str()] {
                conn.prepare_cached(
                    "INSERT OR IGNORE INTO trace_models(tkey, model) VALUES (?1, ?2)",
                )?
                .execute(rusqlite::params![b.key, name])?;
            }
        }
        for tag in &r.tags {
            conn.prepare_cached("INSERT OR IGNORE INTO trace_tags(tkey, tag) VALUES (?1, ?2)")?
                .execute(rusqlite::params![b.key, tag])?;
        }
    }
    let rolled_up = started.elapsed();
    dirty.flush(conn)?;
    delta.apply(conn)?;
    tracing::debug!(
        "batch roll-up: traces {rolled_up:?}, with statistics cells {:?}",
        started.elapsed()
    );
    Ok(new)
}

#[cfg(test)]
#[path = "rollup_tests.rs"]
mod tests;
