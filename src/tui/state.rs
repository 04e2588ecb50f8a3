//! The state the views draw from. Only `App::update` changes it.

use super::action::Badges;
use crate::model::{Span, SpanKind, SpanTree};
use crate::store::{ScoreRow, SortKey, TraceFilter, TraceSummary};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Rows fetched per page of the virtualised trace list.
pub const PAGE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    List,
    Trace,
    Span,
    Session,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    Command,
}

impl InputKind {
    pub fn prompt(self) -> &'static str {
        match self {
            InputKind::Filter => "filter> ",
            InputKind::Search => "/",
            InputKind::Command => ":",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Messages,
    Documents,
    Attributes,
    Cost,
}

impl Tab {
    pub const ALL: [Tab; 4] = [Tab::Messages, Tab::Documents, Tab::Attributes, Tab::Cost];
    pub fn label(self) -> &'static str {
        match self {
            Tab::Messages => "Messages",
            Tab::Documents => "Documents",
            Tab::Attributes => "Attributes",
            Tab::Cost => "Cost",
        }
    }
    pub fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub filter_text: String,
    pub filter: TraceFilter,
    pub sort: SortKey,
    pub desc: bool,
    pub total: usize,
    /// Absolute index of `rows[0]`.
    pub offset: usize,
    pub rows: Vec<TraceSummary>,
    pub badges: HashMap<String, Badges>,
    pub selected: usize,
    pub scroll: usize,
    pub marks: BTreeSet<String>,
    pub search: Option<String>,
    pub req: u64,
    pub in_flight: bool,
    pub pending_offset: Option<usize>,
    pub refresh_pending: bool,
    pub loaded: bool,
}

impl ListState {
    pub fn row(&self, i: usize) -> Option<&TraceSummary> {
        i.checked_sub(self.offset).and_then(|k| self.rows.get(k))
    }
    pub fn selected_row(&self) -> Option<&TraceSummary> {
        self.row(self.selected)
    }
}

/// Style class of a precomputed detail line (the theme maps it to a style).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Heading,
    Role,
    Body,
    Dim,
    Error,
    Bar,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DetailLine {
    pub kind: LineKind,
    pub text: String,
}

impl DetailLine {
    pub fn new(kind: LineKind, text: impl Into<String>) -> Self {
        DetailLine {
            kind,
            text: text.into(),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct TraceState {
    pub trace_id: String,
    pub req: u64,
    pub loading: bool,
    pub summary: Option<TraceSummary>,
    pub spans: Vec<Span>,
    pub tree: SpanTree,
    /// Tree node positions whose children are hidden.
    pub collapsed: HashSet<usize>,
    /// Tree node positions shown, in display order (ascending).
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub scroll: usize,
    pub scores: Vec<ScoreRow>,
    pub t0: i64,
    pub t1: i64,
    pub search: Option<String>,
    pub tab: Tab,
    pub unfold: bool,
    pub detail: Vec<DetailLine>,
    pub detail_scroll: usize,
}

impl TraceState {
    /// The span under the cursor.
    pub fn selected_span(&self) -> Option<&Span> {
        let node = self.tree.nodes.get(*self.visible.get(self.selected)?)?;
        self.spans.get(node.index)
    }

    pub fn recompute_visible(&mut self) {
        let keep = self.visible.get(self.selected).copied();
        self.visible.clear();
        let mut skip: Option<usize> = None;
        for (pos, node) in self.tree.nodes.iter().enumerate() {
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
        if let Some(k) = keep {
            self.selected = match self.visible.binary_search(&k) {
                Ok(i) => i,
                Err(i) => i.saturating_sub(1),
            };
        }
        self.selected = self.selected.min(self.visible.len().saturating_sub(1));
    }

    /// Expands the ancestors of tree node `pos` and selects it.
    pub fn reveal(&mut self, pos: usize) {
        let Some(node) = self.tree.nodes.get(pos) else {
            return;
        };
        let mut depth = node.depth;
        for p in (0..pos).rev() {
            if depth == 0 {
                break;
            }
            if let Some(n) = self.tree.nodes.get(p)
                && n.depth < depth
            {
                self.collapsed.remove(&p);
                depth = n.depth;
            }
        }
        self.recompute_visible();
        if let Ok(i) = self.visible.binary_search(&pos) {
            self.selected = i;
        }
    }

    pub fn span_at(&self, pos: usize) -> Option<&Span> {
        self.tree
            .nodes
            .get(pos)
            .and_then(|n| self.spans.get(n.index))
    }
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
}

#[derive(Debug, Clone, Default)]
pub struct SessionState {
    pub session_id: String,
    pub req: u64,
    pub loading: bool,
    pub traces: Vec<TraceSummary>,
    pub selected: usize,
}
