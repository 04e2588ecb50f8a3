//! The pane protocol (gitui's component shape). A pane owns its state and changes it only in
//! `update` (a command from its keys) and `receive` (data it asked for); `draw` is a pure
//! function of that state; its keys are data in its `PaneInfo`. A pane reaches the rest of the
//! app only through `Ctx`: request ids, the status line, and `Intent`s (open a pane, go back,
//! open the input line) that `App` carries out. Panes never name each other: what passes
//! between them is a shared type from this module (`SpanFocus`, `JudgePlan`).

use super::action::{Action, Cmd, Effect, JudgeJob, JudgeTarget};
use super::detail::Tab;
use super::keys::{Layers, Mode};
use super::spantree::{TraceData, TreeCursor};
use super::status::{InputKind, Status};
use super::theme::Theme;
use super::widgets::{chrome, text};
use crate::judge::Estimate;
use crate::model::Score;
use crate::model::ScoreSource;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;
use std::sync::Arc;

/// What the app needs to know about a kind of pane before one exists (help lists every pane).
#[derive(Debug)]
pub struct PaneInfo {
    pub mode: Mode,
    /// Breadcrumb in the title bar ("traces", "trace").
    pub label: &'static str,
    /// Section title in the `?` help.
    pub title: &'static str,
    pub keys: Layers,
}

/// Data handed to a pane: taken when it is the pane's, passed on otherwise.
// Moved straight back to the caller: boxing the action would only add an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Receipt {
    Taken(Vec<Effect>),
    Pass(Action),
}

/// News every open pane hears about.
pub enum Notice<'a> {
    /// Fresh scores of a trace (after a verdict, a label or an undo).
    Scores {
        trace_id: &'a str,
        scores: &'a [Score],
    },
    /// Request `req` failed (the app shows the message).
    Failed { req: u64 },
}

/// What the span detail looks at: handed from the trace view when it opens, and back when it
/// closes (the cursor may have jumped, the tab and folding changed).
#[derive(Debug, Clone)]
pub struct SpanFocus {
    pub data: Arc<TraceData>,
    pub scores: Vec<Score>,
    pub tree: TreeCursor,
    pub tab: Tab,
    pub unfold: bool,
}

/// What the evidence pane is opened for: a trace (loaded by the pane unless `data` is given)
/// and the response in it, an LLM span (`None`: the trace's final answer).
#[derive(Debug, Clone)]
pub struct EvidenceFocus {
    pub trace_id: String,
    pub data: Option<Arc<TraceData>>,
    pub scores: Vec<Score>,
    pub span_id: Option<String>,
}

/// What a closing pane gives the pane that comes back into view.
pub enum Handoff {
    /// The span detail returns its tree position, tab and folding to the trace view.
    Span(SpanFocus),
}

/// What a pane asks `App` to do for it; carried out after `update` returns, in order.
#[allow(clippy::large_enum_variant)]
pub enum Intent {
    /// Close this pane (quits from the trace list).
    Back,
    OpenTrace(String),
    OpenSession(String),
    OpenSpan(SpanFocus),
    /// Open the evidence pane for a response.
    OpenEvidence(EvidenceFocus),
    /// Open the input line with this text.
    Prompt(InputKind, String),
    /// Open the judge popup.
    Judge(JudgePlan),
    /// Open the judge set-up form, then run the plan.
    EditJudge(JudgePlan),
    /// Judge with this configuration from now on (the set-up form), then run the plan.
    SetJudge(crate::judge::ProviderConfig, JudgePlan),
    /// Start the confirmed judge run in the background.
    StartJudge(JudgeJob, Estimate),
    /// The structural diff of two traces.
    OpenDiff(String, String),
    /// A replay (by its trace id) beside its original.
    OpenReplay(String),
    /// The replay form for an LLM call (trace id, span id).
    ReplayForm(String, String),
    /// Send the confirmed replay in the background.
    StartReplay(Box<crate::replay::single::Prepared>),
    /// Show the trace list with this filter (then say `what` it shows).
    ShowTraces {
        filter: String,
        what: String,
    },
}

/// What the judge popup is opened for.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgePlan {
    pub target: JudgeTarget,
    /// "3 marked traces", "40 traces (filter)", "re-run grounded on trace abc…".
    pub what: String,
    pub force: bool,
    /// Rules chosen already (a re-run); `None` opens the rule picker.
    pub rules: Option<Vec<String>>,
}

impl JudgePlan {
    /// Re-asks the judge, forced, for the rules this trace has verdicts for.
    pub fn rerun(trace_id: &str, scores: &[Score]) -> Option<JudgePlan> {
        let mut rules: Vec<String> = Vec::new();
        for s in scores.iter().filter(|s| s.source == ScoreSource::Judge) {
            if !rules.contains(&s.name) {
                rules.push(s.name.clone());
            }
        }
        rules.sort();
        if rules.is_empty() {
            return None;
        }
        Some(JudgePlan {
            target: JudgeTarget::Ids(vec![trace_id.to_string()]),
            what: format!(
                "re-run {} on trace {}",
                rules.join(", "),
                text::short_id(trace_id)
            ),
            force: true,
            rules: Some(rules),
        })
    }
}

pub trait Pane: Any {
    fn info(&self) -> &'static PaneInfo;

