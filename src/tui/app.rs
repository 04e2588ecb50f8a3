//! The app: a stack of panes over the trace list, a popup slot, the help overlay, the input
//! line and the status line. `update` routes each action: keys to the focused pane, data to the
//! pane that asked for it, news to every pane; then it carries out what the panes asked for
//! (`Intent`s) and returns the effects for the runtime (or `dispatch`, headless) to run.

use super::action::{Action, Cmd, Effect, ImportStatus};
use super::commandline::{self, Command};
use super::keymap;
use super::keys::Mode;
use super::pane::{Ctx, Intent, Notice, Pane, Receipt};
use super::panes::agreement::AgreementPane;
use super::panes::help::HelpPane;
use super::panes::judge::JudgePane;
use super::panes::list::ListPane;
use super::panes::metrics::MetricsPane;
use super::panes::session::SessionPane;
use super::panes::span::SpanPane;
use super::panes::trace::TracePane;
use super::panes::triage::TriagePane;
use super::stack::PaneStack;
use super::status::{Input, InputKind, JudgeRun, Status};
use super::theme::Theme;
use crate::judge::ProviderConfig;
use crate::model::Span;
use crate::model::Trace;
use crate::store::Store;
use chrono::{DateTime, Utc};

/// The pane on top of the stack is named by its key mode.
pub type View = Mode;

/// Which slot a pane that asks for `Back` is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Stack,
    Popup,
    Help,
}

pub struct App {
    pub theme: Theme,
    pub now: DateTime<Utc>,
    /// The root pane, always open.
    pub list: ListPane,
    /// What is open over the list.
    panes: PaneStack,
    pub input: Option<Input>,
    pub status: Option<Status>,
    pub import: Option<ImportStatus>,
    pub judge_run: Option<JudgeRun>,
    /// The background replay run (its id), if one is going.
    pub replay_run: Option<u64>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Shown in the title bar (store or file names).
    pub source_label: String,
    /// The judge model `J` uses (from the config: flags, TRAWL_JUDGE_*, config.toml).
    pub judge_provider: ProviderConfig,
    /// Author of human labels.
    pub author: String,
    /// Whether an environment variable is set (the judge's key variable); tests replace it.
    pub env_is_set: fn(&str) -> bool,
    /// FALSE rate per rule over the last days (the list's sparklines) and the filter they
    /// were computed for (`None`: to be reloaded).
    pub rule_trends: Vec<crate::metrics::RuleTrend>,
    trends_for: Option<crate::store::TraceFilter>,
    trends_req: u64,
    /// Headless mode: what `y` would have copied.
    pub copied: Vec<String>,
    next_req: u64,
    /// The `:open` lookup in flight.
    resolve_req: u64,
    /// Headless mode: effects run synchronously against this store.
    sync_store: Option<Store>,
}

/// Builds a `Ctx` over the app's status line and request counter, next to a borrowed pane.
macro_rules! cx {
    ($app:expr) => {
        Ctx::new($app.now, $app.size, &mut $app.status, &mut $app.next_req)
    };
}

// After `cx!`, so the submodules can use it.
mod comparing;
mod judging;
mod opening;

impl App {
    pub fn new(theme: Theme, now: DateTime<Utc>, source_label: String) -> App {
        let size = (80, 24);
        App {
            theme,
            now,
            list: ListPane::new(size),
            panes: PaneStack::default(),
            input: None,
            status: None,
            import: None,
            judge_run: None,
            replay_run: None,
            size,
            quit: false,
            source_label,
            // The runtime sets both from the resolved config (`TuiOptions`).
            judge_provider: ProviderConfig::new(crate::judge::ProviderKind::OpenAi),
            author: "unknown".into(),
            env_is_set: super::panes::judge_setup::env_is_set,
            copied: Vec::new(),
            rule_trends: Vec::new(),
            trends_for: None,
            trends_req: 0,
            next_req: 0,
            resolve_req: 0,
            sync_store: None,
        }
    }

    /// A headless app on `store` (mono theme, fixed clock) whose effects run synchronously; the
    /// first page is loaded before it returns.
    pub fn new_for_test(store: Store, now: DateTime<Utc>) -> App {
        let mut app = App::new(Theme::mono(), now, "test.db".into());
        app.sync_store = Some(store);
        app.dispatch(Action::Init);
        app
    }

    /// Applies an action and, in headless mode, runs the resulting effects to completion.
    pub fn dispatch(&mut self, action: Action) -> Vec<Effect> {
        let effects = self.update(action);
        let Some(mut store) = self.sync_store.take() else {
            return effects;
        };
        let copied =
            super::headless::run_to_completion(&mut store, effects, &mut |a| self.update(a));
        self.copied.extend(copied);
        self.sync_store = Some(store);
        Vec::new()
    }

