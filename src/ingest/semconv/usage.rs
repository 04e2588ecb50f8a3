//! Token usage, reported cost and request parameters.

use serde_json::{Map, Value};

use super::value::{as_f64, as_token_count};
use super::{Conv, GEN, LEG, OI};
use crate::model::{Cost, CostSource, Provenance, Usage};

pub(super) fn usage(attrs: &Map<String, Value>) -> Option<(Usage, Conv)> {
    let int = |keys: &[(&str, Conv)]| -> Option<(i64, Conv)> {
        keys.iter()
            .find_map(|(k, c)| attrs.get(*k).and_then(as_token_count).map(|v| (v, *c)))
    };
    let input = int(&[
        ("llm.token_count.prompt", OI),
        ("gen_ai.usage.input_tokens", GEN),
        ("gen_ai.usage.prompt_tokens", LEG),
    ]);
    let output = int(&[
        ("llm.token_count.completion", OI),
        ("gen_ai.usage.output_tokens", GEN),
        ("gen_ai.usage.completion_tokens", LEG),
    ]);
    let total = int(&[
        ("llm.token_count.total", OI),
        ("gen_ai.usage.total_tokens", GEN),
        ("llm.usage.total_tokens", LEG),
    ]);
    let cache_read = int(&[
        ("llm.token_count.prompt_details.cache_read", OI),
        ("gen_ai.usage.cache_read.input_tokens", GEN),
        ("gen_ai.usage.cache_read_input_tokens", LEG),
    ]);
    let cache_write = int(&[
        ("llm.token_count.prompt_details.cache_write", OI),
        ("gen_ai.usage.cache_creation.input_tokens", GEN),
        ("gen_ai.usage.cache_creation_input_tokens", LEG),
    ]);
    let reasoning = int(&[
        ("llm.token_count.completion_details.reasoning", OI),
        ("gen_ai.usage.reasoning.output_tokens", GEN),
        // OpenLLMetry >= 0.55 writes this key (asserted in its own OpenAI tests).
        ("gen_ai.usage.reasoning_tokens", LEG),
        ("llm.usage.reasoning_tokens", LEG),
    ]);
    let conv = [input, output, total].iter().flatten().map(|x| x.1).min()?;
    let input = input.map(|x| x.0);
    let output = output.map(|x| x.0);
    let total = total.map(|x| x.0).or(match (input, output) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
    });
    Some((
        Usage {
            input,
            output,
            total,
            cache_read: cache_read.map(|x| x.0),
            cache_write: cache_write.map(|x| x.0),
            reasoning: reasoning.map(|x| x.0),
            provenance: Provenance::Reported,
            aggregate: false,
        },
        conv,
    ))
}

pub(super) fn reported_cost(attrs: &Map<String, Value>) -> Option<Cost> {
    let f = |k: &str| attrs.get(k).and_then(as_f64).filter(|x| x.is_finite());
    let input = f("llm.cost.prompt");
    let output = f("llm.cost.completion");
    let total = f("llm.cost.total").or_else(|| f("gen_ai.usage.cost"));
    if input.is_none() && output.is_none() && total.is_none() {
        return None;
    }
    let total = total.or(match (input, output) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    });
    Some(Cost {
        input,
        output,
        total,
        source: CostSource::Reported,
    })
}

/// GenAI has no single parameters attribute; gather `gen_ai.request.*` (except the model).
pub(super) fn genai_request_params(attrs: &Map<String, Value>) -> Option<Value> {
    let mut out = Map::new();
    for (k, v) in attrs {
        if let Some(name) = k.strip_prefix("gen_ai.request.") {
            if name != "model" && !v.is_null() {
                out.insert(name.to_string(), v.clone());
            }
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}
