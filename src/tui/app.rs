//! App state and `update`, the only place state changes. `update` returns effects; the runtime
//! (or `dispatch` in headless mode) executes them and feeds the results back as actions.

use super::action::{Action, Cmd, Effect, ImportStatus};
use super::detail;
use super::keymap::Mode;
use super::state::*;
use super::theme::Theme;
use crate::model::{Score, Span, SpanTree, Trace};
use crate::store::{SortKey, Store};
use chrono::{DateTime, Utc};

pub struct App {
    pub theme: Theme,
    pub now: DateTime<Utc>,
    /// Views below the top one are where `q`/Esc return to.
    pub stack: Vec<View>,
    pub list: ListState,
    pub trace: Option<TraceState>,
    pub session: Option<SessionState>,
    pub input: Option<Input>,
    pub help: bool,
    pub help_scroll: usize,
    pub status: Option<Status>,
    pub import: Option<ImportStatus>,
    pub size: (u16, u16),
    pub quit: bool,
    /// Shown in the title bar (store or file names).
    pub source_label: String,
    next_req: u64,
    resolve_req: u64,
    /// Headless mode: effects run synchronously against this store.
    sync_store: Option<Store>,
    /// Headless mode: what `y` would have copied.
    pub copied: Vec<String>,
    /// The judge model `J` uses (from the config: flags, TRAWL_JUDGE_*, config.toml).
    pub judge_provider: crate::judge::ProviderConfig,
    /// Author of human labels.
    pub author: String,
    pub judge_popup: Option<JudgePopup>,
    pub judge_run: Option<JudgeRun>,
    pub triage: Option<TriageState>,
    pub metrics: Option<MetricsState>,
    pub agreement: Option<AgreementState>,
}

