//! A loaded trace and a position in its span tree, shared by the trace view and the span
//! detail: folding, jumping to the next LLM call, error or tool call, and span search.

pub use super::trace_data::{OpenedSpans, PayloadCache, TraceData};
use super::widgets::scroll::{ScrollList, find_cyclic};
use crate::model::{Span, SpanKind, SpanLine};
use std::collections::HashSet;

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

    /// The whole span under the cursor, when the data holds it (see [`TraceData::span_at`]).
    pub fn selected_span<'a>(&self, data: &'a TraceData) -> Option<&'a Span> {
        data.span_at(self.selected_pos()?)
    }

    /// The line of the span under the cursor.
    pub fn selected_line<'a>(&self, data: &'a TraceData) -> Option<&'a SpanLine> {
        data.line_at(self.selected_pos()?)
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
        pred: impl Fn(&SpanLine) -> bool,
    ) -> bool {
        let cur = self.selected_pos().unwrap_or(0);
        let found = find_cyclic(data.tree.nodes.len(), cur, forward, inclusive, |p| {
            data.line_at(p).is_some_and(&pred)
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

fn span_matches(s: &SpanLine, q: &str) -> bool {
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
    pub fn matches(self, s: &SpanLine) -> bool {
        match self {
            Jump::Llm => s.kind == SpanKind::Llm,
            Jump::Error => s.is_error(),
            Jump::Tool => s.kind == SpanKind::Tool || s.asks_tools,
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