    // ── what is open ─────────────────────────────────────────────────────────────────────

    /// The pane with the keys (under any popup or help).
    pub fn top(&self) -> &dyn Pane {
        self.panes.top().unwrap_or(&self.list)
    }

    pub fn view(&self) -> View {
        self.top().info().mode
    }

    /// Which key tables apply now.
    pub fn mode(&self) -> Mode {
        if self.input.is_some() {
            Mode::Input
        } else if self.panes.help.is_some() {
            Mode::Help
        } else if let Some(p) = &self.panes.popup {
            p.info().mode
        } else {
            self.view()
        }
    }

    pub fn popup(&self) -> Option<&dyn Pane> {
        self.panes.popup.as_deref()
    }

    pub fn help(&self) -> Option<&HelpPane> {
        self.panes.help.as_ref()
    }

    /// The title bar's breadcrumbs: the list, then every pane over it.
    pub fn crumbs(&self) -> Vec<&'static str> {
        std::iter::once(self.list.info().label)
            .chain(self.panes.panes().map(|p| p.info().label))
            .collect()
    }

    /// The topmost open pane of type `T`.
    pub fn pane<T: Pane>(&self) -> Option<&T> {
        self.panes.find()
    }

    pub fn trace(&self) -> Option<&TracePane> {
        self.pane()
    }
    pub fn span(&self) -> Option<&SpanPane> {
        self.pane()
    }
    pub fn session(&self) -> Option<&SessionPane> {
        self.pane()
    }
    pub fn triage(&self) -> Option<&TriagePane> {
        self.pane()
    }
    pub fn metrics(&self) -> Option<&MetricsPane> {
        self.pane()
    }
    pub fn agreement(&self) -> Option<&AgreementPane> {
        self.pane()
    }
    pub fn judge_popup(&self) -> Option<&JudgePane> {
        self.panes.popup.as_ref()?.as_any().downcast_ref()
    }

    /// Opens a trace from spans already in memory (benchmarks, demos).
    pub fn open_trace_with(&mut self, summary: Option<Trace>, spans: Vec<Span>) {
        let pane = TracePane::with_spans(summary, spans, self.size);
        self.panes.push(Box::new(pane));
    }

    /// Import progress for the status line (`None` when no import runs).
    pub fn set_import(&mut self, import: Option<ImportStatus>) {
        self.list.set_importing(import.is_some());
        self.import = import;
    }

    // ── update ───────────────────────────────────────────────────────────────────────────

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Cmd(c) => self.command(c),
            Action::InputChar(c) => {
                if let Some(i) = &mut self.input {
                    i.text.push(c);
                } else if let Some(p) = self.panes.popup.as_deref_mut()
                    && p.info().mode.takes_text()
                {
                    p.type_char(c);
                }
                Vec::new()
            }
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.resize()
            }
            Action::Init => self.with_list(|l, cx| l.first_page(cx)),
            Action::Resolved { req, trace_id } => {
                if req != self.resolve_req {
                    return Vec::new();
                }
                match trace_id {
                    Some(id) => self.open_trace(id),
                    None => {
                        self.error("no trace with that id");
                        Vec::new()
                    }
                }
            }
            Action::RequestFailed { req, message } => {
                self.notify(&Notice::Failed { req });
                self.error(message);
                Vec::new()
            }
            Action::ImportProgress(p) => {
                self.set_import(Some(p));
                self.refresh_stored()
            }
            Action::StoreChanged => self.refresh_stored(),
            Action::ImportDone { message, ok } => {
                self.set_import(None);
                if ok {
                    self.info(message);
                } else {
                    self.error(message);
                }
                self.refresh_list()
            }
            Action::Judge { run, event } => self.judge_event(run, event),
            Action::Compare(a) => self.compare_result(a),
            page @ Action::PageLoaded { .. } => {
                let mut out = self.deliver(page);
                out.extend(self.load_trends_if_stale());
                out
            }
            Action::RuleTrendsLoaded { req, trends } => {
                if req == self.trends_req {
                    self.rule_trends = trends;
                }
                Vec::new()
            }
            Action::ScoresLoaded { trace_id, scores } => {
                self.notify(&Notice::Scores {
                    trace_id: &trace_id,
                    scores: &scores,
                });
                Vec::new()
            }
            data => self.deliver(data),
        }
    }

    fn command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Quit {
            self.quit = true;
            return Vec::new();
        }
        if self.input.is_some() {
            return self.input_command(c);
        }
        match c {
            Cmd::ToggleHelp => {
                self.panes.help = match self.panes.help {
                    Some(_) => None,
                    None => Some(self.new_help()),
                };
                return Vec::new();
            }
            Cmd::CommandLine => {
                self.panes.help = None;
                self.input = Some(Input {
                    kind: InputKind::Command,
                    text: String::new(),
                });
                return Vec::new();
            }
            _ => {}
        }
        if self.panes.help.is_some() {
            return self.with(Slot::Help, |p, cx| p.update(c, cx));
        }
        if self.panes.popup.is_some() {
            return self.with(Slot::Popup, |p, cx| p.update(c, cx));
        }
        // Commands that mean the same in every pane that binds them.
        match c {
            Cmd::Judge => self.start_judge(),
            Cmd::Rerun if self.judge_busy() => Vec::new(),
            Cmd::JudgeCancel => self.cancel_judge(),
            Cmd::Triage => self.open_triage(),
            Cmd::Metrics => self.open_metrics(),
            Cmd::Agreement => self.open_agreement(),
            Cmd::Session => self.open_session_of_current(),
            _ => self.with(Slot::Stack, |p, cx| p.update(c, cx)),
        }
    }

    fn input_command(&mut self, c: Cmd) -> Vec<Effect> {
        match c {
            Cmd::InputCancel => self.input = None,
            Cmd::InputBackspace => {
                if let Some(i) = &mut self.input {
                    i.text.pop();
                }
            }
            Cmd::InputSubmit => {
                let Some(input) = self.input.take() else {
                    return Vec::new();
                };
                let text = input.text;
                return match input.kind {
                    InputKind::Filter => self.with_list(|l, cx| l.apply_filter(&text, cx)),
                    InputKind::Command => self.run_command_line(&text),
                    kind => self.with(Slot::Stack, |p, cx| p.submit(kind, &text, cx)),
                };
            }
            _ => {}
        }
        Vec::new()
    }

    fn run_command_line(&mut self, line: &str) -> Vec<Effect> {
        let command = match commandline::parse(line) {
            Ok(c) => c,
            Err(e) => {
                self.error(e);
                return Vec::new();
            }
        };
        match command {
            Command::Quit => self.quit = true,
            Command::Filter(text) => {
                self.panes.close_all();
                return self.with_list(|l, cx| l.apply_filter(&text, cx));
            }
            Command::Sort { key, desc } => {
                self.panes.close_all();
                return self.with_list(|l, cx| l.set_sort(key, desc, cx));
            }
            Command::Open(id) => {
                let req = self.req();
                self.resolve_req = req;
                return vec![Effect::Resolve { req, id }];
            }
            Command::Session(None) => return self.open_session_of_current(),
            Command::Session(Some(id)) => return self.open_session(id),
            Command::Help => {
                if self.panes.help.is_none() {
                    self.panes.help = Some(self.new_help());
                }
            }
            Command::Triage => return self.open_triage(),
            Command::Metrics => return self.open_metrics(),
            Command::Agreement => return self.open_agreement(),
            Command::Replays => return self.open_replays(),
            Command::Judge => {
                self.panes.close_all();
                return self.start_judge();
            }
            Command::Nothing => {}
        }
        Vec::new()
    }

    // ── routing ──────────────────────────────────────────────────────────────────────────

    /// Runs `f` on the pane in `slot` (the top pane for `Stack`), then what it asked for.
    fn with(
        &mut self,
        slot: Slot,
        f: impl FnOnce(&mut dyn Pane, &mut Ctx) -> Vec<Effect>,
    ) -> Vec<Effect> {
        let mut cx = cx!(self);
        let pane: &mut dyn Pane = match slot {
            Slot::Stack => match self.panes.top_mut() {
                Some(p) => p,
                None => &mut self.list,
            },
            Slot::Popup => match self.panes.popup.as_deref_mut() {
                Some(p) => p,
                None => return Vec::new(),
            },
            Slot::Help => match self.panes.help.as_mut() {
                Some(p) => p,
                None => return Vec::new(),
            },
        };
        let effects = f(pane, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(slot, effects, intents)
    }

    fn with_list(&mut self, f: impl FnOnce(&mut ListPane, &mut Ctx) -> Vec<Effect>) -> Vec<Effect> {
        let mut cx = cx!(self);
        let effects = f(&mut self.list, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(Slot::Stack, effects, intents)
    }

    /// Data for whichever pane asked for it: the popup, then the stack from the top, then the
    /// list. Nobody taking it means it is stale.
    fn deliver(&mut self, mut action: Action) -> Vec<Effect> {
        if let Some(p) = self.panes.popup.as_deref_mut() {
            let mut cx = cx!(self);
            let receipt = p.receive(action, &mut cx);
            let intents = cx.into_intents();
            match receipt {
                Receipt::Taken(effects) => return self.carry_out(Slot::Popup, effects, intents),
                Receipt::Pass(a) => action = a,
            }
        }
        let open = self.panes.panes_mut().len();
        for i in (0..open).rev() {
            let mut cx = cx!(self);
            let receipt = self.panes.panes_mut()[i].receive(action, &mut cx);
            let intents = cx.into_intents();
            match receipt {
                Receipt::Taken(effects) => return self.carry_out(Slot::Stack, effects, intents),
                Receipt::Pass(a) => action = a,
            }
        }
        let mut cx = cx!(self);
        let receipt = self.list.receive(action, &mut cx);
        let intents = cx.into_intents();
        match receipt {
            Receipt::Taken(effects) => self.carry_out(Slot::Stack, effects, intents),
            Receipt::Pass(stale) => {
                tracing::debug!("dropped a stale result: {stale:?}");
                Vec::new()
            }
        }
    }

    /// News for every open pane.
    fn notify(&mut self, notice: &Notice) {
        self.list.notice(notice);
        self.panes.notify(notice);
    }

    fn resize(&mut self) -> Vec<Effect> {
        let mut cx = cx!(self);
        let mut effects = self.list.resize(&mut cx);
        effects.extend(self.panes.resize(&mut cx));
        let intents = cx.into_intents();
        self.carry_out(Slot::Stack, effects, intents)
    }

    /// Does what the panes asked, in order; returns all effects.
    fn carry_out(
        &mut self,
        from: Slot,
        mut effects: Vec<Effect>,
        intents: Vec<Intent>,
    ) -> Vec<Effect> {
        for intent in intents {
            let more = match intent {
                Intent::Back => {
                    match from {
                        Slot::Popup => self.panes.popup = None,
                        Slot::Help => self.panes.help = None,
                        Slot::Stack => {
                            if !self.panes.pop(&mut self.list) {
                                self.quit = true;
                            }
                        }
                    }
                    Vec::new()
                }
                Intent::OpenTrace(id) => self.open_trace(id),
                Intent::OpenSession(id) => self.open_session(id),
                Intent::OpenSpan(focus) => {
                    self.panes.push(Box::new(SpanPane::new(focus, self.size)));
                    Vec::new()
                }
                Intent::OpenEvidence(focus) => self.open_evidence(focus),
                Intent::Prompt(kind, text) => {
                    self.input = Some(Input { kind, text });
                    Vec::new()
                }
                Intent::Judge(plan) => self.open_judge(plan),
                Intent::SetJudge(provider, plan) => self.set_judge(provider, plan),
                Intent::EditJudge(plan) => self.edit_judge(plan),
                Intent::StartJudge(job, estimate) => self.start_run(job, estimate),
                Intent::OpenDiff(a, b) => self.open_diff(a, b),
                Intent::OpenReplay(id) => self.open_replay_view(id),
                Intent::ReplayForm(trace_id, span_id) => self.open_replay_form(trace_id, span_id),
                Intent::StartReplay(prepared) => self.start_replay(prepared),
                Intent::ShowTraces { filter, what } => {
                    self.panes.close_all();
                    let out = self.with_list(|l, cx| l.apply_filter(&filter, cx));
                    self.info(format!("traces of the {what}"));
                    out
                }
            };
            effects.extend(more);
        }
        effects
    }

    // ── opening panes ────────────────────────────────────────────────────────────────────

    fn req(&mut self) -> u64 {
        self.next_req += 1;
        self.next_req
    }

    fn info(&mut self, text: impl Into<String>) {
        cx!(self).info(text);
    }

    fn error(&mut self, text: impl Into<String>) {
        cx!(self).error(text);
    }

    /// Reloads the sparklines when the list's filter changed or verdicts came in.
    fn load_trends_if_stale(&mut self) -> Vec<Effect> {
        if self.trends_for.as_ref() == Some(&self.list.filter) {
            return Vec::new();
        }
        let filter = self.list.filter.clone();
        self.trends_for = Some(filter.clone());
        self.trends_req = self.req();
        vec![Effect::LoadRuleTrends {
            req: self.trends_req,
            filter,
        }]
    }

    fn new_help(&self) -> HelpPane {
        HelpPane::new(keymap::help_sections(), self.size)
    }
}