impl App {
    pub fn new(theme: Theme, now: DateTime<Utc>, source_label: String) -> App {
        App {
            theme,
            now,
            stack: vec![View::List],
            list: ListState {
                desc: true,
                ..Default::default()
            },
            trace: None,
            session: None,
            input: None,
            help: false,
            help_scroll: 0,
            status: None,
            import: None,
            size: (80, 24),
            quit: false,
            source_label,
            next_req: 0,
            resolve_req: 0,
            sync_store: None,
            copied: Vec::new(),
            // The runtime sets both from the resolved config (`TuiOptions`).
            judge_provider: crate::judge::ProviderConfig::new(crate::judge::ProviderKind::OpenAi),
            author: "unknown".into(),
            judge_popup: None,
            judge_run: None,
            triage: None,
            metrics: None,
            agreement: None,
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
                        events.push(crate::judge::JudgeEvent::Failed(err.to_string()));
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

    pub fn view(&self) -> View {
        self.stack.last().copied().unwrap_or(View::List)
    }

    /// Which key table applies now.
    pub fn mode(&self) -> Mode {
        if self.input.is_some() {
            return Mode::Input;
        }
        if self.help {
            return Mode::Help;
        }
        if self.judge_popup.is_some() {
            return Mode::Judge;
        }
        match self.view() {
            View::List => Mode::List,
            View::Trace => Mode::Trace,
            View::Span => Mode::Span,
            View::Session => Mode::Session,
            View::Triage => Mode::Triage,
            View::Metrics => Mode::Metrics,
            View::Agreement => Mode::Agreement,
        }
    }

    pub(super) fn req(&mut self) -> u64 {
        self.next_req += 1;
        self.next_req
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        tracing::info!("status error: {text}");
        self.status = Some(Status { text, error: true });
    }

    /// Rows of the list body for the current terminal size (matches the list layout).
    pub fn list_height(&self) -> usize {
        usize::from(self.size.1).saturating_sub(5).max(1)
    }

    /// Rows of the span tree body (matches the trace layout).
    pub fn tree_height(&self) -> usize {
        usize::from(self.size.1).saturating_sub(7).max(1)
    }

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
                self.clamp_list_scroll();
                self.maybe_fetch()
            }
            Action::Init => self.fetch(0),
            Action::PageLoaded {
                req,
                offset,
                total,
                rows,
                badges,
            } => {
                if req != self.list.req {
                    return Vec::new();
                }
                let l = &mut self.list;
                l.in_flight = false;
                l.pending_offset = None;
                l.loaded = true;
                l.offset = offset;
                l.total = total;
                l.rows = rows;
                l.badges = badges.into_iter().collect();
                if l.selected >= total {
                    l.selected = total.saturating_sub(1);
                }
                self.clamp_list_scroll();
                if std::mem::take(&mut self.list.refresh_pending) {
                    return self.fetch(self.list.offset);
                }
                self.maybe_fetch()
            }
            Action::TraceLoaded {
                req,
                summary,
                spans,
                scores,
            } => {
                if self.trace.as_ref().is_none_or(|t| t.req != req) {
                    return Vec::new();
                }
                if let Some(t) = &mut self.trace {
                    fill_trace(t, summary, spans, scores);
                    if t.spans.is_empty() {
                        let id = t.trace_id.clone();
                        self.error(format!(
                            "trace {} has no spans (yet)",
                            super::text::cell(&id)
                        ));
                    }
                }
                Vec::new()
            }
            Action::SessionLoaded {
                req,
                session_id,
                traces,
            } => {
                if let Some(s) = &mut self.session
                    && s.req == req
                {
                    s.loading = false;
                    s.session_id = session_id;
                    s.selected = s.selected.min(traces.len().saturating_sub(1));
                    s.traces = traces;
                }
                Vec::new()
            }
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
                if req == self.list.req {
                    self.list.in_flight = false;
                    self.list.pending_offset = None;
                }
                if let Some(t) = &mut self.trace
                    && t.req == req
                {
                    t.loading = false;
                }
                if let Some(s) = &mut self.session
                    && s.req == req
                {
                    s.loading = false;
                }
                self.error(message);
                Vec::new()
            }
            Action::ImportProgress(p) => {
                self.import = Some(p);
                self.refresh_list()
            }
            Action::ImportDone { message, ok } => {
                self.import = None;
                if ok {
                    self.info(message);
                } else {
                    self.error(message);
                }
                self.refresh_list()
            }
            a @ (Action::RulesLoaded { .. }
            | Action::JudgeEstimated { .. }
            | Action::Judge { .. }) => self.judge_action(a),
            Action::ScoresLoaded { trace_id, scores } => {
                self.scores_loaded(trace_id, scores);
                Vec::new()
            }
            a @ (Action::TriageLoaded { .. }
            | Action::TriageItemLoaded { .. }
            | Action::Labeled { .. }
            | Action::LabelDeleted { .. }) => self.triage_action(a),
            Action::MetricsLoaded { req, stats } => {
                self.metrics_loaded(req, stats);
                Vec::new()
            }
            Action::AgreementLoaded { req, rules } => {
                self.agreement_loaded(req, rules);
                Vec::new()
            }
        }
    }

    /// Re-reads the current window, without piling up requests while one is in flight.
    pub(super) fn refresh_list(&mut self) -> Vec<Effect> {
        if self.list.in_flight {
            self.list.refresh_pending = true;
            return Vec::new();
        }
        self.fetch(self.list.offset)
    }

    fn fetch(&mut self, offset: usize) -> Vec<Effect> {
        let req = self.req();
        let l = &mut self.list;
        l.req = req;
        l.in_flight = true;
        l.pending_offset = Some(offset);
        vec![Effect::FetchPage {
            req,
            filter: l.filter.clone(),
            sort: l.sort,
            desc: l.desc,
            offset,
            limit: PAGE,
        }]
    }

    /// Fetches a page around the cursor when it nears the edge of the loaded window.
    fn maybe_fetch(&mut self) -> Vec<Effect> {
        let l = &self.list;
        if !l.loaded || l.total == 0 {
            return Vec::new();
        }
        let h = self.list_height();
        let margin = 20;
        let lo = l.scroll.saturating_sub(margin);
        let hi = (l.scroll + h + margin).min(l.total);
        let end = l.offset + l.rows.len();
        if lo >= l.offset && hi <= end {
            return Vec::new();
        }
        let want = l.selected.saturating_sub(PAGE / 2);
        if l.pending_offset == Some(want) {
            return Vec::new();
        }
        self.fetch(want)
    }

    fn clamp_list_scroll(&mut self) {
        let h = self.list_height();
        let l = &mut self.list;
        if l.selected < l.scroll {
            l.scroll = l.selected;
        } else if l.selected >= l.scroll + h {
            l.scroll = l.selected + 1 - h;
        }
        let max_scroll = l.total.saturating_sub(h);
        l.scroll = l.scroll.min(max_scroll);
    }

    fn command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Quit {
            self.quit = true;
            return Vec::new();
        }
        if self.input.is_some() {
            return self.input_command(c);
        }
        if c == Cmd::ToggleHelp {
            self.help = !self.help;
            self.help_scroll = 0;
            return Vec::new();
        }
        if c == Cmd::CommandLine {
            self.help = false;
            self.input = Some(Input {
                kind: InputKind::Command,
                text: String::new(),
            });
            return Vec::new();
        }
        if self.help {
            match c {
                Cmd::Back => self.help = false,
                Cmd::Down => self.help_scroll += 1,
                Cmd::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
                _ => {}
            }
            return Vec::new();
        }
        if self.judge_popup.is_some() {
            return self.popup_command(c);
        }
        // Commands that mean the same wherever they are bound.
        match c {
            Cmd::Judge => return self.start_judge(),
            Cmd::Rerun => return self.rerun(),
            Cmd::JudgeCancel => return self.cancel_judge(),
            Cmd::Triage => return self.open_triage(),
            Cmd::Metrics => return self.open_metrics(),
            Cmd::Agreement => return self.open_agreement(),
            Cmd::Verdicts => return self.show_verdicts(),
            _ => {}
        }
        match self.view() {
            View::List => self.list_command(c),
            View::Trace => self.trace_command(c),
            View::Span => self.span_command(c),
            View::Session => self.session_command(c),
            View::Triage => self.triage_command(c),
            View::Metrics => self.metrics_command(c),
            View::Agreement => self.agreement_command(c),
        }
    }

    pub(super) fn back(&mut self) -> Vec<Effect> {
        if self.stack.len() <= 1 {
            self.quit = true;
        } else {
            self.stack.pop();
        }
        Vec::new()
    }

    fn input_command(&mut self, c: Cmd) -> Vec<Effect> {
        match c {
            Cmd::InputCancel => {
                self.input = None;
                Vec::new()
            }
            Cmd::InputBackspace => {
                if let Some(i) = &mut self.input {
                    i.text.pop();
                }
                Vec::new()
            }
            Cmd::InputSubmit => {
                let Some(input) = self.input.take() else {
                    return Vec::new();
                };
                match input.kind {
                    InputKind::Filter => self.apply_filter(&input.text),
                    InputKind::Search => self.start_search(&input.text),
                    InputKind::Command => self.run_command_line(&input.text),
                    InputKind::Note => self.submit_note(&input.text),
                }
            }
            _ => Vec::new(),
        }
    }

    pub fn apply_filter(&mut self, text: &str) -> Vec<Effect> {
        match crate::filter::TraceFilter::parse(text, self.now) {
            Ok(f) => {
                let l = &mut self.list;
                l.filter = f;
                l.filter_text = text.trim().to_string();
                l.selected = 0;
                l.scroll = 0;
                l.rows.clear();
                l.offset = 0;
                l.loaded = false;
                l.refresh_pending = false;
                self.status = None;
                self.fetch(0)
            }
            Err(e) => {
                self.error(format!("filter: {e}"));
                Vec::new()
            }
        }
    }

    fn run_command_line(&mut self, line: &str) -> Vec<Effect> {
        let line = line.trim();
        let (cmd, arg) = line.split_once(' ').unwrap_or((line, ""));
        let arg = arg.trim();
        match cmd {
            "q" | "quit" | "q!" => {
                self.quit = true;
                Vec::new()
            }
            "filter" | "f" => {
                self.stack.truncate(1);
                self.apply_filter(arg)
            }
            "sort" => {
                let mut parts = arg.split_whitespace();
                let Some(key) = parts.next().and_then(SortKey::parse) else {
                    let names: Vec<&str> = SortKey::ALL.iter().map(|k| k.label()).collect();
                    self.error(format!("sort: expected one of {}", names.join(", ")));
                    return Vec::new();
                };
                let desc = match parts.next() {
                    Some("asc") => false,
                    Some("desc") | None => true,
                    Some(other) => {
                        self.error(format!("sort: '{other}' is not asc or desc"));
                        return Vec::new();
                    }
                };
                self.stack.truncate(1);
                self.set_sort(key, desc)
            }
            "open" => {
                if arg.is_empty() {
                    self.error(":open needs a trace id (a prefix is enough)");
                    return Vec::new();
                }
                let req = self.req();
                self.resolve_req = req;
                vec![Effect::Resolve {
                    req,
                    id: arg.to_string(),
                }]
            }
            "session" => {
                if arg.is_empty() {
                    self.open_session_of_current()
                } else {
                    self.open_session(arg.to_string())
                }
            }
            "help" => {
                self.help = true;
                Vec::new()
            }
            "triage" => self.open_triage(),
            "metrics" => self.open_metrics(),
            "agreement" => self.open_agreement(),
            "judge" => {
                self.stack.truncate(1);
                self.start_judge()
            }
            "" => Vec::new(),
            other => {
                self.error(format!(
                    "unknown command ':{}' (try :q, :filter, :sort, :open, :session, :triage, :metrics, :agreement, :judge)",
                    super::text::cell(other)
                ));
                Vec::new()
            }
        }
    }

    fn set_sort(&mut self, key: SortKey, desc: bool) -> Vec<Effect> {
        let l = &mut self.list;
        l.sort = key;
        l.desc = desc;
        l.selected = 0;
        l.scroll = 0;
        self.info(format!(
            "sorted by {} {}",
            key.label(),
            if desc { "↓" } else { "↑" }
        ));
        self.fetch(0)
    }

    fn start_search(&mut self, text: &str) -> Vec<Effect> {
        let q = text.trim().to_lowercase();
        let target = if q.is_empty() { None } else { Some(q) };
        match self.view() {
            View::List => self.list.search = target,
            _ => {
                if let Some(t) = &mut self.trace {
                    t.search = target;
                }
            }
        }
        self.search_step(true, true)
    }

    /// Moves to the next (or previous) search match; `inclusive` counts the current row.
    fn search_step(&mut self, forward: bool, inclusive: bool) -> Vec<Effect> {
        match self.view() {
            View::List => {
                let Some(q) = self.list.search.clone() else {
                    self.info("no search: press / first");
                    return Vec::new();
                };
                let l = &self.list;
                let n = l.rows.len();
                let cur = l.selected.saturating_sub(l.offset);
                let found = step_find(n, cur, forward, inclusive, |i| {
                    l.rows.get(i).is_some_and(|r| row_matches(r, &q))
                });
                match found {
                    Some(i) => {
                        self.list.selected = self.list.offset + i;
                        self.clamp_list_scroll();
                        self.status = None;
                        self.maybe_fetch()
                    }
                    None => {
                        self.error(format!(
                            "no match for '{}' in the loaded rows",
                            super::text::cell(&q)
                        ));
                        Vec::new()
                    }
                }
            }
            _ => {
                let Some(t) = &self.trace else {
                    return Vec::new();
                };
                let Some(q) = t.search.clone() else {
                    self.info("no search: press / first");
                    return Vec::new();
                };
                let cur = t.visible.get(t.selected).copied().unwrap_or(0);
                let found = step_find(t.tree.nodes.len(), cur, forward, inclusive, |p| {
                    t.span_at(p).is_some_and(|s| span_matches(s, &q))
                });
                match found {
                    Some(p) => {
                        self.select_tree_pos(p);
                        Vec::new()
                    }
                    None => {
                        self.error(format!("no span matches '{}'", super::text::cell(&q)));
                        Vec::new()
                    }
                }
            }
        }
    }

    fn list_command(&mut self, c: Cmd) -> Vec<Effect> {
        let h = self.list_height();
        let total = self.list.total;
        let last = total.saturating_sub(1);
        let l = &mut self.list;
        match c {
            Cmd::Back => return self.back(),
            Cmd::Cancel => {
                l.search = None;
                self.status = None;
                return Vec::new();
            }
            Cmd::Down | Cmd::Up | Cmd::Top | Cmd::Bottom | Cmd::PageDown | Cmd::PageUp => {
                l.selected = cursor_target(c, l.selected, last, h / 2);
            }
            Cmd::Open => {
                let Some(id) = l.selected_row().map(|r| r.trace_id.clone()) else {
                    return Vec::new();
                };
                return self.open_trace(id);
            }
            Cmd::FilterLine => {
                self.input = Some(Input {
                    kind: InputKind::Filter,
                    text: self.list.filter_text.clone(),
                });
                return Vec::new();
            }
            Cmd::ClearFilter => {
                self.info("filter cleared");
                return self.apply_filter("");
            }
            Cmd::Search => {
                self.input = Some(Input {
                    kind: InputKind::Search,
                    text: String::new(),
                });
                return Vec::new();
            }
            Cmd::SearchNext => return self.search_step(true, false),
            Cmd::SearchPrev => return self.search_step(false, false),
            Cmd::ToggleMark => {
                if let Some(id) = l.selected_row().map(|r| r.trace_id.clone()) {
                    if !l.marks.remove(&id) {
                        l.marks.insert(id);
                    }
                    l.selected = (l.selected + 1).min(last);
                }
                let n = self.list.marks.len();
                self.info(format!("{n} marked"));
            }
            Cmd::CycleSort => {
                let i = SortKey::ALL.iter().position(|k| *k == l.sort).unwrap_or(0);
                let next = SortKey::ALL[(i + 1) % SortKey::ALL.len()];
                let desc = l.desc;
                return self.set_sort(next, desc);
            }
            Cmd::FlipSort => {
                let (k, d) = (l.sort, !l.desc);
                return self.set_sort(k, d);
            }
            Cmd::Copy => {
                let text = if l.marks.is_empty() {
                    match l.selected_row() {
                        Some(r) => r.trace_id.clone(),
                        None => return Vec::new(),
                    }
                } else {
                    l.marks.iter().cloned().collect::<Vec<_>>().join("\n")
                };
                return self.copy(text, "trace id");
            }
            Cmd::Session => return self.open_session_of_current(),
            _ => return Vec::new(),
        }
        self.clamp_list_scroll();
        self.maybe_fetch()
    }

    fn copy(&mut self, text: String, what: &str) -> Vec<Effect> {
        let preview = super::text::cell(&crate::sanitize::truncate_chars(&text, 40));
        self.info(format!("copied {what}: {preview}"));
        vec![Effect::Copy { text }]
    }

    pub fn open_trace(&mut self, trace_id: String) -> Vec<Effect> {
        let req = self.req();
        self.trace = Some(TraceState {
            trace_id: trace_id.clone(),
            req,
            loading: true,
            ..Default::default()
        });
        if self.view() == View::Span {
            self.stack.pop();
        }
        if self.view() != View::Trace {
            self.stack.push(View::Trace);
        }
        vec![Effect::LoadTrace { req, trace_id }]
    }

    /// Opens a trace from spans already in memory (benchmarks, demos).
    pub fn open_trace_with(&mut self, summary: Option<Trace>, spans: Vec<Span>) {
        let mut t = TraceState {
            trace_id: spans
                .first()
                .map(|s| s.trace_id.clone())
                .unwrap_or_default(),
            ..Default::default()
        };
        fill_trace(&mut t, summary, spans, Vec::new());
        self.trace = Some(t);
        self.stack.push(View::Trace);
    }

    fn open_session_of_current(&mut self) -> Vec<Effect> {
        let sid = match self.view() {
            View::List => self.list.selected_row().and_then(|r| r.session_id.clone()),
            _ => self.trace.as_ref().and_then(|t| {
                t.summary
                    .as_ref()
                    .and_then(|s| s.session_id.clone())
                    .or_else(|| t.spans.iter().find_map(|s| s.session_id.clone()))
            }),
        };
        match sid {
            Some(s) => self.open_session(s),
            None => {
                self.error("this trace has no session id");
                Vec::new()
            }
        }
    }

    fn open_session(&mut self, session_id: String) -> Vec<Effect> {
        let req = self.req();
        let current = self.trace.as_ref().map(|t| t.trace_id.clone());
        self.session = Some(SessionState {
            session_id: session_id.clone(),
            req,
            loading: true,
            traces: Vec::new(),
            selected: 0,
        });
        let _ = current;
        self.stack.push(View::Session);
        vec![Effect::LoadSession { req, session_id }]
    }

    fn select_tree_pos(&mut self, pos: usize) {
        let h = self.tree_height();
        if let Some(t) = &mut self.trace {
            t.reveal(pos);
            clamp_scroll(&mut t.scroll, t.selected, h);
        }
    }

    fn jump(&mut self, kind: Jump, forward: bool) {
        let Some(t) = &self.trace else { return };
        let cur = t.visible.get(t.selected).copied().unwrap_or(0);
        let found = step_find(t.tree.nodes.len(), cur, forward, false, |p| {
            t.span_at(p).is_some_and(|s| kind.matches(s))
        });
        match found {
            Some(p) => {
                self.select_tree_pos(p);
                self.status = None;
            }
            None => self.info(format!(
                "no {} {}",
                if forward { "next" } else { "previous" },
                kind.label()
            )),
        }
    }

    fn trace_command(&mut self, c: Cmd) -> Vec<Effect> {
        let h = self.tree_height();
        match c {
            Cmd::Back => return self.back(),
            Cmd::NextLlm => self.jump(Jump::Llm, true),
            Cmd::PrevLlm => self.jump(Jump::Llm, false),
            Cmd::NextError => self.jump(Jump::Error, true),
            Cmd::PrevError => self.jump(Jump::Error, false),
            Cmd::NextTool => self.jump(Jump::Tool, true),
            Cmd::PrevTool => self.jump(Jump::Tool, false),
            Cmd::Search => {
                self.input = Some(Input {
                    kind: InputKind::Search,
                    text: String::new(),
                })
            }
            Cmd::SearchNext => return self.search_step(true, false),
            Cmd::SearchPrev => return self.search_step(false, false),
            Cmd::Session => return self.open_session_of_current(),
            Cmd::Copy => {
                let Some(id) = self.trace.as_ref().map(|t| t.trace_id.clone()) else {
                    return Vec::new();
                };
                return self.copy(id, "trace id");
            }
            _ => {
                let Some(t) = &mut self.trace else {
                    return Vec::new();
                };
                let last = t.visible.len().saturating_sub(1);
                match c {
                    Cmd::Down | Cmd::Up | Cmd::Top | Cmd::Bottom | Cmd::PageDown | Cmd::PageUp => {
                        t.selected = cursor_target(c, t.selected, last, h / 2);
                    }
                    Cmd::Collapse => collapse(t),
                    Cmd::Expand => {
                        if let Some(&pos) = t.visible.get(t.selected) {
                            t.collapsed.remove(&pos);
                            t.recompute_visible();
                        }
                    }
                    Cmd::Open => {
                        if t.selected_span().is_none() {
                            return Vec::new();
                        }
                        t.detail_scroll = 0;
                        t.detail = detail::build(t);
                        self.stack.push(View::Span);
                        return Vec::new();
                    }
                    _ => {}
                }
                clamp_scroll(&mut t.scroll, t.selected, h);
            }
        }
        Vec::new()
    }

    fn span_command(&mut self, c: Cmd) -> Vec<Effect> {
        let page = usize::from(self.size.1).saturating_sub(8).max(1);
        match c {
            Cmd::Back => return self.back(),
            Cmd::NextLlm
            | Cmd::PrevLlm
            | Cmd::NextError
            | Cmd::PrevError
            | Cmd::NextTool
            | Cmd::PrevTool => {
                let (k, fwd) = match c {
                    Cmd::NextLlm => (Jump::Llm, true),
                    Cmd::PrevLlm => (Jump::Llm, false),
                    Cmd::NextError => (Jump::Error, true),
                    Cmd::PrevError => (Jump::Error, false),
                    Cmd::NextTool => (Jump::Tool, true),
                    _ => (Jump::Tool, false),
                };
                self.jump(k, fwd);
                if let Some(t) = &mut self.trace {
                    t.detail_scroll = 0;
                    t.detail = detail::build(t);
                }
                return Vec::new();
            }
            Cmd::Copy => {
                let json = self
                    .trace
                    .as_ref()
                    .and_then(|t| t.selected_span())
                    .and_then(|s| serde_json::to_string_pretty(s).ok());
                return match json {
                    Some(j) => self.copy(j, "span as JSON"),
                    None => Vec::new(),
                };
            }
            _ => {}
        }
        let Some(t) = &mut self.trace else {
            return Vec::new();
        };
        let last = t.detail.len().saturating_sub(1);
        match c {
            Cmd::Down | Cmd::Up | Cmd::Top | Cmd::Bottom | Cmd::PageDown | Cmd::PageUp => {
                t.detail_scroll = cursor_target(c, t.detail_scroll, last, page / 2);
            }
            Cmd::NextTab | Cmd::PrevTab => {
                let n = Tab::ALL.len();
                let i = t.tab.index();
                let j = if c == Cmd::NextTab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                t.tab = Tab::ALL[j];
                t.detail_scroll = 0;
                t.detail = detail::build(t);
            }
            Cmd::ToggleFold => {
                t.unfold = !t.unfold;
                t.tab = Tab::Attributes;
                t.detail = detail::build(t);
            }
            _ => {}
        }
        Vec::new()
    }

    fn session_command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Back {
            return self.back();
        }
        let Some(s) = &mut self.session else {
            return Vec::new();
        };
        let last = s.traces.len().saturating_sub(1);
        match c {
            Cmd::Down => s.selected = (s.selected + 1).min(last),
            Cmd::Up => s.selected = s.selected.saturating_sub(1),
            Cmd::Top => s.selected = 0,
            Cmd::Bottom => s.selected = last,
            Cmd::Open => {
                if let Some(id) = s.traces.get(s.selected).map(|t| t.trace_id.clone()) {
                    return self.open_trace(id);
                }
            }
            Cmd::Copy => {
                if let Some(id) = s.traces.get(s.selected).map(|t| t.trace_id.clone()) {
                    return self.copy(id, "trace id");
                }
            }
            _ => {}
        }
        Vec::new()
    }
}

