//! A loaded trace and a position in its span tree, shared by the trace view and the span
//! detail: folding, jumping to the next LLM call, error or tool call, and span search.

use super::widgets::scroll::{ScrollList, find_cyclic};
use crate::model::Trace;
use crate::model::{Span, SpanKind, SpanTree};
use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

/// Whole spans of a big trace kept decoded at once: the detail's span and the last few it
/// showed (a trace view's memory stays proportional to the screen, not to the trace).
const CACHED_PAYLOADS: usize = 64;

/// A trace's spans as loaded, with its tree and time range (read-only once built).
#[derive(Debug, Clone, Default)]
pub struct TraceData {
    pub trace_id: String,
    pub summary: Option<Trace>,
    pub spans: Vec<Span>,
    pub tree: SpanTree,
    /// First start and last end, for the waterfall.
    pub t0: i64,
    pub t1: i64,
    /// A big trace opened on its skeleton: the store row of each span (by index of `spans`),
    /// whose spans then hold only what a tree line shows (names, kinds, times, status, model,
    /// tokens, cost); whole spans come on demand into `payloads`. Empty when every span is
    /// whole.
    pub rows: Vec<i64>,
    /// Whole spans of a lean trace, shared by the views of it (the trace and its detail).
    pub payloads: PayloadCache,
}

impl TraceData {
    pub fn new(trace_id: String, summary: Option<Trace>, mut spans: Vec<Span>) -> Self {
        crate::model::mark_aggregates(&mut spans);
        let tree = SpanTree::build(&spans);
        let t0 = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let t1 = spans
            .iter()
            .map(|s| s.end_ns.unwrap_or(s.start_ns))
            .max()
            .unwrap_or(t0)
            .max(t0);
        TraceData {
            trace_id,
            summary,
            spans,
            tree,
            t0,
            t1,
            rows: Vec::new(),
            payloads: PayloadCache::default(),
        }
    }

    /// A trace opened on its skeleton: `spans` hold what a tree line shows and `rows[i]` is
    /// the store row of `spans[i]` (see [`TraceData::rows`]).
    pub fn lean(
        trace_id: String,
        summary: Option<Trace>,
        spans: Vec<Span>,
        rows: Vec<i64>,
    ) -> Self {
        let mut data = TraceData::new(trace_id, summary, spans);
        if rows.len() == data.spans.len() {
            data.rows = rows;
        }
        data
    }

