//! Runs judge jobs: plan (inputs, prompts, cache keys, estimate) on the store's thread, calls on
//! a tokio runtime under a semaphore with retries, results written back on the store's thread.

use super::JudgeError;
use super::input::{self, JudgeInput};
use super::parse::Parsed;
use super::prompt::{self, Prompt};
use super::provider::{CallError, Client, ProviderConfig, Reply};
use super::rules::{Rule, Target};
use crate::model::{ScoreSource, SpanKind, Usage, Verdict};
use crate::pricing::PriceBook;
use crate::store::{NewScore, Store};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};

/// Output tokens assumed per call in the estimate (reasoning of a few sentences + verdict).
const EST_OUTPUT_TOKENS: i64 = 150;

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

/// What a run will do before it does it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Estimate {
    pub traces: usize,
    /// Verdicts to produce (traces × rules, or per LLM span for span rules).
    pub items: usize,
    /// Items answered from the cache (free).
    pub cached: usize,
    /// HTTP calls to make (uncached items × samples).
    pub calls: usize,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// `None` when the judge model has no known price.
    pub cost_usd: Option<f64>,
    pub model: String,
}

/// Why a run ended early.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "lowercase")]
pub enum StopReason {
    Cancelled,
    /// Auth, quota, missing model: every further call would fail.
    Paused(String),
    /// `--max-cost` reached or estimate above it.
    Budget(String),
}

impl StopReason {
    pub fn message(&self) -> String {
        match self {
            StopReason::Cancelled => "cancelled".into(),
            StopReason::Paused(m) => format!("paused: {m}"),
            StopReason::Budget(m) => format!("stopped: {m}"),
        }
    }
}

/// One verdict of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemResult {
    pub trace_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span_id: Option<String>,
    pub rule: String,
    pub verdict: Verdict,
    pub explanation: String,
    pub model: Option<String>,
    pub cached: bool,
    pub samples: u32,
    pub agree: u32,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cost_usd: Option<f64>,
}

/// Totals of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Verdicts stored (including cached and error verdicts).
    pub judged: usize,
    #[serde(rename = "true")]
    pub true_: usize,
    #[serde(rename = "false")]
    pub false_: usize,
    pub na: usize,
    pub errors: usize,
    pub cached: usize,
    /// Items not judged because the run stopped.
    pub skipped: usize,
    /// HTTP attempts made (retries included).
    pub calls: usize,
    pub input_tokens: i64,
    pub output_tokens: i64,
    /// Spent by this run (cache hits cost nothing).
    pub cost_usd: f64,
    /// Some calls had no known price: `cost_usd` is a lower bound.
    pub cost_unknown: bool,
    pub stopped: Option<StopReason>,
    pub results: Vec<ItemResult>,
}

impl Summary {
    fn add(&mut self, r: ItemResult) {
        self.judged += 1;
        match r.verdict {
            Verdict::True => self.true_ += 1,
            Verdict::False => self.false_ += 1,
            Verdict::Na => self.na += 1,
            Verdict::Error => self.errors += 1,
        }
        if r.cached {
            self.cached += 1;
        } else {
            self.input_tokens += r.input_tokens.unwrap_or(0);
            self.output_tokens += r.output_tokens.unwrap_or(0);
            match r.cost_usd {
                Some(c) => self.cost_usd += c,
                None if r.input_tokens.is_some() || r.output_tokens.is_some() => {
                    self.cost_unknown = true
                }
                None => {}
            }
        }
        self.results.push(r);
    }
}

/// Events for a background run (the TUI's status line).
#[derive(Debug, Clone, PartialEq)]
pub enum JudgeEvent {
    Estimate(Estimate),
    Progress {
        done: usize,
        total: usize,
    },
    Verdict {
        trace_id: String,
        span_id: Option<String>,
        rule: String,
        verdict: Verdict,
        cached: bool,
    },
    /// The run stopped early; the summary follows.
    Paused(StopReason),
    /// The run could not start or the store failed.
    Failed(String),
    Finished(Summary),
}

