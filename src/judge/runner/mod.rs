//! Runs judge jobs: plan (inputs, prompts, cache keys, estimate) on the store's thread, calls on
//! a tokio runtime under a semaphore with retries, results written back on the store's thread.
//!
//! - `plan`: what a run will do and what it will cost, before anything is sent;
//! - `cache`: cache keys and reuse of earlier verdicts;
//! - `pool`: the tokio worker pool and the cost budget; every task joined, none lost;
//! - `retry`: retries with backoff, capped waits and the per-item time budget;
//! - `majority`: one verdict from several samples;
//! - `events` and `stop`: what a run reports and how it is stopped.

mod cache;
mod events;
mod majority;
mod plan;
mod pool;
mod retry;
mod stop;
mod tasks;

pub use events::{ItemResult, JudgeEvent, Summary};
pub use plan::{Estimate, estimate};
pub use retry::{DEFAULT_MAX_RETRY_WAIT, RetryPolicy};
pub use stop::{StopReason, StopSignal};

use super::JudgeError;
use super::provider::{Client, ProviderConfig};
use super::rules::Rule;
use crate::store::Store;
use cache::reuse_cached;
use events::verdict_event;
use pool::execute;
use std::path::PathBuf;
use std::sync::Arc;

/// One judge job: rules × traces, with the judge model and run limits.
#[derive(Debug, Clone)]
pub struct JudgeRequest {
    pub rules: Vec<Rule>,
    /// Full trace ids.
    pub trace_ids: Vec<String>,
    pub provider: ProviderConfig,
    /// Ask this many times per item and keep the majority (≥ 1).
    pub samples: u32,
    pub concurrency: usize,
    /// Stop the run once this much has been spent (and refuse to start above it).
    pub max_cost_usd: Option<f64>,
    /// Ignore cached verdicts.
    pub force: bool,
    pub retry: RetryPolicy,
}

impl JudgeRequest {
    pub fn new(rules: Vec<Rule>, trace_ids: Vec<String>, provider: ProviderConfig) -> JudgeRequest {
        JudgeRequest {
            rules,
            trace_ids,
            provider,
            samples: 1,
            concurrency: 4,
            max_cost_usd: None,
            force: false,
            retry: RetryPolicy::default(),
        }
    }
}

/// A background run.
#[derive(Debug)]
pub struct JudgeHandle {
    stop: StopSignal,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl JudgeHandle {
    /// Stops dispatching, aborts in-flight calls; verdicts already received are kept.
    pub fn cancel(&self) {
        self.stop.cancel();
    }
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
    /// Waits for the run's thread (the Finished event has been sent by then).
    pub fn join(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs a judge job on its own thread (opening its own store connection) and reports through
/// `events`. The estimate is sent first; confirm it before calling (see [`estimate`]).
pub fn spawn_run(
    store_path: PathBuf,
    request: JudgeRequest,
    events: std::sync::mpsc::Sender<JudgeEvent>,
) -> JudgeHandle {
    let stop = StopSignal::new();
    let s2 = stop.clone();
    let thread = std::thread::Builder::new()
        .name("trawl-judge".into())
        .spawn(move || {
            let store = match Store::open(&store_path) {
                Ok(s) => s,
                Err(e) => {
                    let _ = events.send(JudgeEvent::Failed(e.to_string()));
                    return;
                }
            };
            let mut send = |e: JudgeEvent| {
                let _ = events.send(e);
            };
            if let Err(e) = run_blocking(&store, &request, &s2, &mut |_| true, &mut send) {
                let _ = events.send(JudgeEvent::Failed(e.to_string()));
            }
        })
        .ok();
    if thread.is_none() {
        stop.cancel();
    }
    JudgeHandle { stop, thread }
}

/// Plans, asks `confirm` with the estimate, and runs. Blocks the calling thread (which must not
/// be inside a tokio runtime); the store is only used on this thread.
pub fn run_blocking(
    store: &Store,
    req: &JudgeRequest,
    stop: &StopSignal,
    confirm: &mut dyn FnMut(&Estimate) -> bool,
    on_event: &mut dyn FnMut(JudgeEvent),
) -> Result<Summary, JudgeError> {
    let client = Arc::new(Client::new(req.provider.clone())?);
    let plan = plan::plan(store, req)?;
    on_event(JudgeEvent::Estimate(plan.estimate.clone()));
    let total = plan.estimate.items;
    let mut summary = Summary::default();

    if let (Some(max), Some(est)) = (req.max_cost_usd, plan.estimate.cost_usd)
        && est > max
    {
        let why = StopReason::Budget(format!(
            "the estimate ${est:.4} is above --max-cost ${max:.4}; raise it or judge fewer traces"
        ));
        summary.skipped = total;
        summary.stopped = Some(why.clone());
        on_event(JudgeEvent::Paused(why));
        on_event(JudgeEvent::Finished(summary.clone()));
        return Ok(summary);
    }
    if !confirm(&plan.estimate) {
        summary.skipped = total;
        summary.stopped = Some(StopReason::Cancelled);
        on_event(JudgeEvent::Finished(summary.clone()));
        return Ok(summary);
    }

    let mut done = 0usize;
    for hit in plan.hits {
        let item = reuse_cached(store, &hit)?;
        done += 1;
        on_event(verdict_event(&item));
        summary.add(item);
        on_event(JudgeEvent::Progress { done, total });
    }

    if !plan.jobs.is_empty() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| JudgeError::Other(format!("cannot start the async runtime: {e}")))?;
        rt.block_on(execute(
            store,
            req,
            plan.jobs,
            client,
            stop,
            &mut summary,
            &mut done,
            total,
            on_event,
        ))?;
    }
    // Every item ends as a verdict (errors included) or a skip; anything else is a bug, and
    // the missing items are still reported rather than silently dropped.
    let accounted = summary.judged + summary.skipped;
    debug_assert_eq!(accounted, total, "judge items unaccounted for");
    if accounted < total {
        tracing::error!(missing = total - accounted, "judge items unaccounted for");
        summary.skipped += total - accounted;
    }
    summary.stopped = stop.reason().or(summary.stopped);
    if let Some(r) = &summary.stopped {
        on_event(JudgeEvent::Paused(r.clone()));
    }
    on_event(JudgeEvent::Finished(summary.clone()));
    Ok(summary)
}
