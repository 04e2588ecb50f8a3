//! The tokio worker pool: one task per item under a semaphore, the cost budget, and results
//! written on the store's thread as they arrive. Tasks are joined through [`Tasks`]: a task
//! that panics still ends as a counted error verdict, never a missing item.

use super::JudgeRequest;
use super::events::{ItemResult, JudgeEvent, Summary, verdict_event};
use super::majority::aggregate;
use super::plan::{Job, price};
use super::retry::{CallFail, RetryPolicy, call_with_retry};
use super::stop::{StopReason, StopSignal};
use super::tasks::Tasks;
use crate::judge::JudgeError;
use crate::judge::provider::{Client, Reply};
use crate::model::Score;
use crate::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

pub(super) enum Outcome {
    Done(Box<(ItemResult, Score)>),
    Skipped,
}

/// Shared run state for the worker tasks.
pub(super) struct Shared {
    pub(super) client: Arc<Client>,
    pub(super) sem: Arc<Semaphore>,
    pub(super) stop: StopSignal,
    pub(super) retry: RetryPolicy,
    /// Time for all tries and waits of one item.
    pub(super) budget: Duration,
    pub(super) samples: u32,
    pub(super) max_cost: Option<f64>,
    pub(super) spent: Mutex<f64>,
    pub(super) calls: std::sync::atomic::AtomicUsize,
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn execute(
    store: &Store,
    req: &JudgeRequest,
    jobs: Vec<Job>,
    client: Arc<Client>,
    stop: &StopSignal,
    summary: &mut Summary,
    done: &mut usize,
    total: usize,
    on_event: &mut dyn FnMut(JudgeEvent),
) -> Result<(), JudgeError> {
    let samples = req.samples.max(1);
    let shared = Arc::new(Shared {
        client,
        sem: Arc::new(Semaphore::new(req.concurrency.max(1))),
        stop: stop.clone(),
        retry: req.retry.clone(),
        budget: req.retry.budget(req.provider.timeout, samples),
        samples,
        max_cost: req.max_cost_usd,
        spent: Mutex::new(0.0),
        calls: std::sync::atomic::AtomicUsize::new(0),
    });
    let mut tasks = Tasks::new();
    for job in jobs {
        let shared = shared.clone();
        tasks.spawn(job.identity(), async move { judge_one(&shared, job).await });
    }
    let mut store_err = None;
    while let Some(out) = tasks.next(shared.client.config(), samples).await {
        match out {
            Outcome::Skipped => summary.skipped += 1,
            Outcome::Done(b) => {
                let (item, score) = *b;
                if store_err.is_none()
                    && let Err(e) = store.insert_score(&score)
                {
                    // Keep draining so tasks end, but stop dispatching: nothing can be saved.
                    stop.stop(StopReason::Paused(format!(
                        "cannot write to the store: {e}"
                    )));
                    store_err = Some(e);
                }
                *done += 1;
                on_event(verdict_event(&item));
                summary.add(item);
                on_event(JudgeEvent::Progress { done: *done, total });
            }
        }
    }
    summary.calls += shared.calls.load(std::sync::atomic::Ordering::Relaxed);
    match store_err {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

async fn judge_one(sh: &Shared, job: Job) -> Outcome {
    let _permit = tokio::select! {
        p = sh.sem.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => return Outcome::Skipped },
        _ = sh.stop.stopped() => return Outcome::Skipped,
    };
    if sh.stop.is_stopped() {
        return Outcome::Skipped;
    }
    if let Some(max) = sh.max_cost {
        let spent = sh.spent.lock().map(|s| *s).unwrap_or(0.0);
        if spent >= max {
            sh.stop.stop(StopReason::Budget(format!(
                "--max-cost ${max:.4} reached (spent ${spent:.4})"
            )));
            return Outcome::Skipped;
        }
    }
    let mut replies: Vec<Reply> = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    // The budget starts once the item holds a worker slot: queueing is not the server's fault.
    let deadline = tokio::time::Instant::now() + sh.budget;
    for i in 0..sh.samples {
        match call_with_retry(sh, &job.prompt, i, deadline).await {
            Ok(r) => {
                if let Some(c) = price(sh.client.config(), r.model.as_deref(), &r.usage)
                    && let Ok(mut s) = sh.spent.lock()
                {
                    *s += c;
                }
                replies.push(r);
            }
            Err(CallFail::Cancelled) => return Outcome::Skipped,
            Err(CallFail::Paused(m)) => {
                sh.stop.stop(StopReason::Paused(m));
                return Outcome::Skipped;
            }
            Err(CallFail::Failed(m)) => failures.push(m),
        }
    }
    Outcome::Done(Box::new(aggregate(
        sh.client.config(),
        job,
        sh.samples,
        replies,
        failures,
    )))
}
