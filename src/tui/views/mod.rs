//! Drawing: a pure function of `App`. No SQL, file I/O or JSON parsing here; every view renders
//! only the rows that fit.

mod agreement;
mod chrome;
mod help;
mod judge;
mod list;
mod metrics;
mod session;
mod span;
mod trace;
mod triage;

use super::app::App;
use super::state::View;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::from("terminal too small"),
            Line::from(format!(
                "{}x{} — trawl needs at least {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            )),
        ];
        frame.render_widget(Paragraph::new(msg).style(app.theme.error()), area);
        return;
    }
    let [title, body, status, footer] = chrome::split(area);
    chrome::title(frame, app, title);
    match app.view() {
        View::List => list::draw(frame, app, body),
        View::Trace => trace::draw(frame, app, body),
        View::Span => span::draw(frame, app, body),
        View::Session => session::draw(frame, app, body),
        View::Triage => triage::draw(frame, app, body),
        View::Metrics => metrics::draw(frame, app, body),
        View::Agreement => agreement::draw(frame, app, body),
    }
    if let Some(p) = &app.judge_popup {
        judge::draw(frame, app, p, body);
    }
    chrome::status(frame, app, status);
    chrome::footer(frame, app, footer);
    if app.help {
        help::draw(frame, app, body);
    }
}

/// One line of text clipped to the area width.
fn line_area(area: Rect, row: u16) -> Rect {
    Rect {
        x: area.x,
        y: area.y + row,
        width: area.width,
        height: 1.min(area.height.saturating_sub(row)),
    }
}
