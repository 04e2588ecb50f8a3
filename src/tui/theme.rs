//! All styling goes through one `Theme`, so a palette is one table and the monochrome theme
//! (NO_COLOR, `--theme mono`) uses bold, reverse and underline only. Every palette keeps to the
//! 16 ANSI colours so it follows the terminal's own colour scheme.

use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Palette {
    /// Light text on a dark background (the default).
    Dark,
    /// Dark text on a white background: no yellow, cyan or white foregrounds.
    Light,
    /// No colour at all.
    Mono,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub palette: Palette,
}

/// The colours a palette assigns to each role.
struct Colors {
    title: Color,
    header: Color,
    error: Color,
    ok: Color,
    dim: Color,
    accent: Color,
    bar: Color,
    llm_bar: Color,
    mark: Color,
    text: Color,
    user: Color,
    assistant: Color,
    tool: Color,
    other_role: Color,
}

const DARK: Colors = Colors {
    title: Color::Cyan,
    header: Color::Yellow,
    error: Color::Red,
    ok: Color::Green,
    dim: Color::DarkGray,
    accent: Color::Cyan,
    bar: Color::Blue,
    llm_bar: Color::Magenta,
    mark: Color::Yellow,
    text: Color::White,
    user: Color::Green,
    assistant: Color::Cyan,
    tool: Color::Yellow,
    other_role: Color::Magenta,
};

const LIGHT: Colors = Colors {
    title: Color::Blue,
    header: Color::Magenta,
    error: Color::Red,
    ok: Color::Green,
    dim: Color::DarkGray,
    accent: Color::Blue,
    bar: Color::Blue,
    llm_bar: Color::Magenta,
    mark: Color::Red,
    text: Color::Black,
    user: Color::Green,
    assistant: Color::Blue,
    tool: Color::Magenta,
    other_role: Color::Red,
};

impl Theme {
    pub fn mono() -> Theme {
        Theme {
            palette: Palette::Mono,
        }
    }
    pub fn dark() -> Theme {
        Theme {
            palette: Palette::Dark,
        }
    }
    pub fn light() -> Theme {
        Theme {
            palette: Palette::Light,
        }
    }
    /// The default colour theme.
    pub fn color() -> Theme {
        Theme::dark()
    }

    pub fn is_mono(&self) -> bool {
        self.palette == Palette::Mono
    }

    fn colors(&self) -> Option<&'static Colors> {
        match self.palette {
            Palette::Dark => Some(&DARK),
            Palette::Light => Some(&LIGHT),
            Palette::Mono => None,
        }
    }

    /// `fg` of the palette with `color_mods`, or `mono` without colour.
    fn pick(&self, fg: fn(&Colors) -> Color, color_mods: Modifier, mono: Style) -> Style {
        match self.colors() {
            Some(c) => Style::default().fg(fg(c)).add_modifier(color_mods),
            None => mono,
        }
    }

    pub fn base(&self) -> Style {
        Style::default()
    }
    pub fn title(&self) -> Style {
        self.pick(|c| c.title, Modifier::BOLD, bold())
    }
    pub fn header(&self) -> Style {
        self.pick(
            |c| c.header,
            Modifier::BOLD,
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn selected(&self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }
    pub fn error(&self) -> Style {
        self.pick(|c| c.error, Modifier::BOLD, bold())
    }
    pub fn ok(&self) -> Style {
        self.pick(|c| c.ok, Modifier::empty(), Style::default())
    }
    pub fn dim(&self) -> Style {
        self.pick(|c| c.dim, Modifier::empty(), Style::default())
    }
    pub fn accent(&self) -> Style {
        self.pick(
            |c| c.accent,
            Modifier::empty(),
            Style::default().add_modifier(Modifier::UNDERLINED),
        )
    }
    pub fn key(&self) -> Style {
        self.pick(|c| c.title, Modifier::BOLD, bold())
    }
    pub fn bar(&self) -> Style {
        self.pick(|c| c.bar, Modifier::empty(), Style::default())
    }
    pub fn llm_bar(&self) -> Style {
        self.pick(|c| c.llm_bar, Modifier::empty(), Style::default())
    }
    /// Text a `/` search matched (on any row style, the selected one included). Without
    /// colour, italic tells it from a header's bold underline.
    pub fn search_hit(&self) -> Style {
        self.pick(
            |c| c.mark,
            Modifier::BOLD | Modifier::UNDERLINED,
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED | Modifier::ITALIC),
        )
    }
    pub fn mark(&self) -> Style {
        self.pick(|c| c.mark, Modifier::BOLD, bold())
    }
    pub fn role(&self, role: &str) -> Style {
        let fg: fn(&Colors) -> Color = match role {
            "user" | "human" => |c| c.user,
            "assistant" | "ai" | "model" => |c| c.assistant,
            "tool" | "function" => |c| c.tool,
            _ => |c| c.other_role,
        };
        self.pick(
            fg,
            Modifier::BOLD,
            Style::default().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn status_line(&self) -> Style {
        self.pick(|c| c.text, Modifier::empty(), Style::default())
    }
    pub fn border(&self) -> Style {
        self.pick(|c| c.dim, Modifier::empty(), Style::default())
    }
}

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_styles(t: &Theme) -> Vec<Style> {
        let mut out = vec![
            t.title(),
            t.header(),
            t.error(),
            t.ok(),
            t.dim(),
            t.accent(),
            t.key(),
            t.bar(),
            t.llm_bar(),
            t.mark(),
            t.search_hit(),
            t.status_line(),
            t.border(),
        ];
        out.extend(["user", "assistant", "tool", "system"].map(|r| t.role(r)));
        out
    }

    #[test]
    fn light_differs_from_dark_and_avoids_colours_unreadable_on_white() {
        let (light, dark) = (Theme::light(), Theme::dark());
        assert_ne!(all_styles(&light), all_styles(&dark));
        for s in all_styles(&light) {
            assert!(
                !matches!(
                    s.fg,
                    Some(Color::Yellow | Color::LightYellow | Color::Cyan | Color::White)
                ),
                "{s:?} is hard to read on a white background"
            );
        }
    }

    #[test]
    fn mono_uses_no_colour() {
        for s in all_styles(&Theme::mono()) {
            assert_eq!((s.fg, s.bg), (None, None));
        }
    }
}
