//! Model-name forms. The same model is spelt many ways across SDKs and gateways: routing
//! prefixes (`openai/gpt-4o`), snapshot dates (`gpt-4o-2024-08-06`), Bedrock regions and
//! versions (`us.anthropic.claude-…-v2:0`), fine-tune suffixes, local runtime tags. Each
//! function takes an already trimmed, lowercased name and returns a shorter form (or `None`
//! when the rule does not apply), so callers such as the pricing ladder can try the forms in
//! order. Nothing here knows about a price table.

/// Provider prefixes we strip, in the order they are tried. These are routing prefixes that
/// SDKs and gateways put in front of a vendor model id; the bare id is the vendor's own.
const STRIP_PREFIXES: &[&str] = &[
    "openrouter/",
    "litellm_proxy/",
    "openai/",
    "anthropic/",
    "azure/",
    "azure_ai/",
    "bedrock/",
    "converse/",
    "invoke/",
    "vertex_ai/",
    "vertexai/",
    "google/",
    "gemini/",
    "models/",
    "publishers/google/models/",
];

/// Bedrock cross-region inference profiles put one of these in front of the model id.
const BEDROCK_REGIONS: &[&str] = &["us.", "eu.", "apac.", "jp.", "au.", "global.", "us-gov."];

/// Bedrock vendor prefixes we strip to reach the vendor's own model id. Only Anthropic's is
/// stripped: its Bedrock ids map one-to-one onto Anthropic ids; other vendors' do not.
const BEDROCK_VENDORS: &[&str] = &["anthropic."];

/// Strips one routing prefix. Also drops the vendor segment after `openrouter/` (its ids are
/// `openrouter/<vendor>/<model>`) and an AWS region segment after `bedrock/`
/// (`bedrock/us-east-1/<model>`).
pub fn strip_provider_prefix(name: &str) -> Option<&str> {
    for prefix in STRIP_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix) {
            if rest.is_empty() {
                return None;
            }
            if *prefix == "bedrock/" {
                if let Some((segment, tail)) = rest.split_once('/') {
                    if looks_like_aws_region(segment) && !tail.is_empty() {
                        return Some(tail);
                    }
                }
            }
            return Some(rest);
        }
    }
    None
}

/// Strips the vendor segment from `<vendor>/<model>` when nothing else applies, for
/// `openrouter/<vendor>/<model>` after `openrouter/` is gone.
pub fn strip_vendor_segment(name: &str) -> Option<&str> {
    let (vendor, rest) = name.split_once('/')?;
    if vendor.is_empty() || rest.is_empty() || rest.contains('/') {
        return None;
    }
    Some(rest)
}

/// `ft:gpt-4o-mini-2024-07-18:org:name:id` → `ft:gpt-4o-mini-2024-07-18` (the table prices
/// fine-tunes by base model), and plain `ft:<base>` stays as is.
pub fn fine_tune_base(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("ft:")?;
    let end = rest.find(':')?;
    Some(&name[..3 + end])
}

/// `ft:gpt-4o` → `gpt-4o`.
pub fn strip_fine_tune(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("ft:")?;
    let base = rest.split(':').next()?;
    (!base.is_empty()).then_some(base)
}

