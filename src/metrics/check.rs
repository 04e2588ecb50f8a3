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

use super::stats::{Bucketing, Raw, Wanted, compute_raw, difference, relative};
use crate::filter::TraceFilter;
use crate::store::{Result, Store};
use serde::Serialize;
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

struct Parser<'a> {
    input: &'a str,
    chars: Vec<char>,
    pos: usize,
}

impl Parser<'_> {
    fn err<T>(
        &self,
        column: usize,
        message: impl Into<String>,
    ) -> std::result::Result<T, ParseError> {
        Err(ParseError {
            input: self.input.to_string(),
            column,
            message: message.into(),
        })
    }

    fn skip_ws(&mut self) {
        while self.chars.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn ident(&mut self) -> String {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        self.chars[start..self.pos].iter().collect()
    }

    fn expect(&mut self, c: char) -> std::result::Result<(), ParseError> {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            self.err(self.pos, format!("expected '{c}'"))
        }
    }

    fn metric(&mut self) -> std::result::Result<Metric, ParseError> {
        self.skip_ws();
        let start = self.pos;
        let name = self.ident().to_ascii_lowercase();
        if name.is_empty() {
            return self.err(
                start,
                "expected a metric (p95(latency), fail_rate(RULE), error_rate, cost_per_trace, …)",
            );
        }
        if let Some(digits) = name.strip_prefix('p')
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
        {
            let p: u32 = match digits.parse() {
                Ok(p) if (1..=100).contains(&p) => p,
                _ => return self.err(start, "a percentile is p1 to p100"),
            };
            self.expect('(')?;
            self.skip_ws();
            let s_start = self.pos;
            let series = match self.ident().to_ascii_lowercase().as_str() {
                "latency" | "duration" => Series::Latency,
                "llm_latency" => Series::LlmLatency,
                "ttft" => Series::Ttft,
                _ => return self.err(s_start, "expected latency, llm_latency or ttft"),
            };
            self.expect(')')?;
            return Ok(Metric::Percentile(p, series));
        }
        let m = match name.as_str() {
            "fail_rate" | "false_rate" => {
                self.expect('(')?;
                self.skip_ws();
                let r_start = self.pos;
                while self.peek().is_some_and(|c| c != ')') {
                    self.pos += 1;
                }
                let rule: String = self.chars[r_start..self.pos].iter().collect();
                let rule = rule.trim().to_string();
                if rule.is_empty() {
                    return self.err(r_start, "expected a judge rule name");
                }
                if self.peek() != Some(')') {
                    return self.err(self.pos, "expected ')'");
                }
                self.pos += 1;
                Metric::FailRate(rule)
            }
            "error_rate" => Metric::ErrorRate,
            "traces" => Metric::Traces,
            "cost" => Metric::Cost,
            "cost_per_trace" => Metric::CostPerTrace,
            "input_tokens" => Metric::InputTokens,
            "output_tokens" => Metric::OutputTokens,
            "unknown_cost_traces" => Metric::UnknownCostTraces,
            "judge_cost" => Metric::JudgeCost,
            _ => {
                return self.err(
                    start,
                    format!(
                        "unknown metric '{name}' (known: pNN(latency|llm_latency|ttft), fail_rate(RULE), error_rate, \
                         traces, cost, cost_per_trace, input_tokens, output_tokens, unknown_cost_traces, judge_cost)"
                    ),
                );
            }
        };
        Ok(m)
    }

    fn op(&mut self) -> std::result::Result<Op, ParseError> {
        self.skip_ws();
        let at = self.pos;
        let two: String = self.chars[self.pos..(self.pos + 2).min(self.chars.len())]
            .iter()
            .collect();
        let (op, len) = match two.as_str() {
            "<=" => (Op::Le, 2),
            ">=" => (Op::Ge, 2),
            "==" => (Op::Eq, 2),
            "!=" => (Op::Ne, 2),
            _ => match self.peek() {
                Some('<') => (Op::Lt, 1),
                Some('>') => (Op::Gt, 1),
                _ => return self.err(at, "expected an operator (<, <=, >, >=, ==, !=)"),
            },
        };
        self.pos += len;
        Ok(op)
    }

    /// A number with an optional sign and `$`; returns the value and the column it started.
    fn number(&mut self) -> std::result::Result<(f64, usize, bool), ParseError> {
        self.skip_ws();
        let start = self.pos;
        let mut text = String::new();
        if let Some(c @ ('+' | '-')) = self.peek() {
            text.push(c);
            self.pos += 1;
        }
        let dollar = self.peek() == Some('$');
        if dollar {
            self.pos += 1;
        }
        let digits_at = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit() || c == '.') {
            text.push(self.chars[self.pos]);
            self.pos += 1;
        }
        if self.pos == digits_at {
            return self.err(self.pos, "expected a number");
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok((v, start, dollar)),
            _ => self.err(digits_at, "expected a number"),
        }
    }

    fn unit(&mut self) -> (String, usize) {
        self.skip_ws();
        let at = self.pos;
        if self.peek() == Some('%') {
            self.pos += 1;
            return ("%".into(), at);
        }
        (self.ident().to_ascii_lowercase(), at)
    }
}

