//! Pricing's side of model names: which LiteLLM key prefixes a span's provider maps to. The
//! name forms themselves (prefixes, dates, Bedrock ids, fine-tunes) belong to the model
//! ([`crate::model::model_name`]) and are re-exported here for the lookup ladder in
//! [`super::PriceBook::lookup`].

pub use crate::model::model_name::{
    dated_variant_rank, fine_tune_base, strip_bedrock_region, strip_bedrock_vendor,
    strip_bedrock_version, strip_date_suffix, strip_fine_tune, strip_latest, strip_provider_prefix,
    strip_tag, strip_vendor_segment,
};

/// LiteLLM key prefixes to try for a span's `provider` value. Providers come from OTel GenAI
/// (`gen_ai.system` / `gen_ai.provider.name`, e.g. `aws.bedrock`, `gcp.vertex_ai`),
/// OpenInference (`llm.provider`, e.g. `azure`, `google`) or a free-form SDK name, so several
/// spellings map to the same LiteLLM prefix. Unknown providers fall back to `<provider>/`,
/// which is how LiteLLM names most of its provider namespaces.
pub fn provider_prefixes(provider: Option<&str>) -> Vec<String> {
    let Some(p) = provider.map(|p| p.trim().to_ascii_lowercase()) else {
        return Vec::new();
    };
    let fixed: &[&str] = match p.as_str() {
        "" => &[],
        // The table keeps OpenAI and Anthropic models bare, so a prefix would never match.
        "openai" | "anthropic" => &[],
        "azure" | "azure.ai.openai" | "az.ai.openai" | "azure_openai" | "azure-openai" => {
            &["azure/"]
        }
        "azure.ai.inference" | "az.ai.inference" | "azure_ai" => &["azure_ai/"],
        "aws.bedrock" | "bedrock" | "aws" | "amazon" | "bedrock_converse" => &["bedrock/"],
        "gcp.vertex_ai" | "vertex_ai" | "vertexai" | "vertex" => &["vertex_ai/"],
        "gcp.gemini" | "gemini" | "google_genai" | "google-genai" | "google_ai_studio" => {
            &["gemini/"]
        }
        // "google" is ambiguous (AI Studio or Vertex); try both, AI Studio first.
        "google" | "gcp.gen_ai" => &["gemini/", "vertex_ai/"],
        "mistral_ai" | "mistralai" | "mistral" => &["mistral/"],
        "x_ai" | "xai" => &["xai/"],
        "ibm.watsonx.ai" | "watsonx" => &["watsonx/"],
        "together" | "togetherai" | "together_ai" => &["together_ai/"],
        "fireworks" | "fireworks_ai" | "fireworksai" => &["fireworks_ai/"],
        "cohere" => &["cohere_chat/", "cohere/"],
        _ => {
            return if p.contains('/') {
                Vec::new()
            } else {
                vec![format!("{p}/")]
            };
        }
    };
    fixed.iter().map(|s| (*s).to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_prefixes_follow_litellm_namespaces() {
        assert_eq!(provider_prefixes(Some("Azure")), vec!["azure/".to_string()]);
        assert_eq!(provider_prefixes(Some("openai")), Vec::<String>::new());
        assert_eq!(
            provider_prefixes(Some("dashscope")),
            vec!["dashscope/".to_string()]
        );
        assert_eq!(provider_prefixes(None), Vec::<String>::new());
    }
}
