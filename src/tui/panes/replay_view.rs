//! A replay beside its original: the two answers in columns with the word diff marked
//! (`[-removed-]` on the left, `{+added+}` on the right, coloured where the theme has colour),
//! above them the outcome, the model change and the token / cost / latency deltas as
//! `trawl replay` prints them. Both columns scroll together.

use crate::diff::words::Piece;
use crate::replay::report::{self, Item};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::compare::{CompareAction, CompareEffect, ReplayPair};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::notice;
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::text::{cell, short_id, wrapped_rows};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::ReplayView,
    label: "replay",
    title: "Replay beside its original",
    keys: Layers::pane(KEYS, Some(&NavLabels::SCROLL)),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::ch('a'), Cmd::Prev, "open the original trace"),
    hint(Key::ch('b'), Cmd::Next, "open the replay trace"),
    key(Key::ch('D'), Cmd::Diff, "diff the two traces"),
];

/// How a piece of an answer column is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Same,
    Removed,
    Added,
}

/// One column: lines of marked pieces (clean text).
pub type Column = Vec<Vec<(String, Mark)>>;

/// Rows above the columns: outcome, model, deltas, a gap and the column headings.
const HEAD_ROWS: u16 = 5;

#[derive(Debug, Clone)]
pub struct ReplayViewPane {
    pub pair: Option<ReplayPair>,
    pub error: Option<String>,
    /// `trawl replay`'s model and delta lines for this item.
    pub facts: Vec<String>,
    pub left: Column,
    pub right: Column,
    pub view: ScrollList,
    req: u64,
}

impl ReplayViewPane {
    pub fn open(replay_trace_id: String, cx: &mut Ctx) -> (ReplayViewPane, Effect) {
        let req = cx.req();
        let pane = ReplayViewPane {
            pair: None,
            error: None,
            facts: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            view: ScrollList::document(),
            req,
        };
        let effect = Effect::Compare(CompareEffect::Pair {
            req,
            replay_trace_id,
        });
        (pane, effect)
    }

    fn measure(&mut self, cx: &Ctx) {
        let body = cx.body();
        let w = column_width(body.width);
        let rows = |c: &Column| -> usize {
            c.iter()
                .map(|l| {
                    let text: String = l.iter().map(|(t, _)| t.as_str()).collect();
                    wrapped_rows(&text, w)
                })
                .sum()
        };
        self.view.set_len(rows(&self.left).max(rows(&self.right)));
        self.view
            .set_viewport(usize::from(body.height.saturating_sub(HEAD_ROWS)));
    }
}

fn column_width(width: u16) -> u16 {
    width.saturating_sub(1) / 2
}

/// The pieces one side shows, split into lines: the original keeps what was removed, the
/// replay what was added; markers make the change visible without colour.
pub fn column(pieces: &[Piece], left: bool) -> Column {
    let mut out: Column = vec![Vec::new()];
    for p in pieces {
        let (text, mark) = match p {
            Piece::Same(t) => (t.clone(), Mark::Same),
            Piece::Removed(t) if left => (marked(t, "[-", "-]"), Mark::Removed),
            Piece::Added(t) if !left => (marked(t, "{+", "+}"), Mark::Added),
            _ => continue,
        };
        for (i, seg) in text.split('\n').enumerate() {
            if i > 0 {
                out.push(Vec::new());
            }
            if seg.is_empty() {
                continue;
            }
            if let Some(line) = out.last_mut() {
                line.push((crate::sanitize::clean_line(seg), mark));
            }
        }
    }
    out
}

fn marked(t: &str, open: &str, close: &str) -> String {
    let w = t.trim_end();
    format!("{open}{w}{close}{}", &t[w.len()..])
}

