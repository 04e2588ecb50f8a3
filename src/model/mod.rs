//! The unified trace model: plain data, no I/O. Every format adapter produces these types and
//! every view reads them (through the store). Token meaning follows OpenTelemetry: `input`
//! includes cached tokens, `output` includes reasoning tokens.
//!
//! - [`Span`] and its parts; [`Trace`], the roll-up of a trace's spans ([`rollup`]: which
//!   spans' usage counts, [`mark_aggregates`]); [`Score`], a judgement of a trace or span from
//!   a judge, a human, an imported evaluation or a check; [`SpanTree`] for display order.
//! - [`model_name`]: the spellings of one model name (prefixes, dates, Bedrock ids), shared by
//!   pricing and the store's `--model` index.

pub mod evidence;
mod kind;
pub mod model_name;
pub mod rollup;
mod score;
mod skeleton;
mod span_line;
mod text;
mod trace;
mod tree;

pub use kind::SpanKind;
pub use rollup::mark_aggregates;
pub use score::{Score, ScoreSource, Verdict};
pub use skeleton::{SpanSkeleton, mark_skeleton_aggregates};
pub use span_line::{ModelNames, SpanLine, mark_line_aggregates};
pub use text::{input_text, output_text};
pub use trace::Trace;
pub use tree::{SpanTree, TreeKey, TreeNode};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// OTel status code of a span.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusCode::Unset => "unset",
            StatusCode::Ok => "ok",
            StatusCode::Error => "error",
        }
    }
    pub fn from_i64(v: i64) -> Self {
        match v {
            1 => StatusCode::Ok,
            2 => StatusCode::Error,
            _ => StatusCode::Unset,
        }
    }
}

/// Where a number came from: the source said so, we derived it from other reported numbers, or
/// we estimated it (for example by counting characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provenance {
    #[default]
    Reported,
    Derived,
    Estimated,
}

impl Provenance {
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Reported => "reported",
            Provenance::Derived => "derived",
            Provenance::Estimated => "estimated",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "derived" => Provenance::Derived,
            "estimated" => Provenance::Estimated,
            _ => Provenance::Reported,
        }
    }
}

/// Token usage of one span, normalised to inclusive buckets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens including cache reads and writes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<i64>,
    /// Output tokens including reasoning.
    pub output: Option<i64>,
    pub total: Option<i64>,
    pub cache_read: Option<i64>,
    pub cache_write: Option<i64>,
    pub reasoning: Option<i64>,
    pub provenance: Provenance,
    /// True when this span's numbers are a roll-up of its descendants' (never added again).
    #[serde(default)]
    pub aggregate: bool,
}

impl Usage {
    pub fn is_empty(&self) -> bool {
        self.input.is_none() && self.output.is_none() && self.total.is_none()
    }
    /// Total as reported, else input + output.
    pub fn total_or_sum(&self) -> Option<i64> {
        self.total.or(match (self.input, self.output) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        })
    }
}

/// Where a cost came from.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase")]
pub enum CostSource {
    /// The trace said what it cost.
    Reported,
    /// We computed it from the price table entry `price_key`.
    Computed { price_key: String },
    /// No reported cost and no price for the model: shown as `?`, never 0.
    #[default]
    Unknown,
}

impl CostSource {
    pub fn as_str(&self) -> &'static str {
        match self {
            CostSource::Reported => "reported",
            CostSource::Computed { .. } => "computed",
            CostSource::Unknown => "unknown",
        }
    }
}

/// Cost of a span in USD.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cost {
    pub input: Option<f64>,
    pub output: Option<f64>,
    /// `None` means unknown.
    pub total: Option<f64>,
    #[serde(flatten)]
    pub source: CostSource,
}

impl Cost {
    pub fn unknown() -> Self {
        Cost::default()
    }
}

/// A tool call requested by a model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolCall {
    pub id: Option<String>,
    pub name: String,
    /// Arguments as the source gave them (usually a JSON string).
    pub arguments: Option<String>,
}

/// One chat message, flattened for display.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: String,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Set on tool-result messages: which call this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

/// A retrieved (or reranked) document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: Option<String>,
    pub score: Option<f64>,
    pub content: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
}

/// What a TOOL span did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: Option<String>,
    pub call_id: Option<String>,
    pub description: Option<String>,
    pub arguments: Option<String>,
    pub result: Option<String>,
}

/// Reranker inputs and outputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reranker {
    pub query: Option<String>,
    pub model: Option<String>,
    pub top_k: Option<i64>,
    pub input_documents: Vec<Document>,
    pub output_documents: Vec<Document>,
}

/// A span event (exceptions, GenAI message events, first-token marks).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SpanEvent {
    pub name: String,
    pub time_ns: i64,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
}

/// Raw input or output payload with its mime type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawValue {
    pub value: String,
    pub mime: Option<String>,
}

/// A span in the unified model.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    /// OTel SpanKind (0..=5) when the source had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub otel_kind: Option<u8>,
    pub start_ns: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_ns: Option<i64>,
    pub status: StatusCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// The model that answered (response model), else the requested one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_params: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// Time to first token, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttft_ns: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub input_messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output_messages: Vec<Message>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<Document>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reranker: Option<Reranker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<ToolInfo>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<RawValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RawValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<SpanEvent>,
    /// Every source attribute, flat, for the inspector.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attributes: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub resource: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_name: Option<String>,
    /// Which adapter produced the span (`otlp-json`, …).
    #[serde(default)]
    pub source_format: String,
    /// Which convention supplied the model/usage fields (`openinference`, `genai`, `openllmetry`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub convention: Option<String>,
}

impl Span {
    pub fn duration_ns(&self) -> Option<i64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns).max(0))
    }
    pub fn is_error(&self) -> bool {
        self.status == StatusCode::Error
    }
    /// Last user message text, the usual "what was asked".
    pub fn last_user_message(&self) -> Option<&str> {
        self.input_messages
            .iter()
            .rev()
            .find(|m| m.role == "user")
            .map(|m| m.content.as_str())
    }
    /// The raw input as a person reads it (see [`input_text`]).
    pub fn input_text(&self) -> Option<String> {
        self.input.as_ref().and_then(input_text)
    }
    /// The raw output as a person reads it (see [`output_text`]).
    pub fn output_text(&self) -> Option<String> {
        self.output.as_ref().and_then(output_text)
    }
}
