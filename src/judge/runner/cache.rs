//! The verdict cache: a key over everything that changes the answer, and reuse of a cached
//! verdict (free) instead of a call.

use super::events::ItemResult;
use super::plan::CachedHit;
use crate::judge::JudgeError;
use crate::judge::prompt::{self, Prompt};
use crate::judge::provider::ProviderConfig;
use crate::model::{Score, ScoreSource, Verdict};
use crate::store::Store;
use sha2::{Digest, Sha256};

/// sha256 of canonical JSON of everything that changes the answer.
pub(super) fn cache_key(
    rule_hash: &str,
    p: &ProviderConfig,
    prompt: &Prompt,
    samples: u32,
) -> String {
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

/// A cache hit costs nothing; it is stored again only when it is not already the current
/// verdict (e.g. after judging with another model in between).
pub(super) fn reuse_cached(store: &Store, hit: &CachedHit) -> Result<ItemResult, JudgeError> {
    let row = &hit.row;
    let current = store
        .scores_for_trace(&hit.job.trace_id)?
        .into_iter()
        .find(|s| {
            s.source == ScoreSource::Judge && s.name == hit.job.rule && s.span_id == hit.job.span_id
        });
    if current.as_ref().and_then(|c| c.cache_key.as_deref()) != Some(hit.job.key.as_str()) {
        store.insert_score(&Score {
            span_id: hit.job.span_id.clone(),
            verdict: row.verdict,
            explanation: row.explanation.clone(),
            model: row.model.clone(),
            rule_hash: Some(hit.job.rule_hash.clone()),
            samples: row.samples,
            agree: row.agree,
            cost_usd: Some(0.0),
            note: Some(format!(
                "cached: same answer as score {}",
                row.id.unwrap_or_default()
            )),
            cache_key: Some(hit.job.key.clone()),
            ..Score::new(
                ScoreSource::Judge,
                hit.job.trace_id.clone(),
                hit.job.rule.clone(),
            )
        })?;
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
