//! Scores: judge verdicts, human labels, imported evaluations and check results, all in one
//! table. The newest
//! score per (trace, rule, source) is the current one; older ones are history.

use super::{Result, Store};
use crate::model::{Score, ScoreSource, Verdict};

const COLS: &str =
    "id, trace_id, span_id, name, verdict, value, label, explanation, source, model, rule_hash,
    samples, agree, input_tokens, output_tokens, cost_usd, author, note, created_at_ns, cache_key";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Score> {
    let verdict: Option<String> = r.get(4)?;
    let source: String = r.get(8)?;
    Ok(Score {
        id: Some(r.get(0)?),
        trace_id: r.get(1)?,
        span_id: r.get(2)?,
        name: r.get(3)?,
        verdict: verdict.as_deref().and_then(Verdict::parse),
        value: r.get(5)?,
        label: r.get(6)?,
        explanation: r.get(7)?,
        source: ScoreSource::parse(&source).unwrap_or(ScoreSource::Imported),
        model: r.get(9)?,
        rule_hash: r.get(10)?,
        samples: r.get(11)?,
        agree: r.get(12)?,
        input_tokens: r.get(13)?,
        output_tokens: r.get(14)?,
        cost_usd: r.get(15)?,
        author: r.get(16)?,
        note: r.get(17)?,
        created_at_ns: Some(r.get(18)?),
        cache_key: r.get(19)?,
    })
}

impl Store {
    /// Stores a new score (its `id` is ignored) and returns its row id. A score without a
    /// creation time is stamped with the current time.
    pub fn insert_score(&self, s: &Score) -> Result<i64> {
        self.conn.prepare_cached(
            "INSERT INTO scores(trace_id, span_id, name, verdict, value, label, explanation, source, model, rule_hash,
               samples, agree, input_tokens, output_tokens, cost_usd, author, note, created_at_ns, cache_key)
             VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)",
        )?
        .execute(rusqlite::params![
            s.trace_id,
            s.span_id,
            s.name,
            s.verdict.map(Verdict::as_str),
            s.value,
            s.label,
            s.explanation,
            s.source.as_str(),
            s.model,
            s.rule_hash,
            s.samples,
            s.agree,
            s.input_tokens,
            s.output_tokens,
            s.cost_usd,
            s.author,
            s.note,
            s.created_at_ns.unwrap_or_else(super::write::now_ns),
            s.cache_key
        ])?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn delete_score(&self, id: i64) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM scores WHERE id = ?1", [id])?
            == 1)
    }

    /// Every score of a trace, newest first.
    pub fn scores_for_trace(&self, trace_id: &str) -> Result<Vec<Score>> {
        let sql = format!("SELECT {COLS} FROM scores WHERE trace_id = ?1 ORDER BY id DESC");
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map([trace_id], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The current score per (trace, rule) from one source, for many traces at once.
    pub fn latest_scores(&self, trace_ids: &[String], source: ScoreSource) -> Result<Vec<Score>> {
        let mut out = Vec::new();
        let sql = format!(
            "SELECT {COLS} FROM scores s WHERE trace_id = ?1 AND source = ?2 AND id = (
               SELECT max(id) FROM scores s2 WHERE s2.trace_id = s.trace_id AND s2.name = s.name AND s2.source = s.source)
             ORDER BY name"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        for t in trace_ids {
            let rows = st.query_map(rusqlite::params![t, source.as_str()], row)?;
            for r in rows {
                out.push(r?);
            }
        }
        Ok(out)
    }

    /// Every current score of one source (all traces), e.g. for agreement and stats.
    pub fn all_latest_scores(&self, source: ScoreSource, rule: Option<&str>) -> Result<Vec<Score>> {
        let sql = format!(
            "SELECT {COLS} FROM scores s WHERE source = ?1 AND (?2 IS NULL OR name = ?2) AND id = (
               SELECT max(id) FROM scores s2 WHERE s2.trace_id = s.trace_id AND s2.name = s.name AND s2.source = s.source)
             ORDER BY trace_id, name"
        );
        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st.query_map(rusqlite::params![source.as_str(), rule], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A cached judge answer with this key, if any (re-runs cost nothing).
    pub fn score_by_cache_key(&self, key: &str) -> Result<Option<Score>> {
        let sql =
            format!("SELECT {COLS} FROM scores WHERE cache_key = ?1 ORDER BY id DESC LIMIT 1");
        let mut st = self.conn.prepare_cached(&sql)?;
        let mut rows = st.query_map([key], row)?;
        Ok(rows.next().transpose()?)
    }
}