/// Parses one check expression.
pub fn parse_expr(input: &str) -> std::result::Result<CheckExpr, ParseError> {
    let mut p = Parser {
        input,
        chars: input.chars().collect(),
        pos: 0,
    };
    let metric = p.metric()?;
    p.skip_ws();
    let save = p.pos;
    let change = if p.ident().eq_ignore_ascii_case("change") {
        true
    } else {
        p.pos = save;
        false
    };
    let op = p.op()?;
    let (value, num_at, dollar) = p.number()?;
    let (unit, unit_at) = p.unit();
    let kind = metric.kind();
    if dollar && (change || kind != Kind::Usd) {
        return p.err(num_at, "'$' only goes with cost thresholds");
    }
    let threshold = if change {
        match unit.as_str() {
            "%" => value / 100.0,
            "" => value,
            _ => {
                return p.err(
                    unit_at,
                    "a change is a fraction (0.2) or a percentage (20%)",
                );
            }
        }
    } else {
        match kind {
            Kind::LatencyMs => match unit.as_str() {
                "ms" => value,
                "s" | "sec" => value * 1000.0,
                "m" | "min" => value * 60_000.0,
                "" => return p.err(unit_at, "expected a unit: ms, s or m"),
                _ => return p.err(unit_at, "expected a latency unit: ms, s or m"),
            },
            Kind::Rate => match unit.as_str() {
                "%" => value / 100.0,
                "" if (0.0..=1.0).contains(&value) => value,
                "" => {
                    return p.err(
                        num_at,
                        "a rate is a fraction from 0 to 1, or a percentage like 3%",
                    );
                }
                _ => return p.err(unit_at, "a rate is a fraction (0.03) or a percentage (3%)"),
            },
            Kind::Count | Kind::Usd => match unit.as_str() {
                "" => value,
                _ => return p.err(unit_at, format!("{} takes a plain number", metric.name())),
            },
        }
    };
    p.skip_ws();
    if p.pos < p.chars.len() {
        return p.err(p.pos, "unexpected text after the threshold");
    }
    Ok(CheckExpr {
        text: input.trim().to_string(),
        metric,
        change,
        op,
        threshold,
    })
}

/// The traces a check looks at. Plain checks use `filter` as given; `change` checks compare
/// the window [a, b) with [a - (b - a), a), where a = `filter.since_ns` (default b - 7 days) and
/// b = `filter.until_ns` (default `now_ns`).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckWindow {
    pub filter: TraceFilter,
    pub now_ns: i64,
}

pub const DEFAULT_WINDOW_NS: i64 = crate::filter::DEFAULT_CHANGE_WINDOW_NS;

impl CheckWindow {
    /// ([a, b) current, [a', a) previous) of change checks (the filter language defines them).
    pub fn change_windows(&self) -> ((i64, i64), (i64, i64)) {
        self.filter.change_windows(self.now_ns)
    }
}

