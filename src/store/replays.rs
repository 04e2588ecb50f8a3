//! Replays (`trawl replay`): a replay is a trace of its own, written like any imported trace,
//! plus one row here linking it to the recorded call it re-sent. Originals are never touched.

use super::write::{SourceOutcome, SourceRecord, SpanWriter};
use super::{Result, Store};
use crate::model::Span;
use serde::Serialize;

/// A replay and what it replayed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplayLink {
    /// The replay's own trace.
    pub trace_id: String,
    /// The original trace and LLM span.
    pub replay_of_trace: String,
    pub replay_of_span: String,
    pub created_at_ns: i64,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// The overrides as JSON (`{"model": …, "system": …, "set": {…}}`).
    pub overrides: serde_json::Value,
}

/// The source every replay trace is recorded under.
pub const REPLAY_SOURCE: &str = "trawl replay";

impl Store {
    /// Writes replays (each its spans, as a new trace, and its link to the original call) in
    /// one import of the `trawl replay` source.
    pub fn record_replays(&mut self, replays: &[(Vec<Span>, ReplayLink)]) -> Result<()> {
        if replays.is_empty() {
            return Ok(());
        }
        let source = SourceRecord {
            path: REPLAY_SOURCE.into(),
            format: "replay".into(),
            ..SourceRecord::default()
        };
        let n: u64 = replays.iter().map(|(s, _)| s.len() as u64).sum();
        let mut w = SpanWriter::begin(self, &source)?;
        for (spans, _) in replays {
            for s in spans {
                w.write(s)?;
            }
        }
        w.finish(&SourceOutcome {
            lines: n,
            lines_ok: n,
            errors_json: "[]".into(),
            ..SourceOutcome::default()
        })?;
        let mut st = self.conn.prepare_cached(
            "INSERT OR REPLACE INTO replays(trace_id, replay_of_trace, replay_of_span, created_at_ns, provider, model, overrides)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for (_, link) in replays {
            st.execute(rusqlite::params![
                link.trace_id,
                link.replay_of_trace,
                link.replay_of_span,
                link.created_at_ns,
                link.provider,
                link.model,
                link.overrides.to_string()
            ])?;
        }
        Ok(())
    }

    /// The replays of a trace, oldest first.
    pub fn replays_of(&self, trace_id: &str) -> Result<Vec<ReplayLink>> {
        self.replay_links(
            "WHERE replay_of_trace = ?1 ORDER BY created_at_ns, trace_id",
            trace_id,
        )
    }

    /// Every replay, newest first (the TUI's `:replays`).
    pub fn all_replays(&self) -> Result<Vec<ReplayLink>> {
        self.replay_links("WHERE ?1 = ?1 ORDER BY created_at_ns DESC, trace_id", "")
    }

    /// What a replay trace replayed; `None` for a trace that is not a replay.
    pub fn replay_link(&self, trace_id: &str) -> Result<Option<ReplayLink>> {
        Ok(self
            .replay_links("WHERE trace_id = ?1", trace_id)?
            .into_iter()
            .next())
    }

    /// The trace holding the span `span_id` (an exact id), for commands that take either.
    pub fn trace_of_span(&self, span_id: &str) -> Result<Option<String>> {
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT t.trace_id FROM spans s JOIN traces t ON t.tkey = s.trace_key WHERE s.span_id = ?1 LIMIT 2",
            )?;
        let ids: Vec<String> = st
            .query_map([span_id.trim()], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(if ids.len() == 1 {
            ids.into_iter().next()
        } else {
            None
        })
    }

    /// Does the store hold any replay? (Statistics take a faster path when not.)
    pub fn has_replays(&self) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM replays LIMIT 1")?
            .exists([])?)
    }

    fn replay_links(&self, where_: &str, arg: &str) -> Result<Vec<ReplayLink>> {
        let sql = format!(
            "SELECT trace_id, replay_of_trace, replay_of_span, created_at_ns, provider, model, overrides FROM replays {where_}"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([arg], |r| {
            let overrides: String = r.get(6)?;
            Ok(ReplayLink {
                trace_id: r.get(0)?,
                replay_of_trace: r.get(1)?,
                replay_of_span: r.get(2)?,
                created_at_ns: r.get(3)?,
                provider: r.get(4)?,
                model: r.get(5)?,
                overrides: serde_json::from_str(&overrides).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