/// Cancels a run from any thread; also how the runner pauses itself on auth errors.
#[derive(Debug, Clone)]
pub struct StopSignal {
    tx: Arc<watch::Sender<bool>>,
    reason: Arc<Mutex<Option<StopReason>>>,
}

impl Default for StopSignal {
    fn default() -> Self {
        StopSignal {
            tx: Arc::new(watch::channel(false).0),
            reason: Arc::new(Mutex::new(None)),
        }
    }
}

impl StopSignal {
    pub fn new() -> StopSignal {
        StopSignal::default()
    }
    /// The first reason wins (a cancel after a pause stays a pause).
    pub fn stop(&self, why: StopReason) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(why);
        }
        self.tx.send_replace(true);
    }
    pub fn cancel(&self) {
        self.stop(StopReason::Cancelled);
    }
    pub fn is_stopped(&self) -> bool {
        *self.tx.borrow()
    }
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }
    async fn stopped(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|v| *v).await;
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

/// One planned item.
struct Job {
    trace_id: String,
    span_id: Option<String>,
    rule: String,
    rule_hash: String,
    prompt: Prompt,
    key: String,
}

struct CachedHit {
    job: Job,
    row: crate::store::ScoreRow,
}

struct Plan {
    jobs: Vec<Job>,
    hits: Vec<CachedHit>,
    estimate: Estimate,
}

/// Inputs, prompts and cache keys for every item, and the estimate. No network.
pub fn estimate(store: &Store, req: &JudgeRequest) -> Result<Estimate, JudgeError> {
    Ok(plan(store, req)?.estimate)
}

fn plan(store: &Store, req: &JudgeRequest) -> Result<Plan, JudgeError> {
    let samples = req.samples.max(1);
    let mut jobs = Vec::new();
    let mut hits = Vec::new();
    let hashes: Vec<String> = req.rules.iter().map(Rule::hash).collect();
    let mut prompt_chars = 0usize;
    for trace_id in &req.trace_ids {
        let spans = store.trace_spans(trace_id)?;
        if spans.is_empty() {
            continue;
        }
        for (rule, rule_hash) in req.rules.iter().zip(&hashes) {
            let inputs: Vec<JudgeInput> = match rule.target {
                Target::Trace => vec![input::trace_input(trace_id, &spans)],
                Target::LlmSpan => spans
                    .iter()
                    .filter(|s| s.kind == SpanKind::Llm)
                    .map(|s| input::span_input(trace_id, &spans, s))
                    .collect(),
            };
            for inp in inputs {
                let prompt = prompt::render(rule, &inp);
                let key = cache_key(rule_hash, &req.provider, &prompt, samples);
                let job = Job {
                    trace_id: trace_id.clone(),
                    span_id: inp.span_id.clone(),
                    rule: rule.id.clone(),
                    rule_hash: rule_hash.clone(),
                    prompt,
                    key,
                };
                let hit = if req.force {
                    None
                } else {
                    store.score_by_cache_key(&job.key)?
                };
                match hit {
                    Some(row) if row.verdict.is_some_and(|v| v != Verdict::Error) => {
                        hits.push(CachedHit { job, row })
                    }
                    _ => {
                        prompt_chars += job.prompt.chars();
                        jobs.push(job);
                    }
                }
            }
        }
    }
    let calls = jobs.len() * samples as usize;
    // chars/4 is OpenAI's rule of thumb for English; good enough for a go/no-go estimate.
    let input_tokens = (prompt_chars as i64 / 4 + 8) * i64::from(samples);
    let output_tokens = EST_OUTPUT_TOKENS * calls as i64;
    let cost_usd = if calls == 0 {
        Some(0.0)
    } else {
        price(
            &req.provider,
            None,
            &Usage {
                input: Some(input_tokens),
                output: Some(output_tokens),
                ..Default::default()
            },
        )
    };
    let estimate = Estimate {
        traces: req.trace_ids.len(),
        items: jobs.len() + hits.len(),
        cached: hits.len(),
        calls,
        input_tokens,
        output_tokens,
        cost_usd,
        model: req.provider.model.clone(),
    };
    Ok(Plan {
        jobs,
        hits,
        estimate,
    })
}