    /// Whether spans are read whole on demand (see [`TraceData::rows`]).
    pub fn is_lean(&self) -> bool {
        !self.rows.is_empty()
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

    /// Keeps whole spans read for this trace; each takes the aggregate mark its row has here
    /// (the mark is the whole trace's to make, not the payload's).
    pub fn keep_payloads(&self, whole: Vec<(i64, Span)>) {
        for (row, mut span) in whole {
            let Some(i) = self.rows.iter().position(|r| *r == row) else {
                continue;
            };
            let aggregate = self
                .spans
                .get(i)
                .and_then(|s| s.usage.as_ref())
                .is_some_and(|u| u.aggregate);
            if let Some(u) = span.usage.as_mut() {
                u.aggregate = aggregate;
            }
            self.payloads.put(row, span);
        }
    }

    /// The span at tree node `pos`.
    pub fn span_at(&self, pos: usize) -> Option<&Span> {
        self.tree
            .nodes
            .get(pos)
            .and_then(|n| self.spans.get(n.index))
    }

    /// The trace's session: from its summary, else from any span.
    pub fn session_id(&self) -> Option<String> {
        self.summary
            .as_ref()
            .and_then(|s| s.session_id.clone())
            .or_else(|| self.spans.iter().find_map(|s| s.session_id.clone()))
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

/// Which tree nodes are folded and shown, and the cursor over the shown ones.
#[derive(Debug, Clone, Default)]
pub struct TreeCursor {
    /// Tree node positions whose children are hidden.
    pub collapsed: HashSet<usize>,
    /// Tree node positions shown, in display order (ascending).
    pub visible: Vec<usize>,
    /// Cursor and scroll over `visible`.
    pub list: ScrollList,
}

impl TreeCursor {
    /// Everything unfolded, cursor on the first span.
    pub fn new(data: &TraceData, viewport: usize) -> TreeCursor {
        let mut c = TreeCursor::default();
        c.list.set_viewport(viewport);
        c.recompute_visible(data);
        c.list.reset();
        c
    }

    /// The tree node under the cursor.
    pub fn selected_pos(&self) -> Option<usize> {
        self.visible.get(self.list.selected()).copied()
    }

    pub fn selected_span<'a>(&self, data: &'a TraceData) -> Option<&'a Span> {
        data.span_at(self.selected_pos()?)
    }

    /// Rebuilds `visible` after folding, keeping the cursor on the same span (or the nearest
    /// one above it when that span is now hidden).
    pub fn recompute_visible(&mut self, data: &TraceData) {
        let keep = self.selected_pos();
        self.visible.clear();
        let mut skip: Option<usize> = None;
        for (pos, node) in data.tree.nodes.iter().enumerate() {
            if let Some(d) = skip {
                if node.depth > d {
                    continue;
                }
                skip = None;
            }
            self.visible.push(pos);
            if self.collapsed.contains(&pos) && !node.children.is_empty() {
                skip = Some(node.depth);
            }
        }
        self.list.set_len(self.visible.len());
        if let Some(k) = keep {
            let i = match self.visible.binary_search(&k) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
            self.list.select(i);
        }
    }

    /// Unfolds the ancestors of tree node `pos` and puts the cursor on it.
    pub fn reveal(&mut self, data: &TraceData, pos: usize) {
        let Some(node) = data.tree.nodes.get(pos) else {
            return;
        };
        let mut depth = node.depth;
        for p in (0..pos).rev() {
            if depth == 0 {
                break;
            }
            if let Some(n) = data.tree.nodes.get(p)
                && n.depth < depth
            {
                self.collapsed.remove(&p);
                depth = n.depth;
            }
        }
        self.recompute_visible(data);
        if let Ok(i) = self.visible.binary_search(&pos) {
            self.list.select(i);
        }
    }

    /// Folds the span under the cursor; on a leaf or a folded span, goes to its parent (as
    /// file trees do).
    pub fn collapse(&mut self, data: &TraceData) {
        let Some(pos) = self.selected_pos() else {
            return;
        };
        let Some(node) = data.tree.nodes.get(pos) else {
            return;
        };
        if !node.children.is_empty() && !self.collapsed.contains(&pos) {
            self.collapsed.insert(pos);
            self.recompute_visible(data);
            return;
        }
        let depth = node.depth;
        if let Some(i) = (0..self.list.selected()).rev().find(|&i| {
            self.visible
                .get(i)
                .and_then(|&p| data.tree.nodes.get(p))
                .is_some_and(|n| n.depth < depth)
        }) {
            self.list.select(i);
        }
    }

    pub fn expand(&mut self, data: &TraceData) {
        if let Some(pos) = self.selected_pos() {
            self.collapsed.remove(&pos);
            self.recompute_visible(data);
        }
    }

    /// Moves to the next (or previous) span of a kind; says so when there is none.
    pub fn jump(&mut self, data: &TraceData, kind: Jump, forward: bool) -> Result<(), String> {
        if self.find(data, forward, false, |s| kind.matches(s)) {
            Ok(())
        } else {
            Err(kind.none_message(forward))
        }
    }

    /// "span 3/9": the cursor among the shown spans.
    pub fn position(&self) -> String {
        format!("span {}/{} ", self.list.selected() + 1, self.visible.len())
    }

    /// Moves to the next (or previous) span whose name, model or kind contains `query`;
    /// `inclusive` counts the current span.
    pub fn search(
        &mut self,
        data: &TraceData,
        query: &str,
        forward: bool,
        inclusive: bool,
    ) -> bool {
        self.find(data, forward, inclusive, |s| span_matches(s, query))
    }

    fn find(
        &mut self,
        data: &TraceData,
        forward: bool,
        inclusive: bool,
        pred: impl Fn(&Span) -> bool,
    ) -> bool {
        let cur = self.selected_pos().unwrap_or(0);
        let found = find_cyclic(data.tree.nodes.len(), cur, forward, inclusive, |p| {
            data.span_at(p).is_some_and(&pred)
        });
        match found {
            Some(p) => {
                self.reveal(data, p);
                true
            }
            None => false,
        }
    }
}

fn span_matches(s: &Span, q: &str) -> bool {
    let hit = |x: Option<&str>| x.is_some_and(|x| x.to_lowercase().contains(q));
    hit(Some(&s.name)) || hit(s.model.as_deref()) || hit(Some(s.kind.as_str()))
}

/// What the span-jump keys look for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    Llm,
    Error,
    Tool,
}

impl Jump {
    pub fn matches(self, s: &Span) -> bool {
        match self {
            Jump::Llm => s.kind == SpanKind::Llm,
            Jump::Error => s.is_error(),
            Jump::Tool => {
                s.kind == SpanKind::Tool
                    || s.output_messages.iter().any(|m| !m.tool_calls.is_empty())
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Jump::Llm => "LLM call",
            Jump::Error => "error",
            Jump::Tool => "tool call",
        }
    }

    /// The jump a command asks for: (kind, forward).
    pub fn of(cmd: super::action::Cmd) -> Option<(Jump, bool)> {
        use super::action::Cmd;
        Some(match cmd {
            Cmd::NextLlm => (Jump::Llm, true),
            Cmd::PrevLlm => (Jump::Llm, false),
            Cmd::NextError => (Jump::Error, true),
            Cmd::PrevError => (Jump::Error, false),
            Cmd::NextTool => (Jump::Tool, true),
            Cmd::PrevTool => (Jump::Tool, false),
            _ => return None,
        })
    }

    /// "no next LLM call".
    pub fn none_message(self, forward: bool) -> String {
        format!(
            "no {} {}",
            if forward { "next" } else { "previous" },
            self.label()
        )
    }
}
