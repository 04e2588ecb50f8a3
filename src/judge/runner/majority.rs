//! One verdict from several samples: the majority of the samples that produced a verdict, with
//! tokens and cost summed over all of them.

use super::events::ItemResult;
use super::plan::{Job, price};
use crate::judge::parse::Parsed;
use crate::judge::provider::{ProviderConfig, Reply};
use crate::model::{Score, ScoreSource, Usage, Verdict};

/// Longest explanation stored: a judge that rambles (or a server that pads) must not put
/// megabytes into every row.
pub(super) const MAX_EXPLANATION_CHARS: usize = 8_000;

/// Majority over the samples that produced a verdict; a tie or no verdict is an error verdict.
pub(super) fn aggregate(
    cfg: &ProviderConfig,
    job: Job,
    samples: u32,
    replies: Vec<Reply>,
    failures: Vec<String>,
) -> (ItemResult, Score) {
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
    let explanation = if explanation.chars().count() > MAX_EXPLANATION_CHARS {
        format!(
            "{} (truncated)",
            crate::sanitize::truncate_chars(&explanation, MAX_EXPLANATION_CHARS)
        )
    } else {
        explanation
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
    let score = Score {
        span_id: job.span_id,
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
        ..Score::new(ScoreSource::Judge, job.trace_id, job.rule)
    };
    (item, score)
}
