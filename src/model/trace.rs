//! The trace-level roll-up: one row of the trace list, computed from a trace's spans by
//! [`Trace::roll_up`].

use serde::Serialize;

/// A trace: its identity, time range, who and what it involved, and its usage and cost summed
/// without double counting. The store keeps one per trace and returns it from every trace
/// query.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Trace {
    pub trace_id: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub duration_ns: i64,
    /// The root span's name.
    pub name: Option<String>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub service: Option<String>,
    /// Models of the trace's LLM calls, in first-use order.
    pub models: Vec<String>,
    pub tags: Vec<String>,
    pub span_count: i64,
    /// Spans with an error status, the root included.
    pub error_count: i64,
    pub llm_calls: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub total_tokens: i64,
    pub cache_read_tokens: i64,
    pub reasoning_tokens: i64,
    /// `None` when some counted span has an unknown cost.
    pub cost_usd: Option<f64>,
    /// The sum of the known costs (a lower bound when `unknown_cost_spans` > 0).
    pub cost_known_usd: f64,
    pub unknown_cost_spans: i64,
    /// The trace's outcome: its root failed.
    pub error: bool,
    /// Spans whose parent is not in the trace.
    pub missing_parents: i64,
    /// The user's question (the root's input, else the first LLM call's).
    pub input_preview: Option<String>,
    /// The answer (the root's output, else the last LLM call's).
    pub output_preview: Option<String>,
}
