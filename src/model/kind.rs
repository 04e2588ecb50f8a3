use serde::{Deserialize, Serialize};

/// What a span does, in OpenInference terms (the richest of the conventions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanKind {
    Llm,
    Chain,
    Retriever,
    Reranker,
    Embedding,
    Tool,
    Agent,
    Guardrail,
    Evaluator,
    Prompt,
    Event,
    /// A generic span with no AI meaning.
    #[default]
    Span,
    Unknown,
}

impl SpanKind {
    pub const ALL: [SpanKind; 13] = [
        SpanKind::Llm,
        SpanKind::Chain,
        SpanKind::Retriever,
        SpanKind::Reranker,
        SpanKind::Embedding,
        SpanKind::Tool,
        SpanKind::Agent,
        SpanKind::Guardrail,
        SpanKind::Evaluator,
        SpanKind::Prompt,
        SpanKind::Event,
        SpanKind::Span,
        SpanKind::Unknown,
    ];

    /// Lowercase name, as in `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            SpanKind::Llm => "llm",
            SpanKind::Chain => "chain",
            SpanKind::Retriever => "retriever",
            SpanKind::Reranker => "reranker",
            SpanKind::Embedding => "embedding",
            SpanKind::Tool => "tool",
            SpanKind::Agent => "agent",
            SpanKind::Guardrail => "guardrail",
            SpanKind::Evaluator => "evaluator",
            SpanKind::Prompt => "prompt",
            SpanKind::Event => "event",
            SpanKind::Span => "span",
            SpanKind::Unknown => "unknown",
        }
    }

    /// Parses OpenInference (`LLM`), Langfuse (`GENERATION`) and our own lowercase names.
    pub fn parse(s: &str) -> Option<SpanKind> {
        let k = match s.trim().to_ascii_lowercase().as_str() {
            "llm" | "generation" => SpanKind::Llm,
            "chain" | "workflow" | "task" => SpanKind::Chain,
            "retriever" | "retrieval" => SpanKind::Retriever,
            "reranker" | "rerank" => SpanKind::Reranker,
            "embedding" | "embeddings" => SpanKind::Embedding,
            "tool" => SpanKind::Tool,
            "agent" => SpanKind::Agent,
            "guardrail" => SpanKind::Guardrail,
            "evaluator" => SpanKind::Evaluator,
            "prompt" => SpanKind::Prompt,
            "event" => SpanKind::Event,
            "span" => SpanKind::Span,
            "unknown" => SpanKind::Unknown,
            _ => return None,
        };
        Some(k)
    }

    /// Short fixed-width label for tables and trees.
    pub fn short(self) -> &'static str {
        match self {
            SpanKind::Llm => "LLM",
            SpanKind::Chain => "CHN",
            SpanKind::Retriever => "RET",
            SpanKind::Reranker => "RRK",
            SpanKind::Embedding => "EMB",
            SpanKind::Tool => "TOL",
            SpanKind::Agent => "AGT",
            SpanKind::Guardrail => "GRD",
            SpanKind::Evaluator => "EVL",
            SpanKind::Prompt => "PRM",
            SpanKind::Event => "EVT",
            SpanKind::Span => "SPN",
            SpanKind::Unknown => "UNK",
        }
    }

    /// Kinds whose own usage counts towards trace totals (§10.2 of the format notes).
    pub fn counts_usage(self) -> bool {
        matches!(self, SpanKind::Llm | SpanKind::Embedding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in SpanKind::ALL {
            assert_eq!(SpanKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(SpanKind::parse("GENERATION"), Some(SpanKind::Llm));
        assert_eq!(SpanKind::parse("nonsense"), None);
    }
}
