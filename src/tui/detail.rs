//! Text for the reading panes as plain lines, built when a span, tab or response is opened so
//! drawing is only layout (no JSON work per frame): the span detail's tabs and a triaged
//! response.

use super::spantree::TraceData;
use super::widgets::lines::{DetailLine, LineKind, push_text};
use super::widgets::text::{cell, fit, thousands, verdict_glyph, verdict_word};
use crate::display;
use crate::model::Score;
use crate::model::{CostSource, Message, Span, SpanKind, SpanLine, Usage, Verdict};
use LineKind as L;

mod documents;
use documents::documents;
pub use documents::retriever_for;

const FOLDED_VALUE: usize = 100;
const MAX_SHARE_ROWS: usize = 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Messages,
    Documents,
    Attributes,
    Cost,
    Verdicts,
}

impl Tab {
    pub const ALL: [Tab; 5] = [
        Tab::Messages,
        Tab::Documents,
        Tab::Attributes,
        Tab::Cost,
        Tab::Verdicts,
    ];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Messages => "Messages",
            Tab::Documents => "Documents",
            Tab::Attributes => "Attributes",
            Tab::Cost => "Cost",
            Tab::Verdicts => "Verdicts",
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
    /// The tab a span opens on, by what that kind of span is about: an LLM call's messages, a
    /// retriever's or reranker's documents, a tool's input and output (the Messages tab shows
    /// them for spans without messages).
    pub fn for_kind(kind: SpanKind) -> Tab {
        match kind {
            SpanKind::Retriever | SpanKind::Reranker => Tab::Documents,
            _ => Tab::Messages,
        }
    }

    /// The next tab (or the previous one), wrapping around.
    pub fn cycle(self, forward: bool) -> Tab {
        let n = Tab::ALL.len();
        let i = self.index();
        Tab::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// What one tab shows.
pub struct TabContent<'a> {
    pub data: &'a TraceData,
    pub scores: &'a [Score],
    pub span: Option<&'a Span>,
    pub tab: Tab,
    /// Attributes as pretty JSON instead of one folded line each.
    pub unfold: bool,
}

pub fn build(c: &TabContent) -> Vec<DetailLine> {
    let Some(span) = c.span else {
        return vec![DetailLine::new(L::Dim, "no span selected")];
    };
    let mut out = Vec::new();
    match c.tab {
        Tab::Messages => messages(span, &mut out),
        Tab::Documents => documents(span, c.data, &mut out),
        Tab::Attributes => attributes(span, c.unfold, &mut out),
        Tab::Cost => cost(span, c.data, &mut out),
        Tab::Verdicts => verdicts(c.scores, &mut out),
    }
    if out.is_empty() {
        out.push(DetailLine::new(L::Dim, "(nothing here for this span)"));
    }
    out
}

fn messages(s: &Span, out: &mut Vec<DetailLine>) {
    if let Some(m) = &s.model {
        let mut line = format!("model {}", cell(m));
        if let Some(p) = &s.provider {
            line.push_str(&format!(" · provider {}", cell(p)));
        }
        if let Some(r) = s
            .request_model
            .as_ref()
            .filter(|r| Some(*r) != s.model.as_ref())
        {
            line.push_str(&format!(" · requested {}", cell(r)));
        }
        out.push(DetailLine::new(L::Heading, line));
    }
    if let Some(p) = &s.invocation_params {
        out.push(DetailLine::new(
            L::Dim,
            format!("params {}", cell(&p.to_string())),
        ));
    }
    if let Some(ttft) = s.ttft_ns {
        out.push(DetailLine::new(
            L::Dim,
            format!("time to first token {}", display::duration_ns(ttft)),
        ));
    }
    if !s.input_messages.is_empty() {
        out.push(DetailLine::new(L::Heading, "── input messages ──"));
        for m in &s.input_messages {
            message(m, out);
        }
    }
    if !s.output_messages.is_empty() {
        out.push(DetailLine::new(L::Heading, "── output messages ──"));
        for m in &s.output_messages {
            message(m, out);
        }
    }
    if let Some(tool) = &s.tool {
        out.push(DetailLine::new(
            L::Heading,
            format!("── tool {} ──", cell(tool.name.as_deref().unwrap_or("?"))),
        ));
        if let Some(d) = &tool.description {
            push_text(out, L::Dim, d);
        }
        if let Some(a) = &tool.arguments {
            out.push(DetailLine::new(L::Role, "arguments"));
            push_text(out, L::Body, a);
        }
        if let Some(r) = &tool.result {
            out.push(DetailLine::new(L::Role, "result"));
            push_text(out, L::Body, r);
        }
    }
    if s.input_messages.is_empty() && s.output_messages.is_empty() {
        if let Some(i) = &s.input {
            out.push(DetailLine::new(L::Heading, "── input ──"));
            push_text(out, L::Body, &i.value);
        }
        if let Some(o) = &s.output {
            out.push(DetailLine::new(L::Heading, "── output ──"));
            push_text(out, L::Body, &o.value);
        }
    }
    if s.is_error() || !s.events.is_empty() {
        out.push(DetailLine::new(L::Heading, "── status and events ──"));
    }
    if s.is_error() {
        out.push(DetailLine::new(
            L::Error,
            format!(
                "✗ error: {}",
                cell(s.status_message.as_deref().unwrap_or(""))
            ),
        ));
    }
    for e in &s.events {
        let at = e.time_ns.saturating_sub(s.start_ns);
        let kind = if e.name == "exception" {
            L::Error
        } else {
            L::Role
        };
        out.push(DetailLine::new(
            kind,
            format!("+{} {}", display::duration_ns(at), cell(&e.name)),
        ));
        for (k, v) in &e.attributes {
            let v = v
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| v.to_string());
            out.push(DetailLine::new(L::Dim, format!("  {}:", cell(k))));
            push_text(out, L::Body, &v);
        }
    }
}

