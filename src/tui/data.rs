//! Executes query effects against a store. Runs on the worker thread (or synchronously in
//! headless tests); never called from draw code.

use super::action::{
    Action, Badges, Effect, JudgeJob, JudgeTarget, NewLabel, RuleChoice, TriageContent, TriageItem,
};
use crate::judge::{self, JudgeRequest};
use crate::model::{ModelNames, Score, ScoreSource, Span, SpanKind, SpanLine};
use crate::store::{Store, TraceFilter};
use crate::tui::trace_data::OpenedSpans;
use crate::tui::widgets::text;

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
                let range = store.time_range()?;
                Ok::<_, crate::store::StoreError>((total, rows, badges, range))
            })();
            Some(match result {
                Ok((total, rows, badges, range)) => Action::PageLoaded {
                    req: *req,
                    offset: *offset,
                    total: usize::try_from(total).unwrap_or(0),
                    rows,
                    badges,
                    range,
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
        Effect::OpenTrace {
            req,
            trace_id,
            shown,
        } => {
            let result = (|| {
                let summary = store.trace_summary(trace_id)?;
                let count = summary.as_ref().map(|s| s.span_count as u64);
                // A live refresh of a trace that gained no span reads nothing more.
                let spans = if *shown > 0 && count == Some(*shown as u64) {
                    OpenedSpans::Unchanged
                } else if count.is_some_and(|n| n > whole_trace_max() as u64) {
                    // A big trace's rows are read once: through a small page cache, so the
                    // connection's cache does not fill with them.
                    store.with_page_cache(BIG_TRACE_CACHE_KIB, |s| {
                        open_spans(s, trace_id, whole_trace_max())
                    })?
                } else {
                    open_spans(store, trace_id, whole_trace_max())?
                };
                let scores = store.scores_for_trace(trace_id)?;
                Ok::<_, crate::store::StoreError>((summary, spans, scores))
            })();
            Some(match result {
                Ok((summary, spans, scores)) => Action::TraceOpened {
                    req: *req,
                    summary,
                    spans,
                    scores,
                },
                Err(e) => failed(*req, e),
            })
        }
        Effect::LoadPayloads { req, rows } => Some(Action::PayloadsLoaded {
            req: *req,
            result: whole_spans(store, rows).map_err(|e| {
                tracing::warn!("query failed: {e}");
                e.to_string()
            }),
        }),
        Effect::LoadSession { req, session_id } => Some(match store.session_traces(session_id) {
            Ok(traces) => {
                // Each turn's header shows its trace's short id.
                text::learn_short_ids(store, traces.iter().map(|t| t.trace_id.as_str()));
                Action::SessionLoaded {
                    req: *req,
                    session_id: session_id.clone(),
                    traces,
                }
            }
            Err(e) => failed(*req, e),
        }),
        Effect::Resolve { req, id } => Some(match store.resolve_trace_id(id) {
            Ok(trace_id) => Action::Resolved {
                req: *req,
                trace_id,
            },
            Err(e) => failed(*req, e),
        }),
        Effect::Copy { .. } | Effect::StartJudge { .. } | Effect::CancelJudge { .. } => None,
        Effect::LoadRules { req } => Some(Action::RulesLoaded {
            req: *req,
            result: judge::load_rules(None)
                .map(|rules| {
                    rules
                        .iter()
                        .map(|r| RuleChoice {
                            id: r.id.clone(),
                            title: r.title.clone(),
                            target: r.target.as_str().to_string(),
                            on: false,
                        })
                        .collect()
                })
                .map_err(|e| e.to_string()),
        }),
        Effect::EstimateJudge {
            req,
            rules,
            target,
            provider,
            force,
        } => Some(Action::JudgeEstimated {
            req: *req,
            result: plan_judge(store, rules, target, provider, *force),
        }),
        Effect::LoadScores { trace_id } => match store.scores_for_trace(trace_id) {
            Ok(scores) => Some(Action::ScoresLoaded {
                trace_id: trace_id.clone(),
                scores,
            }),
            Err(e) => Some(failed(0, e)),
        },
        Effect::LoadTriage { req, filter } => Some(match triage_queue(store, filter) {
            Ok(items) => Action::TriageLoaded { req: *req, items },
            Err(e) => failed(*req, e),
        }),
        Effect::LoadTriageItem { req, trace_id } => Some(match triage_content(store, trace_id) {
            Ok(content) => Action::TriageItemLoaded { req: *req, content },
            Err(e) => failed(*req, e),
        }),
        Effect::AddLabel { req, label } => Some(match add_label(store, label) {
            Ok(id) => Action::Labeled {
                req: *req,
                id,
                trace_id: label.trace_id.clone(),
                rule: label.rule.clone(),
                verdict: label.verdict,
            },
            Err(e) => failed(*req, e),
        }),
        Effect::DeleteLabel {
            req,
            id,
            trace_id,
            rule,
        } => Some(match store.delete_score(*id) {
            Ok(_) => Action::LabelDeleted {
                req: *req,
                trace_id: trace_id.clone(),
                rule: rule.clone(),
            },
            Err(e) => failed(*req, e),
        }),
        Effect::LoadMetrics {
            req,
            filter,
            bucket,
            group,
        } => {
            let utc = chrono::FixedOffset::east_opt(0);
            let result = match utc {
                Some(tz) => crate::metrics::compute_stats(store, filter, *bucket, *group, tz),
                None => Ok(Vec::new()),
            };
            Some(match result {
                Ok(stats) => Action::MetricsLoaded { req: *req, stats },
                Err(e) => failed(*req, e),
            })
        }
        Effect::LoadAgreement { req } => Some(match agreement(store) {
            Ok(rules) => Action::AgreementLoaded { req: *req, rules },
            Err(e) => failed(*req, e),
        }),
        Effect::Compare(c) => super::compare_data::execute(store, c),
        Effect::LoadRuleTrends { req, filter } => {
            let utc = chrono::FixedOffset::east_opt(0);
            let result = match utc {
                Some(tz) => crate::metrics::rule_trends(
                    store,
                    filter,
                    crate::metrics::Bucket::Day,
                    crate::tui::widgets::sparkline::DAYS,
                    tz,
                ),
                None => Ok(Vec::new()),
            };
            Some(match result {
                Ok(trends) => Action::RuleTrendsLoaded { req: *req, trends },
                Err(e) => failed(*req, e),
            })
        }
    }
}

/// Traces of up to this many spans open whole; bigger ones on their skeleton, with payloads
/// read as they are shown (a 100,000-span trace would otherwise cost a gigabyte).
pub const WHOLE_TRACE_MAX_SPANS: usize = 5_000;

/// The page cache (KiB) a big trace's spans are read through: the B-tree's inner pages.
const BIG_TRACE_CACHE_KIB: i64 = 4096;

#[cfg(test)]
thread_local! {
    /// [`WHOLE_TRACE_MAX_SPANS`] as this test thread sees it (headless apps run their effects
    /// on the test's thread), so small fixtures can open on their skeleton.
    pub static WHOLE_MAX_FOR_TEST: std::cell::Cell<usize> =
        const { std::cell::Cell::new(WHOLE_TRACE_MAX_SPANS) };
}

#[cfg(not(test))]
fn whole_trace_max() -> usize {
    WHOLE_TRACE_MAX_SPANS
}

#[cfg(test)]
fn whole_trace_max() -> usize {
    WHOLE_MAX_FOR_TEST.with(std::cell::Cell::get)
}

/// A trace's spans for the trace view, in start order: whole when there are at most
/// `whole_max`, else a line and a store row per span (see
/// [`crate::tui::spantree::TraceData::rows`]). The spans the trace view's header reads (the
/// root, the first and the last LLM call: `judge::input::trace_input`) and the retrievers and
/// rerankers (the Documents tab looks for theirs) are read whole either way. What a lean trace
/// does not know: which other LLM calls asked for tools (the tool jump stops at tool spans).
pub fn open_spans(
    store: &Store,
    trace_id: &str,
    whole_max: usize,
) -> Result<OpenedSpans, crate::store::StoreError> {
    let skeleton = store.trace_skeleton(trace_id)?;
    if skeleton.len() <= whole_max {
        return Ok(OpenedSpans::Whole(store.trace_spans(trace_id)?));
    }
    let rows: Vec<i64> = skeleton.iter().map(|s| s.row_id).collect();
    let mut models = ModelNames::default();
    let lines: Vec<SpanLine> = skeleton
        .into_iter()
        .map(|s| SpanLine::of_skeleton(s, &mut models))
        .collect();
    let root = lines
        .iter()
        .position(|s| s.parent_id.is_none())
        .or((!lines.is_empty()).then_some(0));
    let first_llm = lines.iter().position(|s| s.kind == SpanKind::Llm);
    let last_llm = lines.iter().rposition(|s| s.kind == SpanKind::Llm);
    // An LLM call's Documents tab names the retriever (and reranker) it read, found by the
    // documents they hold: those spans are read whole too (a trace has few of them).
    let passages = lines
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.kind, SpanKind::Retriever | SpanKind::Reranker))
        .map(|(i, _)| i);
    let mut read: Vec<usize> = [root, first_llm, last_llm]
        .into_iter()
        .flatten()
        .chain(passages)
        .collect();
    read.sort_unstable();
    read.dedup();
    let ids: Vec<i64> = read.iter().filter_map(|&i| rows.get(i).copied()).collect();
    let whole = store.span_payload_batch(&ids, crate::store::decode_span)?;
    let (kept_at, kept) = read
        .into_iter()
        .zip(whole)
        .filter_map(|(i, span)| Some((i, span?)))
        .unzip();
    Ok(OpenedSpans::Lean {
        lines,
        rows,
        kept_at,
        kept,
    })
}

