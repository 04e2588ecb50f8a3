//! The app: a stack of panes over the trace list, a popup slot, the help overlay, the input
//! line and the status line. `update` routes each action: keys to the focused pane, data to the
//! pane that asked for it, news to every pane; then it carries out what the panes asked for
//! (`Intent`s) and returns the effects for the runtime (or `dispatch`, headless) to run.

use super::action::{Action, Cmd, Effect, ImportStatus, JudgeJob};
use super::commandline::{self, Command};
use super::keymap;
use super::keys::Mode;
use super::pane::{Ctx, Intent, JudgePlan, Notice, Pane, Receipt};
use super::panes::agreement::AgreementPane;
use super::panes::help::HelpPane;
use super::panes::judge::JudgePane;
use super::panes::list::ListPane;
use super::panes::metrics::MetricsPane;
use super::panes::session::SessionPane;
use super::panes::span::SpanPane;
use super::panes::trace::TracePane;
use super::panes::triage::TriagePane;
use super::status::{Input, InputKind, JudgeRun, Status};
use super::theme::Theme;
use super::widgets::text::cell;
use crate::judge::{Estimate, JudgeEvent, ProviderConfig, Summary};
use crate::model::Span;
use crate::store::{Store, TraceSummary};
use chrono::{DateTime, Utc};
use std::any::Any;
use std::collections::HashMap;

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
    /// Panes opened over the list; the last one has the keys. `q`/Esc go back down.
    stack: Vec<Box<dyn Pane>>,
    /// A modal popup over the top pane (the judge).
    popup: Option<Box<dyn Pane>>,
    help: Option<HelpPane>,
    pub input: Option<Input>,
    pub status: Option<Status>,
    pub import: Option<ImportStatus>,
    pub judge_run: Option<JudgeRun>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Shown in the title bar (store or file names).
    pub source_label: String,
    /// The judge model `J` uses (from TRAWL_JUDGE_* variables).
    pub judge_provider: ProviderConfig,
    /// Author of human labels.
    pub author: String,
    /// Headless mode: what `y` would have copied.
    pub copied: Vec<String>,
    next_req: u64,
    /// The `:open` lookup in flight.
    resolve_req: u64,
    /// Settings closed panes left for the next pane of their kind.
    kept: HashMap<Mode, Box<dyn Any>>,
    /// Headless mode: effects run synchronously against this store.
    sync_store: Option<Store>,
}

/// Builds a `Ctx` over the app's status line and request counter, next to a borrowed pane.
macro_rules! cx {
    ($app:expr) => {
        Ctx::new($app.now, $app.size, &mut $app.status, &mut $app.next_req)
    };
}

impl App {
    pub fn new(theme: Theme, now: DateTime<Utc>, source_label: String) -> App {
        let size = (80, 24);
        App {
            theme,
            now,
            list: ListPane::new(size),
            stack: Vec::new(),
            popup: None,
            help: None,
            input: None,
            status: None,
            import: None,
            judge_run: None,
            size,
            quit: false,
            source_label,
            judge_provider: super::env::provider_from_env(),
            author: super::env::author_from_env(),
            copied: Vec::new(),
            next_req: 0,
            resolve_req: 0,
            kept: HashMap::new(),
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
        if self.sync_store.is_none() {
            return effects;
        }
        let mut queue: std::collections::VecDeque<Effect> = effects.into();
        while let Some(e) = queue.pop_front() {
            if let Effect::Copy { text } = &e {
                self.copied.push(text.clone());
                continue;
            }
            if let Effect::StartJudge { run, job } = &e {
                // Run to completion here; the events come back as they would from the thread.
                let mut events = Vec::new();
                if let Some(store) = &self.sync_store {
                    let stop = crate::judge::StopSignal::new();
                    let r = crate::judge::run_blocking(
                        store,
                        &job.0,
                        &stop,
                        &mut |_| true,
                        &mut |ev| events.push(ev),
                    );
                    if let Err(err) = r {
                        events.push(JudgeEvent::Failed(err.to_string()));
                    }
                }
                for event in events {
                    queue.extend(self.update(Action::Judge { run: *run, event }));
                }
                continue;
            }
            let result = self
                .sync_store
                .as_ref()
                .and_then(|s| super::data::execute(s, &e));
            if let Some(a) = result {
                queue.extend(self.update(a));
            }
        }
        Vec::new()
    }

    // ── what is open ─────────────────────────────────────────────────────────────────────

    /// The pane with the keys (under any popup or help).
    pub fn top(&self) -> &dyn Pane {
        match self.stack.last() {
            Some(p) => p.as_ref(),
            None => &self.list,
        }
    }

    pub fn view(&self) -> View {
        self.top().info().mode
    }

    /// Which key tables apply now.
    pub fn mode(&self) -> Mode {
        if self.input.is_some() {
            Mode::Input
        } else if self.help.is_some() {
            Mode::Help
        } else if let Some(p) = &self.popup {
            p.info().mode
        } else {
            self.view()
        }
    }

    pub fn popup(&self) -> Option<&dyn Pane> {
        self.popup.as_deref()
    }

    pub fn help(&self) -> Option<&HelpPane> {
        self.help.as_ref()
    }

    /// The title bar's breadcrumbs: the list, then every pane over it.
    pub fn crumbs(&self) -> Vec<&'static str> {
        std::iter::once(self.list.info().label)
            .chain(self.stack.iter().map(|p| p.info().label))
            .collect()
    }

