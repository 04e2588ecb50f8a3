//! The status line's message and the input line. `App` owns them; panes set messages through
//! `Ctx` and open the input line with an `Intent`.

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
