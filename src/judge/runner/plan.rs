//! Planning: inputs, prompts and cache keys for every item, cache hits, and the estimate of
//! calls, tokens and cost. No network.

use super::JudgeRequest;
use super::cache::cache_key;
use crate::judge::JudgeError;
use crate::judge::input::{self, JudgeInput};
use crate::judge::prompt::{self, Prompt};
use crate::judge::provider::ProviderConfig;
use crate::judge::rules::{Rule, Target};
use crate::judge::spans::{LlmCalls, judge_spans};
use crate::model::{SpanKind, Usage, Verdict};
use crate::pricing::PriceBook;
use crate::store::Store;
use serde::Serialize;

/// Output tokens assumed per call in the estimate (reasoning of a few sentences + verdict).
const EST_OUTPUT_TOKENS: i64 = 150;

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

/// One planned item.
pub(super) struct Job {
    pub(super) trace_id: String,
    pub(super) span_id: Option<String>,
    pub(super) rule: String,
    pub(super) rule_hash: String,
    pub(super) prompt: Prompt,
    pub(super) key: String,
}

impl Job {
    /// The job without its prompt: enough to record an error verdict for it.
    pub(super) fn identity(&self) -> Job {
        Job {
            trace_id: self.trace_id.clone(),
            span_id: self.span_id.clone(),
            rule: self.rule.clone(),
            rule_hash: self.rule_hash.clone(),
            prompt: Prompt {
                system: String::new(),
                user: String::new(),
            },
            key: self.key.clone(),
        }
    }
}

pub(super) struct CachedHit {
    pub(super) job: Job,
    pub(super) row: crate::model::Score,
}

pub(super) struct Plan {
    pub(super) jobs: Vec<Job>,
    pub(super) hits: Vec<CachedHit>,
    pub(super) estimate: Estimate,
}

/// Inputs, prompts and cache keys for every item, and the estimate. No network.
pub fn estimate(store: &Store, req: &JudgeRequest) -> Result<Estimate, JudgeError> {
    Ok(plan(store, req)?.estimate)
}

pub(super) fn plan(store: &Store, req: &JudgeRequest) -> Result<Plan, JudgeError> {
    let samples = req.samples.max(1);
    let mut jobs = Vec::new();
    let mut hits = Vec::new();
    let hashes: Vec<String> = req.rules.iter().map(Rule::hash).collect();
    let mut prompt_chars = 0usize;
    // Only the spans the inputs read are decoded (see `judge::spans`): a span rule reads
    // every LLM call, a trace rule the first and the last.
    let llm_calls = if req.rules.iter().any(|r| r.target == Target::LlmSpan) {
        LlmCalls::Every
    } else {
        LlmCalls::FirstAndLast
    };
    for trace_id in &req.trace_ids {
        let spans = judge_spans(store, trace_id, llm_calls)?;
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

pub(super) fn price(
    p: &ProviderConfig,
    response_model: Option<&str>,
    usage: &Usage,
) -> Option<f64> {
    let book = PriceBook::active();
    let provider = Some(p.kind.as_str());
    response_model
        .and_then(|m| book.compute(m, provider, usage).total)
        .or_else(|| book.compute(&p.model, provider, usage).total)
}