/// The whole spans stored under `rows`, with their rows (rows gone since are left out).
fn whole_spans(store: &Store, rows: &[i64]) -> Result<Vec<(i64, Span)>, crate::store::StoreError> {
    let whole = store.span_payload_batch(rows, crate::store::decode_span)?;
    Ok(rows
        .iter()
        .zip(whole)
        .filter_map(|(row, span)| Some((*row, span?)))
        .collect())
}

fn plan_judge(
    store: &Store,
    rules: &[String],
    target: &JudgeTarget,
    provider: &judge::ProviderConfig,
    force: bool,
) -> Result<(JudgeJob, judge::Estimate), String> {
    let all = judge::load_rules(None).map_err(|e| e.to_string())?;
    let rules = judge::select_rules(&all, rules).map_err(|e| e.to_string())?;
    if rules.is_empty() {
        return Err("pick at least one rule".into());
    }
    let ids = match target {
        JudgeTarget::Ids(ids) => ids.clone(),
        JudgeTarget::Filter(f) => store.trace_ids(f, None).map_err(|e| e.to_string())?,
    };
    if ids.is_empty() {
        return Err("no traces to judge".into());
    }
    let mut req = JudgeRequest::new(rules, ids, provider.clone());
    req.force = force;
    let est = judge::estimate(store, &req).map_err(|e| e.to_string())?;
    Ok((JudgeJob(req), est))
}

