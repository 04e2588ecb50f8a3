//! What the status line shows besides the panes: a message, the input line and a background
//! judge run. `App` owns the values; panes set messages through `Ctx`.

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
}

impl InputKind {
    pub fn prompt(self) -> &'static str {
        match self {
            InputKind::Filter => "filter> ",
            InputKind::Search => "/",
            InputKind::Command => ":",
            InputKind::Note => "note> ",
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
    /// The estimate pro-rated by progress (the exact figure comes with the summary).
    pub fn cost_so_far(&self) -> Option<f64> {
        let c = self.est_cost?;
        if self.total == 0 {
            return Some(0.0);
        }
        Some(c * self.done as f64 / self.total as f64)
    }
}
