//! The replay form of one LLM call (`r` on an LLM span): provider, model, base URL,
//! `KEY=VALUE` parameters and the system prompt (edited in `$EDITOR`). Every change rebuilds
//! the request on the worker (`replay::single::prepare`, the CLI's steps) and shows the new
//! estimate; `s` asks to confirm, `y` sends in the background. A call whose recorded input is
//! incomplete shows why instead of a form.

use crate::judge::ProviderKind;
use crate::replay::single::{Prepared, Settings};
use crate::tui::action::{Action, Cmd, Effect};
use crate::tui::compare::{CompareAction, CompareEffect};
use crate::tui::keys::{Binding, Key, Layers, Mode, NavLabels, hint, key};
use crate::tui::pane::{Ctx, Intent, Pane, PaneInfo, Receipt};
use crate::tui::status::InputKind;
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::text::{cell, fit, short_id};
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::ReplayForm,
    label: "replay form",
    title: "Replay form",
    keys: Layers::pane(
        KEYS,
        Some(&NavLabels {
            down: "next field",
            up: "previous field",
            top: "first field",
            bottom: "last field",
            ..NavLabels::ROWS
        }),
    ),
};

static KEYS: &[Binding] = &[
    hint(Key::ch('q'), Cmd::Back, "back"),
    key(
        Key::plain(K::Esc),
        Cmd::Cancel,
        "cancel the confirmation, else back",
    ),
    hint(Key::plain(K::Enter), Cmd::Open, "edit the field"),
    hint(Key::ch('e'), Cmd::Edit, "system prompt in $EDITOR"),
    hint(Key::ch('s'), Cmd::Replay, "send (estimate first)"),
    key(Key::ch('y'), Cmd::Confirm, "confirm: send the replay"),
];

/// The form's fields, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Provider,
    Model,
    BaseUrl,
    Params,
    System,
}

pub const FIELDS: [Field; 5] = [
    Field::Provider,
    Field::Model,
    Field::BaseUrl,
    Field::Params,
    Field::System,
];

#[derive(Debug, Clone)]
pub struct ReplayFormPane {
    pub trace_id: String,
    pub span_id: String,
    pub settings: Settings,
    /// The request as it would go out now, with its estimate.
    pub prepared: Option<Box<Prepared>>,
    /// Why the call cannot be replayed (the recording is incomplete): no form then.
    pub refused: Option<String>,
    /// Why the current settings do not build a request (a bad parameter).
    pub problem: Option<String>,
    pub field: usize,
    /// The estimate is on screen and `y` sends.
    pub confirming: bool,
    /// Sent: the run goes on in the background.
    pub sent: bool,
    req: u64,
    edit_req: u64,
}

impl ReplayFormPane {
    pub fn open(trace_id: String, span_id: String, cx: &mut Ctx) -> (ReplayFormPane, Effect) {
        let mut pane = ReplayFormPane {
            trace_id,
            span_id,
            settings: Settings::default(),
            prepared: None,
            refused: None,
            problem: None,
            field: 0,
            confirming: false,
            sent: false,
            req: 0,
            edit_req: 0,
        };
        let effect = pane.rebuild(cx);
        (pane, effect)
    }

    fn rebuild(&mut self, cx: &mut Ctx) -> Effect {
        self.req = cx.req();
        self.confirming = false;
        Effect::Compare(CompareEffect::Prepare {
            req: self.req,
            trace_id: self.trace_id.clone(),
            span_id: self.span_id.clone(),
            settings: self.settings.clone(),
        })
    }

    fn current(&self) -> Field {
        FIELDS[self.field.min(FIELDS.len() - 1)]
    }

    /// The text a field is edited from.
    fn value(&self, f: Field) -> String {
        let p = self.prepared.as_deref();
        match f {
            Field::Provider => p.map_or("", |p| p.target.kind.as_str()).to_string(),
            Field::Model => self
                .settings
                .model
                .clone()
                .or_else(|| p.map(|p| p.model.clone()))
                .unwrap_or_default(),
            Field::BaseUrl => self
                .settings
                .base_url
                .clone()
                .or_else(|| p.map(|p| p.target.base_url.clone()))
                .unwrap_or_default(),
            Field::Params => self.settings.set.join(" "),
            Field::System => self
                .settings
                .system
                .clone()
                .or_else(|| p.and_then(|p| p.recorded_system.clone()))
                .unwrap_or_default(),
        }
    }

