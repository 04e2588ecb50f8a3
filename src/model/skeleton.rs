//! A span without its payload: the columns a tree line shows (ids, parent, name, kind, times,
//! status, model, tokens, cost), read straight from the store's span row. A 100,000-span trace
//! opens from these in a few megabytes; the payload of one span is read when it is shown.

use super::rollup::{RollupSpan, aggregates};
use super::{SpanKind, StatusCode, Usage};

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

    fn rollup(&self) -> RollupSpan {
        let u = self.usage.as_ref();
        RollupSpan {
            span_id: self.span_id.clone(),
            parent_id: self.parent_id.clone(),
            kind: self.kind,
            start_ns: self.start_ns,
            end_ns: self.end_ns,
            error: self.is_error(),
            input: u.and_then(|u| u.input),
            output: u.and_then(|u| u.output),
            total: u.and_then(|u| u.total_or_sum()),
            cache_read: u.and_then(|u| u.cache_read),
            reasoning: u.and_then(|u| u.reasoning),
            cost: self.cost_usd,
            cost_unknown: self.has_cost && self.cost_usd.is_none(),
            ..Default::default()
        }
    }
}

/// Marks `usage.aggregate` where a span's usage is a roll-up of its descendants' (as
/// [`super::mark_aggregates`] does on full spans), and returns the marks by index.
pub fn mark_skeleton_aggregates(spans: &mut [SpanSkeleton]) -> Vec<bool> {
    let r: Vec<RollupSpan> = spans.iter().map(SpanSkeleton::rollup).collect();
    let marks = aggregates(&r);
    drop(r);
    for (s, &agg) in spans.iter_mut().zip(&marks) {
        if let Some(u) = s.usage.as_mut() {
            u.aggregate = agg;
        }
    }
    marks
}