fn message(m: &Message, out: &mut Vec<DetailLine>) {
    let mut label = format!("[{}]", cell(&m.role));
    if let Some(n) = &m.name {
        label.push_str(&format!(" {}", cell(n)));
    }
    if let Some(id) = &m.tool_call_id {
        label.push_str(&format!(" ← result of {}", cell(id)));
    }
    if let Some(f) = &m.finish_reason {
        label.push_str(&format!(" (finish: {})", cell(f)));
    }
    out.push(DetailLine::new(L::Role, label));
    if let Some(r) = &m.reasoning {
        out.push(DetailLine::new(L::Dim, "  reasoning:"));
        push_text(out, L::Dim, r);
    }
    if !m.content.is_empty() {
        push_text(out, L::Body, &m.content);
    }
    for c in &m.tool_calls {
        out.push(DetailLine::new(
            L::Role,
            format!(
                "  → tool call {}({}){}",
                cell(&c.name),
                cell(c.arguments.as_deref().unwrap_or("")),
                c.id.as_deref()
                    .map(|i| format!(" [{}]", cell(i)))
                    .unwrap_or_default()
            ),
        ));
    }
}

fn attributes(s: &Span, unfold: bool, out: &mut Vec<DetailLine>) {
    let hint = if unfold {
        "z folds"
    } else {
        "folded; z shows pretty JSON"
    };
    out.push(DetailLine::new(
        L::Heading,
        format!("── attributes ({}) · {hint} ──", s.attributes.len()),
    ));
    if unfold {
        let pretty = serde_json::to_string_pretty(&s.attributes).unwrap_or_default();
        push_text(out, L::Body, &pretty);
    } else {
        for (k, v) in &s.attributes {
            let v = crate::sanitize::truncate_chars(&cell(&v.to_string()), FOLDED_VALUE);
            out.push(DetailLine::new(L::Body, format!("  {} = {v}", cell(k))));
        }
    }
    if !s.resource.is_empty() {
        out.push(DetailLine::new(L::Heading, "── resource ──"));
        for (k, v) in &s.resource {
            let v = crate::sanitize::truncate_chars(&cell(&v.to_string()), FOLDED_VALUE);
            out.push(DetailLine::new(L::Dim, format!("  {} = {v}", cell(k))));
        }
    }
    out.push(DetailLine::new(
        L::Dim,
        format!(
            "span {} · parent {} · format {} · convention {}",
            cell(&s.span_id),
            cell(s.parent_id.as_deref().unwrap_or("-")),
            cell(&s.source_format),
            cell(s.convention.as_deref().unwrap_or("-"))
        ),
    ));
}

fn opt(n: Option<i64>) -> String {
    n.map(thousands).unwrap_or_else(|| "?".into())
}

fn usage_lines(u: &Usage, out: &mut Vec<DetailLine>) {
    out.push(DetailLine::new(
        L::Body,
        format!(
            "  input   {:>10}   of which cached {}",
            opt(u.input),
            opt(u.cache_read)
        ),
    ));
    out.push(DetailLine::new(
        L::Body,
        format!(
            "  output  {:>10}   of which reasoning {}",
            opt(u.output),
            opt(u.reasoning)
        ),
    ));
    out.push(DetailLine::new(
        L::Body,
        format!(
            "  total   {:>10}   ({})",
            opt(u.total_or_sum()),
            u.provenance.as_str()
        ),
    ));
    if u.aggregate {
        out.push(DetailLine::new(
            L::Dim,
            "  these are its children's tokens rolled up: not added again to the trace total",
        ));
    }
}

pub fn provenance(s: &Span) -> String {
    match &s.cost {
        Some(c) => match &c.source {
            CostSource::Reported => "reported by the trace".into(),
            CostSource::Computed { price_key } => {
                format!("computed from price {}", cell(price_key))
            }
            CostSource::Unknown => "unknown: no price for this model".into(),
        },
        None => "no cost".into(),
    }
}

