//! Cost of usage: input with cache reads and writes, output with reasoning, long-context tiers;
//! and filling in the cost of spans.

use super::table::{Price, PriceBook, Tier};
use crate::model::{Cost, CostSource, Span, Usage};

impl PriceBook {
    /// Cost of one span's usage. Usage is inclusive (input includes cache_read and
    /// cache_write; output includes reasoning). Returns [`Cost::unknown`] when the model has no
    /// price or the usage has no per-bucket counts (a bare total cannot be priced).
    pub fn compute(&self, model: &str, provider: Option<&str>, usage: &Usage) -> Cost {
        let Some(m) = self.lookup(model, provider) else {
            return Cost::unknown();
        };
        match m.price.cost(usage) {
            Some((input, output)) => Cost {
                input: Some(input),
                output: Some(output),
                total: Some(input + output),
                source: CostSource::Computed {
                    price_key: m.key.to_string(),
                },
            },
            None => Cost::unknown(),
        }
    }
}

/// Clamps a token count to a non-negative float; counts stay far below 2^53, so exact.
fn tokens(v: Option<i64>) -> f64 {
    v.unwrap_or(0).max(0) as f64
}

impl Price {
    /// The long-context tier a request with `input` tokens falls in, if any.
    pub fn tier_for(&self, input: i64) -> Option<&Tier> {
        self.tiers.iter().find(|t| input > t.above)
    }

    /// `(input_cost, output_cost)` in USD for inclusive `usage`, or `None` when the usage has no
    /// input, output or cache counts at all.
    pub fn cost(&self, usage: &Usage) -> Option<(f64, f64)> {
        if usage.input.is_none()
            && usage.output.is_none()
            && usage.cache_read.is_none()
            && usage.cache_write.is_none()
        {
            return None;
        }
        let cache_read = tokens(usage.cache_read);
        let cache_write = tokens(usage.cache_write);
        // A missing input with cache counts still implies at least the cached tokens.
        let input = usage
            .input
            .map(|i| i.max(0) as f64)
            .unwrap_or(cache_read + cache_write);
        let output = tokens(usage.output);
        // Reasoning is part of output; a larger figure is inconsistent data, not extra tokens.
        let reasoning = tokens(usage.reasoning).min(output);

        let tier = self.tier_for(input as i64);
        let in_rate = tier.and_then(|t| t.input).unwrap_or(self.input);
        let out_rate = tier.and_then(|t| t.output).unwrap_or(self.output);
        let read_rate = tier
            .and_then(|t| t.cache_read)
            .or(self.cache_read)
            .unwrap_or(in_rate);
        let write_rate = tier
            .and_then(|t| t.cache_write)
            .or(self.cache_write)
            .unwrap_or(in_rate);

        let uncached = (input - cache_read - cache_write).max(0.0);
        let input_cost = uncached * in_rate + cache_read * read_rate + cache_write * write_rate;
        let output_cost = match self.reasoning {
            Some(reasoning_rate) => (output - reasoning) * out_rate + reasoning * reasoning_rate,
            None => output * out_rate,
        };
        Some((input_cost, output_cost))
    }
}

/// Fills `span.cost` when absent. A reported cost always wins; a span without usage is left
/// alone; an unpriced model (or usage with only a bare total, which cannot be split into input
/// and output) gets [`Cost::unknown`] (shown as `?`, never 0). The response model is tried
/// first, then the request model.
///
/// A previously computed or unknown cost is recomputed, so applying a book with user overrides
/// after ingest updates it. Usage flagged `aggregate` (a roll-up of child spans) is not priced:
/// the children carry that cost, and pricing the roll-up too would count it twice.
pub fn apply(book: &PriceBook, span: &mut Span) {
    if let Some(cost) = &span.cost {
        let recompute = match cost.source {
            CostSource::Reported => false,
            CostSource::Computed { .. } => true,
            // An adapter may fill only the total and leave the default source; that is still
            // a reported figure.
            CostSource::Unknown => cost.total.is_none() && cost.input.is_none(),
        };
        if !recompute {
            return;
        }
    }
    let Some(usage) = span.usage.as_ref() else {
        return;
    };
    if usage.is_empty() || usage.aggregate {
        return;
    }
    let provider = span.provider.as_deref();
    let models = [span.model.as_deref(), span.request_model.as_deref()];
    let cost = models
        .into_iter()
        .flatten()
        .map(|m| book.compute(m, provider, usage))
        .find(|c| c.total.is_some())
        .unwrap_or_else(Cost::unknown);
    span.cost = Some(cost);
}

/// [`apply`] over many spans.
pub fn apply_all(book: &PriceBook, spans: &mut [Span]) {
    for span in spans {
        apply(book, span);
    }
}
