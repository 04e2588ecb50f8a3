//! Pricing against the embedded LiteLLM table. Expected values are written from literal
//! per-token prices read from `assets/prices/model_prices.json`, so a wrong formula (or a
//! silently changed table) fails here.

use std::io::Write;

use trawl::model::{Cost, CostSource, Span, Usage};
use trawl::pricing::{self, MatchStep, PriceBook, PricingError};

use crate::util::fixture;

const EPS: f64 = 1e-12;

fn book() -> &'static PriceBook {
    PriceBook::embedded()
}

fn usage(input: i64, output: i64) -> Usage {
    Usage {
        input: Some(input),
        output: Some(output),
        ..Usage::default()
    }
}

fn assert_close(actual: Option<f64>, expected: f64, what: &str) {
    let Some(actual) = actual else {
        panic!("{what}: no value, expected {expected}");
    };
    assert!(
        (actual - expected).abs() < EPS,
        "{what}: got {actual:e}, expected {expected:e}"
    );
}

fn assert_cost(cost: &Cost, key: &str, input: f64, output: f64) {
    assert_eq!(
        cost.source,
        CostSource::Computed {
            price_key: key.to_string()
        }
    );
    assert_close(cost.input, input, "input cost");
    assert_close(cost.output, output, "output cost");
    assert_close(cost.total, input + output, "total cost");
}

fn matched(model: &str, provider: Option<&str>) -> Option<(String, MatchStep)> {
    book()
        .lookup(model, provider)
        .map(|m| (m.key.to_string(), m.step))
}

#[test]
fn embedded_table_parses() {
    let b = book();
    assert!(b.len() > 500, "only {} entries", b.len());
    let gpt4o = b.get("gpt-4o").expect("gpt-4o in table");
    assert_eq!(gpt4o.input, 2.5e-06);
    assert_eq!(gpt4o.output, 1e-05);
    assert_eq!(gpt4o.cache_read, Some(1.25e-06));
    assert_eq!(gpt4o.provider.as_deref(), Some("openai"));
    // Same pointer on every call: parsed once.
    assert!(std::ptr::eq(PriceBook::embedded(), b));
}

#[test]
fn openai_cached_input() {
    // gpt-4o: in 2.5e-06, out 1e-05, cache read 1.25e-06. 1000 input of which 400 cached.
    let u = Usage {
        cache_read: Some(400),
        ..usage(1000, 100)
    };
    let cost = book().compute("gpt-4o", Some("openai"), &u);
    assert_cost(
        &cost,
        "gpt-4o",
        600.0 * 2.5e-06 + 400.0 * 1.25e-06,
        100.0 * 1e-05,
    );
    assert_close(cost.total, 0.0030, "gpt-4o total");
}

#[test]
fn anthropic_cache_read_and_write() {
    // claude-3-5-sonnet-20241022: in 3e-06, out 1.5e-05, write 3.75e-06, read 3e-07.
    // Inclusive input 5000 = 1000 uncached + 3000 read + 1000 written.
    let u = Usage {
        cache_read: Some(3000),
        cache_write: Some(1000),
        ..usage(5000, 200)
    };
    let cost = book().compute("claude-3-5-sonnet-20241022", Some("anthropic"), &u);
    assert_cost(
        &cost,
        "claude-3-5-sonnet-20241022",
        1000.0 * 3e-06 + 3000.0 * 3e-07 + 1000.0 * 3.75e-06,
        200.0 * 1.5e-05,
    );

    // claude-sonnet-4-5, same shape.
    let cost = book().compute("claude-sonnet-4-5", None, &u);
    assert_cost(
        &cost,
        "claude-sonnet-4-5",
        1000.0 * 3e-06 + 3000.0 * 3e-07 + 1000.0 * 3.75e-06,
        200.0 * 1.5e-05,
    );
}

#[test]
fn cache_counts_larger_than_input_clamp_uncached_at_zero() {
    // Inconsistent data: cache counts exceed input. Uncached is 0, caches still priced.
    let u = Usage {
        cache_read: Some(800),
        cache_write: Some(400),
        ..usage(1000, 0)
    };
    let cost = book().compute("claude-3-5-sonnet-20241022", None, &u);
    assert_cost(
        &cost,
        "claude-3-5-sonnet-20241022",
        800.0 * 3e-07 + 400.0 * 3.75e-06,
        0.0,
    );
}

