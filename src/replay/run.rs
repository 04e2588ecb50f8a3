//! Sending rebuilt requests: the judge's client (keys, body caps, error classes, redaction)
//! and retry policy, on a small tokio runtime under a concurrency limit. Results come back in
//! the order the requests were given; the store stays with the caller.

use super::wire::{self, Answer};
use crate::judge::provider::{CallError, Client};
use crate::judge::{JudgeError, ProviderConfig, RetryPolicy};
use crate::model::{Cost, Usage};
use crate::pricing::PriceBook;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// One answered request.
#[derive(Debug, Clone)]
pub struct Sent {
    pub answer: Answer,
    pub start_ns: i64,
    pub end_ns: i64,
    /// HTTP attempts (retries included).
    pub attempts: u32,
}

/// Sends every body; each result is the answer or why it failed for good.
pub fn send_all(
    cfg: &ProviderConfig,
    bodies: Vec<Value>,
    concurrency: usize,
    retry: &RetryPolicy,
) -> Result<Vec<Result<Sent, String>>, JudgeError> {
    if bodies.is_empty() {
        return Ok(Vec::new());
    }
    let client = Arc::new(Client::new(cfg.clone())?);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| JudgeError::Other(format!("cannot start the async runtime: {e}")))?;
    let sem = Arc::new(tokio::sync::Semaphore::new(concurrency.max(1)));
    let kind = cfg.kind;
    let budget = retry.budget(cfg.timeout, 1);
    Ok(rt.block_on(async move {
        let mut handles = Vec::new();
        for body in bodies {
            let (client, retry) = (client.clone(), retry.clone());
            // The permit is taken here, in the order given, so at a limit of 1 the requests go
            // out in that order: a task that took it when first polled could overtake the one
            // spawned before it on the other worker thread.
            let permit = sem.clone().acquire_owned().await;
            handles.push(tokio::spawn(async move {
                let Ok(_permit) = permit else {
                    return Err("the run was stopped".to_string());
                };
                let start_ns = crate::store::write::now_ns();
                let (reply, attempts) = send_with_retry(&client, &body, &retry, budget).await?;
                let end_ns = crate::store::write::now_ns().max(start_ns);
                Ok(Sent {
                    answer: wire::read_answer(kind, &reply),
                    start_ns,
                    end_ns,
                    attempts,
                })
            }));
        }
        let mut out = Vec::new();
        for h in handles {
            out.push(match h.await {
                Ok(r) => r,
                Err(e) => Err(format!("the replay task failed: {e}")),
            });
        }
        out
    }))
}

/// Calls until an answer, a non-retryable error, `tries` attempts or the time budget.
async fn send_with_retry(
    client: &Client,
    body: &Value,
    policy: &RetryPolicy,
    budget: Duration,
) -> Result<(Value, u32), String> {
    let deadline = tokio::time::Instant::now() + budget;
    let tries = policy.tries.max(1);
    let mut last = String::new();
    for attempt in 0..tries {
        let r = tokio::time::timeout_at(deadline, client.post_json(body)).await;
        let Ok(r) = r else {
            return Err(format!(
                "gave up: the time budget ran out; last error: {last}"
            ));
        };
        match r {
            Ok(v) => return Ok((v, attempt + 1)),
            Err(CallError::Pause(m) | CallError::Fatal(m)) => return Err(m),
            Err(CallError::Retryable {
                reason,
                retry_after,
            }) => {
                tracing::debug!(attempt, %reason, "replay call failed; will retry");
                last = reason;
                if attempt + 1 == tries {
                    break;
                }
                tokio::time::sleep(policy.wait(attempt, retry_after)).await;
            }
        }
    }
    Err(format!("gave up after {tries} tries: {last}"))
}

/// The cost of a replayed answer from the price table (provenance: computed, with its key),
/// unknown when the model has no price.
pub fn answer_cost(cfg: &ProviderConfig, model: Option<&str>, usage: &Usage) -> Cost {
    let book = PriceBook::active();
    let provider = Some(cfg.kind.as_str());
    let by_answer = model.map(|m| book.compute(m, provider, usage));
    match by_answer {
        Some(c) if c.total.is_some() => c,
        _ => book.compute(&cfg.model, provider, usage),
    }
}

/// Before anything is sent: ~input tokens (characters / 4, as the judge estimates), output
/// tokens (the recorded ones, else the request's limit) and the cost when the model is priced.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Estimate {
    pub calls: usize,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost_usd: Option<f64>,
}

/// Estimates one request body for `model`.
pub fn estimate_one(
    cfg: &ProviderConfig,
    model: &str,
    body: &Value,
    recorded_output: Option<i64>,
) -> Estimate {
    let input = body.to_string().chars().count() as i64 / 4 + 8;
    let limit = body
        .get("max_tokens")
        .or_else(|| body.get("max_completion_tokens"))
        .and_then(Value::as_i64);
    let output = recorded_output.or(limit).unwrap_or(256);
    let usage = Usage {
        input: Some(input),
        output: Some(output),
        ..Usage::default()
    };
    let cost = PriceBook::active()
        .compute(model, Some(cfg.kind.as_str()), &usage)
        .total;
    Estimate {
        calls: 1,
        input_tokens: input,
        output_tokens: output,
        cost_usd: cost,
    }
}

impl Estimate {
    pub fn add(&mut self, o: &Estimate) {
        self.calls += o.calls;
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
        self.cost_usd = match (self.cost_usd, o.cost_usd) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
        };
    }
    pub fn zero() -> Estimate {
        Estimate {
            cost_usd: Some(0.0),
            ..Estimate::default()
        }
    }
}
