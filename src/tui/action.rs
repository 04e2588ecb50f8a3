//! Everything that can happen to the app (`Action`) and everything the app asks the outside world
//! to do (`Effect`). User commands are a small `Copy` enum so the keymap can be a static table.

use super::compare::{CompareAction, CompareEffect};
use crate::judge::{Estimate, JudgeEvent, JudgeRequest, ProviderConfig};
use crate::metrics::agreement::RuleAgreement;
use crate::metrics::{Bucket, BucketStats, GroupBy};
use crate::model::{Score, ScoreSource, Span, Trace, Verdict};
use crate::store::{SortKey, TraceFilter};
use std::collections::BTreeSet;

/// A user command: what a key (or a `:` command) means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmd {
    Quit,
    Back,
    Cancel,
    Up,
    Down,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Collapse,
    Expand,
    NextLlm,
    PrevLlm,
    NextError,
    PrevError,
    NextTool,
    PrevTool,
    NextTab,
    PrevTab,
    ToggleHelp,
    CommandLine,
    FilterLine,
    ClearFilter,
    Search,
    SearchNext,
    SearchPrev,
    ToggleMark,
    CycleSort,
    FlipSort,
    Copy,
    Session,
    ToggleFold,
    InputSubmit,
    InputCancel,
    InputBackspace,
    /// Judge the marked traces (or the filter): opens the rule picker.
    Judge,
    /// Re-run the verdicts of the open trace (force).
    Rerun,
    /// Cancel the background judge run.
    JudgeCancel,
    /// Open the judge set-up form (provider, base URL, model, key variable).
    JudgeSettings,
    /// Continue / confirm in a popup.
    Confirm,
    /// Pick (toggle or focus) the n-th item, 1-based.
    Pick(u8),
    /// Open the span detail on the verdicts tab.
    Verdicts,
    Triage,
    LabelTrue,
    LabelFalse,
    LabelNa,
    Note,
    Next,
    Prev,
    Undo,
    Agreement,
    Metrics,
    CycleBucket,
    CycleGroup,
    /// Open the evidence pane: a response beside the passages in its prompt.
    Evidence,
    /// Diff the two marked traces.
    Diff,
    /// Open the replay form for the selected LLM call.
    Replay,
    /// Edit the selected text in `$EDITOR`.
    Edit,
}

impl Cmd {
    pub const ALL: &'static [Cmd] = &[
        Cmd::Quit,
        Cmd::Back,
        Cmd::Cancel,
        Cmd::Up,
        Cmd::Down,
        Cmd::Top,
        Cmd::Bottom,
        Cmd::PageDown,
        Cmd::PageUp,
        Cmd::Open,
        Cmd::Collapse,
        Cmd::Expand,
        Cmd::NextLlm,
        Cmd::PrevLlm,
        Cmd::NextError,
        Cmd::PrevError,
        Cmd::NextTool,
        Cmd::PrevTool,
        Cmd::NextTab,
        Cmd::PrevTab,
        Cmd::ToggleHelp,
        Cmd::CommandLine,
        Cmd::FilterLine,
        Cmd::ClearFilter,
        Cmd::Search,
        Cmd::SearchNext,
        Cmd::SearchPrev,
        Cmd::ToggleMark,
        Cmd::CycleSort,
        Cmd::FlipSort,
        Cmd::JudgeSettings,
        Cmd::Copy,
        Cmd::Session,
        Cmd::ToggleFold,
        Cmd::InputSubmit,
        Cmd::InputCancel,
        Cmd::InputBackspace,
        Cmd::Judge,
        Cmd::Rerun,
        Cmd::JudgeCancel,
        Cmd::Confirm,
        Cmd::Pick(1),
        Cmd::Pick(2),
        Cmd::Pick(3),
        Cmd::Pick(4),
        Cmd::Pick(5),
        Cmd::Pick(6),
        Cmd::Pick(7),
        Cmd::Pick(8),
        Cmd::Pick(9),
        Cmd::Verdicts,
        Cmd::Triage,
        Cmd::LabelTrue,
        Cmd::LabelFalse,
        Cmd::LabelNa,
        Cmd::Note,
        Cmd::Next,
        Cmd::Prev,
        Cmd::Undo,
        Cmd::Agreement,
        Cmd::Metrics,
        Cmd::CycleBucket,
        Cmd::CycleGroup,
        Cmd::Evidence,
        Cmd::Diff,
        Cmd::Replay,
        Cmd::Edit,
    ];
}

