//! Parsing check expressions, reporting the column of the first error.

use super::{CheckExpr, Kind, Metric, Op, ParseError, Series};

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