fn looks_like_aws_region(s: &str) -> bool {
    // e.g. us-east-1, us-gov-west-1, ap-southeast-2
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `us.anthropic.claude-…` → `anthropic.claude-…`.
pub fn strip_bedrock_region(name: &str) -> Option<&str> {
    BEDROCK_REGIONS
        .iter()
        .find_map(|r| name.strip_prefix(r))
        .filter(|rest| !rest.is_empty())
}

/// `anthropic.claude-…` → `claude-…`.
pub fn strip_bedrock_vendor(name: &str) -> Option<&str> {
    BEDROCK_VENDORS
        .iter()
        .find_map(|v| name.strip_prefix(v))
        .filter(|rest| !rest.is_empty())
}

/// `…-v1:0`, `…-v2:0`, `…-v1` → `…`. Bedrock appends a model version to every id.
pub fn strip_bedrock_version(name: &str) -> Option<&str> {
    let without_colon = match name.rsplit_once(':') {
        Some((head, tail)) if !tail.is_empty() && tail.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => name,
    };
    let (head, tail) = without_colon.rsplit_once("-v")?;
    if head.is_empty() || tail.is_empty() || !tail.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(head)
}

/// Strips a date or version-date suffix: `-2024-08-06`, `-20250929`, `@20250929`,
/// `@2025-09-29`, `-0613`. Returns `None` when the name has none.
pub fn strip_date_suffix(name: &str) -> Option<&str> {
    // `YYYY-MM-DD` contains the separator itself, so check it before splitting on the last one.
    if name.len() > 11 {
        let cut = name.len() - 11;
        if let (Some(head), Some(sep), Some(tail)) =
            (name.get(..cut), name.get(cut..cut + 1), name.get(cut + 1..))
        {
            if (sep == "-" || sep == "@") && !head.is_empty() && date_value(tail).is_some() {
                return Some(head);
            }
        }
    }
    let (head, tail) = split_last_separator(name)?;
    if head.is_empty() || tail.len() == 10 {
        return None;
    }
    date_value(tail).map(|_| head)
}

/// `gpt-4o-latest` → `gpt-4o`.
pub fn strip_latest(name: &str) -> Option<&str> {
    name.strip_suffix("-latest")
        .or_else(|| name.strip_suffix("@latest"))
        .filter(|h| !h.is_empty())
}

/// `llama3.1:8b` → `llama3.1`: local runtimes (Ollama, LM Studio) tag model sizes and
/// quantisations after a colon, while the table mostly prices the untagged name.
pub fn strip_tag(name: &str) -> Option<&str> {
    let (head, tag) = name.rsplit_once(':')?;
    (!head.is_empty() && !tag.is_empty() && head != "ft").then_some(head)
}

/// If `key` is `base` plus a date suffix, returns a sortable rank of that date: full dates
/// (`YYYYMMDD`) rank above OpenAI's yearless `MMDD` forms, and later dates above earlier ones.
pub fn dated_variant_rank(base: &str, key: &str) -> Option<(u8, u32)> {
    let rest = key.strip_prefix(base)?;
    let mut chars = rest.chars();
    let sep = chars.next()?;
    if sep != '-' && sep != '@' {
        return None;
    }
    date_value(chars.as_str())
}

fn split_last_separator(name: &str) -> Option<(&str, &str)> {
    let idx = name.rfind(['-', '@'])?;
    Some((&name[..idx], &name[idx + 1..]))
}

/// Parses `YYYYMMDD`, `YYYY-MM-DD` or `MMDD` into `(precision, value)`; `None` otherwise.
/// Month and day are range-checked so version numbers such as `-2507` or `-1234` are not
/// mistaken for dates.
fn date_value(s: &str) -> Option<(u8, u32)> {
    let digits: String = match s.len() {
        10 => {
            let b = s.as_bytes();
            if b[4] != b'-' || b[7] != b'-' {
                return None;
            }
            format!("{}{}{}", &s[..4], &s[5..7], &s[8..])
        }
        8 | 4 => s.to_string(),
        _ => return None,
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u32 = digits.parse().ok()?;
    let (year, month, day) = if digits.len() == 8 {
        (value / 10_000, (value / 100) % 100, value % 100)
    } else {
        (0, value / 100, value % 100)
    };
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    if digits.len() == 8 {
        if !(2000..=2099).contains(&year) {
            return None;
        }
        Some((1, value))
    } else {
        Some((0, value))
    }
}

/// The model name a user would type: no provider prefix, no snapshot date
/// (`openai/gpt-4o-2024-08-06` → `gpt-4o`), so `--model gpt-4o` finds dated responses.
pub fn base_model(m: &str) -> &str {
    let m = m.rsplit('/').next().unwrap_or(m);
    strip_date_suffix(m).unwrap_or(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(strip_date_suffix("gpt-4o-2024-08-06"), Some("gpt-4o"));
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5-20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(
            strip_date_suffix("claude-sonnet-4-5@20250929"),
            Some("claude-sonnet-4-5")
        );
        assert_eq!(strip_date_suffix("gpt-4-0613"), Some("gpt-4"));
        assert_eq!(strip_date_suffix("x@2025-09-29"), Some("x"));
        assert_eq!(strip_date_suffix("gemini-2.5-flash-preview-05-20"), None);
        assert_eq!(strip_date_suffix("qwen3-instruct-2507"), None);
        assert_eq!(strip_date_suffix("gpt-4o"), None);
        assert_eq!(strip_date_suffix("2024-08-06"), None);
        assert_eq!(strip_date_suffix("llama-3-70b"), None);
    }

    #[test]
    fn bedrock() {
        let id = "us.anthropic.claude-3-5-sonnet-20241022-v2:0";
        let r = strip_bedrock_region(id);
        assert_eq!(r, Some("anthropic.claude-3-5-sonnet-20241022-v2:0"));
        let v = r.and_then(strip_bedrock_vendor);
        assert_eq!(v, Some("claude-3-5-sonnet-20241022-v2:0"));
        assert_eq!(
            v.and_then(strip_bedrock_version),
            Some("claude-3-5-sonnet-20241022")
        );
        assert_eq!(
            strip_bedrock_version("claude-3-5-sonnet-v2"),
            Some("claude-3-5-sonnet")
        );
        assert_eq!(strip_bedrock_version("gpt-4o"), None);
    }

    #[test]
    fn prefixes() {
        assert_eq!(strip_provider_prefix("openai/gpt-4o"), Some("gpt-4o"));
        assert_eq!(
            strip_provider_prefix("openrouter/anthropic/claude-3.5-sonnet"),
            Some("anthropic/claude-3.5-sonnet")
        );
        assert_eq!(
            strip_provider_prefix("bedrock/us-east-1/anthropic.claude-v2"),
            Some("anthropic.claude-v2")
        );
        assert_eq!(strip_provider_prefix("gpt-4o"), None);
        assert_eq!(strip_provider_prefix("openai/"), None);
    }

    #[test]
    fn fine_tunes() {
        assert_eq!(
            fine_tune_base("ft:gpt-4o-mini-2024-07-18:acme:custom:abc123"),
            Some("ft:gpt-4o-mini-2024-07-18")
        );
        assert_eq!(fine_tune_base("ft:gpt-4o"), None);
        assert_eq!(strip_fine_tune("ft:gpt-4o:acme::x"), Some("gpt-4o"));
    }

    #[test]
    fn variant_rank() {
        assert_eq!(
            dated_variant_rank("claude-3-5-sonnet", "claude-3-5-sonnet-20241022"),
            Some((1, 20241022))
        );
        assert_eq!(dated_variant_rank("gpt-4", "gpt-4-0613"), Some((0, 613)));
        assert_eq!(dated_variant_rank("gpt-4", "gpt-4-turbo"), None);
        assert_eq!(dated_variant_rank("gpt-4", "gpt-4"), None);
    }

    #[test]
    fn tags() {
        assert_eq!(strip_tag("llama3.1:8b"), Some("llama3.1"));
        assert_eq!(strip_tag("llama3.1"), None);
        assert_eq!(strip_tag("ft:gpt-4o"), None);
    }

    #[test]
    fn latest() {
        assert_eq!(
            strip_latest("claude-3-5-sonnet-latest"),
            Some("claude-3-5-sonnet")
        );
        assert_eq!(strip_latest("-latest"), None);
        assert_eq!(strip_latest("gpt-4o"), None);
    }

    #[test]
    fn base_model_strips_prefix_and_date() {
        assert_eq!(base_model("gpt-4o-2024-08-06"), "gpt-4o");
        assert_eq!(base_model("openai/gpt-4o-mini-2024-07-18"), "gpt-4o-mini");
        assert_eq!(
            base_model("claude-3-5-sonnet-20241022"),
            "claude-3-5-sonnet"
        );
        assert_eq!(base_model("gpt-4o"), "gpt-4o");
    }
}