fn cost(s: &Span, t: &TraceData, out: &mut Vec<DetailLine>) {
    out.push(DetailLine::new(
        L::Heading,
        format!("── this span: {} ──", cell(&s.name)),
    ));
    match &s.usage {
        Some(u) if !u.is_empty() => usage_lines(u, out),
        _ => out.push(DetailLine::new(L::Dim, "  no token usage")),
    }
    let c = s.cost.as_ref().and_then(|c| c.total);
    out.push(DetailLine::new(
        L::Body,
        format!("  cost    {:>10}   {}", display::cost(c), provenance(s)),
    ));
    if let Some(sum) = &t.summary {
        out.push(DetailLine::new(L::Heading, "── whole trace ──"));
        out.push(DetailLine::new(
            L::Body,
            format!(
                "  input   {:>10}   of which cached {}",
                thousands(sum.input_tokens),
                thousands(sum.cache_read_tokens)
            ),
        ));
        out.push(DetailLine::new(
            L::Body,
            format!(
                "  output  {:>10}   of which reasoning {}",
                thousands(sum.output_tokens),
                thousands(sum.reasoning_tokens)
            ),
        ));
        out.push(DetailLine::new(
            L::Body,
            format!(
                "  total   {:>10}   over {} LLM calls",
                thousands(sum.total_tokens),
                sum.llm_calls
            ),
        ));
        let unknown = if sum.unknown_cost_spans > 0 {
            format!(
                "   {} span(s) with unknown price (?)",
                sum.unknown_cost_spans
            )
        } else {
            String::new()
        };
        out.push(DetailLine::new(
            L::Body,
            format!(
                "  cost    {:>10}{unknown}",
                display::trace_cost(sum.cost_usd, sum.cost_known_usd, sum.unknown_cost_spans)
            ),
        ));
    }
    shares(t, out);
}

/// Each span's share of the known trace cost, largest first, as a bar.
fn shares(t: &TraceData, out: &mut Vec<DetailLine>) {
    let costs: Vec<(&SpanLine, f64)> = t
        .lines
        .iter()
        .filter(|s| !s.is_aggregate())
        .filter_map(|s| s.cost.flatten().map(|c| (s, c)))
        .filter(|(_, c)| *c > 0.0)
        .collect();
    let total: f64 = costs.iter().map(|(_, c)| c).sum();
    if total <= 0.0 {
        return;
    }
    out.push(DetailLine::new(L::Heading, "── share of trace cost ──"));
    let mut sorted = costs;
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    const BAR: usize = 20;
    for (s, c) in sorted.iter().take(MAX_SHARE_ROWS) {
        let share = c / total;
        let filled = ((share * BAR as f64).round() as usize).min(BAR);
        let bar: String = "█".repeat(filled) + &"·".repeat(BAR - filled);
        out.push(DetailLine::new(
            L::Bar,
            format!(
                "  {} {bar} {:>3.0}% {}",
                fit(&cell(&s.name), 22),
                share * 100.0,
                display::cost_value(*c)
            ),
        ));
    }
}

/// Every score of the trace, newest first: verdict, source, model, cost, explanation, note.
fn verdicts(scores: &[Score], out: &mut Vec<DetailLine>) {
    if scores.is_empty() {
        out.push(DetailLine::new(
            L::Dim,
            "no verdicts yet: J in the trace list judges traces",
        ));
        return;
    }
    out.push(DetailLine::new(
        L::Heading,
        format!(
            "── verdicts and labels ({}) · newest first · R re-runs ──",
            scores.len()
        ),
    ));
    for s in scores {
        let (g, word) = s
            .verdict
            .map(|v| (verdict_glyph(v), verdict_word(v)))
            .unwrap_or((" ", ""));
        let kind = match s.verdict {
            Some(Verdict::False | Verdict::Error) => L::Error,
            _ => L::Role,
        };
        let value = s.value.map(|v| format!(" = {v:.3}")).unwrap_or_default();
        // The label text an annotator chose (`hallucinated`) says more than TRUE/FALSE.
        let label = s
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty() && !l.eq_ignore_ascii_case(word))
            .map(|l| format!(" ({})", cell(l)))
            .unwrap_or_default();
        let mut line = format!(
            "{g} {} {word}{label}{value} · {}",
            cell(&s.name),
            s.source.as_str()
        );
        if let Some(m) = &s.model {
            line.push_str(&format!(" · {}", cell(m)));
        }
        if let Some(a) = &s.author {
            line.push_str(&format!(" · by {}", cell(a)));
        }
        if s.cost_usd.is_some() {
            line.push_str(&format!(" · {}", display::cost(s.cost_usd)));
        }
        if let (Some(n), Some(a)) = (s.samples, s.agree)
            && n > 1
        {
            line.push_str(&format!(" · {a}/{n} samples agree"));
        }
        if let Some(at) = s.created_at_ns {
            line.push_str(&format!(" · {}", crate::timefilter::short_time(at)));
        }
        out.push(DetailLine::new(kind, line));
        if let Some(e) = &s.explanation {
            push_text(out, L::Body, e);
        }
        if let Some(n) = &s.note {
            out.push(DetailLine::new(L::Dim, format!("  note: {}", cell(n))));
        }
    }
}
