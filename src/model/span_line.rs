//! What one line of a trace's span tree needs, and no more: ids, name, kind, times, status,
//! model, tokens and cost. A trace view keeps one per span (about 150 bytes, against a
//! kilobyte for a whole [`Span`]), so a 100,000-span trace costs tens of megabytes, not a
//! gigabyte; whole spans are read when one is shown.

use super::{Cost, Span, SpanKind, SpanSkeleton, SpanTree, StatusCode, Usage};
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct SpanLine {
    pub span_id: Box<str>,
    pub parent_id: Option<Box<str>>,
    pub name: Box<str>,
    /// Shared between the lines of one trace (a trace calls a handful of models).
    pub model: Option<Arc<str>>,
    pub start_ns: i64,
    pub end_ns: Option<i64>,
    /// Boxed: most spans have none, and a `Usage` is a hundred bytes.
    pub usage: Option<Box<Usage>>,
    /// `Some` when the span has a cost at all; the inner `None` is an unknown price.
    pub cost: Option<Option<f64>>,
    pub kind: SpanKind,
    pub status: StatusCode,
    /// An LLM call whose answer asks for tools (known only when the span was read whole).
    pub asks_tools: bool,
}

impl SpanLine {
    /// The line of a whole span.
    pub fn of_span(s: &Span, models: &mut ModelNames) -> SpanLine {
        SpanLine {
            span_id: s.span_id.as_str().into(),
            parent_id: s.parent_id.as_deref().map(Into::into),
            name: s.name.as_str().into(),
            model: s.model.as_deref().map(|m| models.get(m)),
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            usage: s.usage.clone().map(Box::new),
            cost: s.cost.as_ref().map(|c| c.total),
            kind: s.kind,
            status: s.status,
            asks_tools: s.output_messages.iter().any(|m| !m.tool_calls.is_empty()),
        }
    }

    /// The line of a span read without its payload.
    pub fn of_skeleton(s: SpanSkeleton, models: &mut ModelNames) -> SpanLine {
        SpanLine {
            span_id: s.span_id.into_boxed_str(),
            parent_id: s.parent_id.map(String::into_boxed_str),
            name: s.name.into_boxed_str(),
            model: s.model.as_deref().map(|m| models.get(m)),
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            usage: s.usage.map(Box::new),
            cost: s.has_cost.then_some(s.cost_usd),
            kind: s.kind,
            status: s.status,
            asks_tools: false,
        }
    }

    /// A span holding what this line knows (no messages, documents or attributes): for the
    /// few places that take a whole span, when the span was not read whole.
    pub fn to_span(&self, trace_id: &str) -> Span {
        Span {
            trace_id: trace_id.to_string(),
            span_id: self.span_id.to_string(),
            parent_id: self.parent_id.as_deref().map(str::to_string),
            name: self.name.to_string(),
            kind: self.kind,
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            status: self.status,
            model: self.model.as_deref().map(str::to_string),
            usage: self.usage.as_deref().cloned(),
            cost: self.cost.map(|total| Cost {
                total,
                ..Cost::default()
            }),
            ..Span::default()
        }
    }

    pub fn duration_ns(&self) -> Option<i64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns).max(0))
    }

    pub fn is_error(&self) -> bool {
        self.status == StatusCode::Error
    }

    /// The span's usage is a roll-up of its descendants' (see [`mark_line_aggregates`]).
    pub fn is_aggregate(&self) -> bool {
        self.usage.as_ref().is_some_and(|u| u.aggregate)
    }

    /// Carries usage of its own (tokens or a cost), as a roll-up sees it.
    fn has_usage(&self) -> bool {
        let u = self.usage.as_deref();
        u.is_some_and(|u| u.input.is_some() || u.output.is_some() || u.total.is_some())
            || self.cost.flatten().is_some()
    }
}

/// One shared copy of each model name.
#[derive(Debug, Default)]
pub struct ModelNames(HashMap<Box<str>, Arc<str>>);

impl ModelNames {
    pub fn get(&mut self, name: &str) -> Arc<str> {
        if let Some(m) = self.0.get(name) {
            return m.clone();
        }
        let m: Arc<str> = name.into();
        self.0.insert(name.into(), m.clone());
        m
    }
}

/// Marks `usage.aggregate` on lines as [`super::mark_skeleton_aggregates`] does on skeletons
/// (the rule of [`super::rollup::aggregates`]); `tree` must be built from `lines`.
pub fn mark_line_aggregates(lines: &mut [SpanLine], tree: &SpanTree) {
    let marks = super::skeleton::aggregate_marks(tree, lines.len(), |i| {
        lines
            .get(i)
            .is_some_and(|s| s.kind.counts_usage() && s.has_usage())
    });
    for (s, agg) in lines.iter_mut().zip(marks) {
        if let Some(u) = s.usage.as_mut() {
            u.aggregate = agg;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Message, ToolCall, mark_aggregates};

    #[test]
    fn lines_mark_the_same_aggregates_as_whole_spans_and_know_tool_requests() {
        use SpanKind::{Chain, Llm};
        let shape = [
            ("root", None, Chain, false),
            ("agg", Some("root"), Llm, true),
            ("mid", Some("agg"), Chain, false),
            ("a", Some("mid"), Llm, true),
            ("lone", Some("root"), Llm, true),
            ("orphan", Some("gone"), Llm, true),
        ];
        let mut spans: Vec<Span> = shape
            .iter()
            .enumerate()
            .map(|(i, (id, p, kind, tokens))| Span {
                span_id: (*id).into(),
                parent_id: p.map(Into::into),
                kind: *kind,
                start_ns: i as i64,
                usage: tokens.then(|| Usage {
                    input: Some(3),
                    ..Usage::default()
                }),
                ..Span::default()
            })
            .collect();
        spans[4].output_messages = vec![Message {
            tool_calls: vec![ToolCall::default()],
            ..Message::default()
        }];
        let mut models = ModelNames::default();
        let mut lines: Vec<SpanLine> = spans
            .iter()
            .map(|s| SpanLine::of_span(s, &mut models))
            .collect();
        mark_aggregates(&mut spans);
        let tree = SpanTree::build(&lines);
        mark_line_aggregates(&mut lines, &tree);
        let want: Vec<bool> = spans
            .iter()
            .map(|s| s.usage.as_ref().is_some_and(|u| u.aggregate))
            .collect();
        let got: Vec<bool> = lines.iter().map(SpanLine::is_aggregate).collect();
        assert_eq!(got, want);
        assert!(got[1], "{got:?}");
        let tools: Vec<bool> = lines.iter().map(|l| l.asks_tools).collect();
        assert_eq!(tools, [false, false, false, false, true, false]);
        // Back to a span: the tree line's fields survive.
        let back = lines[3].to_span("t");
        assert_eq!((back.span_id.as_str(), back.kind), ("a", Llm));
        assert_eq!(back.usage.and_then(|u| u.input), Some(3));
    }
}
