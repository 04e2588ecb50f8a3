//! The state the views draw from. Only `App::update` changes it.

use super::action::{AgreementRow, Badges, Disagree, JudgeJob, JudgeTarget};
use crate::judge::Estimate;
use crate::metrics::{Bucket, BucketStats, GroupBy};
use crate::model::Verdict;
use crate::model::{Score, Span, SpanKind, SpanTree, Trace};
use crate::store::{SortKey, TraceFilter};
use std::collections::{BTreeSet, HashMap, HashSet};

/// Rows fetched per page of the virtualised trace list.
pub const PAGE: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    List,
    Trace,
    Span,
    Session,
    Triage,
    Metrics,
    Agreement,
}

impl View {
    pub fn label(self) -> &'static str {
        match self {
            View::List => "traces",
            View::Trace => "trace",
            View::Span => "span",
            View::Session => "session",
            View::Triage => "triage",
            View::Metrics => "metrics",
            View::Agreement => "agreement",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    Command,
    Note,
}

impl InputKind {
    pub fn prompt(self) -> &'static str {
        match self {
            InputKind::Filter => "filter> ",
            InputKind::Search => "/",
            InputKind::Command => ":",
            InputKind::Note => "note> ",
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
    pub rows: Vec<Trace>,
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
    pub fn row(&self, i: usize) -> Option<&Trace> {
        i.checked_sub(self.offset).and_then(|k| self.rows.get(k))
    }
    pub fn selected_row(&self) -> Option<&Trace> {
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
    pub summary: Option<Trace>,
    pub spans: Vec<Span>,
    pub tree: SpanTree,
    /// Tree node positions whose children are hidden.
    pub collapsed: HashSet<usize>,
    /// Tree node positions shown, in display order (ascending).
    pub visible: Vec<usize>,
    /// Index into `visible`.
    pub selected: usize,
    pub scroll: usize,
    pub scores: Vec<Score>,
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
    pub traces: Vec<Trace>,
    pub selected: usize,
}

/// A rule in the judge picker.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleChoice {
    pub id: String,
    pub title: Option<String>,
    /// `trace` or `span`.
    pub target: String,
    pub on: bool,
}

// One popup at a time: boxing the confirm stage would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum JudgeStage {
    LoadingRules,
    Pick {
        rules: Vec<RuleChoice>,
        cursor: usize,
    },
    Estimating,
    Confirm {
        job: JudgeJob,
        estimate: Estimate,
    },
}

/// The `J` popup: pick rules, then confirm the estimate.
#[derive(Debug, Clone)]
pub struct JudgePopup {
    pub req: u64,
    pub stage: JudgeStage,
    pub target: JudgeTarget,
    /// "3 marked traces", "40 traces (filter)", "re-run trace abc…".
    pub what: String,
    pub force: bool,
}

/// A background judge run, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeRun {
    pub id: u64,
    pub done: usize,
    pub total: usize,
    pub est_cost: Option<f64>,
    pub model: String,
    pub paused: Option<String>,
}

impl JudgeRun {
    /// The estimate pro-rated by progress (the exact figure comes with the summary).
    pub fn cost_so_far(&self) -> Option<f64> {
        let c = self.est_cost?;
        if self.total == 0 {
            return Some(0.0);
        }
        Some(c * self.done as f64 / self.total as f64)
    }
}

/// One flagged trace in the triage queue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriageItem {
    pub trace_id: String,
    /// Rules whose latest judge verdict is FALSE or error.
    pub flagged: Vec<String>,
    /// Rules with a human label.
    pub labeled: BTreeSet<String>,
}

impl TriageItem {
    pub fn done(&self) -> bool {
        self.flagged.iter().all(|r| self.labeled.contains(r))
    }
}

/// A retrieved document as the triage view shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocView {
    pub id: Option<String>,
    pub score: Option<f64>,
    pub content: String,
}

/// Everything the triage screen shows for one trace (extracted on the worker thread).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriageContent {
    pub trace_id: String,
    pub summary: Option<Trace>,
    pub question: Option<String>,
    pub answer: Option<String>,
    pub documents: Vec<DocView>,
    pub scores: Vec<Score>,
}

/// Per rule on the triage screen: the latest judge verdict and the latest human label.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleVerdicts {
    pub rule: String,
    pub judge: Option<Score>,
    pub human: Option<Score>,
}

