//! Every stored replay (`:replays`), newest first: original → replay, the model asked for, the
//! outcome from the verdicts both traces have; Enter opens the replay beside its original.

use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::compare::{CompareAction, CompareEffect, ReplayRow};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::notice;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, fit, short_id};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Replays,
    label: "replays",
    title: "Replays",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            down: "next replay",
            up: "previous replay",
            top: "newest replay",
            bottom: "oldest replay",
            ..NavLabels::ROWS
        }),
    ),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(
        Key::plain(K::Enter),
        Cmd::Open,
        "the replay beside its original",
    ),
    key(Key::ch('D'), Cmd::Diff, "diff original and replay traces"),
];

#[derive(Debug, Clone)]
pub struct ReplaysPane {
    pub loading: bool,
    pub rows: Vec<ReplayRow>,
    pub cursor: ScrollList,
    req: u64,
}

impl ReplaysPane {
    pub fn open(cx: &mut Ctx) -> (ReplaysPane, Effect) {
        let req = cx.req();
        let pane = ReplaysPane {
            loading: true,
            rows: Vec::new(),
            cursor: ScrollList::list(),
            req,
        };
        (pane, Effect::Compare(CompareEffect::List { req, of: None }))
    }

    fn measure(&mut self, cx: &Ctx) {
        self.cursor.set_len(self.rows.len());
        self.cursor
            .set_viewport(usize::from(cx.body().height.saturating_sub(1)));
    }
}

impl Pane for ReplaysPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.cursor.apply(m);
            return Vec::new();
        }
        let row = self.rows.get(self.cursor.selected());
        match (c, row) {
            (Cmd::Back, _) => cx.back(),
            (Cmd::Open, Some(r)) => cx.ask(Intent::OpenReplay(r.link.trace_id.clone())),
            (Cmd::Diff, Some(r)) => cx.ask(Intent::OpenDiff(
                r.link.replay_of_trace.clone(),
                r.link.trace_id.clone(),
            )),
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::Compare(CompareAction::List { req, result }) if req == self.req => {
                self.loading = false;
                match result {
                    Ok(rows) => self.rows = rows,
                    Err(e) => cx.error(format!("replays: {}", cell(&e))),
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
        if self.loading {
            notice::draw(frame, area, "loading replays…", th.dim());
            return;
        }
        if self.rows.is_empty() {
            let empty =
                "no replays yet (r on an LLM call replays it; trawl replay on the command line)";
            notice::draw(frame, area, empty, th.dim());
            return;
        }
        let head = format!(
            "  {} → {} {} {}",
            fit("original", 8),
            fit("replay", 9),
            fit("model", 24),
            "outcome"
        );
        frame.render_widget(
            Paragraph::new(Span::styled(head, th.header())),
            line_area(area, 0),
        );
        let rows = usize::from(area.height.saturating_sub(1));
        let (range, _) = self.cursor.window_of(rows);
        let selected = self.cursor.selected();
        for (n, i) in range.enumerate() {
            let Some(r) = self.rows.get(i) else { break };
            let l = &r.link;
            let text = format!(
                "{} {} → {} {} {}",
                if i == selected { "›" } else { " " },
                fit(short_id(&l.replay_of_trace), 8),
                fit(short_id(&l.trace_id), 9),
                fit(&cell(l.model.as_deref().unwrap_or("(as recorded)")), 24),
                r.outcome.label()
            );
            let row = 1 + u16::try_from(n).unwrap_or(u16::MAX - 1);
            notice::list_row(frame, area, th, row, &text, i == selected);
        }
    }

    fn position(&self) -> String {
        format!("{} replays ", self.rows.len())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
