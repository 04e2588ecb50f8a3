//! Usage and cost of an observation. Producers send `usage_details` in several key shapes, all
//! of which Langfuse's own server accepts (its `UsageDetails` union): OpenAI chat completions
//! (`prompt_tokens`, …), OpenAI responses (`input_tokens`, …), Anthropic (`input_tokens` plus
//! `cache_*_input_tokens`, which the input excludes) and Langfuse's own exclusive buckets
//! (`input`, `output`, `input_cached_tokens`, …; formats.md §4.1). The shape is detected first
//! and only that shape's rule applies; trawl's buckets are inclusive (§10.3). A total is only
//! ever a total: it is never added into input, output or another total.

use crate::ingest::semconv::value::{as_f64, as_token_count, f64_of, jsonish};
use crate::model::{Cost, CostSource, Provenance, Usage};
use serde_json::{Map, Value};

/// Inclusive usage from any of the key shapes above (or the back-compat fields).
pub fn usage_from_details(d: &Map<String, Value>) -> Option<Usage> {
    let u = if d.contains_key("prompt_tokens") || d.contains_key("completion_tokens") {
        openai_chat(d)
    } else if d.contains_key("cache_read_input_tokens")
        || d.contains_key("cache_creation_input_tokens")
    {
        anthropic(d)
    } else if (d.contains_key("input_tokens") || d.contains_key("output_tokens"))
        && !d.contains_key("input")
        && !d.contains_key("output")
    {
        openai_responses(d)
    } else {
        langfuse_buckets(d)
    };
    (!u.is_empty()).then_some(u)
}

fn int(d: &Map<String, Value>, key: &str) -> Option<i64> {
    d.get(key).and_then(as_token_count)
}

/// `d[details][key]`, where the details object may itself be JSON text.
fn nested(d: &Map<String, Value>, details: &str, key: &str) -> Option<i64> {
    d.get(details)
        .map(jsonish)?
        .get(key)
        .and_then(as_token_count)
}

fn reported(input: Option<i64>, output: Option<i64>, total: Option<i64>) -> Usage {
    Usage {
        input,
        output,
        total,
        provenance: Provenance::Reported,
        ..Usage::default()
    }
}

/// OpenAI chat completions: already inclusive; audio/prediction details are subsets, never added.
fn openai_chat(d: &Map<String, Value>) -> Usage {
    let mut u = reported(
        int(d, "prompt_tokens"),
        int(d, "completion_tokens"),
        int(d, "total_tokens"),
    );
    u.cache_read = nested(d, "prompt_tokens_details", "cached_tokens");
    u.cache_write = nested(d, "prompt_tokens_details", "cache_creation_tokens");
    u.reasoning = nested(d, "completion_tokens_details", "reasoning_tokens");
    u
}

/// OpenAI responses API: inclusive, details nested under `*_tokens_details`.
fn openai_responses(d: &Map<String, Value>) -> Usage {
    let mut u = reported(
        int(d, "input_tokens"),
        int(d, "output_tokens"),
        int(d, "total_tokens"),
    );
    u.cache_read = nested(d, "input_tokens_details", "cached_tokens");
    u.reasoning = nested(d, "output_tokens_details", "reasoning_tokens");
    u
}

/// Anthropic: `input_tokens` excludes the cache reads and writes, so they are added back.
fn anthropic(d: &Map<String, Value>) -> Usage {
    let read = int(d, "cache_read_input_tokens");
    let write = int(d, "cache_creation_input_tokens");
    let input = match (int(d, "input_tokens"), read, write) {
        (None, None, None) => None,
        (i, r, w) => Some(i.unwrap_or(0) + r.unwrap_or(0) + w.unwrap_or(0)),
    };
    let mut u = reported(input, int(d, "output_tokens"), int(d, "total_tokens"));
    u.cache_read = read;
    u.cache_write = write;
    u
}

/// Langfuse's exclusive buckets: input = Σ keys containing "input", output likewise; a missing
/// total is the sum of the buckets. Keys named like a total are totals only.
fn langfuse_buckets(d: &Map<String, Value>) -> Usage {
    let mut input = None::<i64>;
    let mut output = None::<i64>;
    let mut all = 0i64;
    let mut any = false;
    let mut total = None;
    let mut cache_read = None::<i64>;
    let mut cache_write = None::<i64>;
    let mut cache_write_split = None::<i64>;
    let mut reasoning = None::<i64>;
    let add = |slot: &mut Option<i64>, n: i64| *slot = Some(slot.unwrap_or(0).saturating_add(n));
    for (k, v) in d {
        let Some(n) = as_token_count(v) else { continue };
        if k == "total" || k.ends_with("total_tokens") || k == "totalTokens" {
            total = total.or(Some(n));
            continue;
        }
        any = true;
        all = all.saturating_add(n);
        if k.contains("input") {
            add(&mut input, n);
        }
        if k.contains("output") {
            add(&mut output, n);
        }
        match k.as_str() {
            "input_cached_tokens" | "input_cache_read" | "input_cache_read_tokens" => {
                add(&mut cache_read, n)
            }
            "input_cache_creation" | "input_cache_creation_tokens" => add(&mut cache_write, n),
            "input_cache_creation_5m" | "input_cache_creation_1h" => add(&mut cache_write_split, n),
            "output_reasoning_tokens" | "output_reasoning" => add(&mut reasoning, n),
            _ => {}
        }
    }
    Usage {
        input,
        output,
        total: total.or(any.then_some(all)),
        cache_read,
        cache_write: cache_write.or(cache_write_split),
        reasoning,
        provenance: Provenance::Reported,
        aggregate: false,
    }
}

