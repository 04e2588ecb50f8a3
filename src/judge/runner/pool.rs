//! The tokio worker pool: one task per item under a semaphore, retries with full-jitter
//! backoff, the cost budget, and results sent back to the store's thread to be written.

use super::JudgeRequest;
use super::events::{ItemResult, JudgeEvent, Summary, verdict_event};
use super::majority::aggregate;
use super::plan::{Job, price};
use super::stop::{StopReason, StopSignal};
use crate::judge::JudgeError;
use crate::judge::prompt::Prompt;
use crate::judge::provider::{CallError, Client, Reply};
use crate::model::Score;
use crate::store::Store;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

/// Retries with full-jitter exponential backoff.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total (first try included).
    pub tries: u32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            tries: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: uniform in [0, min(cap, base·2^attempt)] (spreads retries of many workers).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.min(20));
        let ceil = exp.min(self.cap);
        ceil.mul_f64(fastrand::f64())
    }
}

enum Outcome {
    Done(Box<(ItemResult, Score)>),
    Skipped,
}

/// Why a call sequence ended without a reply.
pub(super) enum CallFail {
    Cancelled,
    Paused(String),
    Failed(String),
}

/// Shared run state for the worker tasks.
pub(super) struct Shared {
    pub(super) client: Arc<Client>,
    pub(super) sem: Arc<Semaphore>,
    pub(super) stop: StopSignal,
    pub(super) retry: RetryPolicy,
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
    let shared = Arc::new(Shared {
        client,
        sem: Arc::new(Semaphore::new(req.concurrency.max(1))),
        stop: stop.clone(),
        retry: req.retry.clone(),
        samples: req.samples.max(1),
        max_cost: req.max_cost_usd,
        spent: Mutex::new(0.0),
        calls: std::sync::atomic::AtomicUsize::new(0),
    });
    let (tx, mut rx) = mpsc::unbounded_channel::<Outcome>();
    for job in jobs {
        let tx = tx.clone();
        let shared = shared.clone();
        tokio::spawn(async move {
            let out = judge_one(&shared, job).await;
            let _ = tx.send(out);
        });
    }
    drop(tx);
    let mut store_err = None;
    while let Some(out) = rx.recv().await {
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
    for i in 0..sh.samples {
        match call_with_retry(sh, &job.prompt, i).await {
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

pub(super) async fn call_with_retry(
    sh: &Shared,
    prompt: &Prompt,
    sample: u32,
) -> Result<Reply, CallFail> {
    let tries = sh.retry.tries.max(1);
    let mut last = String::new();
    for attempt in 0..tries {
        if sh.stop.is_stopped() {
            return Err(CallFail::Cancelled);
        }
        sh.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = tokio::select! {
            r = sh.client.call(prompt, sample) => r,
            _ = sh.stop.stopped() => return Err(CallFail::Cancelled),
        };
        match r {
            Ok(reply) => return Ok(reply),
            Err(CallError::Pause(m)) => return Err(CallFail::Paused(m)),
            Err(CallError::Fatal(m)) => return Err(CallFail::Failed(m)),
            Err(CallError::Retryable {
                reason,
                retry_after,
            }) => {
                tracing::debug!(attempt, %reason, "judge call failed; will retry");
                last = reason;
                if attempt + 1 == tries {
                    break;
                }
                // The server knows best when to come back; cap it so a bad header can't hang a run.
                let delay = match retry_after {
                    Some(d) => d.min(sh.retry.cap.max(Duration::from_secs(1)) * 5),
                    None => sh.retry.backoff(attempt),
                };
                tokio::select! {
                    _ = tokio::time::sleep(delay) => {}
                    _ = sh.stop.stopped() => return Err(CallFail::Cancelled),
                }
            }
        }
    }
    Err(CallFail::Failed(format!(
        "gave up after {tries} tries: {last}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_bounded() {
        let p = RetryPolicy::default();
        for a in 0..10 {
            assert!(p.backoff(a) <= Duration::from_secs(60));
        }
        assert!(p.backoff(0) <= Duration::from_secs(1));
    }
}