#[test]
fn reasoning_with_its_own_rate() {
    // dashscope/qwen-turbo: in 5e-08, out 2e-07, reasoning 5e-07.
    // 1000 output of which 600 reasoning.
    let u = Usage {
        reasoning: Some(600),
        ..usage(100, 1000)
    };
    let cost = book().compute("dashscope/qwen-turbo", None, &u);
    assert_cost(
        &cost,
        "dashscope/qwen-turbo",
        100.0 * 5e-08,
        400.0 * 2e-07 + 600.0 * 5e-07,
    );
    // gemini-2.5-flash-preview-04-17: out 6e-07, reasoning 3.5e-06.
    let cost = book().compute("gemini-2.5-flash-preview-04-17", None, &u);
    assert_cost(
        &cost,
        "gemini-2.5-flash-preview-04-17",
        100.0 * 1.5e-07,
        400.0 * 6e-07 + 600.0 * 3.5e-06,
    );
}

#[test]
fn reasoning_without_rate_is_output_rate_once() {
    // o3-mini: in 1.1e-06, out 4.4e-06, no reasoning rate. Reasoning is inside output.
    let u = Usage {
        reasoning: Some(800),
        ..usage(500, 1000)
    };
    let cost = book().compute("o3-mini", Some("openai"), &u);
    assert_cost(&cost, "o3-mini", 500.0 * 1.1e-06, 1000.0 * 4.4e-06);
    // o1: in 1.5e-05, out 6e-05.
    let cost = book().compute("o1", None, &u);
    assert_cost(&cost, "o1", 500.0 * 1.5e-05, 1000.0 * 6e-05);
}

#[test]
fn long_context_tier_gemini_2_5_pro() {
    // gemini-2.5-pro: in 1.25e-06 / out 1e-05; above 200k: in 2.5e-06 / out 1.5e-05,
    // cache read 1.25e-07 (2.5e-07 above 200k).
    let below = book().compute("gemini-2.5-pro", None, &usage(200_000, 1000));
    assert_cost(
        &below,
        "gemini-2.5-pro",
        200_000.0 * 1.25e-06,
        1000.0 * 1e-05,
    );

    let above = book().compute("gemini-2.5-pro", None, &usage(250_000, 1000));
    assert_cost(
        &above,
        "gemini-2.5-pro",
        250_000.0 * 2.5e-06,
        1000.0 * 1.5e-05,
    );

    let cached = Usage {
        cache_read: Some(100_000),
        ..usage(250_000, 1000)
    };
    let cost = book().compute("gemini-2.5-pro", None, &cached);
    assert_cost(
        &cost,
        "gemini-2.5-pro",
        150_000.0 * 2.5e-06 + 100_000.0 * 2.5e-07,
        1000.0 * 1.5e-05,
    );
}

#[test]
fn long_context_tier_128k() {
    // gemini-1.5-pro: in 1.25e-06 / out 5e-06; above 128k: in 2.5e-06 / out 1e-05.
    let cost = book().compute("gemini-1.5-pro", None, &usage(130_000, 10));
    assert_cost(&cost, "gemini-1.5-pro", 130_000.0 * 2.5e-06, 10.0 * 1e-05);
    let cost = book().compute("gemini-1.5-pro", None, &usage(128_000, 10));
    assert_cost(&cost, "gemini-1.5-pro", 128_000.0 * 1.25e-06, 10.0 * 5e-06);
}

#[test]
fn claude_sonnet_4_5_above_200k_prices_cache_at_tier() {
    // above 200k: in 6e-06, out 2.25e-05, read 6e-07, write 7.5e-06.
    let u = Usage {
        cache_read: Some(150_000),
        cache_write: Some(10_000),
        ..usage(210_000, 100)
    };
    let cost = book().compute("claude-sonnet-4-5", None, &u);
    assert_cost(
        &cost,
        "claude-sonnet-4-5",
        50_000.0 * 6e-06 + 150_000.0 * 6e-07 + 10_000.0 * 7.5e-06,
        100.0 * 2.25e-05,
    );
}

#[test]
fn unknown_model_is_unknown_not_zero() {
    let cost = book().compute("my-finetune-xyz", None, &usage(10, 10));
    assert_eq!(cost.total, None);
    assert_eq!(cost.source, CostSource::Unknown);
    assert_eq!(cost, Cost::unknown());
    assert!(book().lookup("my-finetune-xyz", None).is_none());
}

#[test]
fn explicit_zero_usage_costs_zero() {
    let cost = book().compute("gpt-4o", None, &usage(0, 0));
    assert_cost(&cost, "gpt-4o", 0.0, 0.0);
}