/// sha256 of canonical JSON of everything that changes the answer.
fn cache_key(rule_hash: &str, p: &ProviderConfig, prompt: &Prompt, samples: u32) -> String {
    let sample_keys: Vec<String> = (0..samples)
        .map(|i| {
            let v = serde_json::json!({
                "rule_hash": rule_hash,
                "template": prompt::TEMPLATE_VERSION,
                "provider": p.kind.as_str(),
                "base_url": p.base_url.trim_end_matches('/'),
                "model": p.model,
                "temperature": p.temperature,
                "max_tokens": p.max_tokens,
                "messages": prompt.messages(),
                "sample": i,
            });
            hex::encode(Sha256::digest(v.to_string().as_bytes()))
        })
        .collect();
    if sample_keys.len() == 1 {
        return sample_keys.into_iter().next().unwrap_or_default();
    }
    // A majority verdict depends on all of its samples.
    hex::encode(Sha256::digest(sample_keys.join(",").as_bytes()))
}

fn price(p: &ProviderConfig, response_model: Option<&str>, usage: &Usage) -> Option<f64> {
    let book = PriceBook::embedded();
    let provider = Some(p.kind.as_str());
    response_model
        .and_then(|m| book.compute(m, provider, usage).total)
        .or_else(|| book.compute(&p.model, provider, usage).total)
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
    let plan = plan(store, req)?;
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
    summary.stopped = stop.reason().or(summary.stopped);
    if let Some(r) = &summary.stopped {
        on_event(JudgeEvent::Paused(r.clone()));
    }
    on_event(JudgeEvent::Finished(summary.clone()));
    Ok(summary)
}

fn verdict_event(r: &ItemResult) -> JudgeEvent {
    JudgeEvent::Verdict {
        trace_id: r.trace_id.clone(),
        span_id: r.span_id.clone(),
        rule: r.rule.clone(),
        verdict: r.verdict,
        cached: r.cached,
    }
}

/// A cache hit costs nothing; it is stored again only when it is not already the current
/// verdict (e.g. after judging with another model in between).
fn reuse_cached(store: &Store, hit: &CachedHit) -> Result<ItemResult, JudgeError> {
    let row = &hit.row;
    let current = store
        .scores_for_trace(&hit.job.trace_id)?
        .into_iter()
        .find(|s| {
            s.source == ScoreSource::Judge && s.name == hit.job.rule && s.span_id == hit.job.span_id
        });
    if current.as_ref().and_then(|c| c.cache_key.as_deref()) != Some(hit.job.key.as_str()) {
        store.insert_score(
            ScoreSource::Judge,
            &NewScore {
                trace_id: hit.job.trace_id.clone(),
                span_id: hit.job.span_id.clone(),
                name: hit.job.rule.clone(),
                verdict: row.verdict,
                explanation: row.explanation.clone(),
                model: row.model.clone(),
                rule_hash: Some(hit.job.rule_hash.clone()),
                samples: row.samples,
                agree: row.agree,
                cost_usd: Some(0.0),
                note: Some(format!("cached: same answer as score {}", row.id)),
                cache_key: Some(hit.job.key.clone()),
                ..Default::default()
            },
        )?;
    }
    Ok(ItemResult {
        trace_id: hit.job.trace_id.clone(),
        span_id: hit.job.span_id.clone(),
        rule: hit.job.rule.clone(),
        verdict: row.verdict.unwrap_or(Verdict::Error),
        explanation: row.explanation.clone().unwrap_or_default(),
        model: row.model.clone(),
        cached: true,
        samples: row.samples.unwrap_or(1).max(0) as u32,
        agree: row.agree.unwrap_or(1).max(0) as u32,
        input_tokens: None,
        output_tokens: None,
        cost_usd: Some(0.0),
    })
}

enum Outcome {
    Done(Box<(ItemResult, NewScore)>),
    Skipped,
}

