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
//! means "unpriced": the cost is [`Cost::unknown`] (shown as `?`), never 0.
//!
//! # Token semantics
//!
//! [`Usage`] is **inclusive**, as in OpenTelemetry: `input` includes cache reads and cache
//! writes, and `output` includes reasoning tokens. Provider differences (OpenAI's
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
//! embedded book with [`PriceBook::merge`] (or do both with [`PriceBook::with_overrides`]):
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::model::{Cost, CostSource, Span, Usage};

pub use normalize::provider_prefixes;

const EMBEDDED_JSON: &str = include_str!("../../assets/prices/model_prices.json");

/// LiteLLM modes billed per text token. Entries of other modes (images, audio, video, search)
/// are priced per image, second or query, so they are skipped when reading a full LiteLLM file.
const TOKEN_MODES: &[&str] = &["chat", "completion", "embedding", "responses", "rerank"];

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

/// A long-context tier: when a request's input exceeds `above` tokens, every token of that
/// request uses these rates (a `None` rate keeps the base rate).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tier {
    /// Input-token threshold; the tier applies when `input > above`.
    pub above: i64,
    pub input: Option<f64>,
    pub output: Option<f64>,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
}

/// Prices of one model, in USD per token.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Price {
    pub input: f64,
    pub output: f64,
    pub cache_read: Option<f64>,
    pub cache_write: Option<f64>,
    pub reasoning: Option<f64>,
    /// Long-context tiers, highest threshold first.
    pub tiers: Vec<Tier>,
    /// LiteLLM provider of the entry (`openai`, `bedrock`, …), for display.
    pub provider: Option<String>,
    /// LiteLLM mode (`chat`, `embedding`, …).
    pub mode: Option<String>,
}

/// Which ladder step found a model. See the module docs for the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchStep {
    Exact,
    Lowercase,
    ProviderPrefix,
    StripPrefix,
    BedrockRegion,
    DateSuffix,
    Latest,
    Tag,
    DatedVariant,
}

impl MatchStep {
    pub fn as_str(self) -> &'static str {
        match self {
            MatchStep::Exact => "exact",
            MatchStep::Lowercase => "lowercase",
            MatchStep::ProviderPrefix => "provider-prefix",
            MatchStep::StripPrefix => "strip-prefix",
            MatchStep::BedrockRegion => "bedrock-region",
            MatchStep::DateSuffix => "date-suffix",
            MatchStep::Latest => "latest",
            MatchStep::Tag => "tag",
            MatchStep::DatedVariant => "dated-variant",
        }
    }
}

/// Result of [`PriceBook::lookup`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceMatch<'a> {
    /// The table key that matched (as spelled in the table).
    pub key: &'a str,
    pub step: MatchStep,
    pub price: &'a Price,
}

/// A price table keyed by model name.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    /// Keys as spelled in the table. A BTreeMap keeps iteration (and so every tie-break)
    /// deterministic.
    entries: BTreeMap<String, Price>,
    /// Lowercased key → table key. Lowercase collisions resolve to the first key in sorted
    /// order.
    lower: BTreeMap<String, String>,
}

/// One entry as it appears in LiteLLM JSON (or a user override file). Unknown fields are
/// ignored so a full LiteLLM file can be read too.
#[derive(Debug, Default, Deserialize)]
struct RawEntry {
    litellm_provider: Option<String>,
    mode: Option<String>,
    input_cost_per_token: Option<f64>,
    output_cost_per_token: Option<f64>,
    cache_read_input_token_cost: Option<f64>,
    cache_creation_input_token_cost: Option<f64>,
    output_cost_per_reasoning_token: Option<f64>,
    input_cost_per_token_above_200k_tokens: Option<f64>,
    output_cost_per_token_above_200k_tokens: Option<f64>,
    cache_read_input_token_cost_above_200k_tokens: Option<f64>,
    cache_creation_input_token_cost_above_200k_tokens: Option<f64>,
    input_cost_per_token_above_128k_tokens: Option<f64>,
    output_cost_per_token_above_128k_tokens: Option<f64>,
    /// Overrides only: start from this model's price.
    same_as: Option<String>,
}

impl RawEntry {
    fn has_token_price(&self) -> bool {
        self.input_cost_per_token.is_some() || self.output_cost_per_token.is_some()
    }

    fn is_token_mode(&self) -> bool {
        self.mode
            .as_deref()
            .is_none_or(|m| TOKEN_MODES.contains(&m))
    }