#[test]
fn normalisation_ladder() {
    let m = |model: &str, provider: Option<&str>| matched(model, provider);
    let hit = |k: &str, s: MatchStep| Some((k.to_string(), s));

    assert_eq!(
        m("gpt-4o-2024-08-06", None),
        hit("gpt-4o-2024-08-06", MatchStep::Exact)
    );
    assert_eq!(
        m("gpt-4o-mini-2024-07-18", None),
        hit("gpt-4o-mini-2024-07-18", MatchStep::Exact)
    );
    assert_eq!(m("  GPT-4o ", None), hit("gpt-4o", MatchStep::Lowercase));
    assert_eq!(
        m("openai/gpt-4o", None),
        hit("gpt-4o", MatchStep::StripPrefix)
    );
    assert_eq!(
        m("openrouter/openai/gpt-4o", None),
        hit("openrouter/openai/gpt-4o", MatchStep::Exact)
    );
    assert_eq!(
        m("anthropic/claude-sonnet-4-5", None),
        hit("claude-sonnet-4-5", MatchStep::StripPrefix)
    );
    assert_eq!(
        m("models/gemini-2.5-pro", None),
        hit("gemini-2.5-pro", MatchStep::StripPrefix)
    );
    assert_eq!(
        m("gemini-2.5-pro", Some("gcp.gemini")),
        hit("gemini-2.5-pro", MatchStep::Exact)
    );
    assert_eq!(
        m("us.anthropic.claude-3-5-sonnet-20241022-v2:0", None),
        hit(
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            MatchStep::Exact
        )
    );
    assert_eq!(
        m("bedrock/us.anthropic.claude-3-5-sonnet-20241022-v2:0", None),
        hit(
            "us.anthropic.claude-3-5-sonnet-20241022-v2:0",
            MatchStep::StripPrefix
        )
    );
    assert_eq!(
        m("ca.anthropic.claude-3-5-sonnet-20241022-v2:0", None),
        None,
        "unknown region prefixes are not guessed"
    );
    // A region without its own key falls back to the region-less Bedrock id.
    assert_eq!(
        m("au.anthropic.claude-3-5-sonnet-20241022-v2:0", None),
        hit(
            "anthropic.claude-3-5-sonnet-20241022-v2:0",
            MatchStep::BedrockRegion
        )
    );
    assert_eq!(
        m("anthropic.claude-3-5-sonnet-20991231-v2:0", None),
        hit("claude-3-5-sonnet-20241022", MatchStep::DatedVariant)
    );
    assert_eq!(
        m("claude-sonnet-4-5@20250929", None),
        hit(
            "vertex_ai/claude-sonnet-4-5@20250929",
            MatchStep::ProviderPrefix
        )
    );
    assert_eq!(
        m("claude-opus-4-5@20991231", None),
        hit("claude-opus-4-5", MatchStep::DateSuffix)
    );
    assert_eq!(
        m("claude-sonnet-4-5@20250929", Some("gcp.vertex_ai")),
        hit(
            "vertex_ai/claude-sonnet-4-5@20250929",
            MatchStep::ProviderPrefix
        )
    );
    assert_eq!(
        m("gpt-4o-2099-01-01", None),
        hit("gpt-4o", MatchStep::DateSuffix)
    );
    assert_eq!(m("gpt-4-0613", None), hit("gpt-4-0613", MatchStep::Exact));
    assert_eq!(m("o1-latest", None), hit("o1", MatchStep::Latest));
    // No undated key: newest dated one, deterministically.
    assert_eq!(
        m("claude-3-5-sonnet", None),
        hit("claude-3-5-sonnet-20241022", MatchStep::DatedVariant)
    );
    assert_eq!(
        m("gpt-4o", Some("azure")),
        hit("gpt-4o", MatchStep::Exact),
        "exact bare key wins over the provider prefix"
    );
    assert_eq!(
        m("gpt-4o-2024-11-20", Some("az.ai.openai")),
        hit("gpt-4o-2024-11-20", MatchStep::Exact)
    );
    assert_eq!(
        m("qwen-turbo", Some("dashscope")),
        hit("dashscope/qwen-turbo", MatchStep::ProviderPrefix)
    );
    assert_eq!(
        m("ft:gpt-4o-mini-2024-07-18:acme:support:abc123", None),
        hit("ft:gpt-4o-mini-2024-07-18", MatchStep::StripPrefix)
    );
    assert_eq!(
        m("llama3.1:8b", Some("ollama")),
        hit("ollama/llama3.1", MatchStep::Tag)
    );
    assert_eq!(
        m("claude-3-5-sonnet-v2@20241022", None),
        hit(
            "vertex_ai/claude-3-5-sonnet-v2@20241022",
            MatchStep::ProviderPrefix
        )
    );
    assert_eq!(
        m("mistral-large-latest", Some("mistral_ai")),
        hit("mistral/mistral-large-latest", MatchStep::ProviderPrefix)
    );
    assert_eq!(m("my-finetune-xyz", None), None);
    assert_eq!(m("", None), None);
}

