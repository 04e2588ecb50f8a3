//! The whole frame: title bar, the top pane, any popup, the status line, the footer and the
//! help overlay. A pure function of `App`; every pane draws only the rows that fit.

use super::app::App;
use super::keymap;
use super::widgets::chrome::{self, StatusBar};
use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

pub fn draw(frame: &mut Frame, app: &App) {
    let th = &app.theme;
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let msg = vec![
            Line::from("terminal too small"),
            Line::from(format!(
                "{}x{} — trawl needs at least {MIN_WIDTH}x{MIN_HEIGHT}",
                area.width, area.height
            )),
        ];
        frame.render_widget(Paragraph::new(msg).style(th.error()), area);
        return;
    }
    let [title, body, status, footer] = chrome::split(area);
    chrome::title(
        frame,
        title,
        th,
        &app.source_label,
        &app.crumbs(),
        &app.list.filter_text,
        if app.view() == super::keys::Mode::List {
            &app.rule_trends
        } else {
            &[]
        },
    );
    let top = app.top();
    top.draw(frame, body, th);
    if let Some(p) = app.popup() {
        p.draw(frame, body, th);
    }
    let bar = StatusBar {
        input: app.input.as_ref(),
        judge_run: app.judge_run.as_ref(),
        import: app.import.as_ref(),
        status: app.status.as_ref(),
        position: top.position(),
    };
    chrome::bottom(frame, status, footer, th, &bar, keymap::footer(app.mode()));
    if let Some(h) = app.help() {
        use super::pane::Pane;
        h.draw(frame, body, th);
    }
}

/// The screen `app` draws at `width`×`height`, one string per row (for tests and benchmarks:
/// every screen test reads the same rows). Draws on ratatui's `TestBackend`, never a terminal.
#[doc(hidden)]
pub fn screen_rows(app: &App, width: u16, height: u16) -> Vec<String> {
    use ratatui::{Terminal, backend::TestBackend};
    let mut term = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(e) => match e {},
    };
    if term.draw(|f| draw(f, app)).is_err() {
        return Vec::new();
    }
    let buf = term.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}
