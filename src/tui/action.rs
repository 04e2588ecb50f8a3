//! Everything that can happen to the app (`Action`) and everything the app asks the outside world
//! to do (`Effect`). User commands are a small `Copy` enum so the keymap can be a static table.

use crate::model::{Span, Verdict};
use crate::store::{ScoreRow, SortKey, TraceFilter, TraceSummary};

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
        Cmd::Copy,
        Cmd::Session,
        Cmd::ToggleFold,
        Cmd::InputSubmit,
        Cmd::InputCancel,
        Cmd::InputBackspace,
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
        rows: Vec<TraceSummary>,
        badges: Vec<(String, Badges)>,
    },
    TraceLoaded {
        req: u64,
        summary: Option<TraceSummary>,
        spans: Vec<Span>,
        scores: Vec<ScoreRow>,
    },
    SessionLoaded {
        req: u64,
        session_id: String,
        traces: Vec<TraceSummary>,
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
    ImportDone {
        message: String,
        ok: bool,
    },
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
}
