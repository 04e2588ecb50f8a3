//! The panes open over the trace list: a stack (the top one has the keys; `q` goes back down),
//! a popup slot, the help overlay, and the settings closed panes leave for the next pane of
//! their kind.

use super::action::Effect;
use super::keys::Mode;
use super::pane::{Ctx, Notice, Pane};
use super::panes::help::HelpPane;
use std::any::Any;
use std::collections::HashMap;

#[derive(Default)]
pub struct PaneStack {
    above: Vec<Box<dyn Pane>>,
    /// A modal popup over the top pane (the judge).
    pub popup: Option<Box<dyn Pane>>,
    pub help: Option<HelpPane>,
    kept: HashMap<Mode, Box<dyn Any>>,
}

impl PaneStack {
    /// The top pane; `None` when the list is on top.
    pub fn top(&self) -> Option<&dyn Pane> {
        self.above.last().map(|p| p.as_ref())
    }

    pub fn top_mut(&mut self) -> Option<&mut dyn Pane> {
        match self.above.last_mut() {
            Some(p) => Some(p.as_mut()),
            None => None,
        }
    }

    /// Every pane over the list, bottom first.
    pub fn panes(&self) -> impl Iterator<Item = &dyn Pane> {
        self.above.iter().map(|p| p.as_ref())
    }

    pub fn panes_mut(&mut self) -> &mut [Box<dyn Pane>] {
        &mut self.above
    }

    /// The topmost open pane of type `T`.
    pub fn find<T: Pane>(&self) -> Option<&T> {
        self.above
            .iter()
            .rev()
            .find_map(|p| p.as_any().downcast_ref::<T>())
    }

    pub fn push(&mut self, pane: Box<dyn Pane>) {
        self.above.push(pane);
    }

    /// Replaces the top pane when it is a `mode` pane (a second trace replaces the one on
    /// screen rather than piling up), else pushes.
    pub fn replace_or_push(&mut self, mode: Mode, pane: Box<dyn Pane>) {
        match self.above.last_mut() {
            Some(top) if top.info().mode == mode => *top = pane,
            _ => self.above.push(pane),
        }
    }

    /// Closes the top pane and hands what it leaves to the one below (`root` when none is
    /// left); false when only the root was open.
    pub fn pop(&mut self, root: &mut dyn Pane) -> bool {
        let Some(mut closed) = self.above.pop() else {
            return false;
        };
        self.remember(closed.as_ref());
        if let Some(handoff) = closed.close() {
            match self.above.last_mut() {
                Some(p) => p.take_handoff(handoff),
                None => root.take_handoff(handoff),
            }
        }
        true
    }

    /// Closes every pane over the root.
    pub fn close_all(&mut self) {
        while let Some(closed) = self.above.pop() {
            self.remember(closed.as_ref());
        }
    }

    /// What the last closed pane of `mode` kept (taken: the new pane keeps it from now on).
    pub fn take_kept(&mut self, mode: Mode) -> Option<Box<dyn Any>> {
        self.kept.remove(&mode)
    }

    fn remember(&mut self, closed: &dyn Pane) {
        if let Some(k) = closed.keep() {
            self.kept.insert(closed.info().mode, k);
        }
    }

    /// News for every pane over the root.
    pub fn notify(&mut self, notice: &Notice) {
        for p in &mut self.above {
            p.notice(notice);
        }
        if let Some(p) = &mut self.popup {
            p.notice(notice);
        }
    }

    /// The terminal's new size (`cx.size`) for every pane over the root.
    pub fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        let mut effects = Vec::new();
        for p in &mut self.above {
            effects.extend(p.resize(cx));
        }
        if let Some(p) = &mut self.popup {
            effects.extend(p.resize(cx));
        }
        if let Some(h) = &mut self.help {
            effects.extend(h.resize(cx));
        }
        effects
    }

    /// Traces whose scores are on screen somewhere in the stack, each once.
    pub fn shown_traces(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for id in self.above.iter().filter_map(|p| p.shown_trace()) {
            if !ids.iter().any(|i| i == id) {
                ids.push(id.to_string());
            }
        }
        ids
    }
}