/// A label this session made (for undo).
#[derive(Debug, Clone, PartialEq)]
pub struct MadeLabel {
    pub id: i64,
    pub trace_id: String,
    pub rule: String,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, Default)]
pub struct TriageState {
    pub req: u64,
    pub loading: bool,
    pub items: Vec<TriageItem>,
    pub index: usize,
    pub item_req: u64,
    pub content: Option<TriageContent>,
    /// Rules of the current trace (judge verdict and human label each), in display order.
    pub rules: Vec<RuleVerdicts>,
    pub focus: usize,
    /// Question, answer and documents, precomputed for drawing.
    pub lines: Vec<DetailLine>,
    pub scroll: usize,
    pub made: Vec<MadeLabel>,
    pub pending_note: Option<String>,
    pub label_req: u64,
}

impl TriageState {
    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.done()).count()
    }
    pub fn current(&self) -> Option<&TriageItem> {
        self.items.get(self.index)
    }
    pub fn focused_rule(&self) -> Option<&RuleVerdicts> {
        self.rules.get(self.focus)
    }
}

/// What the metrics chart plots.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricKind {
    Traces,
    ErrorRate,
    LatencyP50,
    LatencyP95,
    Cost,
    Tokens,
    FalseRate(String),
}

impl MetricKind {
    pub fn label(&self) -> String {
        match self {
            MetricKind::Traces => "traces".into(),
            MetricKind::ErrorRate => "error rate".into(),
            MetricKind::LatencyP50 => "latency p50".into(),
            MetricKind::LatencyP95 => "latency p95".into(),
            MetricKind::Cost => "cost".into(),
            MetricKind::Tokens => "tokens".into(),
            MetricKind::FalseRate(r) => format!("{r} FALSE rate"),
        }
    }

    pub fn value(&self, b: &BucketStats) -> Option<f64> {
        match self {
            MetricKind::Traces => Some(b.traces as f64),
            MetricKind::ErrorRate => Some(b.error_rate),
            MetricKind::LatencyP50 => b.latency_p50_ms,
            MetricKind::LatencyP95 => b.latency_p95_ms,
            MetricKind::Cost => Some(b.cost_usd),
            MetricKind::Tokens => Some((b.input_tokens + b.output_tokens) as f64),
            MetricKind::FalseRate(r) => b.rules.get(r).and_then(|s| s.false_rate),
        }
    }

    pub fn format(&self, v: Option<f64>) -> String {
        let Some(v) = v else {
            return "-".into();
        };
        match self {
            MetricKind::Traces | MetricKind::Tokens => super::text::thousands(v.round() as i64),
            MetricKind::ErrorRate | MetricKind::FalseRate(_) => format!("{:.1}%", v * 100.0),
            MetricKind::LatencyP50 | MetricKind::LatencyP95 => {
                crate::display::duration_ns((v * 1e6) as i64)
            }
            MetricKind::Cost => crate::display::cost_value(v),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MetricsState {
    pub req: u64,
    pub loading: bool,
    pub bucket: Bucket,
    pub group_by: Option<GroupBy>,
    pub stats: Vec<BucketStats>,
    /// Groups present (one `None` entry when not grouped).
    pub groups: Vec<Option<String>>,
    pub group: usize,
    pub metrics: Vec<MetricKind>,
    pub metric: usize,
    /// Index into the selected group's series.
    pub selected: usize,
}

impl MetricsState {
    pub fn new(req: u64) -> MetricsState {
        MetricsState {
            req,
            loading: true,
            bucket: Bucket::Day,
            group_by: None,
            stats: Vec::new(),
            groups: vec![None],
            group: 0,
            metrics: Vec::new(),
            metric: 0,
            selected: 0,
        }
    }

    /// The selected group's buckets, oldest first.
    pub fn series(&self) -> Vec<&BucketStats> {
        let g = self.groups.get(self.group).cloned().flatten();
        self.stats.iter().filter(|b| b.group == g).collect()
    }

    pub fn metric_kind(&self) -> MetricKind {
        self.metrics
            .get(self.metric)
            .cloned()
            .unwrap_or(MetricKind::Traces)
    }
}

#[derive(Debug, Clone, Default)]
pub struct AgreementState {
    pub req: u64,
    pub loading: bool,
    pub rules: Vec<AgreementRow>,
    /// (rule, disagreement) in display order.
    pub rows: Vec<(String, Disagree)>,
    pub selected: usize,
    pub missing: Option<String>,
}
