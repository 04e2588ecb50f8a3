//! A loaded trace as its views read it: one compact line per span (what the tree, the jumps,
//! the span search, the waterfall and the cost shares need), the tree over them, and whole
//! spans: all of them for a small trace; for a big one only those read at opening (the root,
//! the first and last LLM calls, retrievers and rerankers) and a small cache of the ones shown
//! since. A trace view's memory is then proportional to the screen, not to the trace.

use crate::model::{ModelNames, Span, SpanLine, SpanTree, Trace, mark_line_aggregates};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Whole spans of a big trace kept decoded at once: the detail's span and the last few it
/// showed.
const CACHED_PAYLOADS: usize = 64;

/// A trace's spans as the worker read them for the trace view.
#[derive(Debug, Clone, PartialEq)]
pub enum OpenedSpans {
    /// Every span whole (a small trace).
    Whole(Vec<Span>),
    /// A big trace on its skeleton: a line and a store row per span, and the spans read whole
    /// at opening (`kept`, at the ascending line indexes `kept_at`).
    Lean {
        lines: Vec<SpanLine>,
        rows: Vec<i64>,
        kept_at: Vec<usize>,
        kept: Vec<Span>,
    },
    /// The trace holds as many spans as the view already shows: nothing to read again.
    Unchanged,
}

impl OpenedSpans {
    /// How many spans the trace has (`None` when unchanged).
    pub fn span_count(&self) -> Option<usize> {
        match self {
            OpenedSpans::Whole(s) => Some(s.len()),
            OpenedSpans::Lean { lines, .. } => Some(lines.len()),
            OpenedSpans::Unchanged => None,
        }
    }

    /// The spans read whole, in trace order (every span of a small trace).
    pub fn whole(&self) -> &[Span] {
        match self {
            OpenedSpans::Whole(s) => s,
            OpenedSpans::Lean { kept, .. } => kept,
            OpenedSpans::Unchanged => &[],
        }
    }
}

/// A trace's spans as loaded, with its tree and time range (read-only once built).
#[derive(Debug, Clone, Default)]
pub struct TraceData {
    pub trace_id: String,
    pub summary: Option<Trace>,
    /// Every span whole, by index; empty for a trace opened on its skeleton (see `rows`).
    pub spans: Vec<Span>,
    /// One line per span, by the same index: what every tree line and jump reads.
    pub lines: Vec<SpanLine>,
    pub tree: SpanTree,
    /// First start and last end, for the waterfall.
    pub t0: i64,
    pub t1: i64,
    /// A big trace opened on its skeleton: the store row of each line. Empty when every span
    /// is whole.
    pub rows: Vec<i64>,
    /// A lean trace's spans read whole at opening, at the ascending line indexes `kept_at`.
    kept_at: Vec<usize>,
    kept: Vec<Span>,
    /// Whole spans of a lean trace read since, shared by the views of it (the trace and its
    /// detail).
    pub payloads: PayloadCache,
}

impl TraceData {
    pub fn new(trace_id: String, summary: Option<Trace>, mut spans: Vec<Span>) -> Self {
        crate::model::mark_aggregates(&mut spans);
        let mut models = ModelNames::default();
        let lines = spans
            .iter()
            .map(|s| SpanLine::of_span(s, &mut models))
            .collect();
        let mut data = TraceData::of_lines(trace_id, summary, lines);
        data.spans = spans;
        data
    }

    /// The trace the worker read, whole or lean (`Unchanged` gives an empty trace).
    pub fn opened(trace_id: String, summary: Option<Trace>, spans: OpenedSpans) -> Self {
        match spans {
            OpenedSpans::Whole(spans) => TraceData::new(trace_id, summary, spans),
            OpenedSpans::Lean {
                mut lines,
                rows,
                kept_at,
                kept,
            } => {
                // The spans read whole draw from their whole selves (as a small trace's do).
                let mut models = ModelNames::default();
                for (&i, s) in kept_at.iter().zip(&kept) {
                    if let Some(l) = lines.get_mut(i) {
                        *l = SpanLine::of_span(s, &mut models);
                    }
                }
                let mut data = TraceData::of_lines(trace_id, summary, lines);
                mark_line_aggregates(&mut data.lines, &data.tree);
                if rows.len() == data.lines.len() {
                    data.rows = rows;
                }
                data.kept = kept;
                for (&i, s) in kept_at.iter().zip(data.kept.iter_mut()) {
                    let aggregate = data.lines.get(i).is_some_and(SpanLine::is_aggregate);
                    if let Some(u) = s.usage.as_mut() {
                        u.aggregate = aggregate;
                    }
                }
                data.kept_at = kept_at;
                data
            }
            OpenedSpans::Unchanged => TraceData::of_lines(trace_id, summary, Vec::new()),
        }
    }