/// Why a call sequence ended without a reply.
enum CallFail {
    Cancelled,
    Paused(String),
    Failed(String),
}

/// Shared run state for the worker tasks.
struct Shared {
    client: Arc<Client>,
    sem: Arc<Semaphore>,
    stop: StopSignal,
    retry: RetryPolicy,
    samples: u32,
    max_cost: Option<f64>,
    spent: Mutex<f64>,
    calls: std::sync::atomic::AtomicUsize,
}

#[allow(clippy::too_many_arguments)]
async fn execute(
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
                    && let Err(e) = store.insert_score(ScoreSource::Judge, &score)
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

async fn call_with_retry(sh: &Shared, prompt: &Prompt, sample: u32) -> Result<Reply, CallFail> {
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

/// Majority over the samples that produced a verdict; a tie or no verdict is an error verdict.
fn aggregate(
    cfg: &ProviderConfig,
    job: Job,
    samples: u32,
    replies: Vec<Reply>,
    failures: Vec<String>,
) -> (ItemResult, NewScore) {
    let parsed: Vec<&Parsed> = replies.iter().map(|r| &r.parsed).collect();
    let mut counts: Vec<(Verdict, u32)> = Vec::new();
    for p in parsed.iter().filter(|p| p.verdict != Verdict::Error) {
        match counts.iter_mut().find(|(v, _)| *v == p.verdict) {
            Some((_, n)) => *n += 1,
            None => counts.push((p.verdict, 1)),
        }
    }
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    let (verdict, agree, explanation) = match counts.as_slice() {
        [] => {
            let why = parsed
                .iter()
                .map(|p| p.reasoning.clone())
                .chain(failures.iter().cloned())
                .next()
                .unwrap_or_else(|| "no answer".into());
            (Verdict::Error, 0, why)
        }
        [(v, n), (_, m), ..] if n == m => {
            let tally = counts
                .iter()
                .map(|(v, n)| format!("{n}×{}", v.as_str().to_ascii_uppercase()))
                .collect::<Vec<_>>()
                .join(", ");
            let _ = v;
            (
                Verdict::Error,
                *n,
                format!("samples disagree with no majority ({tally})"),
            )
        }
        [(v, n), ..] => {
            let why = parsed
                .iter()
                .find(|p| p.verdict == *v)
                .map(|p| p.reasoning.clone())
                .unwrap_or_default();
            (*v, *n, why)
        }
    };
    let sum = |f: fn(&Usage) -> Option<i64>| -> Option<i64> {
        let vals: Vec<i64> = replies.iter().filter_map(|r| f(&r.usage)).collect();
        (!vals.is_empty()).then(|| vals.iter().sum())
    };
    let input_tokens = sum(|u| u.input);
    let output_tokens = sum(|u| u.output);
    let costs: Vec<Option<f64>> = replies
        .iter()
        .map(|r| price(cfg, r.model.as_deref(), &r.usage))
        .collect();
    let cost_usd = if costs.iter().all(Option::is_some) {
        Some(costs.iter().flatten().sum())
    } else {
        None
    };
    let model = replies
        .iter()
        .find_map(|r| r.model.clone())
        .or_else(|| Some(cfg.model.clone()));
    let item = ItemResult {
        trace_id: job.trace_id.clone(),
        span_id: job.span_id.clone(),
        rule: job.rule.clone(),
        verdict,
        explanation: explanation.clone(),
        model: model.clone(),
        cached: false,
        samples,
        agree,
        input_tokens,
        output_tokens,
        cost_usd,
    };
    let score = NewScore {
        trace_id: job.trace_id,
        span_id: job.span_id,
        name: job.rule,
        verdict: Some(verdict),
        explanation: Some(explanation),
        model,
        rule_hash: Some(job.rule_hash),
        samples: Some(i64::from(samples)),
        agree: Some(i64::from(agree)),
        input_tokens,
        output_tokens,
        cost_usd,
        // Errors are not cached: a re-run should try again.
        cache_key: (verdict != Verdict::Error).then_some(job.key),
        ..Default::default()
    };
    (item, score)
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
