//! The judge set-up form: what `J` (or `R`) opens when the judge needs an API key that is not
//! set, instead of failing after the estimate. Four fields, prefilled from the resolved config
//! (flags, `TRAWL_JUDGE_*`, config.toml): provider, base URL, model and the *name* of the
//! variable holding the key. The key itself is never asked for, shown or stored: the form only
//! says whether that variable is set.

use crate::judge::{ProviderConfig, ProviderKind};
use crate::tui::action::Cmd;
use crate::tui::action::Effect;
use crate::tui::keys::{Binding, Key, Layers, Mode, hint, key};
use crate::tui::pane::{Ctx, Intent, JudgePlan, Pane, PaneInfo};
use crate::tui::theme::Theme;
use crate::tui::widgets::popup;
use crate::tui::widgets::text::cell;
use crossterm::event::KeyCode as K;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use std::any::Any;

pub static INFO: PaneInfo = PaneInfo {
    mode: Mode::JudgeSetup,
    label: "judge set-up",
    title: "Judge set-up form (opens when the judge's API key is not set)",
    // No global keys and no navigation layer: typed characters (`?`, `:`, `j`) edit a field.
    keys: Layers {
        own: KEYS,
        picks: None,
        nav: None,
        global: false,
    },
};

static KEYS: &[Binding] = &[
    hint(Key::plain(K::Esc), Cmd::Back, "cancel"),
    hint(Key::plain(K::Enter), Cmd::Confirm, "use these settings"),
    hint(Key::plain(K::Tab), Cmd::NextTab, "next field"),
    key(Key::plain(K::BackTab), Cmd::PrevTab, "previous field"),
    key(Key::plain(K::Down), Cmd::Down, "next field"),
    key(Key::plain(K::Up), Cmd::Up, "previous field"),
    hint(Key::plain(K::Right), Cmd::Next, "next provider"),
    key(Key::plain(K::Left), Cmd::Prev, "previous provider"),
    key(
        Key::plain(K::Backspace),
        Cmd::InputBackspace,
        "delete a character",
    ),
];

/// Whether the environment variable `name` holds a non-blank value (the value is not kept).
pub fn env_is_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.trim().is_empty())
}

/// Whether judging with `cfg` would stop for want of a key: the vendor's own endpoint and the
/// key variable unset. A local or self-hosted server may need no key.
pub fn key_missing(cfg: &ProviderConfig, is_set: fn(&str) -> bool) -> bool {
    cfg.is_official() && !is_set(&cfg.api_key_env)
}

const FIELDS: [&str; 4] = ["provider", "base URL", "model", "key variable"];

#[derive(Debug, Clone)]
pub struct JudgeSetupPane {
    pub kind: ProviderKind,
    pub base_url: String,
    pub model: String,
    pub api_key_env: String,
    /// The field being edited (index into `FIELDS`).
    pub focus: usize,
    /// The rest of the configuration (timeouts, limits), kept as it was.
    base: ProviderConfig,
    /// What to judge once set up.
    plan: JudgePlan,
    problem: Option<String>,
    is_set: fn(&str) -> bool,
}

impl JudgeSetupPane {
    /// The form over `cfg`, to run `plan` afterwards; `is_set` says whether an environment
    /// variable is set (tests pass their own).
    pub fn new(cfg: &ProviderConfig, plan: JudgePlan, is_set: fn(&str) -> bool) -> JudgeSetupPane {
        JudgeSetupPane {
            kind: cfg.kind,
            base_url: cfg.base_url.clone(),
            model: cfg.model.clone(),
            api_key_env: cfg.api_key_env.clone(),
            focus: 1,
            base: cfg.clone(),
            plan,
            problem: None,
            is_set,
        }
    }

    fn field_mut(&mut self) -> Option<&mut String> {
        match self.focus {
            1 => Some(&mut self.base_url),
            2 => Some(&mut self.model),
            3 => Some(&mut self.api_key_env),
            _ => None,
        }
    }

    /// Switching provider moves the fields still at the old provider's defaults to the new
    /// one's; what was typed stays.
    fn switch_provider(&mut self) {
        let old = self.kind;
        let new = match old {
            ProviderKind::OpenAi => ProviderKind::Anthropic,
            ProviderKind::Anthropic => ProviderKind::OpenAi,
        };
        if self.base_url == old.default_base() {
            self.base_url = new.default_base().into();
        }
        if self.model == old.default_model() {
            self.model = new.default_model().into();
        }
        if self.api_key_env == old.default_key_env() {
            self.api_key_env = new.default_key_env().into();
        }
        self.kind = new;
    }

    /// The configuration the form describes, or what is wrong with it.
    pub fn config(&self) -> Result<ProviderConfig, String> {
        let base_url = self.base_url.trim().trim_end_matches('/').to_string();
        let lower = base_url.to_ascii_lowercase();
        if !(lower.starts_with("http://") || lower.starts_with("https://")) {
            return Err("the base URL starts with http:// or https://".into());
        }
        let model = self.model.trim().to_string();
        if model.is_empty() {
            return Err("name a model".into());
        }
        let var = self.api_key_env.trim().to_string();
        let valid_name = !var.is_empty()
            && !var.starts_with(|c: char| c.is_ascii_digit())
            && var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(
                "the key variable is the NAME of an environment variable (letters, digits, _), never the key"
                    .into(),
            );
        }
        Ok(ProviderConfig {
            kind: self.kind,
            base_url,
            model,
            api_key_env: var,
            ..self.base.clone()
        })
    }

    /// The shell lines that keep these settings for the next start.
    fn keep_lines(&self) -> String {
        format!(
            "TRAWL_JUDGE_PROVIDER={} TRAWL_JUDGE_BASE_URL={} TRAWL_JUDGE_MODEL={} TRAWL_JUDGE_API_KEY_ENV={}",
            self.kind.as_str(),
            cell(self.base_url.trim()),
            cell(self.model.trim()),
            cell(self.api_key_env.trim())
        )
    }

    fn confirm(&mut self, cx: &mut Ctx) {
        let cfg = match self.config() {
            Ok(c) => c,
            Err(e) => {
                self.problem = Some(e);
                return;
            }
        };
        if key_missing(&cfg, self.is_set) {
            self.problem = Some(format!(
                "{} is not set: quit, export {}=<your key> in your shell and start trawl again (the key is read from the environment only), or use a server that needs no key",
                cfg.api_key_env, cfg.api_key_env
            ));
            return;
        }
        cx.ask(Intent::SetJudge(cfg, self.plan.clone()));
    }

    /// A typed character edits the focused text field.
    pub fn type_char(&mut self, c: char) {
        if c.is_control() {
            return;
        }
        if let Some(f) = self.field_mut() {
            f.push(c);
        }
        self.problem = None;
    }
}

