//! Executes query effects against a store. Runs on the worker thread (or synchronously in
//! headless tests); never called from draw code.

use super::action::{Action, Badges, Effect};
use crate::model::ScoreSource;
use crate::store::Store;

/// The action an effect results in; `None` for effects that are not queries.
pub fn execute(store: &Store, effect: &Effect) -> Option<Action> {
    match effect {
        Effect::FetchPage {
            req,
            filter,
            sort,
            desc,
            offset,
            limit,
        } => {
            let result = (|| {
                let total = store.count_traces(filter)?;
                let rows = store.list_traces(filter, *sort, *desc, *limit, *offset)?;
                let ids: Vec<String> = rows.iter().map(|r| r.trace_id.clone()).collect();
                let scores = store.latest_scores(&ids, ScoreSource::Judge)?;
                let mut badges: Vec<(String, Badges)> = Vec::new();
                for s in scores {
                    let Some(v) = s.verdict else { continue };
                    match badges.iter_mut().find(|(id, _)| *id == s.trace_id) {
                        Some((_, b)) => b.push((s.name, v)),
                        None => badges.push((s.trace_id, vec![(s.name, v)])),
                    }
                }
                Ok::<_, crate::store::StoreError>((total, rows, badges))
            })();
            Some(match result {
                Ok((total, rows, badges)) => Action::PageLoaded {
                    req: *req,
                    offset: *offset,
                    total: usize::try_from(total).unwrap_or(0),
                    rows,
                    badges,
                },
                Err(e) => failed(*req, e),
            })
        }
        Effect::LoadTrace { req, trace_id } => {
            let result = (|| {
                let summary = store.trace_summary(trace_id)?;
                let spans = store.trace_spans(trace_id)?;
                let scores = store.scores_for_trace(trace_id)?;
                Ok::<_, crate::store::StoreError>((summary, spans, scores))
            })();
            Some(match result {
                Ok((summary, spans, scores)) => Action::TraceLoaded {
                    req: *req,
                    summary,
                    spans,
                    scores,
                },
                Err(e) => failed(*req, e),
            })
        }
        Effect::LoadSession { req, session_id } => Some(match store.session_traces(session_id) {
            Ok(traces) => Action::SessionLoaded {
                req: *req,
                session_id: session_id.clone(),
                traces,
            },
            Err(e) => failed(*req, e),
        }),
        Effect::Resolve { req, id } => Some(match store.resolve_trace_id(id) {
            Ok(trace_id) => Action::Resolved {
                req: *req,
                trace_id,
            },
            Err(e) => failed(*req, e),
        }),
        Effect::Copy { .. } => None,
    }
}

fn failed(req: u64, e: crate::store::StoreError) -> Action {
    tracing::warn!("query failed: {e}");
    Action::RequestFailed {
        req,
        message: e.to_string(),
    }
}