/// The outcome of one check. `value` and `threshold` are in base units (ms, fraction, USD,
/// count).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckResult {
    pub expr: String,
    pub metric: String,
    pub value: Option<f64>,
    pub op: &'static str,
    pub threshold: f64,
    /// The threshold holds. A check without data is never ok here; the CLI turns it into a
    /// pass only under `--allow-empty`.
    pub ok: bool,
    /// Values the figure was computed from (traces, LLM calls, or judged traces).
    pub n: i64,
    /// Why there is no value (empty window, no verdicts, …).
    #[serde(skip)]
    pub no_data: Option<String>,
    /// The window had no traces at all.
    #[serde(skip)]
    pub empty_window: bool,
    #[serde(skip)]
    pub check: CheckExpr,
}

/// A metric's value in a window (`None` with the reason when there is none) and its n.
fn value_of(raw: Option<&Raw>, m: &Metric) -> (std::result::Result<f64, String>, i64) {
    let Some(r) = raw.filter(|r| r.traces > 0) else {
        return (Err("no traces in the window".into()), 0);
    };
    let t = r.traces;
    match m {
        Metric::Percentile(p, s) => {
            let (ranked, what) = match s {
                Series::Latency => (&r.latency, "traces"),
                Series::LlmLatency => (&r.llm, "LLM calls"),
                Series::Ttft => (&r.ttft, "spans with time to first token"),
            };
            match ranked.get(*p) {
                Some(ns) => (Ok(ns as f64 / 1e6), ranked.n),
                None => (Err(format!("no {what} in the window")), 0),
            }
        }
        Metric::FailRate(rule) => match r.rules.get(rule) {
            Some(&(f, n)) if n > 0 => (Ok(f as f64 / n as f64), n),
            _ => (
                Err(format!(
                    "no TRUE/FALSE judge verdicts for '{rule}' in the window"
                )),
                0,
            ),
        },
        Metric::ErrorRate => (Ok(r.errors as f64 / t as f64), t),
        Metric::Traces => (Ok(t as f64), t),
        Metric::Cost => (Ok(r.cost_known), t),
        Metric::CostPerTrace => match r.cost_per_trace() {
            Some(c) => (Ok(c), r.cost_full_n),
            None => (Err("no trace with a known cost in the window".into()), 0),
        },
        Metric::InputTokens => (Ok(r.input_tokens as f64), t),
        Metric::OutputTokens => (Ok(r.output_tokens as f64), t),
        Metric::UnknownCostTraces => (Ok(r.unknown_cost_traces as f64), t),
        Metric::JudgeCost if r.judge_cost_unknown > 0 => (
            Err("some judge verdicts have no price: the judge cost is unknown".into()),
            0,
        ),
        Metric::JudgeCost => (Ok(r.judge_cost), t),
    }
}

fn wanted_for(exprs: &[CheckExpr]) -> Wanted {
    let mut w = Wanted::default();
    for e in exprs {
        if let Metric::Percentile(p, s) = e.metric {
            let v = match s {
                Series::Latency => &mut w.latency,
                Series::LlmLatency => &mut w.llm,
                Series::Ttft => &mut w.ttft,
            };
            if !v.contains(&p) {
                v.push(p);
            }
        }
    }
    w
}

fn whole(store: &Store, filter: &TraceFilter, wanted: &Wanted) -> Result<Option<Raw>> {
    let mut m = compute_raw(store, filter, Bucketing::Whole, None, wanted)?;
    Ok(m.remove(&(0, String::new())))
}

