//! The judge model and the label author the TUI uses, from the environment.

use crate::judge::{ProviderConfig, ProviderKind};

/// The judge model for the TUI, from `TRAWL_JUDGE_PROVIDER` (openai | anthropic),
/// `TRAWL_JUDGE_MODEL`, `TRAWL_JUDGE_BASE_URL` and `TRAWL_JUDGE_API_KEY_ENV`; unset ones take
/// the same defaults as `trawl judge`.
pub fn provider_from_env() -> ProviderConfig {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let kind = var("TRAWL_JUDGE_PROVIDER")
        .and_then(|p| ProviderKind::parse(&p))
        .unwrap_or(ProviderKind::OpenAi);
    let mut p = ProviderConfig::new(kind);
    if let Some(m) = var("TRAWL_JUDGE_MODEL") {
        p.model = m;
    }
    if let Some(b) = var("TRAWL_JUDGE_BASE_URL") {
        p.base_url = b.trim_end_matches('/').to_string();
    }
    if let Some(k) = var("TRAWL_JUDGE_API_KEY_ENV") {
        p.api_key_env = k;
    }
    p
}

/// Who labels: `$USER` (or `$USERNAME`), else "unknown".
pub fn author_from_env() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "unknown".into())
}