    fn check(&self, key: &str) -> Result<(), PricingError> {
        let rates = [
            self.input_cost_per_token,
            self.output_cost_per_token,
            self.cache_read_input_token_cost,
            self.cache_creation_input_token_cost,
            self.output_cost_per_reasoning_token,
            self.input_cost_per_token_above_200k_tokens,
            self.output_cost_per_token_above_200k_tokens,
            self.cache_read_input_token_cost_above_200k_tokens,
            self.cache_creation_input_token_cost_above_200k_tokens,
            self.input_cost_per_token_above_128k_tokens,
            self.output_cost_per_token_above_128k_tokens,
        ];
        if rates.iter().flatten().any(|r| !r.is_finite() || *r < 0.0) {
            return Err(PricingError::InvalidEntry {
                key: key.to_string(),
                reason: "prices must be finite and not negative".to_string(),
            });
        }
        Ok(())
    }

    /// Lays this entry's fields over `base`.
    fn apply_to(&self, mut p: Price) -> Price {
        set(&mut p.input, self.input_cost_per_token);
        set(&mut p.output, self.output_cost_per_token);
        set_opt(&mut p.cache_read, self.cache_read_input_token_cost);
        set_opt(&mut p.cache_write, self.cache_creation_input_token_cost);
        set_opt(&mut p.reasoning, self.output_cost_per_reasoning_token);
        if self.litellm_provider.is_some() {
            p.provider.clone_from(&self.litellm_provider);
        }
        if self.mode.is_some() {
            p.mode.clone_from(&self.mode);
        }
        self.merge_tier(
            &mut p.tiers,
            200_000,
            Tier {
                above: 200_000,
                input: self.input_cost_per_token_above_200k_tokens,
                output: self.output_cost_per_token_above_200k_tokens,
                cache_read: self.cache_read_input_token_cost_above_200k_tokens,
                cache_write: self.cache_creation_input_token_cost_above_200k_tokens,
            },
        );
        self.merge_tier(
            &mut p.tiers,
            128_000,
            Tier {
                above: 128_000,
                input: self.input_cost_per_token_above_128k_tokens,
                output: self.output_cost_per_token_above_128k_tokens,
                cache_read: None,
                cache_write: None,
            },
        );
        p.tiers.sort_by_key(|t| std::cmp::Reverse(t.above));
        p
    }

    fn merge_tier(&self, tiers: &mut Vec<Tier>, above: i64, new: Tier) {
        if new.input.is_none()
            && new.output.is_none()
            && new.cache_read.is_none()
            && new.cache_write.is_none()
        {
            return;
        }
        match tiers.iter_mut().find(|t| t.above == above) {
            Some(t) => {
                set_opt(&mut t.input, new.input);
                set_opt(&mut t.output, new.output);
                set_opt(&mut t.cache_read, new.cache_read);
                set_opt(&mut t.cache_write, new.cache_write);
            }
            None => tiers.push(new),
        }
    }
}

fn set(slot: &mut f64, v: Option<f64>) {
    if let Some(v) = v {
        *slot = v;
    }
}

fn set_opt(slot: &mut Option<f64>, v: Option<f64>) {
    if v.is_some() {
        *slot = v;
    }
}

/// Parses a JSON or TOML document into `(key, entry)` pairs, in document key order.
fn raw_entries(root: Value) -> Result<Vec<(String, RawEntry)>, PricingError> {
    let Value::Object(map) = root else {
        return Err(PricingError::NotAnObject);
    };
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map {
        // LiteLLM's first key documents the schema with strings where numbers belong.
        if key == "sample_spec" {
            continue;
        }
        let entry: RawEntry =
            serde_json::from_value(value).map_err(|e| PricingError::InvalidEntry {
                key: key.clone(),
                reason: e.to_string(),
            })?;
        entry.check(&key)?;
        out.push((key, entry));
    }
    Ok(out)
}