    /// The topmost open pane of type `T`.
    pub fn pane<T: Pane>(&self) -> Option<&T> {
        self.stack
            .iter()
            .rev()
            .find_map(|p| p.as_any().downcast_ref::<T>())
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
        self.popup.as_ref()?.as_any().downcast_ref()
    }

    /// Opens a trace from spans already in memory (benchmarks, demos).
    pub fn open_trace_with(&mut self, summary: Option<TraceSummary>, spans: Vec<Span>) {
        let pane = TracePane::with_spans(summary, spans, self.size);
        self.stack.push(Box::new(pane));
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
                self.refresh_list()
            }
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
                self.help = match self.help {
                    Some(_) => None,
                    None => Some(self.new_help()),
                };
                return Vec::new();
            }
            Cmd::CommandLine => {
                self.help = None;
                self.input = Some(Input {
                    kind: InputKind::Command,
                    text: String::new(),
                });
                return Vec::new();
            }
            _ => {}
        }
        if self.help.is_some() {
            return self.with_help(|h, cx| h.update(c, cx));
        }
        if self.popup.is_some() {
            return self.with_popup(|p, cx| p.update(c, cx));
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
            _ => self.with_top(|p, cx| p.update(c, cx)),
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
                    kind => self.with_top(|p, cx| p.submit(kind, &text, cx)),
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
                self.close_all();
                return self.with_list(|l, cx| l.apply_filter(&text, cx));
            }
            Command::Sort { key, desc } => {
                self.close_all();
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
                if self.help.is_none() {
                    self.help = Some(self.new_help());
                }
            }
            Command::Triage => return self.open_triage(),
            Command::Metrics => return self.open_metrics(),
            Command::Agreement => return self.open_agreement(),
            Command::Judge => {
                self.close_all();
                return self.start_judge();
            }
            Command::Nothing => {}
        }
        Vec::new()
    }

    // ── routing ──────────────────────────────────────────────────────────────────────────

    fn with_top(&mut self, f: impl FnOnce(&mut dyn Pane, &mut Ctx) -> Vec<Effect>) -> Vec<Effect> {
        let mut cx = cx!(self);
        let pane: &mut dyn Pane = match self.stack.last_mut() {
            Some(p) => p.as_mut(),
            None => &mut self.list,
        };
        let effects = f(pane, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(Slot::Stack, effects, intents)
    }

    fn with_list(&mut self, f: impl FnOnce(&mut ListPane, &mut Ctx) -> Vec<Effect>) -> Vec<Effect> {
        let mut cx = cx!(self);
        let effects = f(&mut self.list, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(Slot::Stack, effects, intents)
    }

    fn with_popup(
        &mut self,
        f: impl FnOnce(&mut dyn Pane, &mut Ctx) -> Vec<Effect>,
    ) -> Vec<Effect> {
        let Some(p) = self.popup.as_deref_mut() else {
            return Vec::new();
        };
        let mut cx = cx!(self);
        let effects = f(p, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(Slot::Popup, effects, intents)
    }

    fn with_help(&mut self, f: impl FnOnce(&mut HelpPane, &mut Ctx) -> Vec<Effect>) -> Vec<Effect> {
        let Some(h) = self.help.as_mut() else {
            return Vec::new();
        };
        let mut cx = cx!(self);
        let effects = f(h, &mut cx);
        let intents = cx.into_intents();
        self.carry_out(Slot::Help, effects, intents)
    }

    /// Data for whichever pane asked for it: the popup, then the stack from the top, then the
    /// list. Nobody taking it means it is stale.
    fn deliver(&mut self, mut action: Action) -> Vec<Effect> {
        if let Some(p) = self.popup.as_deref_mut() {
            let mut cx = cx!(self);
            let receipt = p.receive(action, &mut cx);
            let intents = cx.into_intents();
            match receipt {
                Receipt::Taken(effects) => return self.carry_out(Slot::Popup, effects, intents),
                Receipt::Pass(a) => action = a,
            }
        }
        for i in (0..self.stack.len()).rev() {
            let mut cx = cx!(self);
            let receipt = self.stack[i].receive(action, &mut cx);
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
        for p in &mut self.stack {
            p.notice(notice);
        }
        if let Some(p) = &mut self.popup {
            p.notice(notice);
        }
    }

    fn resize(&mut self) -> Vec<Effect> {
        let mut cx = cx!(self);
        let mut effects = self.list.resize(&mut cx);
        for p in &mut self.stack {
            effects.extend(p.resize(&mut cx));
        }
        if let Some(p) = &mut self.popup {
            effects.extend(p.resize(&mut cx));
        }
        if let Some(h) = &mut self.help {
            effects.extend(h.resize(&mut cx));
        }
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
                        Slot::Popup => self.popup = None,
                        Slot::Help => self.help = None,
                        Slot::Stack => self.pop(),
                    }
                    Vec::new()
                }
                Intent::OpenTrace(id) => self.open_trace(id),
                Intent::OpenSession(id) => self.open_session(id),
                Intent::OpenSpan(focus) => {
                    self.stack.push(Box::new(SpanPane::new(focus, self.size)));
                    Vec::new()
                }
                Intent::Prompt(kind, text) => {
                    self.input = Some(Input { kind, text });
                    Vec::new()
                }
                Intent::Judge(plan) => self.open_judge(plan),
                Intent::StartJudge(job, estimate) => self.start_run(job, estimate),
                Intent::ShowTraces { filter, what } => {
                    self.close_all();
                    let out = self.with_list(|l, cx| l.apply_filter(&filter, cx));
                    self.info(format!("traces of the {what}"));
                    out
                }
            };
            effects.extend(more);
        }
        effects
    }

    // ── the pane stack ───────────────────────────────────────────────────────────────────

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

    fn push(&mut self, pane: impl Pane) {
        self.stack.push(Box::new(pane));
    }

    /// Closes the top pane (quits at the list), handing what it leaves to the pane below.
    fn pop(&mut self) {
        let Some(mut closed) = self.stack.pop() else {
            self.quit = true;
            return;
        };
        self.remember(closed.as_ref());
        if let Some(handoff) = closed.close() {
            match self.stack.last_mut() {
                Some(p) => p.take_handoff(handoff),
                None => self.list.take_handoff(handoff),
            }
        }
    }

    /// Back to the list.
    fn close_all(&mut self) {
        while let Some(closed) = self.stack.pop() {
            self.remember(closed.as_ref());
        }
    }

    fn remember(&mut self, closed: &dyn Pane) {
        if let Some(k) = closed.keep() {
            self.kept.insert(closed.info().mode, k);
        }
    }

    fn new_help(&self) -> HelpPane {
        HelpPane::new(keymap::help_sections(), self.size)
    }

    fn refresh_list(&mut self) -> Vec<Effect> {
        self.with_list(|l, cx| l.refresh(cx))
    }

    pub fn open_trace(&mut self, trace_id: String) -> Vec<Effect> {
        let req = self.req();
        if self.view() == Mode::Span {
            self.pop();
        }
        let pane = Box::new(TracePane::loading(trace_id.clone(), req));
        match self.stack.last_mut() {
            // Another trace replaces the one on screen rather than piling up.
            Some(top) if top.info().mode == Mode::Trace => *top = pane,
            _ => self.stack.push(pane),
        }
        vec![Effect::LoadTrace { req, trace_id }]
    }

    fn open_session(&mut self, session_id: String) -> Vec<Effect> {
        let req = self.req();
        self.push(SessionPane::loading(session_id.clone(), req, self.size));
        vec![Effect::LoadSession { req, session_id }]
    }

    fn open_session_of_current(&mut self) -> Vec<Effect> {
        match self.top().current_session() {
            Some(s) => self.open_session(s),
            None => {
                self.error("this trace has no session id");
                Vec::new()
            }
        }
    }

    fn open_triage(&mut self) -> Vec<Effect> {
        self.close_all();
        let filter = self.list.filter.clone();
        let (pane, effect) = TriagePane::open(self.author.clone(), filter, &mut cx!(self));
        self.push(pane);
        vec![effect]
    }

    fn open_metrics(&mut self) -> Vec<Effect> {
        self.close_all();
        let (filter, text) = (self.list.filter.clone(), self.list.filter_text.clone());
        let kept = self.kept.remove(&Mode::Metrics);
        let (pane, effect) = MetricsPane::open(filter, text, kept.as_deref(), &mut cx!(self));
        self.push(pane);
        vec![effect]
    }

    fn open_agreement(&mut self) -> Vec<Effect> {
        let (pane, effect) = AgreementPane::open(&mut cx!(self));
        let pane = Box::new(pane);
        match self.stack.last_mut() {
            // Opened again from itself: reload in place.
            Some(top) if top.info().mode == Mode::Agreement => *top = pane,
            _ => self.stack.push(pane),
        }
        vec![effect]
    }

    // ── judging ──────────────────────────────────────────────────────────────────────────

    fn judge_busy(&mut self) -> bool {
        if self.judge_run.is_some() {
            self.error("a judge run is in progress (X cancels it)");
            return true;
        }
        false
    }

    fn start_judge(&mut self) -> Vec<Effect> {
        if self.judge_busy() {
            return Vec::new();
        }
        match self.list.judge_plan(&mut cx!(self)) {
            Some(plan) => self.open_judge(plan),
            None => Vec::new(),
        }
    }

    fn open_judge(&mut self, plan: JudgePlan) -> Vec<Effect> {
        let provider = self.judge_provider.clone();
        let (pane, effect) = JudgePane::open(plan, provider, &mut cx!(self));
        self.popup = Some(Box::new(pane));
        vec![effect]
    }

    fn start_run(&mut self, job: JudgeJob, est: Estimate) -> Vec<Effect> {
        self.popup = None;
        let run = self.req();
        self.judge_run = Some(JudgeRun {
            id: run,
            done: 0,
            total: est.calls + est.cached,
            est_cost: est.cost_usd,
            model: est.model.clone(),
            paused: None,
        });
        self.info(format!("judging with {}…", cell(&est.model)));
        vec![Effect::StartJudge { run, job }]
    }

    fn cancel_judge(&mut self) -> Vec<Effect> {
        match &mut self.judge_run {
            Some(r) => {
                r.paused = Some("cancelling…".into());
                let run = r.id;
                self.info("cancelling the judge run…");
                vec![Effect::CancelJudge { run }]
            }
            None => {
                self.info("no judge run in progress");
                Vec::new()
            }
        }
    }

    fn judge_event(&mut self, run: u64, event: JudgeEvent) -> Vec<Effect> {
        let Some(r) = self.judge_run.as_mut().filter(|r| r.id == run) else {
            return Vec::new();
        };
        match event {
            JudgeEvent::Estimate(e) => {
                r.total = e.items;
                r.est_cost = e.cost_usd;
                r.model = e.model;
                Vec::new()
            }
            JudgeEvent::Progress { done, total } => {
                r.done = done;
                r.total = total;
                Vec::new()
            }
            JudgeEvent::Verdict { trace_id, .. } => {
                let mut out = self.refresh_list();
                if self.shown_trace_ids().contains(&trace_id) {
                    out.push(Effect::LoadScores { trace_id });
                }
                out
            }
            JudgeEvent::Paused(reason) => {
                let m = reason.message();
                r.paused = Some(m.clone());
                self.error(format!("judge {m}"));
                Vec::new()
            }
            JudgeEvent::Failed(m) => {
                self.judge_run = None;
                self.error(format!("judge failed: {}", cell(&m)));
                self.refresh_list()
            }
            JudgeEvent::Finished(summary) => {
                let paused = r.paused.take();
                self.judge_run = None;
                let msg = summary_line(&summary);
                match summary.stopped.map(|s| s.message()).or(paused) {
                    Some(why) => self.error(format!("judge {why} · {msg}")),
                    None => self.info(msg),
                }
                let mut out = self.refresh_list();
                for trace_id in self.shown_trace_ids() {
                    out.push(Effect::LoadScores { trace_id });
                }
                out
            }
        }
    }

    /// Traces whose scores are on screen somewhere in the stack.
    fn shown_trace_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for p in &self.stack {
            if let Some(id) = p.shown_trace()
                && !ids.iter().any(|i| i == id)
            {
                ids.push(id.to_string());
            }
        }
        ids
    }
}

fn summary_line(s: &Summary) -> String {
    let cost = if s.cost_unknown {
        format!("{} + unknown", crate::display::cost_value(s.cost_usd))
    } else {
        crate::display::cost_value(s.cost_usd)
    };
    format!(
        "judged {}: {} true · {} false · {} na · {} errors · {} cached · {cost}",
        s.judged, s.true_, s.false_, s.na, s.errors, s.cached
    )
}