pub(super) fn usage(o: &Value) -> Option<Usage> {
    for key in ["usageDetails", "providedUsageDetails"] {
        if let Some(Value::Object(d)) = o.get(key).map(jsonish)
            && let Some(u) = usage_from_details(&d)
        {
            return Some(u);
        }
    }
    // Back-compat fields of the observations API, already inclusive.
    let u = o.get("usage");
    let input = u
        .and_then(|u| u.get("input"))
        .and_then(as_token_count)
        .or_else(|| o.get("promptTokens").and_then(as_token_count))
        .filter(|n| *n > 0);
    let output = u
        .and_then(|u| u.get("output"))
        .and_then(as_token_count)
        .or_else(|| o.get("completionTokens").and_then(as_token_count))
        .filter(|n| *n > 0);
    let total = u
        .and_then(|u| u.get("total"))
        .and_then(as_token_count)
        .or_else(|| o.get("totalTokens").and_then(as_token_count))
        .filter(|n| *n > 0);
    if input.is_none() && output.is_none() && total.is_none() {
        return None;
    }
    Some(Usage {
        input,
        output,
        total,
        ..Usage::default()
    })
}

pub fn cost_from_details(d: &Map<String, Value>) -> Option<Cost> {
    let mut input = None::<f64>;
    let mut output = None::<f64>;
    let mut total = None;
    let mut sum = 0.0;
    let mut any = false;
    for (k, v) in d {
        let Some(x) = as_f64(v) else {
            continue;
        };
        if k == "total" {
            total = Some(x);
            continue;
        }
        any = true;
        sum += x;
        if k.contains("input") {
            input = Some(input.unwrap_or(0.0) + x);
        }
        if k.contains("output") {
            output = Some(output.unwrap_or(0.0) + x);
        }
    }
    let total = total.or(any.then_some(sum))?;
    Some(Cost {
        input,
        output,
        total: Some(total),
        source: CostSource::Reported,
    })
}

pub(super) fn cost(o: &Value) -> Option<Cost> {
    for key in ["costDetails", "providedCostDetails"] {
        if let Some(Value::Object(d)) = o.get(key).map(jsonish)
            && let Some(c) = cost_from_details(&d)
        {
            return Some(c);
        }
    }
    let total = f64_of(o, "calculatedTotalCost").or_else(|| f64_of(o, "totalCost"))?;
    Some(Cost {
        input: f64_of(o, "calculatedInputCost"),
        output: f64_of(o, "calculatedOutputCost"),
        total: Some(total),
        source: CostSource::Reported,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// (input, output, total, cache_read, reasoning)
    type Read = (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );

    fn read(v: Value) -> Read {
        let Value::Object(d) = v else {
            panic!("object")
        };
        let u = usage_from_details(&d).unwrap_or_default();
        (u.input, u.output, u.total, u.cache_read, u.reasoning)
    }

    #[test]
    fn every_key_shape() {
        let table: Vec<(Value, Read)> = vec![
            // OpenAI chat completions, details nested (and once as JSON text).
            (
                json!({"prompt_tokens": 615, "completion_tokens": 18, "total_tokens": 633,
                       "prompt_tokens_details": {"cached_tokens": 512, "audio_tokens": 0},
                       "completion_tokens_details": {"reasoning_tokens": 4, "audio_tokens": 0}}),
                (Some(615), Some(18), Some(633), Some(512), Some(4)),
            ),
            (
                json!({"prompt_tokens": 10, "completion_tokens": 2,
                       "prompt_tokens_details": "{\"cached_tokens\": 3}"}),
                (Some(10), Some(2), None, Some(3), None),
            ),
            // OpenAI responses.
            (
                json!({"input_tokens": 100, "output_tokens": 30, "total_tokens": 130,
                       "input_tokens_details": {"cached_tokens": 64},
                       "output_tokens_details": {"reasoning_tokens": 12}}),
                (Some(100), Some(30), Some(130), Some(64), Some(12)),
            ),
            // Anthropic: the input excludes the cache, so it is added back.
            (
                json!({"input_tokens": 20, "output_tokens": 5, "cache_read_input_tokens": 100,
                       "cache_creation_input_tokens": 7}),
                (Some(127), Some(5), None, Some(100), None),
            ),
            // Langfuse buckets, exclusive.
            (
                json!({"input": 80, "input_cached_tokens": 20, "output": 9,
                       "output_reasoning_tokens": 3, "total": 112}),
                (Some(100), Some(12), Some(112), Some(20), Some(3)),
            ),
            (json!({"input": 21}), (Some(21), None, Some(21), None, None)),
            // A reported zero is a known zero (failed generation).
            (
                json!({"input": 0, "output": 0, "total": 0}),
                (Some(0), Some(0), Some(0), None, None),
            ),
            // Totals are never added into anything.
            (
                json!({"input": 5, "output": 2, "total_tokens": 7}),
                (Some(5), Some(2), Some(7), None, None),
            ),
        ];
        for (input, want) in table {
            assert_eq!(read(input.clone()), want, "usage_from_details({input})");
        }
        assert!(usage_from_details(&Map::new()).is_none());
    }
}
