//! Judge throughput: verdicts per second against a local server that answers at once, so the
//! figure is trawl's own overhead (prompt rendering, HTTP client, answer parsing) — no store
//! writes. Built on the public `judge::provider::Client`, with a semaphore standing in for the
//! runner's concurrency limit; the instant server never fails, so no retry is ever needed.

use std::sync::Arc;
use std::time::Instant;
use testkit::TestServer;
use tokio::sync::Semaphore;
use trawl::judge::input::DocInput;
use trawl::judge::provider::Client;
use trawl::judge::{JudgeInput, ProviderConfig, ProviderKind, prompt};

const VERDICTS: usize = 5000;
const CONCURRENCY: usize = 16;

pub fn run() -> i32 {
    let server = match TestServer::instant() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return 1;
        }
    };
    match rt.block_on(verdicts_per_second(
        &server.base_url(),
        VERDICTS,
        CONCURRENCY,
    )) {
        Ok(vps) => {
            println!(
                "judge: {vps:.0} verdicts/s at concurrency {CONCURRENCY} against a local instant server ({VERDICTS} verdicts)"
            );
            0
        }
        Err(e) => {
            eprintln!("judge: {e}");
            1
        }
    }
}

/// Renders a real `grounded` prompt per call, sends it to `base_url` (OpenAI-compatible) and
/// parses the answer, `concurrency` calls at a time.
async fn verdicts_per_second(base_url: &str, n: usize, concurrency: usize) -> Result<f64, String> {
    let rule = trawl::judge::rules::default_rules()
        .map_err(|e| e.to_string())?
        .into_iter()
        .find(|r| r.id == "grounded")
        .ok_or("no built-in rule `grounded`")?;
    let mut cfg = ProviderConfig::new(ProviderKind::OpenAi);
    cfg.base_url = base_url.trim_end_matches('/').to_string();
    cfg.model = "bench-model".into();
    cfg.api_key_env = "TRAWL_BENCH_NO_KEY".into();
    let client = Arc::new(Client::new(cfg).map_err(|e| e.to_string())?);
    let sem = Arc::new(Semaphore::new(concurrency.max(1)));
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let (client, sem, rule) = (client.clone(), sem.clone(), rule.clone());
        tasks.push(tokio::spawn(async move {
            let _permit = sem.acquire_owned().await.ok()?;
            let input = JudgeInput {
                trace_id: format!("bench{i}"),
                last_user_message: Some(format!("Is standard shipping free? (#{i})")),
                final_answer: Some("Standard shipping is free on orders over $50.".into()),
                documents: vec![DocInput {
                    id: Some("kb-ship-01".into()),
                    content: "Standard shipping within the US takes 3-5 business days. It is free on orders over $50; otherwise it costs $5.95.".into(),
                }],
                ..Default::default()
            };
            let p = prompt::render(&rule, &input);
            client.call(&p, 0).await.ok().map(|r| r.parsed.verdict)
        }));
    }
    let mut ok = 0usize;
    for t in tasks {
        if let Ok(Some(_)) = t.await {
            ok += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(if secs > 0.0 { ok as f64 / secs } else { 0.0 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_every_verdict_and_keeps_to_the_concurrency_limit() {
        let srv = TestServer::instant().unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let rate = rt
            .block_on(verdicts_per_second(&srv.base_url(), 300, 16))
            .unwrap();
        eprintln!("judge bench (debug build): {rate:.0} verdicts/s");
        assert!(rate > 0.0);
        assert_eq!(srv.request_count(), 300);
        assert!(srv.max_in_flight() <= 16);
    }
}
