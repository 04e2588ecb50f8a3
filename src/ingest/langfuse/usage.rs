//! Usage and cost of an observation. Langfuse's `usageDetails` buckets exclude each other
//! (formats.md §4.1); trawl's are inclusive (§10.3), so input = Σ keys containing "input" and
//! output likewise.

use crate::ingest::semconv::value::{as_f64, as_i64, f64_of, jsonish};
use crate::model::{Cost, CostSource, Provenance, Usage};
use serde_json::{Map, Value};

/// Inclusive usage from Langfuse's exclusive buckets (or the back-compat fields).
pub fn usage_from_details(d: &Map<String, Value>) -> Option<Usage> {
    let mut input = None::<i64>;
    let mut output = None::<i64>;
    let mut all = 0i64;
    let mut any = false;
    let mut total = None;
    let mut cache_read = None::<i64>;
    let mut cache_write = None::<i64>;
    let mut cache_write_split = None::<i64>;
    let mut reasoning = None::<i64>;
    let add = |slot: &mut Option<i64>, n: i64| *slot = Some(slot.unwrap_or(0) + n);
    for (k, v) in d {
        let Some(n) = as_i64(v) else { continue };
        if k == "total" {
            total = Some(n);
            continue;
        }
        any = true;
        all += n;
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
    if !any && total.is_none() {
        return None;
    }
    Some(Usage {
        input,
        output,
        // A missing total is the sum of all buckets (they exclude each other).
        total: total.or(any.then_some(all)),
        cache_read,
        cache_write: cache_write.or(cache_write_split),
        reasoning,
        provenance: Provenance::Reported,
        aggregate: false,
    })
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
        .and_then(as_i64)
        .or_else(|| o.get("promptTokens").and_then(as_i64))
        .filter(|n| *n > 0);
    let output = u
        .and_then(|u| u.get("output"))
        .and_then(as_i64)
        .or_else(|| o.get("completionTokens").and_then(as_i64))
        .filter(|n| *n > 0);
    let total = u
        .and_then(|u| u.get("total"))
        .and_then(as_i64)
        .or_else(|| o.get("totalTokens").and_then(as_i64))
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
