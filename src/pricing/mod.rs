//! Model prices and cost computation.
//!
//! # The table
//!
//! Prices come from LiteLLM's model price map (MIT, see `assets/prices/NOTICE.md`), filtered by
//! `scripts/gen_prices.py` into `assets/prices/model_prices.json` and embedded in the binary.
//! Every price is **USD per single token**. [`PriceBook::embedded`] parses it once.
//!
//! # Finding a model
//!
//! Trace sources name models loosely (`openai/gpt-4o`, `us.anthropic.claude-…-v2:0`,
//! `claude-sonnet-4-5@20250929`, `GPT-4o`). [`PriceBook::lookup`] walks a ladder and returns the
//! first hit together with the table key and the [`MatchStep`] that found it, so the UI can show
//! what a cost is based on:
//!
//! 1. [`MatchStep::Exact`]: the trimmed name as given.
//! 2. [`MatchStep::Lowercase`]: trimmed and lowercased (all later steps work on this form).
//! 3. [`MatchStep::ProviderPrefix`]: `<prefix>/<name>` for the span's provider mapped to LiteLLM
//!    prefixes (`azure` → `azure/`, `gcp.vertex_ai` → `vertex_ai/`, …).
//! 4. [`MatchStep::StripPrefix`]: routing prefixes removed one at a time (`openai/`,
//!    `anthropic/`, `azure/`, `bedrock/`, `vertex_ai/`, `google/`, `models/`, `gemini/`,
//!    `openrouter/<vendor>/`), and OpenAI fine-tune ids reduced to their base model.
//! 5. [`MatchStep::BedrockRegion`]: Bedrock region prefix (`us.`, `eu.`, `apac.`, `jp.`, `au.`,
//!    `global.`), then the `anthropic.` vendor prefix, then the `-v1:0`/`-v2:0` version suffix.
//! 6. [`MatchStep::DateSuffix`]: `-2024-08-06`, `-20250929`, `@20250929`, `-0613` removed.
//! 7. [`MatchStep::Latest`]: `-latest` removed.
//! 8. [`MatchStep::Tag`]: an Ollama-style `:tag` removed (`llama3.1:8b` → `llama3.1`).
//! 9. [`MatchStep::DatedVariant`]: an undated name matched to its newest dated key
//!    (`claude-3-5-sonnet` → `claude-3-5-sonnet-20241022`).
//!
//! From step 4 on, every form is tried bare first and then with the provider prefixes. No match
//! means "unpriced": the cost is [`Cost::unknown`](crate::model::Cost::unknown) (shown as `?`),
//! never 0.
//!
//! # Token semantics
//!
//! [`Usage`](crate::model::Usage) is **inclusive**, as in OpenTelemetry: `input` includes cache
//! reads and cache writes, and `output` includes reasoning tokens. Provider differences (OpenAI's
//! `prompt_tokens` include cached tokens, Anthropic's native `input_tokens` exclude cache reads
//! and writes, Gemini's `candidatesTokenCount` excludes thoughts) are normalised by the ingest
//! adapters before usage reaches this module, so nothing here adds a bucket twice:
//!
//! - input cost = (input − cache_read − cache_write, clamped at 0) × input rate,
//!   plus cache_read × cache-read rate, plus cache_write × cache-write rate (each falls back to
//!   the input rate when the table has none);
//! - output cost = (output − reasoning) × output rate + reasoning × reasoning rate when the table
//!   has a reasoning rate, else output × output rate;
//! - long-context tiers (`*_above_200k_tokens`, `*_above_128k_tokens`) are chosen per request by
//!   its input size (`input > 200_000`), and then every token of that request uses the tier's
//!   rates (not marginal pricing). A tier rate the table lacks keeps the base rate, as LiteLLM
//!   does.
//!
//! Not modelled: batch/priority/flex service tiers, LiteLLM's `tiered_pricing` ranges (13
//! DashScope/search entries), the 1-hour cache-write rate, and audio/image tokens.
//!
//! # User overrides
//!
//! A user can price private models or correct a price with a file in the config directory
//! (`prices.json` or `prices.toml`), in the same shape as the embedded table: one entry per
//! model key with the LiteLLM field names. Load it with [`user_overrides`] and lay it over the
//! embedded book with [`PriceBook::merge`] (or do both with [`PriceBook::with_overrides`]). The
//! binary installs the configured file at start-up ([`PriceBook::install_user_overrides`]) and
//! every cost is computed with [`PriceBook::active`]:
//!
//! ```toml
//! ["my-finetune-xyz"]
//! input_cost_per_token = 3e-6
//! output_cost_per_token = 1.2e-5
//!
//! # An alias: price an Azure deployment name like a table entry, optionally changing fields.
//! ["prod-gpt4o-deployment"]
//! same_as = "azure/gpt-4o"
//! ```
//!
//! Fields given in an override replace the embedded entry's fields; omitted fields keep the
//! embedded (or `same_as`) values.

pub mod normalize;

mod cost;
mod lookup;
mod overrides;
mod table;

use std::path::PathBuf;

pub use cost::{apply, apply_all};
pub use lookup::{MatchStep, PriceMatch};
pub use normalize::provider_prefixes;
pub use overrides::{parse_overrides_json, parse_overrides_toml, user_overrides};
pub use table::{Price, PriceBook, Tier};

/// Errors reading a price table.
#[derive(thiserror::Error, Debug)]
pub enum PricingError {
    #[error("price table is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("price table is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("cannot read price file {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("price table must be an object keyed by model name")]
    NotAnObject,
    #[error("price entry {key:?}: {reason}")]
    InvalidEntry { key: String, reason: String },
    #[error("price entry {key:?}: same_as {target:?} matches no model in the price table")]
    UnknownAlias { key: String, target: String },
}

#[cfg(test)]
mod tests;