    fn of_lines(trace_id: String, summary: Option<Trace>, lines: Vec<SpanLine>) -> Self {
        let tree = SpanTree::build(&lines);
        let t0 = lines.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let t1 = lines
            .iter()
            .map(|s| s.end_ns.unwrap_or(s.start_ns))
            .max()
            .unwrap_or(t0)
            .max(t0);
        TraceData {
            trace_id,
            summary,
            lines,
            tree,
            t0,
            t1,
            ..TraceData::default()
        }
    }

    /// Whether spans are read whole on demand (see [`TraceData::rows`]).
    pub fn is_lean(&self) -> bool {
        !self.rows.is_empty()
    }

    /// How many spans the trace has.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The store row of the span at tree node `pos` (lean traces only).
    pub fn row_at(&self, pos: usize) -> Option<i64> {
        let n = self.tree.nodes.get(pos)?;
        self.rows.get(n.index).copied()
    }

    /// The whole span at tree node `pos` of a lean trace, when it has been read.
    pub fn whole_span_at(&self, pos: usize) -> Option<Arc<Span>> {
        self.payloads.get(self.row_at(pos)?)
    }

    /// Keeps whole spans read for this trace; each takes the aggregate mark its line has here
    /// (the mark is the whole trace's to make, not the payload's).
    pub fn keep_payloads(&self, whole: Vec<(i64, Span)>) {
        for (row, mut span) in whole {
            let Some(i) = self.rows.iter().position(|r| *r == row) else {
                continue;
            };
            let aggregate = self.lines.get(i).is_some_and(SpanLine::is_aggregate);
            if let Some(u) = span.usage.as_mut() {
                u.aggregate = aggregate;
            }
            self.payloads.put(row, span);
        }
    }

    /// The line of the span at tree node `pos`.
    pub fn line_at(&self, pos: usize) -> Option<&SpanLine> {
        self.tree
            .nodes
            .get(pos)
            .and_then(|n| self.lines.get(n.index))
    }

    /// The whole span at tree node `pos`, when this data holds it (every span of a small
    /// trace; those read at opening of a big one).
    pub fn span_at(&self, pos: usize) -> Option<&Span> {
        let i = self.tree.nodes.get(pos)?.index;
        if !self.spans.is_empty() {
            return self.spans.get(i);
        }
        let k = self.kept_at.binary_search(&i).ok()?;
        self.kept.get(k)
    }

    /// The span at tree node `pos`: whole when held, else as far as its line tells.
    pub fn span_or_line(&self, pos: usize) -> Option<Cow<'_, Span>> {
        if let Some(s) = self.span_at(pos) {
            return Some(Cow::Borrowed(s));
        }
        let line = self.line_at(pos)?;
        Some(Cow::Owned(line.to_span(&self.trace_id)))
    }

    /// The spans held whole, in trace order.
    pub fn whole_spans(&self) -> impl Iterator<Item = &Span> {
        self.spans.iter().chain(&self.kept)
    }

    /// The trace's session: from its summary, else from any span held whole.
    pub fn session_id(&self) -> Option<String> {
        self.summary
            .as_ref()
            .and_then(|s| s.session_id.clone())
            .or_else(|| self.whole_spans().find_map(|s| s.session_id.clone()))
    }
}

/// A small, bounded cache of whole spans by store row, oldest dropped first; shared (the
/// trace view and the span detail hold the same one).
#[derive(Debug, Clone, Default)]
pub struct PayloadCache(Arc<Mutex<CachedSpans>>);

/// Whole spans by store row, oldest first.
type CachedSpans = VecDeque<(i64, Arc<Span>)>;

impl PayloadCache {
    pub fn get(&self, row: i64) -> Option<Arc<Span>> {
        let cache = self.0.lock().ok()?;
        cache
            .iter()
            .find(|(r, _)| *r == row)
            .map(|(_, s)| s.clone())
    }

    fn put(&self, row: i64, span: Span) {
        let Ok(mut cache) = self.0.lock() else {
            return;
        };
        if cache.iter().any(|(r, _)| *r == row) {
            return;
        }
        cache.push_back((row, Arc::new(span)));
        while cache.len() > CACHED_PAYLOADS {
            cache.pop_front();
        }
    }

    pub fn len(&self) -> usize {
        self.0.lock().map_or(0, |c| c.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
