//! Two traces diffed (`D` on two marked traces): span totals, the question / answer / system
//! prompt word diffs, added / removed / changed spans and the document set and rank changes —
//! `trawl diff`'s report (`diff::render`), scrollable, each kind of line in its own style.

use crate::diff::TraceDiff;
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::compare::{CompareAction, CompareEffect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::lines::{self, DetailLine, LineKind};
use crate::tui::widgets::notice;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::TraceDiff,
    label: "diff",
    title: "Trace diff",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::ch('a'), Cmd::Prev, "open the earlier trace"),
    hint(Key::ch('b'), Cmd::Next, "open the later trace"),
];

#[derive(Debug, Clone)]
pub struct TraceDiffPane {
    pub diff: Option<TraceDiff>,
    pub error: Option<String>,
    pub lines: Vec<DetailLine>,
    pub view: ScrollList,
    req: u64,
}

impl TraceDiffPane {
    pub fn open(a: String, b: String, cx: &mut Ctx) -> (TraceDiffPane, Effect) {
        let req = cx.req();
        let pane = TraceDiffPane {
            diff: None,
            error: None,
            lines: Vec::new(),
            view: ScrollList::document(),
            req,
        };
        (pane, Effect::Compare(CompareEffect::Diff { req, a, b }))
    }

    fn measure(&mut self, cx: &Ctx) {
        let body = cx.body();
        lines::measure(&mut self.view, &self.lines, body.width);
        self.view.set_viewport(usize::from(body.height));
    }
}

/// `trawl diff`'s lines, styled by what they say.
pub fn styled_lines(d: &TraceDiff) -> Vec<DetailLine> {
    crate::diff::render::lines(d)
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let kind = if i == 0 {
                LineKind::Heading
            } else if l.starts_with("- ") || l.starts_with("document dropped") {
                LineKind::Error
            } else if l.starts_with("+ ") || l.starts_with("document added") {
                LineKind::Role
            } else if l.ends_with("(same)") {
                LineKind::Dim
            } else {
                LineKind::Body
            };
            DetailLine::new(kind, crate::tui::widgets::text::cell(&l))
        })
        .collect()
}

impl Pane for TraceDiffPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.view.apply(m);
            return Vec::new();
        }
        match c {
            Cmd::Back => cx.back(),
            Cmd::Prev | Cmd::Next => {
                if let Some(d) = &self.diff {
                    let id = if c == Cmd::Prev { &d.a } else { &d.b };
                    cx.ask(Intent::OpenTrace(id.clone()));
                }
            }
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::Compare(CompareAction::Diff { req, result }) if req == self.req => {
                match result {
                    Ok(d) => {
                        self.lines = styled_lines(&d);
                        self.diff = Some(d);
                    }
                    Err(e) => {
                        cx.error(format!("diff: {e}"));
                        self.error = Some(e);
                    }
                }
                self.measure(cx);
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.measure(cx);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        if self.diff.is_none() {
            notice::pending(frame, area, th, self.error.as_deref(), "diffing…");
            return;
        }
        lines::draw(frame, area, th, &self.lines, &self.view);
    }

    fn position(&self) -> String {
        match &self.diff {
            Some(d) => format!(
                "{} added · {} removed · {} changed ",
                d.added.len(),
                d.removed.len(),
                d.changed.len()
            ),
            None => String::new(),
        }
    }

    fn shown_trace(&self) -> Option<&str> {
        None
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
