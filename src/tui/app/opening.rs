//! Opening panes on top of the list: a trace, a session, triage, metrics, agreement.

use super::{App, Slot};
use crate::tui::action::Effect;
use crate::tui::keys::Mode;
use crate::tui::pane::{Ctx, EvidenceFocus};
use crate::tui::panes::agreement::AgreementPane;
use crate::tui::panes::evidence::EvidencePane;
use crate::tui::panes::metrics::MetricsPane;
use crate::tui::panes::session::SessionPane;
use crate::tui::panes::trace::TracePane;
use crate::tui::panes::triage::TriagePane;

impl App {
    pub(super) fn refresh_list(&mut self) -> Vec<Effect> {
        self.with_list(|l, cx| l.refresh(cx))
    }

    /// The store gained spans (live progress, another process's commits): the list and an
    /// open trace read again.
    pub(super) fn refresh_stored(&mut self) -> Vec<Effect> {
        let mut out = self.refresh_list();
        out.extend(self.with(Slot::Stack, |pane, cx| pane.stored_more(cx)));
        out
    }

    pub fn open_trace(&mut self, trace_id: String) -> Vec<Effect> {
        let req = self.req();
        if self.view() == Mode::Span {
            self.panes.pop(&mut self.list);
        }
        let pane = TracePane::loading(trace_id.clone(), req);
        self.panes.replace_or_push(Mode::Trace, Box::new(pane));
        vec![Effect::OpenTrace {
            req,
            trace_id,
            shown: 0,
        }]
    }

    pub(super) fn open_session(&mut self, session_id: String) -> Vec<Effect> {
        let req = self.req();
        let pane = SessionPane::loading(session_id.clone(), req, self.size);
        self.panes.push(Box::new(pane));
        vec![Effect::LoadSession { req, session_id }]
    }

    pub(super) fn open_session_of_current(&mut self) -> Vec<Effect> {
        match self.top().current_session() {
            Some(s) => self.open_session(s),
            None => {
                self.error("this trace has no session id");
                Vec::new()
            }
        }
    }

    pub(super) fn open_triage(&mut self) -> Vec<Effect> {
        self.panes.close_all();
        let filter = self.list.filter.clone();
        let (pane, effect) = TriagePane::open(self.author.clone(), filter, &mut cx!(self));
        self.panes.push(Box::new(pane));
        vec![effect]
    }

    /// The evidence pane over the pane that asked (it loads the trace when not handed one).
    pub(super) fn open_evidence(&mut self, focus: EvidenceFocus) -> Vec<Effect> {
        let (pane, effects) = EvidencePane::open(focus, &mut cx!(self));
        self.panes.replace_or_push(Mode::Evidence, Box::new(pane));
        effects
    }

    pub(super) fn open_metrics(&mut self) -> Vec<Effect> {
        self.panes.close_all();
        let (filter, text) = (self.list.filter.clone(), self.list.filter_text.clone());
        let kept = self.panes.take_kept(Mode::Metrics);
        let (pane, effect) = MetricsPane::open(filter, text, kept.as_deref(), &mut cx!(self));
        self.panes.push(Box::new(pane));
        vec![effect]
    }

    pub(super) fn open_agreement(&mut self) -> Vec<Effect> {
        let (pane, effect) = AgreementPane::open(&mut cx!(self));
        // Opened again from itself: reload in place.
        self.panes.replace_or_push(Mode::Agreement, Box::new(pane));
        vec![effect]
    }
}