impl Pane for JudgeSetupPane {
    fn info(&self) -> &'static PaneInfo {
        &INFO
    }

    fn update(&mut self, c: Cmd, cx: &mut Ctx) -> Vec<Effect> {
        let n = FIELDS.len();
        match c {
            Cmd::Back => {
                cx.back();
                cx.info("judge set-up cancelled");
            }
            Cmd::NextTab | Cmd::Down => self.focus = (self.focus + 1) % n,
            Cmd::PrevTab | Cmd::Up => self.focus = (self.focus + n - 1) % n,
            Cmd::Next | Cmd::Prev if self.focus == 0 => self.switch_provider(),
            Cmd::InputBackspace => {
                if let Some(f) = self.field_mut() {
                    f.pop();
                }
            }
            Cmd::Confirm => self.confirm(cx),
            _ => {}
        }
        Vec::new()
    }

    fn type_char(&mut self, c: char) {
        JudgeSetupPane::type_char(self, c);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, th: &Theme) {
        draw(self, frame, area, th);
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn draw(p: &JudgeSetupPane, frame: &mut Frame, area: Rect, th: &Theme) {
    let intro = if key_missing(&p.base, p.is_set) {
        "The judge needs an API key that is not set. Check these settings, then Enter."
    } else {
        "Judge settings for this session. Enter uses them; Esc keeps the current ones."
    };
    let mut lines: Vec<Line> = vec![Line::from(Span::styled(intro, th.title())), Line::from("")];
    let values = [
        format!("‹ {} ›  (←/→)", p.kind.as_str()),
        cell(&p.base_url),
        cell(&p.model),
        cell(&p.api_key_env),
    ];
    for (i, (name, value)) in FIELDS.iter().zip(values).enumerate() {
        let here = i == p.focus;
        let mut spans = vec![
            Span::styled(if here { "› " } else { "  " }, th.key()),
            Span::styled(format!("{name:<13}"), th.dim()),
            Span::styled(value, if here { th.selected() } else { th.base() }),
        ];
        if here && i > 0 {
            spans.push(Span::styled(" ", th.selected()));
        }
        lines.push(Line::from(spans));
    }
    let var = p.api_key_env.trim();
    let state = if var.is_empty() {
        "no key variable named".to_string()
    } else if (p.is_set)(var) {
        format!("${var} is set (its value is never shown)")
    } else {
        format!("${var} is not set")
    };
    lines.push(Line::from(Span::styled(format!("  {state}"), th.dim())));
    lines.push(Line::from(""));
    if let Some(problem) = &p.problem {
        lines.push(Line::from(Span::styled(format!("✗ {problem}"), th.error())));
        lines.push(Line::from(""));
    }
    lines.push(Line::from(Span::styled(
        format!(
            "To keep them: {} (or [judge] in config.toml).",
            p.keep_lines()
        ),
        th.dim(),
    )));
    lines.push(Line::from(Span::styled(
        "Tab next field · Enter use · Esc cancel",
        th.dim(),
    )));
    popup::draw(frame, area, th, " Judge set-up ", lines, 90);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::JudgeTarget;

    fn plan() -> JudgePlan {
        JudgePlan {
            target: JudgeTarget::Ids(vec!["t".into()]),
            what: "1 trace".into(),
            force: false,
            rules: None,
        }
    }

    #[test]
    fn switching_provider_moves_defaults_and_keeps_typed_values() {
        let cfg = ProviderConfig::new(ProviderKind::OpenAi);
        let mut p = JudgeSetupPane::new(&cfg, plan(), |_| false);
        p.model = "my-model".into();
        p.switch_provider();
        assert_eq!(p.kind, ProviderKind::Anthropic);
        assert_eq!(p.base_url, ProviderKind::Anthropic.default_base());
        assert_eq!(p.api_key_env, "ANTHROPIC_API_KEY");
        assert_eq!(p.model, "my-model");
    }

    #[test]
    fn the_form_refuses_a_key_in_the_variable_field() {
        let cfg = ProviderConfig::new(ProviderKind::OpenAi);
        let mut p = JudgeSetupPane::new(&cfg, plan(), |_| false);
        p.api_key_env = "sk-proj-abc123-def".into();
        assert!(p.config().is_err());
        p.api_key_env = "MY_KEY".into();
        p.base_url = "localhost:11434".into();
        assert!(p.config().is_err());
        p.base_url = "http://localhost:11434/v1/".into();
        let c = p.config().unwrap();
        assert_eq!(c.base_url, "http://localhost:11434/v1");
        assert!(!key_missing(&c, |_| false), "a local server needs no key");
    }
}