    fn edit(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        match self.current() {
            // Two wire formats: Enter flips between them.
            Field::Provider => {
                let now = self.prepared.as_deref().map(|p| p.target.kind);
                self.settings.provider = Some(match now {
                    Some(ProviderKind::OpenAi) => ProviderKind::Anthropic,
                    _ => ProviderKind::OpenAi,
                });
                vec![self.rebuild(cx)]
            }
            Field::System => self.editor(cx),
            f => {
                cx.ask(Intent::Prompt(InputKind::Field, self.value(f)));
                Vec::new()
            }
        }
    }

    fn editor(&mut self, cx: &mut Ctx) -> Vec<Effect> {
        self.edit_req = cx.req();
        vec![Effect::Compare(CompareEffect::Edit {
            req: self.edit_req,
            text: self.value(Field::System),
        })]
    }

    fn send(&mut self, cx: &mut Ctx) {
        let Some(p) = &self.prepared else {
            cx.error(
                self.problem
                    .clone()
                    .unwrap_or_else(|| "still estimating…".into()),
            );
            return;
        };
        if !self.confirming {
            self.confirming = true;
            cx.info(format!("{} — y sends, Esc cancels", estimate_line(p)));
            return;
        }
        self.confirming = false;
        self.sent = true;
        cx.info("replaying in the background…");
        cx.ask(Intent::StartReplay(p.clone()));
    }
}

/// "1 call to URL (openai, model), ~N input + ~M output tokens, estimated cost $X".
pub fn estimate_line(p: &Prepared) -> String {
    let e = &p.estimate;
    format!(
        "1 call to {} ({}, {}), ~{} input + ~{} output tokens, estimated cost {}",
        cell(&p.target.base_url),
        p.target.kind.as_str(),
        cell(&p.model),
        e.input_tokens,
        e.output_tokens,
        e.cost_usd.map_or("unknown".into(), |c| format!("${c:.4}"))
    )
}

