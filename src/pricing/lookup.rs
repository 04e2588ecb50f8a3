//! Finding a model's price: the lookup ladder described in the module docs.

use super::normalize;
use super::table::{Price, PriceBook};

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

impl PriceBook {
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
}

pub(super) fn found<'a>(
    hit: Option<(&'a str, &'a Price)>,
    step: MatchStep,
) -> Option<PriceMatch<'a>> {
    hit.map(|(key, price)| PriceMatch { key, step, price })
}