impl PriceBook {
    /// The price table shipped with trawl, parsed on first use.
    pub fn embedded() -> &'static PriceBook {
        static BOOK: OnceLock<PriceBook> = OnceLock::new();
        BOOK.get_or_init(|| {
            // The asset is generated and checked by tests, so a parse failure is a build
            // defect; fall back to an empty book (every cost shows as unknown) rather than
            // crash a viewer over it.
            PriceBook::from_json(EMBEDDED_JSON).unwrap_or_else(|e| {
                tracing::error!("embedded price table is invalid: {e}");
                PriceBook::default()
            })
        })
    }

    /// Reads a table in LiteLLM's shape (the embedded subset or the full upstream file).
    /// Entries that are not billed per token (image, audio, … modes) or have neither an input
    /// nor an output price are skipped; malformed entries are an error.
    pub fn from_json(text: &str) -> Result<PriceBook, PricingError> {
        let root: Value = serde_json::from_str(text)?;
        Ok(Self::from_raw(raw_entries(root)?))
    }

    fn from_raw(raw: Vec<(String, RawEntry)>) -> PriceBook {
        let mut book = PriceBook::default();
        for (key, entry) in raw {
            if entry.is_token_mode() && entry.has_token_price() {
                let price = entry.apply_to(Price::default());
                book.insert(key, price);
            }
        }
        book
    }

    fn insert(&mut self, key: String, price: Price) {
        let lower = key.to_lowercase();
        match self.lower.get(&lower) {
            // Keep the sorted-first spelling so lowercase collisions resolve deterministically.
            Some(existing) if existing.as_str() <= key.as_str() => {}
            _ => {
                self.lower.insert(lower, key.clone());
            }
        }
        self.entries.insert(key, price);
    }

    /// Number of priced models.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The price stored under exactly `key`.
    pub fn get(&self, key: &str) -> Option<&Price> {
        self.entries.get(key)
    }

    /// All entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Price)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Lays `overrides` over this book: entries with a new key are added, entries with an
    /// existing key replace it.
    pub fn merge(&mut self, overrides: PriceBook) {
        for (key, price) in overrides.entries {
            self.insert(key, price);
        }
    }

    /// This book with the user's override file (JSON or TOML, see [`user_overrides`]) applied.
    pub fn with_overrides(&self, path: &Path) -> Result<PriceBook, PricingError> {
        let overrides = user_overrides(path, self)?;
        let mut book = self.clone();
        book.merge(overrides);
        Ok(book)
    }

    fn get_lower(&self, lower: &str) -> Option<(&str, &Price)> {
        let key = self.lower.get(lower)?;
        self.entries
            .get_key_value(key.as_str())
            .map(|(k, p)| (k.as_str(), p))
    }

    /// Tries `name` bare, then with each provider prefix.
    fn try_name(&self, name: &str, prefixes: &[String]) -> Option<(&str, &Price)> {
        if let Some(hit) = self.get_lower(name) {
            return Some(hit);
        }
        prefixes
            .iter()
            .find_map(|p| self.get_lower(&format!("{p}{name}")))
    }

    /// Newest dated key for an undated `base` (bare, then with provider prefixes).
    fn newest_dated(&self, base: &str, prefixes: &[String]) -> Option<(&str, &Price)> {
        let scan = |stem: &str| -> Option<&String> {
            self.lower
                .range::<str, _>((std::ops::Bound::Excluded(stem), std::ops::Bound::Unbounded))
                .take_while(|(k, _)| k.starts_with(stem))
                .filter_map(|(k, v)| normalize::dated_variant_rank(stem, k).map(|r| (r, v)))
                // max_by_key keeps the last maximum; ranks are distinct per stem anyway
                // except for `-YYYYMMDD` vs `@YYYYMMDD`, where the later key in sorted order
                // wins deterministically.
                .max_by_key(|(r, _)| *r)
                .map(|(_, v)| v)
        };
        let key =
            scan(base).or_else(|| prefixes.iter().find_map(|p| scan(&format!("{p}{base}"))))?;
        self.entries
            .get_key_value(key.as_str())
            .map(|(k, p)| (k.as_str(), p))
    }

    /// Finds the price entry for a model name; returns the matched table key and how it
    /// matched. `provider` is the span's provider (any common spelling), used to try
    /// provider-specific keys such as `azure/<model>`.
    pub fn lookup(&self, model: &str, provider: Option<&str>) -> Option<PriceMatch<'_>> {
        let trimmed = model.trim();
        if trimmed.is_empty() {
            return None;
        }
        if let Some(m) = found(
            self.entries
                .get_key_value(trimmed)
                .map(|(k, p)| (k.as_str(), p)),
            MatchStep::Exact,
        ) {
            return Some(m);
        }
        let lower = trimmed.to_lowercase();
        if let Some(m) = found(self.get_lower(&lower), MatchStep::Lowercase) {
            return Some(m);
        }
        let mut prefixes = normalize::provider_prefixes(provider);
        // `model@version` is Vertex AI's spelling, so its keys are worth trying even when the
        // span did not name the provider.
        if lower.contains('@') && !prefixes.iter().any(|p| p == "vertex_ai/") {
            prefixes.push("vertex_ai/".to_string());
        }
        if let Some(m) = found(
            prefixes
                .iter()
                .find_map(|p| self.get_lower(&format!("{p}{lower}"))),
            MatchStep::ProviderPrefix,
        ) {
            return Some(m);
        }

        // Step 4: routing prefixes, one at a time, then fine-tune ids.
        let mut base: &str = &lower;
        while let Some(next) = normalize::strip_provider_prefix(base) {
            base = next;
            if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::StripPrefix) {
                return Some(m);
            }
        }
        // `openrouter/<vendor>/<model>` leaves `<vendor>/<model>` when the vendor is not a
        // routing prefix we know (e.g. `meta-llama/`).
        if lower.starts_with("openrouter/") {
            if let Some(next) = normalize::strip_vendor_segment(base) {
                base = next;
                if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::StripPrefix) {
                    return Some(m);
                }
            }
        }
        if let Some(ft) = normalize::fine_tune_base(base) {
            if let Some(m) = found(self.try_name(ft, &prefixes), MatchStep::StripPrefix) {
                return Some(m);
            }
        }
        if let Some(next) = normalize::strip_fine_tune(base) {
            base = next;
            if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::StripPrefix) {
                return Some(m);
            }
        }

        // Step 5: Bedrock region, vendor and version.
        for strip in [
            normalize::strip_bedrock_region,
            normalize::strip_bedrock_vendor,
            normalize::strip_bedrock_version,
        ] {
            if let Some(next) = strip(base) {
                base = next;
                if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::BedrockRegion) {
                    return Some(m);
                }
            }
        }

        // Step 6: date suffix.
        if let Some(next) = normalize::strip_date_suffix(base) {
            base = next;
            if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::DateSuffix) {
                return Some(m);
            }
        }

        // Step 7: `-latest`.
        if let Some(next) = normalize::strip_latest(base) {
            base = next;
            if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::Latest) {
                return Some(m);
            }
        }

        // Step 8: a local-runtime tag (`llama3.1:8b`, `qwen3:latest`).
        if let Some(next) = normalize::strip_tag(base) {
            base = next;
            if let Some(m) = found(self.try_name(base, &prefixes), MatchStep::Tag) {
                return Some(m);
            }
        }

        // Step 9: an undated name priced by its newest dated entry.
        found(self.newest_dated(base, &prefixes), MatchStep::DatedVariant)
    }

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

