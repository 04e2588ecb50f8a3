//! A throughput benchmark of the judge's call path.

use super::RetryPolicy;
use super::cache::cache_key;
use super::pool::Shared;
use super::retry::call_with_retry;
use super::stop::StopSignal;
use crate::judge::input::{self, JudgeInput};
use crate::judge::prompt;
use crate::judge::provider::{Client, ProviderConfig};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

// moved by xtask: benchmarks belong to the publish = false benchmark crate (issue 16). This
// one stays in the library until that crate exists because it drives the pool's private call
// path (`Shared`, `call_with_retry`), which has no public API to drive it from outside.
/// Verdicts per second against `base_url` (an OpenAI-compatible server, e.g. the test server's
/// `TestServer::instant`): renders a real prompt per call, sends it, parses the answer, through
/// the same retrying call path as a run (store writes excluded).
pub async fn bench_verdicts_per_second(base_url: &str, n: usize, concurrency: usize) -> f64 {
    let Ok(rules) = crate::judge::rules::default_rules() else {
        return 0.0;
    };
    let Some(rule) = rules.into_iter().find(|r| r.id == "grounded") else {
        return 0.0;
    };
    let mut cfg = ProviderConfig::new(crate::judge::ProviderKind::OpenAi);
    cfg.base_url = base_url.trim_end_matches('/').to_string();
    cfg.model = "bench-model".into();
    cfg.api_key_env = "TRAWL_BENCH_NO_KEY".into();
    let Ok(client) = Client::new(cfg) else {
        return 0.0;
    };
    let sh = Arc::new(Shared {
        client: Arc::new(client),
        sem: Arc::new(Semaphore::new(concurrency.max(1))),
        stop: StopSignal::new(),
        retry: RetryPolicy {
            tries: 3,
            base: Duration::from_millis(5),
            cap: Duration::from_millis(50),
            ..RetryPolicy::default()
        },
        budget: Duration::from_secs(30),
        samples: 1,
        max_cost: None,
        spent: Mutex::new(0.0),
        calls: std::sync::atomic::AtomicUsize::new(0),
    });
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let sh = sh.clone();
        let rule = rule.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = sh.sem.clone().acquire_owned().await.ok()?;
            let inp = JudgeInput {
                trace_id: format!("bench{i}"),
                last_user_message: Some(format!("Is standard shipping free? (#{i})")),
                final_answer: Some("Standard shipping is free on orders over $50.".into()),
                documents: vec![input::DocInput {
                    id: Some("kb-ship-01".into()),
                    content: "Standard shipping within the US takes 3-5 business days. It is free on orders over $50; otherwise it costs $5.95.".into(),
                }],
                ..Default::default()
            };
            let p = prompt::render(&rule, &inp);
            let _key = cache_key(&rule.hash(), sh.client.config(), &p, 1);
            call_with_retry(&sh, &p, 0, tokio::time::Instant::now() + sh.budget).await.ok().map(|r| r.parsed.verdict)
        }));
    }
    let mut ok = 0usize;
    for t in tasks {
        if let Ok(Some(_)) = t.await {
            ok += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    if secs > 0.0 { ok as f64 / secs } else { 0.0 }
}