/// Latest judge verdict per rule, for the list badges.
pub type Badges = Vec<(String, Verdict)>;

/// Import progress as shown in the status line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportStatus {
    pub file: String,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub spans: u64,
    /// Tailing the file (`--follow`): it never finishes by itself.
    pub following: bool,
}

// A few dozen actions per second at most: boxing the big variants would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Action {
    Cmd(Cmd),
    InputChar(char),
    Resize(u16, u16),
    /// Load the first page.
    Init,
    PageLoaded {
        req: u64,
        offset: usize,
        total: usize,
        rows: Vec<Trace>,
        badges: Vec<(String, Badges)>,
        /// First and last trace start in the store (the list's date format, date hints).
        range: Option<(i64, i64)>,
    },
    TraceLoaded {
        req: u64,
        summary: Option<Trace>,
        spans: Vec<Span>,
        scores: Vec<Score>,
    },
    /// A trace opened in the trace view ([`Effect::OpenTrace`]): whole, a big one's lines
    /// (payloads on demand), or unchanged since the view read it.
    TraceOpened {
        req: u64,
        summary: Option<Trace>,
        spans: crate::tui::trace_data::OpenedSpans,
        scores: Vec<Score>,
    },
    /// Whole spans of a big trace, by store row ([`Effect::LoadPayloads`]).
    PayloadsLoaded {
        req: u64,
        result: Result<Vec<(i64, Span)>, String>,
    },
    SessionLoaded {
        req: u64,
        session_id: String,
        traces: Vec<Trace>,
    },
    Resolved {
        req: u64,
        trace_id: Option<String>,
    },
    RequestFailed {
        req: u64,
        message: String,
    },
    ImportProgress(ImportStatus),
    /// Something else committed to the store (`trawl listen` or an import in another
    /// process): the list and an open trace read again, like live progress.
    StoreChanged,
    ImportDone {
        message: String,
        ok: bool,
    },
    RulesLoaded {
        req: u64,
        result: Result<Vec<RuleChoice>, String>,
    },
    JudgeEstimated {
        req: u64,
        result: Result<(JudgeJob, Estimate), String>,
    },
    /// An event of background judge run `run`.
    Judge {
        run: u64,
        event: JudgeEvent,
    },
    /// Fresh scores of one trace (after a verdict, a label or an undo).
    ScoresLoaded {
        trace_id: String,
        scores: Vec<Score>,
    },
    TriageLoaded {
        req: u64,
        items: Vec<TriageItem>,
    },
    TriageItemLoaded {
        req: u64,
        content: TriageContent,
    },
    Labeled {
        req: u64,
        id: i64,
        trace_id: String,
        rule: String,
        verdict: Verdict,
    },
    LabelDeleted {
        req: u64,
        trace_id: String,
        rule: String,
    },
    MetricsLoaded {
        req: u64,
        stats: Vec<BucketStats>,
    },
    AgreementLoaded {
        req: u64,
        rules: Vec<RuleAgreement>,
    },
    /// Trace diffs and replays (`tui::compare`).
    Compare(CompareAction),
    RuleTrendsLoaded {
        req: u64,
        trends: Vec<crate::metrics::RuleTrend>,
    },
}

/// A judge request ready to run (compared by what it judges, for effect equality in tests).
#[derive(Debug, Clone)]
pub struct JudgeJob(pub JudgeRequest);

