//! Table parsing, the ladder and cost rules on a small hand-written table.

use super::*;
use crate::model::{Cost, Usage};

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
