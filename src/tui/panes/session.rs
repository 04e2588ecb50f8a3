//! A session as one conversation: each turn's question and answer, newest at the bottom.

use crate::display;
use crate::model::Trace;
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Notice, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::{body_area, line_area};
use crate::tui::widgets::scroll::{Motion, ScrollList};
use crate::tui::widgets::search::{Search, highlight};
use crate::tui::widgets::text::{cell, short_id, wrap};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::Session,
    label: "session",
    title: "Session",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            down: "next turn",
            up: "previous turn",
            top: "first turn",
            bottom: "last turn",
            ..NavLabels::ROWS
        }),
    ),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(Key::plain(K::Esc), Cmd::Back, "back"),
    hint(Key::plain(K::Enter), Cmd::Open, "open this turn's trace"),
    key(Key::ch('y'), Cmd::Copy, "copy trace id"),
    key(Key::ch('/'), Cmd::Search, "search questions and answers"),
    key(Key::ch('n'), Cmd::SearchNext, "next match"),
    key(Key::ch('N'), Cmd::SearchPrev, "previous match"),
];

const Q_LINES: usize = 3;
const A_LINES: usize = 5;

#[derive(Debug, Clone)]
pub struct SessionPane {
    pub session_id: String,
    pub loading: bool,
    pub traces: Vec<Trace>,
    /// Cursor over the turns (each several rows).
    pub turns: ScrollList,
    /// A `/` search over the turns' questions and answers.
    pub search: Option<Search>,
    req: u64,
    width: usize,
}

impl SessionPane {
    pub fn loading(session_id: String, req: u64, size: (u16, u16)) -> SessionPane {
        let mut p = SessionPane {
            session_id,
            loading: true,
            traces: Vec::new(),
            turns: ScrollList::list(),
            search: None,
            req,
            width: 0,
        };
        p.measure(size);
        p
    }

    pub fn selected(&self) -> usize {
        self.turns.selected()
    }

    /// Selects the next (or previous) turn whose question or answer matches.
    fn search_step(&mut self, forward: bool, inclusive: bool, cx: &mut Ctx) {
        let from = self.selected();
        let Some(search) = self.search.as_mut() else {
            cx.info("no search: press / first");
            return;
        };
        let traces = &self.traces;
        search.scan(traces.len(), |s, i| {
            traces.get(i).is_some_and(|t| {
                [&t.input_preview, &t.output_preview]
                    .into_iter()
                    .flatten()
                    .any(|text| s.matches(text))
            })
        });
        match search.step(from, forward, inclusive) {
            Some(i) => {
                cx.info(format!("/{} · {}", cell(&search.query), search.status()));
                self.turns.select(i);
            }
            None => cx.error(format!(
                "no match for '{}' in this session",
                cell(&search.query)
            )),
        }
    }

    fn measure(&mut self, size: (u16, u16)) {
        let body = body_area(size);
        self.width = usize::from(body.width);
        self.turns
            .set_viewport(usize::from(body.height.saturating_sub(1)));
        let mono = Theme::mono();
        let rows: Vec<usize> = self
            .traces
            .iter()
            .enumerate()
            .map(|(i, t)| turn_lines(&mono, i, t, self.width, false, None).len())
            .collect();
        self.turns.set_rows(rows);
    }
}