fn llm_span(model: &str, usage: Option<Usage>) -> Span {
    Span {
        trace_id: "t".into(),
        span_id: "s".into(),
        name: "chat".into(),
        model: Some(model.into()),
        usage,
        ..Span::default()
    }
}

#[test]
fn apply_reported_cost_wins() {
    let reported = Cost {
        input: None,
        output: None,
        total: Some(0.42),
        source: CostSource::Reported,
    };
    let mut span = llm_span("gpt-4o", Some(usage(1000, 100)));
    span.cost = Some(reported.clone());
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, Some(reported));

    // A total with the default (Unknown) source is still a figure from the source.
    let bare = Cost {
        total: Some(0.1),
        ..Cost::default()
    };
    span.cost = Some(bare.clone());
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, Some(bare));
}

#[test]
fn apply_fills_computed_and_unknown() {
    let mut span = llm_span("gpt-4o", Some(usage(1000, 100)));
    pricing::apply(book(), &mut span);
    let cost = span.cost.clone().expect("computed");
    assert_cost(&cost, "gpt-4o", 1000.0 * 2.5e-06, 100.0 * 1e-05);

    let mut span = llm_span("my-finetune-xyz", Some(usage(1000, 100)));
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, Some(Cost::unknown()));

    // Falls back to the request model when the response model is unpriced.
    let mut span = llm_span("my-deployment", Some(usage(1000, 100)));
    span.request_model = Some("gpt-4o".into());
    pricing::apply(book(), &mut span);
    assert_eq!(
        span.cost.map(|c| c.source),
        Some(CostSource::Computed {
            price_key: "gpt-4o".into()
        })
    );
}

#[test]
fn apply_leaves_spans_without_usage_alone() {
    let mut span = llm_span("gpt-4o", None);
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, None);

    let mut span = llm_span("gpt-4o", Some(Usage::default()));
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, None);

    // Roll-ups of child spans are not priced again.
    let mut span = llm_span(
        "gpt-4o",
        Some(Usage {
            aggregate: true,
            ..usage(1000, 100)
        }),
    );
    pricing::apply(book(), &mut span);
    assert_eq!(span.cost, None);
}

#[test]
fn user_overrides_merge_over_embedded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("prices.toml");
    let mut f = std::fs::File::create(&path).expect("create");
    writeln!(
        f,
        r#"
["my-finetune-xyz"]
input_cost_per_token = 3e-6
output_cost_per_token = 1.2e-5

["prod-gpt4o"]
same_as = "azure/gpt-4o"

["gpt-4o"]
output_cost_per_token = 2e-5
"#
    )
    .expect("write");
    drop(f);

    let b = book().with_overrides(&path).expect("overrides load");
    let cost = b.compute("my-finetune-xyz", None, &usage(1000, 100));
    assert_cost(&cost, "my-finetune-xyz", 1000.0 * 3e-6, 100.0 * 1.2e-5);

    let cost = b.compute("prod-gpt4o", None, &usage(1000, 100));
    assert_cost(&cost, "prod-gpt4o", 1000.0 * 2.5e-06, 100.0 * 1e-05);

    // Only the given field changes; the cache-read rate stays.
    let u = Usage {
        cache_read: Some(400),
        ..usage(1000, 100)
    };
    let cost = b.compute("gpt-4o", None, &u);
    assert_cost(
        &cost,
        "gpt-4o",
        600.0 * 2.5e-06 + 400.0 * 1.25e-06,
        100.0 * 2e-5,
    );
    // The embedded book itself is untouched.
    assert_eq!(book().get("gpt-4o").map(|p| p.output), Some(1e-05));

    let json = dir.path().join("prices.json");
    std::fs::write(&json, r#"{"x": {"same_as": "no-such-model"}}"#).expect("write");
    assert!(matches!(
        book().with_overrides(&json),
        Err(PricingError::UnknownAlias { .. })
    ));
    std::fs::write(&json, r#"{"x": {"mode": "chat"}}"#).expect("write");
    assert!(matches!(
        book().with_overrides(&json),
        Err(PricingError::InvalidEntry { .. })
    ));
    assert!(matches!(
        book().with_overrides(&dir.path().join("missing.json")),
        Err(PricingError::Io { .. })
    ));
}

#[test]
fn full_litellm_file_also_parses() {
    // The upstream file (with sample_spec, image models, …) reads with the same code.
    let text = std::fs::read_to_string(fixture("litellm_model_prices.json")).expect("read");
    let full = PriceBook::from_json(&text).expect("full table parses");
    assert_eq!(full.len(), book().len());
}
