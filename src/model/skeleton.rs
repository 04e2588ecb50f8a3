//! A span without its payload: the columns a tree line shows (ids, parent, name, kind, times,
//! status, model, tokens, cost), read straight from the store's span row. A 100,000-span trace
//! opens from these in a few megabytes; the payload of one span is read when it is shown.

use super::{SpanKind, SpanTree, StatusCode, Usage};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SpanSkeleton {
    /// The store's row id: the key to read the span's payload on demand.
    pub row_id: i64,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_ns: i64,
    pub end_ns: Option<i64>,
    pub status: StatusCode,
    pub model: Option<String>,
    /// Token counts as the span carries them (`None` when it has none); `aggregate` is set by
    /// [`mark_skeleton_aggregates`]. The provenance is not stored in the row and stays default.
    pub usage: Option<Usage>,
    /// Whether the span has a cost at all (an unknown price is a cost without a total).
    pub has_cost: bool,
    pub cost_usd: Option<f64>,
}

impl SpanSkeleton {
    pub fn duration_ns(&self) -> Option<i64> {
        self.end_ns.map(|e| e.saturating_sub(self.start_ns).max(0))
    }

    pub fn is_error(&self) -> bool {
        self.status == StatusCode::Error
    }

    /// Carries usage of its own (tokens or a cost), as a roll-up sees it.
    fn has_usage(&self) -> bool {
        let u = self.usage.as_ref();
        u.is_some_and(|u| u.input.is_some() || u.output.is_some() || u.total.is_some())
            || self.cost_usd.is_some()
    }
}

/// Marks `usage.aggregate` where a span's usage is a roll-up of its descendants' and returns
/// the marks by index: the rule of [`super::rollup::aggregates`] (an LLM or embedding span
/// with usage and another such span below it), worked out over `tree`, which must be built
/// from `spans`. One pass from the leaves up, no copy of the spans.
pub fn mark_skeleton_aggregates(spans: &mut [SpanSkeleton], tree: &SpanTree) -> Vec<bool> {
    let marks = aggregate_marks(tree, spans.len(), |i| {
        spans
            .get(i)
            .is_some_and(|s| s.kind.counts_usage() && s.has_usage())
    });
    for (s, &agg) in spans.iter_mut().zip(&marks) {
        if let Some(u) = s.usage.as_mut() {
            u.aggregate = agg;
        }
    }
    marks
}

/// Which of `n` spans are aggregates: a `candidate` with another candidate anywhere below it
/// in `tree`. Children follow their parent in the depth-first order, so walking it backwards
/// sees every child before its parent.
pub(super) fn aggregate_marks(
    tree: &SpanTree,
    n: usize,
    candidate: impl Fn(usize) -> bool,
) -> Vec<bool> {
    let mut below = vec![false; n];
    for node in tree.nodes.iter().rev() {
        let any = node
            .children
            .iter()
            .any(|&c| below.get(c).copied().unwrap_or(false) || candidate(c));
        if let Some(b) = below.get_mut(node.index) {
            *b = any;
        }
    }
    (0..n).map(|i| below[i] && candidate(i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Cost, Span, mark_aggregates};

    fn pair(
        id: &str,
        parent: Option<&str>,
        kind: SpanKind,
        tokens: bool,
        start: i64,
    ) -> (Span, SpanSkeleton) {
        let usage = tokens.then(|| Usage {
            input: Some(10),
            output: Some(2),
            ..Usage::default()
        });
        let span = Span {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            kind,
            start_ns: start,
            usage: usage.clone(),
            ..Default::default()
        };
        let skel = SpanSkeleton {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            kind,
            start_ns: start,
            usage,
            ..Default::default()
        };
        (span, skel)
    }

    #[test]
    fn marks_the_same_aggregates_as_full_spans() {
        use SpanKind::{Chain, Embedding, Llm};
        // An agent-level LLM span over two calls, a chain in between, an LLM span whose only
        // LLM descendant has no usage, a cycle and an orphan.
        let shape = [
            ("root", None, Chain, false, 0),
            ("agg", Some("root"), Llm, true, 1),
            ("mid", Some("agg"), Chain, false, 2),
            ("a", Some("mid"), Llm, true, 3),
            ("b", Some("agg"), Llm, true, 4),
            ("lone", Some("root"), Llm, true, 5),
            ("empty", Some("lone"), Llm, false, 6),
            ("c1", Some("c2"), Llm, true, 7),
            ("c2", Some("c1"), Llm, true, 8),
            ("orphan", Some("gone"), Embedding, true, 9),
        ];
        let (mut spans, mut skel): (Vec<Span>, Vec<SpanSkeleton>) = shape
            .iter()
            .map(|(id, p, k, t, s)| pair(id, *p, *k, *t, *s))
            .unzip();
        // A cost alone counts as usage.
        spans[6].cost = Some(Cost {
            total: Some(0.1),
            ..Default::default()
        });
        skel[6].cost_usd = Some(0.1);
        skel[6].has_cost = true;
        mark_aggregates(&mut spans);
        let tree = SpanTree::build(&skel);
        let marks = mark_skeleton_aggregates(&mut skel, &tree);
        let want: Vec<bool> = spans
            .iter()
            .map(|s| s.usage.as_ref().is_some_and(|u| u.aggregate))
            .collect();
        let got: Vec<bool> = skel
            .iter()
            .map(|s| s.usage.as_ref().is_some_and(|u| u.aggregate))
            .collect();
        assert_eq!(got, want);
        assert_eq!(
            marks,
            vec![
                false, true, false, false, false, true, false, true, false, false
            ]
        );
    }
}