fn fill_trace(
    t: &mut TraceState,
    summary: Option<Trace>,
    mut spans: Vec<Span>,
    scores: Vec<Score>,
) {
    crate::model::mark_aggregates(&mut spans);
    t.loading = false;
    t.tree = SpanTree::build(&spans);
    t.t0 = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    t.t1 = spans
        .iter()
        .map(|s| s.end_ns.unwrap_or(s.start_ns))
        .max()
        .unwrap_or(t.t0)
        .max(t.t0);
    t.spans = spans;
    t.summary = summary;
    t.scores = scores;
    t.collapsed.clear();
    t.selected = 0;
    t.scroll = 0;
    t.recompute_visible();
}

fn collapse(t: &mut TraceState) {
    let Some(&pos) = t.visible.get(t.selected) else {
        return;
    };
    let Some(node) = t.tree.nodes.get(pos) else {
        return;
    };
    if !node.children.is_empty() && !t.collapsed.contains(&pos) {
        t.collapsed.insert(pos);
        t.recompute_visible();
        return;
    }
    // Already collapsed or a leaf: go to the parent, as file trees do.
    let depth = node.depth;
    if let Some(i) = (0..t.selected).rev().find(|&i| {
        t.visible
            .get(i)
            .and_then(|&p| t.tree.nodes.get(p))
            .is_some_and(|n| n.depth < depth)
    }) {
        t.selected = i;
    }
}

