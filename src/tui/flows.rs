//! The judge popup and run, the triage queue, the metrics view and the agreement pane: the parts
//! of `App::update` that belong to them (still the only place state changes).

use super::action::{Action, AgreementRow, Cmd, Effect, JudgeTarget, NewLabel};
use super::app::App;
use super::detail;
use super::state::*;
use crate::judge::{JudgeEvent, Summary};
use crate::metrics::{Bucket, GroupBy, NO_GROUP};
use crate::model::{Score, ScoreSource, Verdict};
use std::collections::BTreeSet;

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::True => "TRUE",
        Verdict::False => "FALSE",
        Verdict::Na => "NA",
        Verdict::Error => "ERROR",
    }
}

impl App {
    // ── judge ────────────────────────────────────────────────────────────────────────────

    pub(super) fn start_judge(&mut self) -> Vec<Effect> {
        if self.judge_busy() {
            return Vec::new();
        }
        let l = &self.list;
        let (target, what) = if !l.marks.is_empty() {
            (
                JudgeTarget::Ids(l.marks.iter().cloned().collect()),
                format!("{} marked trace(s)", l.marks.len()),
            )
        } else if l.total == 0 {
            self.error("no traces to judge");
            return Vec::new();
        } else if l.filter.is_empty() {
            (
                JudgeTarget::Filter(l.filter.clone()),
                format!("all {} traces", l.total),
            )
        } else {
            (
                JudgeTarget::Filter(l.filter.clone()),
                format!("{} traces matching the filter", l.total),
            )
        };
        let req = self.req();
        self.judge_popup = Some(JudgePopup {
            req,
            stage: JudgeStage::LoadingRules,
            target,
            what,
            force: false,
        });
        vec![Effect::LoadRules { req }]
    }

    fn judge_busy(&mut self) -> bool {
        if self.judge_run.is_some() {
            self.error("a judge run is in progress (X cancels it)");
            return true;
        }
        false
    }

    /// Re-asks the judge, for the rules this trace has verdicts for.
    pub(super) fn rerun(&mut self) -> Vec<Effect> {
        if self.judge_busy() {
            return Vec::new();
        }
        let Some(t) = &self.trace else {
            return Vec::new();
        };
        let mut rules: Vec<String> = Vec::new();
        for s in t.scores.iter().filter(|s| s.source == ScoreSource::Judge) {
            if !rules.contains(&s.name) {
                rules.push(s.name.clone());
            }
        }
        rules.sort();
        if rules.is_empty() {
            self.error("this trace has no verdicts to re-run (J in the trace list judges)");
            return Vec::new();
        }
        let id = t.trace_id.clone();
        let req = self.req();
        let target = JudgeTarget::Ids(vec![id.clone()]);
        self.judge_popup = Some(JudgePopup {
            req,
            stage: JudgeStage::Estimating,
            target: target.clone(),
            what: format!(
                "re-run {} on trace {}",
                rules.join(", "),
                super::text::short_id(&id)
            ),
            force: true,
        });
        vec![Effect::EstimateJudge {
            req,
            rules,
            target,
            provider: self.judge_provider.clone(),
            force: true,
        }]
    }

