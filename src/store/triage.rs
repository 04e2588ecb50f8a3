//! The triage queue: traces a judge, a check or an imported label flagged, with what humans
//! have labelled since.

use super::filter_sql::where_clause;
use super::{Result, Store, TraceFilter};
use crate::model::ScoreSource;
use std::collections::BTreeSet;

/// A trace waiting for a human: the rules whose latest judge verdict is FALSE or error, and the
/// rules a human has labelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlaggedTrace {
    pub trace_id: String,
    pub flagged: Vec<String>,
    pub labeled: BTreeSet<String>,
}

impl Store {
    /// Traces (within `filter`) whose latest verdict from some source is FALSE (or a judge's is
    /// error) for some rule,
    /// newest first, with the rules that flagged them (by name) and the rules a human has given
    /// a verdict.
    pub fn triage_queue(&self, filter: &TraceFilter) -> Result<Vec<FlaggedTrace>> {
        let (w, params) = where_clause(filter);
        let sql = format!(
            "SELECT s.trace_id, s.name FROM scores s JOIN traces t0 ON t0.trace_id = s.trace_id
             WHERE (s.verdict = 'false' OR (s.source = 'judge' AND s.verdict = 'error'))
               AND s.id = (SELECT max(id) FROM scores s2
                           WHERE s2.trace_id = s.trace_id AND s2.name = s.name AND s2.source = s.source)
               AND s.trace_id IN (SELECT t.trace_id FROM traces t {w})
             GROUP BY s.trace_id, s.name
             ORDER BY t0.start_ns DESC, s.trace_id, s.name"
        );
        let mut st = self.conn.prepare(&sql)?;
        let rows = st.query_map(rusqlite::params_from_iter(params.iter()), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut items: Vec<FlaggedTrace> = Vec::new();
        for row in rows {
            let (trace_id, rule) = row?;
            match items.last_mut() {
                Some(last) if last.trace_id == trace_id => last.flagged.push(rule),
                _ => items.push(FlaggedTrace {
                    trace_id,
                    flagged: vec![rule],
                    labeled: BTreeSet::new(),
                }),
            }
        }
        let ids: Vec<String> = items.iter().map(|i| i.trace_id.clone()).collect();
        for h in self.latest_scores(&ids, ScoreSource::Human)? {
            if h.verdict.is_none() {
                continue;
            }
            if let Some(item) = items.iter_mut().find(|i| i.trace_id == h.trace_id) {
                item.labeled.insert(h.name);
            }
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Score, Span, Verdict};
    use crate::store::{SourceOutcome, SourceRecord, SpanWriter};

    /// A store holding one single-span trace per (id, start).
    fn store_with_traces(traces: &[(&str, i64)]) -> Store {
        let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let mut w = SpanWriter::begin(&mut store, &SourceRecord::default())
            .unwrap_or_else(|e| panic!("{e}"));
        for (id, start_ns) in traces {
            let span = Span {
                trace_id: id.to_string(),
                span_id: "root".into(),
                start_ns: *start_ns,
                ..Default::default()
            };
            w.write(&span).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish(&SourceOutcome::default())
            .unwrap_or_else(|e| panic!("{e}"));
        store
    }

    fn judge(store: &Store, trace: &str, rule: &str, v: Verdict) {
        let score = Score {
            verdict: Some(v),
            ..Score::new(ScoreSource::Judge, trace, rule)
        };
        store.insert_score(&score).unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn flags_only_the_latest_false_or_error_verdicts_and_notes_labels() {
        let store = store_with_traces(&[("old", 1), ("new", 2), ("ok", 3)]);
        judge(&store, "old", "grounded", Verdict::False);
        judge(&store, "new", "grounded", Verdict::Error);
        judge(&store, "new", "answered", Verdict::False);
        // Judged again and now TRUE: no longer flagged.
        judge(&store, "ok", "grounded", Verdict::False);
        judge(&store, "ok", "grounded", Verdict::True);
        store
            .insert_score(&Score::human_label(
                "old",
                "grounded",
                Verdict::True,
                "ann",
                None,
            ))
            .unwrap_or_else(|e| panic!("{e}"));
        let q = store
            .triage_queue(&TraceFilter::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<&str> = q.iter().map(|f| f.trace_id.as_str()).collect();
        assert_eq!(ids, ["new", "old"], "newest first, the cleared trace gone");
        assert_eq!(q[0].flagged, ["answered", "grounded"]);
        assert!(q[0].labeled.is_empty());
        assert_eq!(q[1].labeled, BTreeSet::from(["grounded".to_string()]));
        let only_old = TraceFilter {
            until_ns: Some(2),
            ..Default::default()
        };
        let q = store
            .triage_queue(&only_old)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(q.len(), 1);
        assert_eq!(q[0].trace_id, "old");
    }
}