fn found<'a>(hit: Option<(&'a str, &'a Price)>, step: MatchStep) -> Option<PriceMatch<'a>> {
    hit.map(|(key, price)| PriceMatch { key, step, price })
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

/// Reads a user price file: TOML when the extension is `.toml`, JSON otherwise. Entries use the
/// LiteLLM field names; `same_as = "<model>"` starts an entry from another model's price in
/// `base` (looked up with the normal ladder), and an entry whose key already exists in `base`
/// starts from that entry, so a file may change a single field.
pub fn user_overrides(path: &Path, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let text = std::fs::read_to_string(path).map_err(|source| PricingError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    if is_toml {
        parse_overrides_toml(&text, base)
    } else {
        parse_overrides_json(&text, base)
    }
}

/// Parses override entries from JSON text (see [`user_overrides`]).
pub fn parse_overrides_json(text: &str, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let root: Value = serde_json::from_str(text)?;
    overrides_from_value(root, base)
}

/// Parses override entries from TOML text (see [`user_overrides`]).
pub fn parse_overrides_toml(text: &str, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let table: Map<String, Value> = toml::from_str(text)?;
    overrides_from_value(Value::Object(table), base)
}

fn overrides_from_value(root: Value, base: &PriceBook) -> Result<PriceBook, PricingError> {
    let mut book = PriceBook::default();
    for (key, entry) in raw_entries(root)? {
        let start = match &entry.same_as {
            Some(target) => base
                .lookup(target, None)
                .map(|m| m.price.clone())
                .ok_or_else(|| PricingError::UnknownAlias {
                    key: key.clone(),
                    target: target.clone(),
                })?,
            None => match base.get(&key) {
                Some(p) => p.clone(),
                None if entry.has_token_price() => Price::default(),
                None => {
                    return Err(PricingError::InvalidEntry {
                        key,
                        reason: "needs input_cost_per_token or output_cost_per_token \
                                 (or same_as)"
                            .to_string(),
                    });
                }
            },
        };
        let price = entry.apply_to(start);
        book.insert(key, price);
    }
    Ok(book)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn book() -> PriceBook {
        PriceBook::from_json(
            r#"{
            "sample_spec": {"input_cost_per_token": "doc", "mode": "one of: chat"},
            "m": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                  "cache_read_input_token_cost": 1e-7, "litellm_provider": "x", "mode": "chat"},
            "Big-Model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6,
                  "input_cost_per_token_above_128k_tokens": 3e-6,
                  "input_cost_per_token_above_200k_tokens": 5e-6,
                  "output_cost_per_token_above_200k_tokens": 7e-6},
            "img": {"mode": "image_generation", "input_cost_per_token": 1e-6},
            "noprice": {"mode": "chat"},
            "fam-20240101": {"input_cost_per_token": 1e-6},
            "fam-20250101": {"input_cost_per_token": 2e-6},
            "fam-0613": {"input_cost_per_token": 3e-6},
            "azure/dep": {"input_cost_per_token": 4e-6}
        }"#,
        )
        .unwrap_or_default()
    }

    #[test]
    fn parses_and_filters() {
        let b = book();
        assert_eq!(b.len(), 6);
        assert!(b.get("img").is_none());
        assert!(b.get("noprice").is_none());
        assert_eq!(b.get("m").and_then(|p| p.provider.as_deref()), Some("x"));
        let tiers = b
            .get("Big-Model")
            .map(|p| p.tiers.clone())
            .unwrap_or_default();
        assert_eq!(tiers.len(), 2);
        assert_eq!(tiers[0].above, 200_000);
    }

    #[test]
    fn rejects_bad_entries() {
        assert!(matches!(
            PriceBook::from_json("[]"),
            Err(PricingError::NotAnObject)
        ));
        assert!(matches!(
            PriceBook::from_json(r#"{"a": {"input_cost_per_token": "x"}}"#),
            Err(PricingError::InvalidEntry { .. })
        ));
        assert!(matches!(
            PriceBook::from_json(r#"{"a": {"input_cost_per_token": -1.0}}"#),
            Err(PricingError::InvalidEntry { .. })
        ));
        assert!(matches!(
            PriceBook::from_json("{"),
            Err(PricingError::Json(_))
        ));
    }

    #[test]
    fn ladder_steps() {
        let b = book();
        let step = |m: &str, p: Option<&str>| b.lookup(m, p).map(|x| (x.key, x.step));
        assert_eq!(
            step("Big-Model", None),
            Some(("Big-Model", MatchStep::Exact))
        );
        assert_eq!(
            step(" big-model ", None),
            Some(("Big-Model", MatchStep::Lowercase))
        );
        assert_eq!(
            step("dep", Some("azure")),
            Some(("azure/dep", MatchStep::ProviderPrefix))
        );
        assert_eq!(step("openai/m", None), Some(("m", MatchStep::StripPrefix)));
        assert_eq!(
            step("fam", None),
            Some(("fam-20250101", MatchStep::DatedVariant))
        );
        assert_eq!(
            step("m-2024-01-01", None),
            Some(("m", MatchStep::DateSuffix))
        );
        assert_eq!(step("m-latest", None), Some(("m", MatchStep::Latest)));
        assert_eq!(step("", None), None);
        assert_eq!(step("dep", None), None);
    }

    #[test]
    fn tiers_apply_to_all_tokens() {
        let b = book();
        let p = b.get("Big-Model").cloned().unwrap_or_default();
        let at = |input| {
            p.cost(&Usage {
                input: Some(input),
                output: Some(10),
                ..Usage::default()
            })
            .unwrap_or((f64::NAN, f64::NAN))
        };
        let (i, o) = at(200_000);
        assert!(
            (i - 200_000.0 * 3e-6).abs() < 1e-12,
            "128k tier at exactly 200k"
        );
        assert!((o - 10.0 * 2e-6).abs() < 1e-12);
        let (i, o) = at(200_001);
        assert!((i - 200_001.0 * 5e-6).abs() < 1e-12);
        assert!((o - 10.0 * 7e-6).abs() < 1e-12);
        let (i, _) = at(128_000);
        assert!((i - 128_000.0 * 1e-6).abs() < 1e-12);
    }

    #[test]
    fn total_only_usage_is_unpriced() {
        let b = book();
        let usage = Usage {
            total: Some(100),
            ..Usage::default()
        };
        assert_eq!(b.compute("m", None, &usage), Cost::unknown());
    }

    #[test]
    fn negative_counts_clamp() {
        let b = book();
        let usage = Usage {
            input: Some(-5),
            output: Some(-1),
            ..Usage::default()
        };
        let c = b.compute("m", None, &usage);
        assert_eq!(c.total, Some(0.0));
    }
}