/// The store's triage queue as the triage screen's items.
fn triage_queue(
    store: &Store,
    filter: &TraceFilter,
) -> Result<Vec<TriageItem>, crate::store::StoreError> {
    let queue = store.triage_queue(filter)?;
    text::learn_short_ids(store, queue.iter().map(|f| f.trace_id.as_str()));
    Ok(queue
        .into_iter()
        .map(|f| TriageItem {
            trace_id: f.trace_id,
            flagged: f.flagged,
            labeled: f.labeled,
        })
        .collect())
}

fn triage_content(
    store: &Store,
    trace_id: &str,
) -> Result<TriageContent, crate::store::StoreError> {
    let summary = store.trace_summary(trace_id)?;
    // The spans the judge input and the evidence read, not the whole trace.
    let spans = judge::spans::judge_spans(store, trace_id, judge::spans::LlmCalls::FirstAndLast)?;
    let scores = store.scores_for_trace(trace_id)?;
    let input = judge::input::trace_input(trace_id, &spans);
    let evidence =
        crate::model::evidence::Evidence::of_trace(&spans, input.final_answer.as_deref());
    Ok(TriageContent {
        trace_id: trace_id.to_string(),
        evidence,
        summary,
        question: input.last_user_message,
        answer: input.final_answer,
        scores,
    })
}

fn add_label(store: &Store, l: &NewLabel) -> Result<i64, crate::store::StoreError> {
    store.insert_score(&Score::human_label(
        l.trace_id.clone(),
        l.rule.clone(),
        l.verdict,
        l.author.clone(),
        l.note.clone(),
    ))
}

fn agreement(
    store: &Store,
) -> Result<Vec<crate::metrics::agreement::RuleAgreement>, crate::store::StoreError> {
    let rules = crate::metrics::agreement::compute(store, None)?;
    let ids = rules.iter().flat_map(|r| r.disagreements.iter());
    text::learn_short_ids(store, ids.map(|d| d.trace_id.as_str()));
    Ok(rules)
}

fn failed(req: u64, e: crate::store::StoreError) -> Action {
    tracing::warn!("query failed: {e}");
    Action::RequestFailed {
        req,
        message: e.to_string(),
    }
}