    pub(super) fn cancel_judge(&mut self) -> Vec<Effect> {
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

    pub(super) fn popup_command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Back {
            self.judge_popup = None;
            self.info("judge cancelled");
            return Vec::new();
        }
        let provider = self.judge_provider.clone();
        let Some(p) = &mut self.judge_popup else {
            return Vec::new();
        };
        match &mut p.stage {
            JudgeStage::Pick { rules, cursor } => {
                let last = rules.len().saturating_sub(1);
                match c {
                    Cmd::Down => *cursor = (*cursor + 1).min(last),
                    Cmd::Up => *cursor = cursor.saturating_sub(1),
                    Cmd::ToggleMark => {
                        if let Some(r) = rules.get_mut(*cursor) {
                            r.on = !r.on;
                        }
                    }
                    Cmd::Pick(n) => {
                        let i = usize::from(n).saturating_sub(1);
                        if let Some(r) = rules.get_mut(i) {
                            r.on = !r.on;
                            *cursor = i;
                        }
                    }
                    Cmd::Confirm => {
                        let ids: Vec<String> = rules
                            .iter()
                            .filter(|r| r.on)
                            .map(|r| r.id.clone())
                            .collect();
                        if ids.is_empty() {
                            self.error("pick at least one rule (Space or 1–9), then Enter");
                            return Vec::new();
                        }
                        let effect = Effect::EstimateJudge {
                            req: p.req,
                            rules: ids,
                            target: p.target.clone(),
                            provider,
                            force: p.force,
                        };
                        p.stage = JudgeStage::Estimating;
                        return vec![effect];
                    }
                    _ => {}
                }
                Vec::new()
            }
            JudgeStage::Confirm { job, estimate } if c == Cmd::Confirm => {
                let job = job.clone();
                let est = estimate.clone();
                self.judge_popup = None;
                let run = self.req();
                self.judge_run = Some(JudgeRun {
                    id: run,
                    done: 0,
                    total: est.calls + est.cached,
                    est_cost: est.cost_usd,
                    model: est.model.clone(),
                    paused: None,
                });
                self.info(format!("judging with {}…", super::text::cell(&est.model)));
                vec![Effect::StartJudge { run, job }]
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn judge_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::RulesLoaded { req, result } => {
                let Some(p) = self.judge_popup.as_mut().filter(|p| p.req == req) else {
                    return Vec::new();
                };
                match result {
                    Ok(rules) if !rules.is_empty() => {
                        p.stage = JudgeStage::Pick { rules, cursor: 0 };
                    }
                    Ok(_) => {
                        self.judge_popup = None;
                        self.error("no judge rules found (see trawl judge --list-rules)");
                    }
                    Err(e) => {
                        self.judge_popup = None;
                        self.error(format!("judge rules: {e}"));
                    }
                }
                Vec::new()
            }
            Action::JudgeEstimated { req, result } => {
                let Some(p) = self.judge_popup.as_mut().filter(|p| p.req == req) else {
                    return Vec::new();
                };
                match result {
                    Ok((job, estimate)) => p.stage = JudgeStage::Confirm { job, estimate },
                    Err(e) => {
                        self.judge_popup = None;
                        self.error(format!("judge: {e}"));
                    }
                }
                Vec::new()
            }
            Action::Judge { run, event } => self.judge_event(run, event),
            _ => Vec::new(),
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
                out.extend(self.reload_scores_if_shown(&trace_id));
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
                self.error(format!("judge failed: {}", super::text::cell(&m)));
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
                for id in self.shown_trace_ids() {
                    out.extend(self.reload_scores_if_shown(&id));
                }
                out
            }
        }
    }