impl Pane for ReplayFormPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        if c == Cmd::Back || (c == Cmd::Cancel && !self.confirming) {
            cx.back();
            return Vec::new();
        }
        if self.refused.is_some() {
            return Vec::new();
        }
        match c {
            Cmd::Cancel => {
                self.confirming = false;
                cx.info("not sent");
            }
            Cmd::Down => self.field = (self.field + 1).min(FIELDS.len() - 1),
            Cmd::Up => self.field = self.field.saturating_sub(1),
            Cmd::Top => self.field = 0,
            Cmd::Bottom => self.field = FIELDS.len() - 1,
            Cmd::Open => return self.edit(cx),
            Cmd::Edit => return self.editor(cx),
            Cmd::Replay => self.send(cx),
            Cmd::Confirm if self.confirming => self.send(cx),
            _ => {}
        }
        Vec::new()
    }

    fn submit(&mut self, kind: InputKind, text: &str, cx: &mut Ctx) -> Vec<Effect> {
        if kind != InputKind::Field {
            return Vec::new();
        }
        let text = text.trim();
        let value = (!text.is_empty()).then(|| text.to_string());
        match self.current() {
            Field::Model => self.settings.model = value,
            Field::BaseUrl => self.settings.base_url = value,
            Field::Params => {
                self.settings.set = text.split_whitespace().map(str::to_string).collect();
            }
            Field::Provider | Field::System => return Vec::new(),
        }
        vec![self.rebuild(cx)]
    }

    fn receive(&mut self, action: Action, cx: &mut Ctx) -> Receipt {
        match action {
            Action::Compare(CompareAction::Prepared { req, result }) if req == self.req => {
                match result {
                    Ok(p) => {
                        self.problem = None;
                        self.prepared = Some(p);
                    }
                    // Nothing ever built: the recording itself is the problem.
                    Err(e) if self.prepared.is_none() => self.refused = Some(e),
                    Err(e) => {
                        cx.error(format!("replay: {}", cell(&e)));
                        self.problem = Some(e);
                    }
                }
                Receipt::Taken(Vec::new())
            }
            Action::Compare(CompareAction::Edited { req, result }) if req == self.edit_req => {
                match result {
                    Ok(text) => {
                        let recorded = self
                            .prepared
                            .as_deref()
                            .and_then(|p| p.recorded_system.clone());
                        self.settings.system = (Some(&text) != recorded.as_ref()).then_some(text);
                        Receipt::Taken(vec![self.rebuild(cx)])
                    }
                    Err(e) => {
                        cx.error(cell(&e));
                        Receipt::Taken(Vec::new())
                    }
                }
            }
            other => Receipt::Pass(other),
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn position(&self) -> String {
        format!("call {} ", short_id(&self.span_id))
    }

    fn shown_trace(&self) -> Option<&str> {
        Some(&self.trace_id)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn label(f: Field) -> &'static str {
    match f {
        Field::Provider => "provider",
        Field::Model => "model",
        Field::BaseUrl => "base URL",
        Field::Params => "parameters",
        Field::System => "system prompt",
    }
}

fn draw(f: &ReplayFormPane, frame: &mut Frame, area: Rect, th: &Theme) {
    let title = format!(
        "replay call {} of trace {}",
        short_id(&f.span_id),
        short_id(&f.trace_id)
    );
    frame.render_widget(
        Paragraph::new(Span::styled(title, th.header())),
        line_area(area, 0),
    );
    if let Some(why) = &f.refused {
        let lines = vec![
            Line::from(Span::styled("this call cannot be replayed:", th.error())),
            Line::from(cell(why)),
        ];
        let rest = Rect {
            y: area.y + 2,
            height: area.height.saturating_sub(2),
            ..area
        };
        frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), rest);
        return;
    }
    if f.prepared.is_none() && f.problem.is_none() {
        frame.render_widget(
            Paragraph::new(Span::styled("reading the recorded request…", th.dim())),
            line_area(area, 2),
        );
        return;
    }
    let width = usize::from(area.width);
    for (i, field) in FIELDS.iter().enumerate() {
        let mut value = cell(&f.value(*field));
        if *field == Field::Params && value.is_empty() {
            value = "(as recorded; KEY=VALUE … overrides, e.g. temperature=0)".into();
        }
        if *field == Field::System {
            let state = if f.settings.system.is_some() {
                "edited"
            } else {
                "recorded"
            };
            value = format!("({state}; Enter or e opens $EDITOR) {value}");
        }
        let text = format!(
            "{} {} {}",
            if i == f.field { "›" } else { " " },
            fit(label(*field), 14),
            value
        );
        let mut line = Line::from(fit(&text, width));
        if i == f.field {
            line = line.style(th.selected());
        }
        let row = 2 + u16::try_from(i).unwrap_or(0);
        frame.render_widget(Paragraph::new(line), line_area(area, row));
    }
    let row = 3 + u16::try_from(FIELDS.len()).unwrap_or(0);
    let (text, style) = match (&f.problem, &f.prepared) {
        (Some(p), _) => (cell(p), th.error()),
        (None, Some(p)) => (format!("estimate: {}", estimate_line(p)), th.base()),
        (None, None) => (String::new(), th.base()),
    };
    let est = Rect {
        y: area.y + row,
        height: area.height.saturating_sub(row).min(2),
        ..area
    };
    frame.render_widget(
        Paragraph::new(Span::styled(text, style)).wrap(Wrap { trim: false }),
        est,
    );
    let prompt = if f.sent {
        "sent: the replay runs in the background and opens beside its original when done"
    } else if f.confirming {
        "send this replay? y sends · Esc cancels"
    } else {
        "s sends (asks first) · the key comes from OPENAI_API_KEY / ANTHROPIC_API_KEY"
    };
    frame.render_widget(
        Paragraph::new(Span::styled(prompt, th.key())),
        line_area(area, row + 3),
    );
}
