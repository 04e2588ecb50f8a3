//! `trawl check` expressions: parsing (with the column of the first error) and evaluation over a
//! time window.
//!
//! Grammar (whitespace between tokens is free):
//!
//! ```text
//! check  := metric ["change"] op number [unit]
//! metric := pNN "(" series ")" | fail_rate "(" rule ")" | error_rate | traces | cost
//!         | cost_per_trace | input_tokens | output_tokens | unknown_cost_traces | judge_cost
//! series := latency | llm_latency | ttft
//! op     := "<" | "<=" | ">" | ">=" | "==" | "!="
//! unit   := ms | s | m (latencies, required) | % (rates and changes)
//! ```
//!
//! Values are compared in base units: milliseconds for latencies, fractions for rates and
//! changes (3% = 0.03), dollars for costs.

mod eval;
mod parse;
#[cfg(test)]
mod tests;

pub use eval::{
    CheckResult, CheckWindow, DEFAULT_WINDOW_NS, WindowFigures, evaluate, evaluate_with,
};
pub use parse::parse_expr;

use std::fmt;

/// A latency series a percentile can be taken of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Trace duration.
    Latency,
    /// Duration of LLM spans.
    LlmLatency,
    /// Time to first token, where reported.
    Ttft,
}

impl Series {
    fn name(self) -> &'static str {
        match self {
            Series::Latency => "latency",
            Series::LlmLatency => "llm_latency",
            Series::Ttft => "ttft",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    /// Nearest-rank percentile (1..=100) of a latency series.
    Percentile(u32, Series),
    /// FALSE rate of a judge rule (latest judge verdict per trace; NA and errors excluded).
    FailRate(String),
    ErrorRate,
    Traces,
    Cost,
    CostPerTrace,
    InputTokens,
    OutputTokens,
    UnknownCostTraces,
    JudgeCost,
}

/// How a metric's numbers are written and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    LatencyMs,
    Rate,
    Count,
    Usd,
}

impl Metric {
    fn kind(&self) -> Kind {
        match self {
            Metric::Percentile(..) => Kind::LatencyMs,
            Metric::FailRate(_) | Metric::ErrorRate => Kind::Rate,
            Metric::Traces
            | Metric::InputTokens
            | Metric::OutputTokens
            | Metric::UnknownCostTraces => Kind::Count,
            Metric::Cost | Metric::CostPerTrace | Metric::JudgeCost => Kind::Usd,
        }
    }

    pub fn name(&self) -> String {
        match self {
            Metric::Percentile(p, s) => format!("p{p}({})", s.name()),
            Metric::FailRate(r) => format!("fail_rate({r})"),
            Metric::ErrorRate => "error_rate".into(),
            Metric::Traces => "traces".into(),
            Metric::Cost => "cost".into(),
            Metric::CostPerTrace => "cost_per_trace".into(),
            Metric::InputTokens => "input_tokens".into(),
            Metric::OutputTokens => "output_tokens".into(),
            Metric::UnknownCostTraces => "unknown_cost_traces".into(),
            Metric::JudgeCost => "judge_cost".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }

    /// Does `value op threshold` hold? Equality tolerates float noise (0.1 + 0.2 == 0.3).
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        let eps = 1e-9 * value.abs().max(threshold.abs()).max(1.0);
        let eq = (value - threshold).abs() <= eps;
        match self {
            Op::Lt => value < threshold && !eq,
            Op::Le => value <= threshold || eq,
            Op::Gt => value > threshold && !eq,
            Op::Ge => value >= threshold || eq,
            Op::Eq => eq,
            Op::Ne => !eq,
        }
    }
}

/// One parsed check.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckExpr {
    /// The text as written.
    pub text: String,
    pub metric: Metric,
    /// Compare the change against the previous window instead of the value.
    pub change: bool,
    pub op: Op,
    /// In base units (ms, fraction, USD, count).
    pub threshold: f64,
}

impl CheckExpr {
    /// `p95(latency)` or `p95(latency) change`.
    pub fn metric_label(&self) -> String {
        if self.change {
            format!("{} change", self.metric.name())
        } else {
            self.metric.name()
        }
    }
}

/// A bad expression and where it goes wrong (a character column, 0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub input: String,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    /// The expression, then a caret under the offending column and the reason.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n{}^ {}",
            self.input,
            " ".repeat(self.column),
            self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// A value (or threshold) of `check` as a person reads it: `1.84s`, `3.20%`, `+12.0%`, `$0.0450`.
pub fn format_value(check: &CheckExpr, v: f64) -> String {
    if check.change {
        return if check.metric.kind() == Kind::Rate {
            format!("{:+.2}pp", v * 100.0)
        } else {
            format!("{:+.1}%", v * 100.0)
        };
    }
    match check.metric.kind() {
        Kind::LatencyMs => crate::display::duration_ns((v * 1e6).round() as i64),
        Kind::Rate => format!("{:.2}%", v * 100.0),
        Kind::Count => format!("{}", v.round() as i64),
        Kind::Usd => crate::display::cost_value(v),
    }
}