    /// A command from this pane's keys: the only place its state changes, with `receive`.
    fn update(&mut self, cmd: Cmd, cx: &mut Ctx) -> Vec<Effect>;

    /// Data coming back from the worker; a pane takes what it asked for (by request id) and
    /// passes the rest on.
    fn receive(&mut self, action: Action, _cx: &mut Ctx) -> Receipt {
        Receipt::Pass(action)
    }

    fn notice(&mut self, _notice: &Notice) {}

    /// The terminal changed size (`cx.size`); lists re-measure their viewports.
    /// New spans were stored (a live receiver or a followed file): panes showing stored data
    /// that may have grown re-read it.
    fn stored_more(&mut self, _cx: &mut Ctx) -> Vec<Effect> {
        Vec::new()
    }
    fn resize(&mut self, _cx: &mut Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// The input line this pane opened was submitted.
    fn submit(&mut self, _kind: InputKind, _text: &str, _cx: &mut Ctx) -> Vec<Effect> {
        Vec::new()
    }

    /// A typed character, for a popup whose mode takes text (`Mode::takes_text`).
    fn type_char(&mut self, _c: char) {}

    /// Pure: no SQL, no file I/O, no JSON parsing.
    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme);

    /// The right end of the status line ("span 3/9").
    fn position(&self) -> String {
        String::new()
    }

    /// The trace whose scores this pane shows (reloaded when a verdict arrives).
    fn shown_trace(&self) -> Option<&str> {
        None
    }

    /// The session `c` and `:session` open from here.
    fn current_session(&self) -> Option<String> {
        None
    }

    /// Called when the pane leaves the stack; the result goes to the pane below.
    fn close(&mut self) -> Option<Handoff> {
        None
    }

    fn take_handoff(&mut self, _handoff: Handoff) {}

    /// Settings worth keeping for the next pane of this kind (the metrics view's choices).
    fn keep(&self) -> Option<Box<dyn Any>> {
        None
    }

    fn as_any(&self) -> &dyn Any;
}

/// A pane's handle on the app while it updates.
pub struct Ctx<'a> {
    pub now: DateTime<Utc>,
    /// Terminal size.
    pub size: (u16, u16),
    status: &'a mut Option<Status>,
    next_req: &'a mut u64,
    intents: Vec<Intent>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        now: DateTime<Utc>,
        size: (u16, u16),
        status: &'a mut Option<Status>,
        next_req: &'a mut u64,
    ) -> Ctx<'a> {
        Ctx {
            now,
            size,
            status,
            next_req,
            intents: Vec::new(),
        }
    }

    /// A fresh request id; results tagged with an older one are stale.
    pub fn req(&mut self) -> u64 {
        *self.next_req += 1;
        *self.next_req
    }

    pub fn info(&mut self, text: impl Into<String>) {
        *self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!("status error: {text}");
        *self.status = Some(Status { text, error: true });
    }

    pub fn clear_status(&mut self) {
        *self.status = None;
    }

    /// Copies `text` to the clipboard and says so.
    /// Copies trace-derived text (ids, one per line): what lands in the clipboard is the
    /// displayed, cleaned form of each line, so pasting it never replays escape sequences.
    pub fn copy(&mut self, text: String, what: &str) -> Vec<Effect> {
        let clean: Vec<String> = text.lines().map(crate::sanitize::clean_line).collect();
        self.copy_clean(clean.join("\n"), what)
    }

    /// Copies JSON with everything a terminal would act on escaped inside its strings.
    pub fn copy_json(&mut self, json: String, what: &str) -> Vec<Effect> {
        self.copy_clean(crate::sanitize::json_for_terminal(&json), what)
    }

    fn copy_clean(&mut self, text: String, what: &str) -> Vec<Effect> {
        let preview = text::cell(&crate::sanitize::truncate_chars(&text, 40));
        self.info(format!("copied {what}: {preview}"));
        vec![Effect::Copy { text }]
    }

    pub fn ask(&mut self, intent: Intent) {
        self.intents.push(intent);
    }

    pub fn back(&mut self) {
        self.ask(Intent::Back);
    }

    /// A move that may find nothing: clears the status line, or says why nothing happened.
    pub fn outcome(&mut self, result: Result<(), String>) {
        match result {
            Ok(()) => self.clear_status(),
            Err(why) => self.info(why),
        }
    }

    /// Asks for the judge popup to re-run this trace's verdicts (or says there are none).
    pub fn ask_rerun(&mut self, trace_id: &str, scores: &[Score]) {
        match JudgePlan::rerun(trace_id, scores) {
            Some(plan) => self.ask(Intent::Judge(plan)),
            None => self.error("this trace has no verdicts to re-run (J in the trace list judges)"),
        }
    }

    /// Asks for the replay form of `span` when it is an LLM call (or says why not).
    pub fn ask_replay(&mut self, span: Option<&crate::model::Span>) {
        match span.filter(|s| s.kind == crate::model::SpanKind::Llm) {
            Some(s) => self.ask(Intent::ReplayForm(s.trace_id.clone(), s.span_id.clone())),
            None => self.error("r replays an LLM call: select one first (m jumps to the next)"),
        }
    }

    pub fn into_intents(self) -> Vec<Intent> {
        self.intents
    }

    /// The area panes draw in at the current terminal size.
    pub fn body(&self) -> Rect {
        chrome::body_area(self.size)
    }
}