impl PartialEq for JudgeJob {
    fn eq(&self, other: &JudgeJob) -> bool {
        let ids = |j: &JudgeJob| j.0.rules.iter().map(|r| r.id.clone()).collect::<Vec<_>>();
        self.0.trace_ids == other.0.trace_ids
            && ids(self) == ids(other)
            && self.0.force == other.0.force
            && self.0.provider == other.0.provider
    }
}

/// What a judge run covers: the marked traces or everything the filter matches.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum JudgeTarget {
    Ids(Vec<String>),
    Filter(TraceFilter),
}

/// A human label to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLabel {
    pub trace_id: String,
    pub rule: String,
    pub verdict: Verdict,
    pub note: Option<String>,
    pub author: String,
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

/// Everything the triage screen shows for one trace (extracted on the worker thread).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TriageContent {
    pub trace_id: String,
    pub summary: Option<Trace>,
    pub question: Option<String>,
    pub answer: Option<String>,
    /// The answer's passages, staged and deduplicated (what triage shows).
    pub evidence: crate::model::evidence::Evidence,
    pub scores: Vec<Score>,
}

/// Per rule of a triaged trace: the latest judge verdict and the latest human label.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleVerdicts {
    pub rule: String,
    pub judge: Option<Score>,
    pub human: Option<Score>,
}

impl TriageContent {
    /// The latest judge verdict and human label per rule (scores come newest first).
    pub fn rules(&self) -> Vec<RuleVerdicts> {
        let scores = &self.scores;
        let mut names: Vec<String> = scores.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        let latest = |rule: &str, source| {
            scores
                .iter()
                .find(|s| s.name == rule && s.source == source)
                .cloned()
        };
        names
            .into_iter()
            .map(|rule| RuleVerdicts {
                judge: latest(&rule, ScoreSource::Judge),
                human: latest(&rule, ScoreSource::Human),
                rule,
            })
            .collect()
    }
}

/// Work for the runtime: queries go to the worker thread, copies to the terminal.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    FetchPage {
        req: u64,
        filter: TraceFilter,
        sort: SortKey,
        desc: bool,
        offset: usize,
        limit: usize,
    },
    LoadTrace {
        req: u64,
        trace_id: String,
    },
    /// A trace for the trace view: whole when small, else its skeleton (payloads on demand).
    /// `shown` is how many spans the view already shows (0 when none): a trace that still
    /// has as many is not read again.
    OpenTrace {
        req: u64,
        trace_id: String,
        shown: usize,
    },
    /// The whole spans stored under these rows (a big trace's payloads on demand).
    LoadPayloads {
        req: u64,
        rows: Vec<i64>,
    },
    LoadSession {
        req: u64,
        session_id: String,
    },
    Resolve {
        req: u64,
        id: String,
    },
    Copy {
        text: String,
    },
    LoadRules {
        req: u64,
    },
    EstimateJudge {
        req: u64,
        rules: Vec<String>,
        target: JudgeTarget,
        provider: ProviderConfig,
        force: bool,
    },
    StartJudge {
        run: u64,
        job: JudgeJob,
    },
    CancelJudge {
        run: u64,
    },
    LoadScores {
        trace_id: String,
    },
    LoadTriage {
        req: u64,
        filter: TraceFilter,
    },
    LoadTriageItem {
        req: u64,
        trace_id: String,
    },
    AddLabel {
        req: u64,
        label: NewLabel,
    },
    DeleteLabel {
        req: u64,
        id: i64,
        trace_id: String,
        rule: String,
    },
    LoadMetrics {
        req: u64,
        filter: TraceFilter,
        bucket: Bucket,
        group: Option<GroupBy>,
    },
    LoadAgreement {
        req: u64,
    },
    /// Trace diffs and replays (`tui::compare`).
    Compare(CompareEffect),
    /// The FALSE rate per rule over the last days, for the trace list's sparklines.
    LoadRuleTrends {
        req: u64,
        filter: TraceFilter,
    },
}