/// The model and delta lines of `trawl replay`'s report for this pair.
fn facts(p: &ReplayPair) -> Vec<String> {
    let item = Item {
        trace_id: p.link.replay_of_trace.clone(),
        span_id: p.link.replay_of_span.clone(),
        replay_trace_id: Some(p.link.trace_id.clone()),
        outcome: p.outcome,
        error: None,
        original: p.original.clone(),
        replay: Some(p.replay.clone()),
    };
    report::item_lines(&item)
        .into_iter()
        .skip(1)
        .filter(|l| !l.starts_with("  answer: "))
        // Tokens on one row, cost and latency on the next: both fit 80 columns.
        .flat_map(|l| {
            let l = l.trim().to_string();
            match l.split_once("; cost ") {
                Some((tokens, rest)) => vec![tokens.to_string(), format!("cost {rest}")],
                None => vec![l],
            }
        })
        .collect()
}

impl Pane for ReplayViewPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.view.apply(m);
            return Vec::new();
        }
        let Some(p) = &self.pair else {
            if c == Cmd::Back {
                cx.back();
            }
            return Vec::new();
        };
        match c {
            Cmd::Back => cx.back(),
            Cmd::Prev => cx.ask(Intent::OpenTrace(p.link.replay_of_trace.clone())),
            Cmd::Next => cx.ask(Intent::OpenTrace(p.link.trace_id.clone())),
            Cmd::Diff => cx.ask(Intent::OpenDiff(
                p.link.replay_of_trace.clone(),
                p.link.trace_id.clone(),
            )),
            _ => {}
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::Compare(CompareAction::Pair { req, result }) if req == self.req => {
                match result {
                    Ok(p) => {
                        self.left = column(&p.answer_diff, true);
                        self.right = column(&p.answer_diff, false);
                        self.facts = facts(&p);
                        self.pair = Some(p);
                    }
                    Err(e) => {
                        cx.error(format!("replay: {}", cell(&e)));
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
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        match &self.pair {
            Some(p) => format!("{} ", p.outcome.label()),
            None => String::new(),
        }
    }

    fn shown_trace(&self) -> Option<&str> {
        self.pair.as_ref().map(|p| p.link.replay_of_trace.as_str())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn draw(v: &ReplayViewPane, frame: &mut Frame, area: Rect, th: &Theme) {
    let Some(p) = &v.pair else {
        notice::pending(frame, area, th, v.error.as_deref(), "loading the replay…");
        return;
    };
    let head = format!(
        "original {} (call {}) → replay {} · {}",
        short_id(&p.link.replay_of_trace),
        short_id(&p.link.replay_of_span),
        short_id(&p.link.trace_id),
        p.outcome.label()
    );
    frame.render_widget(
        Paragraph::new(Span::styled(cell(&head), th.header())),
        line_area(area, 0),
    );
    for (i, f) in v.facts.iter().take(3).enumerate() {
        let row = 1 + u16::try_from(i).unwrap_or(0);
        frame.render_widget(Paragraph::new(cell(f)), line_area(area, row));
    }
    let w = column_width(area.width);
    let left = Rect { width: w, ..area };
    let right = Rect {
        x: area.x + w + 1,
        width: area.width.saturating_sub(w + 1),
        ..area
    };
    let model = |m: &Option<String>| cell(m.as_deref().unwrap_or("?"));
    let heading_row = HEAD_ROWS - 1;
    for (r, title) in [
        (left, format!("── original ({}) ", model(&p.original.model))),
        (right, format!("── replay ({}) ", model(&p.replay.model))),
    ] {
        frame.render_widget(
            Paragraph::new(Span::styled(title, th.header())),
            line_area(r, heading_row),
        );
    }
    let body = |r: Rect| Rect {
        y: r.y + HEAD_ROWS,
        height: r.height.saturating_sub(HEAD_ROWS),
        ..r
    };
    let scroll = u16::try_from(v.view.offset()).unwrap_or(u16::MAX);
    for (r, col) in [(body(left), &v.left), (body(right), &v.right)] {
        let lines: Vec<Line> = col
            .iter()
            .map(|l| {
                Line::from(
                    l.iter()
                        .map(|(t, m)| {
                            let style = match m {
                                Mark::Same => th.base(),
                                Mark::Removed => th.error(),
                                Mark::Added => th.ok(),
                            };
                            Span::styled(t.clone(), style)
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((scroll, 0)),
            r,
        );
    }
}
