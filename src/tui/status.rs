//! What the status line shows besides the panes: a message, the input line and a background
//! judge run. `App` owns them; panes set messages through `Ctx` and open the input line with an
//! `Intent`.

#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Search,
    Command,
    Note,
    /// A field of a form (the replay form's model, base URL, parameters).
    Field,
}

impl InputKind {
    pub fn prompt(self) -> &'static str {
        match self {
            InputKind::Filter => "filter> ",
            InputKind::Search => "/",
            InputKind::Command => ":",
            InputKind::Note => "note> ",
            InputKind::Field => "value> ",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

/// A background judge run, for the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeRun {
    pub id: u64,
    pub done: usize,
    pub total: usize,
    pub est_cost: Option<f64>,
    pub model: String,
    pub paused: Option<String>,
}

impl JudgeRun {
    /// Run `id`, confirmed on `est`.
    pub fn start(id: u64, est: &crate::judge::Estimate) -> JudgeRun {
        JudgeRun {
            id,
            done: 0,
            total: est.calls + est.cached,
            est_cost: est.cost_usd,
            model: est.model.clone(),
            paused: None,
        }
    }

    /// The estimate pro-rated by progress (the exact figure comes with the summary).
    pub fn cost_so_far(&self) -> Option<f64> {
        let c = self.est_cost?;
        if self.total == 0 {
            return Some(0.0);
        }
        Some(c * self.done as f64 / self.total as f64)
    }
}
