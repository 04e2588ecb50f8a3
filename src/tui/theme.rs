//! All styling goes through one `Theme`, so the monochrome theme (NO_COLOR, `--theme mono`) is a
//! single branch: it uses bold, reverse and underline only.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub mono: bool,
}

impl Theme {
    pub fn mono() -> Theme {
        Theme { mono: true }
    }
    pub fn color() -> Theme {
        Theme { mono: false }
    }

    fn pick(&self, color: Style, mono: Style) -> Style {
        if self.mono { mono } else { color }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }
    pub fn title(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }
    pub fn header(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn error(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }
    pub fn ok(&self) -> Style {
        self.pick(Style::default().fg(Color::Green), Style::default())
    }
    pub fn dim(&self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }
    pub fn accent(&self) -> Style {
        self.pick(
            Style::default().fg(Color::Cyan),
            Style::default().add_modifier(Modifier::UNDERLINED),
        )
    }
    pub fn key(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }
    pub fn bar(&self) -> Style {
        self.pick(Style::default().fg(Color::Blue), Style::default())
    }
    pub fn llm_bar(&self) -> Style {
        self.pick(Style::default().fg(Color::Magenta), Style::default())
    }
    pub fn mark(&self) -> Style {
        self.pick(
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD),
        )
    }
    pub fn role(&self, role: &str) -> Style {
        let c = match role {
            "user" | "human" => Color::Green,
            "assistant" | "ai" | "model" => Color::Cyan,
            "tool" | "function" => Color::Yellow,
            _ => Color::Magenta,
        };
        self.pick(
            Style::default().fg(c).add_modifier(Modifier::BOLD),
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn status_line(&self) -> Style {
        self.pick(Style::default().fg(Color::White), Style::default())
    }
    pub fn border(&self) -> Style {
        self.pick(Style::default().fg(Color::DarkGray), Style::default())
    }
}