fn clamp_scroll(scroll: &mut usize, selected: usize, h: usize) {
    if selected < *scroll {
        *scroll = selected;
    } else if selected >= *scroll + h {
        *scroll = selected + 1 - h;
    }
}

/// Index of the next item (cyclically) after or before `cur` satisfying `pred`.
fn step_find(
    n: usize,
    cur: usize,
    forward: bool,
    inclusive: bool,
    pred: impl Fn(usize) -> bool,
) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let start = if inclusive { 0 } else { 1 };
    (start..=n)
        .map(|k| {
            if forward {
                (cur + k) % n
            } else {
                (cur + n * 2 - k) % n
            }
        })
        .find(|&i| pred(i))
}

fn row_matches(r: &Trace, q: &str) -> bool {
    let hit = |s: Option<&str>| s.is_some_and(|s| s.to_lowercase().contains(q));
    hit(r.input_preview.as_deref())
        || hit(r.name.as_deref())
        || hit(r.user_id.as_deref())
        || hit(r.session_id.as_deref())
        || hit(Some(&r.trace_id))
        || r.models.iter().any(|m| hit(Some(m)))
}

fn span_matches(s: &Span, q: &str) -> bool {
    let hit = |x: Option<&str>| x.is_some_and(|x| x.to_lowercase().contains(q));
    hit(Some(&s.name)) || hit(s.model.as_deref()) || hit(Some(s.kind.as_str()))
}

/// Where a cursor (or scroll offset) over `0..=last` goes for a motion command; one place for
/// the same keys in the list, the span tree and span detail.
fn cursor_target(c: Cmd, pos: usize, last: usize, half_page: usize) -> usize {
    match c {
        Cmd::Down => (pos + 1).min(last),
        Cmd::Up => pos.saturating_sub(1),
        Cmd::Top => 0,
        Cmd::Bottom => last,
        Cmd::PageDown => (pos + half_page).min(last),
        Cmd::PageUp => pos.saturating_sub(half_page),
        _ => pos,
    }
}
