//! The price table: LiteLLM's entry format, the embedded table, and a book keyed by model
//! name (with a lowercase index for the lookup ladder).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use super::PricingError;

const EMBEDDED_JSON: &str = include_str!("../../assets/prices/model_prices.json");

/// LiteLLM modes billed per text token. Entries of other modes (images, audio, video, search)
/// are priced per image, second or query, so they are skipped when reading a full LiteLLM file.
const TOKEN_MODES: &[&str] = &["chat", "completion", "embedding", "responses", "rerank"];

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

/// A price table keyed by model name.
#[derive(Debug, Clone, Default)]
pub struct PriceBook {
    /// Keys as spelled in the table. A BTreeMap keeps iteration (and so every tie-break)
    /// deterministic.
    pub(super) entries: BTreeMap<String, Price>,
    /// Lowercased key → table key. Lowercase collisions resolve to the first key in sorted
    /// order.
    pub(super) lower: BTreeMap<String, String>,
}

/// One entry as it appears in LiteLLM JSON (or a user override file). Unknown fields are
/// ignored so a full LiteLLM file can be read too.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawEntry {
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
    pub(super) same_as: Option<String>,
}

impl RawEntry {
    pub(super) fn has_token_price(&self) -> bool {
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
    pub(super) fn apply_to(&self, mut p: Price) -> Price {
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
pub(super) fn raw_entries(root: Value) -> Result<Vec<(String, RawEntry)>, PricingError> {
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

    pub(super) fn insert(&mut self, key: String, price: Price) {
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
}