    fn shown_trace_ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        if let Some(t) = &self.trace {
            ids.push(t.trace_id.clone());
        }
        if let Some(c) = self.triage.as_ref().and_then(|t| t.content.as_ref())
            && !ids.contains(&c.trace_id)
        {
            ids.push(c.trace_id.clone());
        }
        ids
    }

    fn reload_scores_if_shown(&self, trace_id: &str) -> Vec<Effect> {
        if self.shown_trace_ids().iter().any(|i| i == trace_id) {
            vec![Effect::LoadScores {
                trace_id: trace_id.to_string(),
            }]
        } else {
            Vec::new()
        }
    }

    pub(super) fn scores_loaded(&mut self, trace_id: String, scores: Vec<Score>) {
        if let Some(t) = &mut self.trace
            && t.trace_id == trace_id
        {
            t.scores = scores.clone();
            if t.tab == Tab::Verdicts {
                t.detail = detail::build(t);
            }
        }
        if let Some(tr) = &mut self.triage {
            let labeled: BTreeSet<String> = scores
                .iter()
                .filter(|s| s.source == ScoreSource::Human && s.verdict.is_some())
                .map(|s| s.name.clone())
                .collect();
            for item in tr.items.iter_mut().filter(|i| i.trace_id == trace_id) {
                item.labeled = labeled.clone();
            }
            if let Some(c) = &mut tr.content
                && c.trace_id == trace_id
            {
                c.scores = scores;
                tr.rules = rule_verdicts(&c.scores);
                tr.focus = tr.focus.min(tr.rules.len().saturating_sub(1));
            }
        }
    }

    /// Opens the span detail on its verdicts tab.
    pub(super) fn show_verdicts(&mut self) -> Vec<Effect> {
        let Some(t) = &mut self.trace else {
            return Vec::new();
        };
        if t.selected_span().is_none() {
            return Vec::new();
        }
        t.tab = Tab::Verdicts;
        t.detail_scroll = 0;
        t.detail = detail::build(t);
        self.stack.push(View::Span);
        Vec::new()
    }

    // ── triage ───────────────────────────────────────────────────────────────────────────

    pub(super) fn open_triage(&mut self) -> Vec<Effect> {
        let req = self.req();
        self.triage = Some(TriageState {
            req,
            loading: true,
            ..Default::default()
        });
        self.stack.retain(|v| *v == View::List);
        self.stack.push(View::Triage);
        vec![Effect::LoadTriage {
            req,
            filter: self.list.filter.clone(),
        }]
    }

    fn load_triage_item(&mut self) -> Vec<Effect> {
        let req = self.req();
        let Some(t) = &mut self.triage else {
            return Vec::new();
        };
        let Some(id) = t.current().map(|i| i.trace_id.clone()) else {
            return Vec::new();
        };
        t.item_req = req;
        vec![Effect::LoadTriageItem { req, trace_id: id }]
    }

    pub(super) fn triage_action(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::TriageLoaded { req, items } => {
                let Some(t) = self.triage.as_mut().filter(|t| t.req == req) else {
                    return Vec::new();
                };
                t.loading = false;
                t.items = items;
                t.index = 0;
                if t.items.is_empty() {
                    self.info("nothing flagged: no FALSE or error verdicts here (J judges traces)");
                    return Vec::new();
                }
                self.load_triage_item()
            }
            Action::TriageItemLoaded { req, content } => {
                let Some(t) = self.triage.as_mut().filter(|t| t.item_req == req) else {
                    return Vec::new();
                };
                t.rules = rule_verdicts(&content.scores);
                let flagged = t.current().map(|i| i.flagged.clone()).unwrap_or_default();
                t.focus = t
                    .rules
                    .iter()
                    .position(|r| flagged.contains(&r.rule) && r.human.is_none())
                    .or_else(|| t.rules.iter().position(|r| flagged.contains(&r.rule)))
                    .unwrap_or(0);
                t.lines = triage_lines(&content);
                t.scroll = 0;
                t.content = Some(content);
                Vec::new()
            }
            Action::Labeled {
                id,
                trace_id,
                rule,
                verdict,
                ..
            } => {
                let Some(t) = &mut self.triage else {
                    return Vec::new();
                };
                t.made.push(MadeLabel {
                    id,
                    trace_id: trace_id.clone(),
                    rule: rule.clone(),
                    verdict,
                });
                for item in t.items.iter_mut().filter(|i| i.trace_id == trace_id) {
                    item.labeled.insert(rule.clone());
                }
                if t.focus + 1 < t.rules.len() {
                    t.focus += 1;
                }
                let (done, n) = (t.done_count(), t.items.len());
                self.info(format!(
                    "labelled {} {} · {done}/{n} done",
                    super::text::cell(&rule),
                    verdict_word(verdict)
                ));
                vec![Effect::LoadScores { trace_id }]
            }
            Action::LabelDeleted { trace_id, rule, .. } => {
                let Some(t) = &mut self.triage else {
                    return Vec::new();
                };
                for item in t.items.iter_mut().filter(|i| i.trace_id == trace_id) {
                    item.labeled.remove(&rule);
                }
                self.info(format!(
                    "undone: label {} removed",
                    super::text::cell(&rule)
                ));
                vec![Effect::LoadScores { trace_id }]
            }
            _ => Vec::new(),
        }
    }

    pub(super) fn triage_command(&mut self, c: Cmd) -> Vec<Effect> {
        let page = usize::from(self.size.1).saturating_sub(10).max(1);
        match c {
            Cmd::Back => return self.back(),
            Cmd::LabelTrue => return self.label(Verdict::True),
            Cmd::LabelFalse => return self.label(Verdict::False),
            Cmd::LabelNa => return self.label(Verdict::Na),
            Cmd::Note => {
                if self
                    .triage
                    .as_ref()
                    .and_then(|t| t.focused_rule())
                    .is_none()
                {
                    self.info("no rule to note on");
                    return Vec::new();
                }
                self.input = Some(Input {
                    kind: InputKind::Note,
                    text: String::new(),
                });
                return Vec::new();
            }
            Cmd::Undo => return self.undo_label(),
            Cmd::Agreement => return self.open_agreement(),
            Cmd::Open => {
                let id = self
                    .triage
                    .as_ref()
                    .and_then(|t| t.current())
                    .map(|i| i.trace_id.clone());
                return match id {
                    Some(id) => self.open_trace(id),
                    None => Vec::new(),
                };
            }
            Cmd::Next | Cmd::Prev => {
                let Some(t) = &mut self.triage else {
                    return Vec::new();
                };
                let n = t.items.len();
                if n == 0 {
                    return Vec::new();
                }
                let i = if c == Cmd::Next {
                    if t.index + 1 >= n {
                        let done = t.done_count();
                        self.info(format!("last flagged response · {done}/{n} done"));
                        return Vec::new();
                    }
                    t.index + 1
                } else {
                    if t.index == 0 {
                        self.info("first flagged response");
                        return Vec::new();
                    }
                    t.index - 1
                };
                t.index = i;
                t.pending_note = None;
                // The rule list belongs to the previous response until this one loads.
                t.rules.clear();
                t.focus = 0;
                self.status = None;
                return self.load_triage_item();
            }
            _ => {}
        }
        let Some(t) = &mut self.triage else {
            return Vec::new();
        };
        let last = t.lines.len().saturating_sub(1);
        match c {
            Cmd::Down => t.scroll = (t.scroll + 1).min(last),
            Cmd::Up => t.scroll = t.scroll.saturating_sub(1),
            Cmd::PageDown => t.scroll = (t.scroll + page / 2).min(last),
            Cmd::PageUp => t.scroll = t.scroll.saturating_sub(page / 2),
            Cmd::Pick(n) => {
                let i = usize::from(n).saturating_sub(1);
                if i < t.rules.len() {
                    t.focus = i;
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn label(&mut self, verdict: Verdict) -> Vec<Effect> {
        let author = self.author.clone();
        let req = self.req();
        let Some(t) = &mut self.triage else {
            return Vec::new();
        };
        let Some(item) = t.current() else {
            self.info("nothing to label");
            return Vec::new();
        };
        // A key typed before the response's details arrive still labels it: the queue already
        // knows which rules were flagged (first one not yet labelled).
        let rule = t.focused_rule().map(|r| r.rule.clone()).or_else(|| {
            item.flagged
                .iter()
                .find(|r| !item.labeled.contains(*r))
                .or(item.flagged.first())
                .cloned()
        });
        let Some(rule) = rule else {
            self.info("nothing to label");
            return Vec::new();
        };
        let label = NewLabel {
            trace_id: item.trace_id.clone(),
            rule,
            verdict,
            note: t.pending_note.take(),
            author,
        };
        t.label_req = req;
        vec![Effect::AddLabel { req, label }]
    }

    pub(super) fn submit_note(&mut self, text: &str) -> Vec<Effect> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Vec::new();
        }
        let existing = self.triage.as_ref().and_then(|t| {
            t.focused_rule()
                .and_then(|r| r.human.as_ref())
                .and_then(|h| h.verdict)
        });
        if let Some(t) = &mut self.triage {
            t.pending_note = Some(text);
        }
        match existing {
            // Already labelled: store the label again with the note (the latest wins).
            Some(v) => self.label(v),
            None => {
                self.info("note kept: it is saved with the next label (t / f / n)");
                Vec::new()
            }
        }
    }

    fn undo_label(&mut self) -> Vec<Effect> {
        let req = self.req();
        let Some(t) = &mut self.triage else {
            return Vec::new();
        };
        let Some(m) = t.made.pop() else {
            self.info("nothing to undo");
            return Vec::new();
        };
        let mut out = vec![Effect::DeleteLabel {
            req,
            id: m.id,
            trace_id: m.trace_id.clone(),
            rule: m.rule.clone(),
        }];
        // Go back to the response that label was on.
        if let Some(i) = t.items.iter().position(|i| i.trace_id == m.trace_id)
            && i != t.index
        {
            t.index = i;
            out.extend(self.load_triage_item());
        }
        out
    }

    // ── metrics ──────────────────────────────────────────────────────────────────────────

    pub(super) fn open_metrics(&mut self) -> Vec<Effect> {
        let req = self.req();
        let mut m = MetricsState::new(req);
        if let Some(old) = &self.metrics {
            m.bucket = old.bucket;
            m.group_by = old.group_by;
            m.metric = old.metric;
        }
        let effect = Effect::LoadMetrics {
            req,
            filter: self.list.filter.clone(),
            bucket: m.bucket,
            group: m.group_by,
        };
        self.metrics = Some(m);
        self.stack.retain(|v| *v == View::List);
        self.stack.push(View::Metrics);
        vec![effect]
    }

    fn reload_metrics(&mut self) -> Vec<Effect> {
        let req = self.req();
        let filter = self.list.filter.clone();
        let Some(m) = &mut self.metrics else {
            return Vec::new();
        };
        m.req = req;
        m.loading = true;
        vec![Effect::LoadMetrics {
            req,
            filter,
            bucket: m.bucket,
            group: m.group_by,
        }]
    }

    pub(super) fn metrics_loaded(&mut self, req: u64, stats: Vec<crate::metrics::BucketStats>) {
        let Some(m) = self.metrics.as_mut().filter(|m| m.req == req) else {
            return;
        };
        m.loading = false;
        let prev_metric = m.metrics.get(m.metric).cloned();
        let mut metrics = vec![
            MetricKind::Traces,
            MetricKind::ErrorRate,
            MetricKind::LatencyP50,
            MetricKind::LatencyP95,
            MetricKind::Cost,
            MetricKind::Tokens,
        ];
        let rules: BTreeSet<&String> = stats.iter().flat_map(|b| b.rules.keys()).collect();
        metrics.extend(rules.into_iter().map(|r| MetricKind::FalseRate(r.clone())));
        m.metric = prev_metric
            .and_then(|p| metrics.iter().position(|k| *k == p))
            .unwrap_or(m.metric.min(metrics.len() - 1));
        m.metrics = metrics;
        m.groups = if m.group_by.is_some() {
            let g: BTreeSet<Option<String>> = stats.iter().map(|b| b.group.clone()).collect();
            g.into_iter().collect()
        } else {
            vec![None]
        };
        if m.groups.is_empty() {
            m.groups.push(None);
        }
        m.group = 0;
        m.stats = stats;
        m.selected = m.series().len().saturating_sub(1);
    }

    pub(super) fn metrics_command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Back {
            return self.back();
        }
        let Some(m) = &mut self.metrics else {
            return Vec::new();
        };
        let nm = m.metrics.len().max(1);
        let ng = m.groups.len().max(1);
        match c {
            Cmd::NextTab => m.metric = (m.metric + 1) % nm,
            Cmd::PrevTab => m.metric = (m.metric + nm - 1) % nm,
            Cmd::Next => m.selected = (m.selected + 1).min(m.series().len().saturating_sub(1)),
            Cmd::Prev => m.selected = m.selected.saturating_sub(1),
            Cmd::Down | Cmd::Up => {
                m.group = if c == Cmd::Down {
                    (m.group + 1) % ng
                } else {
                    (m.group + ng - 1) % ng
                };
                m.selected = m.series().len().saturating_sub(1);
            }
            Cmd::CycleBucket => {
                let i = Bucket::ALL.iter().position(|b| *b == m.bucket).unwrap_or(0);
                m.bucket = Bucket::ALL[(i + 1) % Bucket::ALL.len()];
                return self.reload_metrics();
            }
            Cmd::CycleGroup => {
                m.group_by = match m.group_by {
                    None => GroupBy::ALL.first().copied(),
                    Some(g) => {
                        let i = GroupBy::ALL.iter().position(|x| *x == g).unwrap_or(0);
                        GroupBy::ALL.get(i + 1).copied()
                    }
                };
                return self.reload_metrics();
            }
            Cmd::Open => return self.open_bucket(),
            _ => {}
        }
        Vec::new()
    }

    /// The trace list filtered to the selected bucket's `[start, end)` (and group).
    fn open_bucket(&mut self) -> Vec<Effect> {
        let Some(m) = &self.metrics else {
            return Vec::new();
        };
        let series = m.series();
        let Some(b) = series.get(m.selected) else {
            self.info("no bucket selected");
            return Vec::new();
        };
        let iso = |ns: i64| {
            chrono::DateTime::from_timestamp_nanos(ns)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        let mut text = format!("since:{} until:{}", iso(b.start_ns), iso(b.end_ns));
        if let (Some(g), Some(v)) = (m.group_by, b.group.as_deref())
            && v != NO_GROUP
        {
            let v = v.replace('"', "");
            if v.contains(char::is_whitespace) {
                text.push_str(&format!(" {}:\"{v}\"", g.label()));
            } else {
                text.push_str(&format!(" {}:{v}", g.label()));
            }
        }
        let what = format!("{} {}", m.bucket.label(), super::text::cell(&b.bucket));
        self.stack.truncate(1);
        let out = self.apply_filter(&text);
        self.info(format!("traces of the {what}"));
        out
    }

    // ── agreement ────────────────────────────────────────────────────────────────────────

    pub(super) fn open_agreement(&mut self) -> Vec<Effect> {
        let req = self.req();
        self.agreement = Some(AgreementState {
            req,
            loading: true,
            ..Default::default()
        });
        if self.view() != View::Agreement {
            self.stack.push(View::Agreement);
        }
        vec![Effect::LoadAgreement { req }]
    }

    pub(super) fn agreement_loaded(&mut self, req: u64, rules: Vec<AgreementRow>) {
        let Some(a) = self.agreement.as_mut().filter(|a| a.req == req) else {
            return;
        };
        a.loading = false;
        a.rows = rules
            .iter()
            .flat_map(|r| r.disagreements.iter().map(|d| (r.rule.clone(), d.clone())))
            .collect();
        a.rules = rules;
        a.selected = a.selected.min(a.rows.len().saturating_sub(1));
    }

    pub(super) fn agreement_command(&mut self, c: Cmd) -> Vec<Effect> {
        if c == Cmd::Back {
            return self.back();
        }
        let Some(a) = &mut self.agreement else {
            return Vec::new();
        };
        let last = a.rows.len().saturating_sub(1);
        match c {
            Cmd::Down => a.selected = (a.selected + 1).min(last),
            Cmd::Up => a.selected = a.selected.saturating_sub(1),
            Cmd::Open => {
                if let Some((_, d)) = a.rows.get(a.selected) {
                    let id = d.trace_id.clone();
                    return self.open_trace(id);
                }
            }
            _ => {}
        }
        Vec::new()
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

/// The latest judge verdict and human label per rule (scores come newest first).
pub fn rule_verdicts(scores: &[Score]) -> Vec<RuleVerdicts> {
    let mut names: Vec<String> = scores.iter().map(|s| s.name.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|rule| RuleVerdicts {
            judge: scores
                .iter()
                .find(|s| s.name == rule && s.source == ScoreSource::Judge)
                .cloned(),
            human: scores
                .iter()
                .find(|s| s.name == rule && s.source == ScoreSource::Human)
                .cloned(),
            rule,
        })
        .collect()
}

/// Question, answer and retrieved documents as lines (wrapped when drawn).
fn triage_lines(c: &TriageContent) -> Vec<DetailLine> {
    use LineKind as L;
    let mut out = vec![DetailLine::new(L::Heading, "── question ──")];
    match &c.question {
        Some(q) => detail::push_text(&mut out, L::Body, q),
        None => out.push(DetailLine::new(L::Dim, "  (no user message found)")),
    }
    out.push(DetailLine::new(L::Heading, "── answer ──"));
    match &c.answer {
        Some(a) => detail::push_text(&mut out, L::Body, a),
        None => out.push(DetailLine::new(L::Dim, "  (no answer found)")),
    }
    out.push(DetailLine::new(
        L::Heading,
        format!("── retrieved documents ({}) ──", c.documents.len()),
    ));
    for (i, d) in c.documents.iter().enumerate() {
        let score = d
            .score
            .map(|v| format!(" · score {v:.3}"))
            .unwrap_or_default();
        out.push(DetailLine::new(
            L::Role,
            format!(
                "#{} {}{score}",
                i + 1,
                super::text::cell(d.id.as_deref().unwrap_or("?"))
            ),
        ));
        detail::push_text(&mut out, L::Dim, &d.content);
    }
    out
}
