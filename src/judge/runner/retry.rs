//! Retries of one judge call: full-jitter backoff, server-requested waits capped by
//! `max_wait`, and a time budget per item that bounds every try and every wait, so neither a
//! hostile `retry-after` nor a hung server can hold a run for long.

use super::pool::Shared;
use crate::judge::prompt::Prompt;
use crate::judge::provider::{CallError, Reply};
use std::time::Duration;
use tokio::time::Instant;

/// Retries with full-jitter exponential backoff, bounded waits and a per-item time budget.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in total (first try included).
    pub tries: u32,
    pub base: Duration,
    /// Longest backoff of our own.
    pub cap: Duration,
    /// Longest wait between two tries, whatever a server's `retry-after` asks
    /// (`--max-retry-wait`).
    pub max_wait: Duration,
    /// All tries and waits of one item (all samples); `None`: per sample, three request
    /// timeouts plus one `max_wait` (so a rate-limited call can always wait once, even with a
    /// short timeout).
    pub item_budget: Option<Duration>,
}

/// Default of [`RetryPolicy::max_wait`].
pub const DEFAULT_MAX_RETRY_WAIT: Duration = Duration::from_secs(60);

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            tries: 5,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(60),
            max_wait: DEFAULT_MAX_RETRY_WAIT,
            item_budget: None,
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

    /// The wait before the next try: the server's `retry-after` (plus up to 10 % jitter, so
    /// workers told the same thing don't return together) or our backoff; never above
    /// `max_wait`.
    pub fn wait(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let d = match retry_after {
            Some(asked) => {
                let d = asked.min(self.max_wait);
                d.saturating_add(d.mul_f64(0.1 * fastrand::f64()))
            }
            None => self.backoff(attempt),
        };
        d.min(self.max_wait)
    }

    /// The time budget of one item of `samples` calls with this request timeout.
    pub fn budget(&self, timeout: Duration, samples: u32) -> Duration {
        self.item_budget.unwrap_or_else(|| {
            timeout
                .saturating_mul(3)
                .saturating_add(self.max_wait)
                .saturating_mul(samples.max(1))
        })
    }
}

/// Why a call sequence ended without a reply.
pub(super) enum CallFail {
    Cancelled,
    Paused(String),
    Failed(String),
}

/// Calls until a reply, a non-retryable error, `tries` attempts or `deadline`.
pub(super) async fn call_with_retry(
    sh: &Shared,
    prompt: &Prompt,
    sample: u32,
    deadline: Instant,
) -> Result<Reply, CallFail> {
    let policy = &sh.retry;
    let tries = policy.tries.max(1);
    let mut last = String::new();
    for attempt in 0..tries {
        if sh.stop.is_stopped() {
            return Err(CallFail::Cancelled);
        }
        sh.calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let r = tokio::select! {
            r = tokio::time::timeout_at(deadline, sh.client.call(prompt, sample)) => r,
            _ = sh.stop.stopped() => return Err(CallFail::Cancelled),
        };
        let Ok(r) = r else {
            return Err(CallFail::Failed(out_of_time(sh, attempt + 1, &last)));
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
                last = match retry_after {
                    Some(asked) if asked > policy.max_wait => format!(
                        "{reason} (the server asked to wait {}; waits are capped at {} by --max-retry-wait)",
                        seconds(asked),
                        seconds(policy.max_wait)
                    ),
                    _ => reason,
                };
                if attempt + 1 == tries {
                    break;
                }
                let delay = policy.wait(attempt, retry_after);
                if Instant::now() + delay >= deadline {
                    return Err(CallFail::Failed(out_of_time(sh, attempt + 1, &last)));
                }
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

fn out_of_time(sh: &Shared, tries: u32, last: &str) -> String {
    let word = if tries == 1 { "try" } else { "tries" };
    let mut m = format!(
        "gave up after {tries} {word}: the time budget of {} per item ran out",
        seconds(sh.budget)
    );
    if !last.is_empty() {
        m.push_str("; last error: ");
        m.push_str(last);
    } else {
        m.push_str(" waiting for the judge's answer");
    }
    m
}

/// `1.5 s`, `86400 s`, `50 ms`.
pub(super) fn seconds(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else if d.subsec_millis() == 0 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
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

    #[test]
    fn server_waits_are_capped_at_max_wait() {
        let p = RetryPolicy {
            max_wait: Duration::from_millis(50),
            ..RetryPolicy::default()
        };
        for _ in 0..100 {
            assert_eq!(p.wait(0, Some(Duration::from_secs(86_400))), p.max_wait);
            assert!(p.wait(3, None) <= p.max_wait);
            let short = p.wait(0, Some(Duration::from_millis(20)));
            assert!(short >= Duration::from_millis(20) && short <= Duration::from_millis(22));
        }
        let d = RetryPolicy::default();
        assert_eq!(
            d.wait(0, Some(Duration::from_secs(86_400))),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn default_budget_is_three_timeouts_and_one_wait_per_sample() {
        let p = RetryPolicy::default();
        assert_eq!(
            p.budget(Duration::from_secs(60), 1),
            Duration::from_secs(240)
        );
        assert_eq!(
            p.budget(Duration::from_secs(2), 3),
            Duration::from_secs(198)
        );
        let fixed = RetryPolicy {
            item_budget: Some(Duration::from_millis(500)),
            ..p
        };
        assert_eq!(
            fixed.budget(Duration::from_secs(60), 5),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn seconds_reads_well() {
        assert_eq!(seconds(Duration::from_millis(50)), "50 ms");
        assert_eq!(seconds(Duration::from_secs(86_400)), "86400 s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
    }
}