impl Pane for SessionPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if let Some(m) = Motion::of(c) {
            self.turns.apply(m);
            return Vec::new();
        }
        let id = self.traces.get(self.selected()).map(|t| t.trace_id.clone());
        match (c, id) {
            (Cmd::Back, _) => cx.back(),
            (Cmd::Open, Some(id)) => cx.ask(Intent::OpenTrace(id)),
            (Cmd::Copy, Some(id)) => return cx.copy(id, "trace id"),
            (Cmd::Search, _) => cx.ask(Intent::Prompt(InputKind::Search, String::new())),
            (Cmd::SearchNext, _) => self.search_step(true, false, cx),
            (Cmd::SearchPrev, _) => self.search_step(false, false, cx),
            _ => {}
        }
        Vec::new()
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        if kind == InputKind::Search {
            self.search = Search::new(text);
            if self.search.is_some() {
                self.search_step(true, true, cx);
            }
        }
        Vec::new()
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::SessionLoaded {
                req,
                session_id,
                traces,
            } if req == self.req => {
                self.loading = false;
                self.session_id = session_id;
                self.traces = traces;
                self.measure(cx.size);
                Receipt::Taken(Vec::new())
            }
            other => Receipt::Pass(other),
        }
    }

    fn notice(&mut self, notice: &Notice) {
        if let Notice::Failed { req } = notice
            && *req == self.req
        {
            self.loading = false;
        }
    }

    fn resize(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.measure(cx.size);
        Vec::new()
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        let title = format!(
            "Session {} · {} turns{}",
            cell(&self.session_id),
            self.traces.len(),
            if self.loading { " · loading…" } else { "" }
        );
        frame.render_widget(
            Paragraph::new(Span::styled(title, th.title())),
            line_area(area, 0),
        );
        let body_h = usize::from(area.height.saturating_sub(1));
        let width = usize::from(area.width);
        let selected = self.selected();
        // Walk back from the selected turn until the screen is full, so it is always visible.
        let mut first = selected.min(self.traces.len().saturating_sub(1));
        let mut used = 0;
        while let Some(t) = self.traces.get(first) {
            let h = turn_lines(th, first, t, width, false, None).len();
            if used + h > body_h && first != selected {
                first += 1;
                break;
            }
            used += h;
            if first == 0 {
                break;
            }
            first -= 1;
        }
        let mut lines: Vec<Line> = Vec::new();
        for (i, t) in self.traces.iter().enumerate().skip(first) {
            if lines.len() >= body_h {
                break;
            }
            lines.extend(turn_lines(
                th,
                i,
                t,
                width,
                i == selected,
                self.search.as_ref(),
            ));
        }
        lines.truncate(body_h);
        let body = Rect {
            y: area.y + 1,
            height: area.height.saturating_sub(1),
            ..area
        };
        frame.render_widget(Paragraph::new(lines), body);
    }

    fn position(&self) -> String {
        format!("turn {}/{} ", self.selected() + 1, self.traces.len())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn turn_lines(
    th: &Theme,
    i: usize,
    t: &Trace,
    width: usize,
    selected: bool,
    search: Option<&Search>,
) -> Vec<Line<'static>> {
    let head_style = if selected { th.selected() } else { th.header() };
    let mut out = vec![Line::from(Span::styled(
        format!(
            "{}Turn {} · {} · {} · {}{} · {}",
            if selected { "› " } else { "  " },
            i + 1,
            crate::timefilter::short_time(t.start_ns),
            display::duration_ns(t.duration_ns),
            display::trace_cost(t.cost_usd, t.cost_known_usd, t.unknown_cost_spans),
            if t.error { " · ✗ error" } else { "" },
            short_id(&t.trace_id)
        ),
        head_style,
    ))];
    let mut part = |label: &str, text: Option<&str>, max: usize, style: Style| {
        let text = text.map(cell).unwrap_or_else(|| "(none recorded)".into());
        let lines = wrap(&text, width.saturating_sub(8).max(10));
        let n = lines.len();
        for (k, l) in lines.into_iter().take(max).enumerate() {
            let prefix = if k == 0 {
                format!("    {label} ")
            } else {
                "       ".into()
            };
            let more = if k + 1 == max && n > max { " …" } else { "" };
            let text = format!("{l}{more}");
            let mut spans = vec![Span::styled(prefix, style)];
            spans.extend(
                highlight(search, &text, Style::default(), th.search_hit())
                    .into_iter()
                    .map(|s| Span::styled(s.content.into_owned(), s.style)),
            );
            out.push(Line::from(spans));
        }
    };
    part("Q:", t.input_preview.as_deref(), Q_LINES, th.role("user"));
    part(
        "A:",
        t.output_preview.as_deref(),
        A_LINES,
        th.role("assistant"),
    );
    out.push(Line::from(""));
    out
}