/// Evaluates every check. Figures are computed once per window, whatever the number of checks.
pub fn evaluate(
    store: &Store,
    window: &CheckWindow,
    exprs: &[CheckExpr],
) -> Result<Vec<CheckResult>> {
    let wanted = wanted_for(exprs);
    let plain = if exprs.iter().any(|e| !e.change) {
        whole(store, &window.filter, &wanted)?
    } else {
        None
    };
    let (cur, prev) = if exprs.iter().any(|e| e.change) {
        let ((a, b), (pa, pb)) = window.change_windows();
        let cur = whole(store, &window.filter.in_window(a, b), &wanted)?;
        let prev = whole(store, &window.filter.in_window(pa, pb), &wanted)?;
        (cur, prev)
    } else {
        (None, None)
    };
    let mut out = Vec::with_capacity(exprs.len());
    for e in exprs {
        let (value, n, empty) = if e.change {
            let (c, n) = value_of(cur.as_ref(), &e.metric);
            let (p, _) = value_of(prev.as_ref(), &e.metric);
            let empty = cur.as_ref().is_none_or(|r| r.traces == 0);
            let v = match (c, p) {
                (Err(why), _) => Err(why),
                (Ok(_), Err(why)) => Err(format!("previous window: {why}")),
                (Ok(c), Ok(p)) => {
                    let d = if e.metric.kind() == Kind::Rate {
                        difference(Some(c), Some(p))
                    } else {
                        relative(Some(c), Some(p))
                    };
                    d.ok_or_else(|| {
                        "the previous window's value was 0: no relative change".to_string()
                    })
                }
            };
            (v, n, empty)
        } else {
            let (v, n) = value_of(plain.as_ref(), &e.metric);
            (v, n, plain.as_ref().is_none_or(|r| r.traces == 0))
        };
        let (value, no_data) = match value {
            Ok(v) => (Some(v), None),
            Err(why) => (None, Some(why)),
        };
        out.push(CheckResult {
            expr: e.text.clone(),
            metric: e.metric_label(),
            value,
            op: e.op.as_str(),
            threshold: e.threshold,
            ok: value.is_some_and(|v| e.op.holds(v, e.threshold)),
            n,
            no_data,
            empty_window: empty,
            check: e.clone(),
        });
    }
    Ok(out)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        let e = parse_expr("p95(latency) <= 2s").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.metric, Metric::Percentile(95, Series::Latency));
        assert_eq!((e.op, e.threshold, e.change), (Op::Le, 2000.0, false));
        let e = parse_expr("fail_rate(grounded) <= 3%").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.metric, Metric::FailRate("grounded".into()));
        assert!((e.threshold - 0.03).abs() < 1e-12);
        let e = parse_expr("p95(latency) change <= 20%").unwrap_or_else(|e| panic!("{e}"));
        assert!(e.change);
        assert!((e.threshold - 0.2).abs() < 1e-12);
        let e = parse_expr("cost <= $10").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.threshold, 10.0);
        let e = parse_expr("p99(llm_latency)<=1.5m").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(e.threshold, 90_000.0);
    }

    #[test]
    fn errors_point_at_the_column() {
        let e = parse_expr("p95(latency) <== 2s")
            .err()
            .unwrap_or_else(|| panic!("parsed"));
        assert_eq!(e.column, 15);
        assert_eq!(
            e.to_string(),
            "p95(latency) <== 2s\n               ^ expected a number"
        );
        assert_eq!(
            parse_expr("p95(latency) <= 2").err().map(|e| e.column),
            Some(17)
        );
        assert_eq!(
            parse_expr("p95(latncy) <= 2s").err().map(|e| e.column),
            Some(4)
        );
        assert_eq!(
            parse_expr("error_rate < 5").err().map(|e| e.column),
            Some(13)
        );
        assert_eq!(parse_expr("bogus < 5").err().map(|e| e.column), Some(0));
        assert_eq!(
            parse_expr("traces >= 10 x").err().map(|e| e.column),
            Some(13)
        );
        assert_eq!(parse_expr("traces = 10").err().map(|e| e.column), Some(7));
    }

    #[test]
    fn operators() {
        assert!(Op::Lt.holds(1.0, 2.0) && !Op::Lt.holds(2.0, 2.0));
        assert!(Op::Le.holds(2.0, 2.0) && !Op::Le.holds(2.1, 2.0));
        assert!(Op::Gt.holds(3.0, 2.0) && !Op::Gt.holds(2.0, 2.0));
        assert!(Op::Ge.holds(2.0, 2.0) && !Op::Ge.holds(1.9, 2.0));
        assert!(Op::Eq.holds(0.1 + 0.2, 0.3) && !Op::Eq.holds(0.3, 0.31));
        assert!(Op::Ne.holds(1.0, 2.0) && !Op::Ne.holds(2.0, 2.0));
    }
}
