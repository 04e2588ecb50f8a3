//! The judge popup: rule picker, then the estimate to confirm.

use crate::display;
use crate::tui::app::App;
use crate::tui::state::{JudgePopup, JudgeStage};
use crate::tui::text::{cell, fit, thousands};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

pub fn draw(frame: &mut Frame, app: &App, p: &JudgePopup, area: Rect) {
    let th = &app.theme;
    let mut lines: Vec<Line> = Vec::new();
    let pv = &app.judge_provider;
    let judge_line = format!(
        "judge: {} {} at {}",
        pv.kind.as_str(),
        cell(&pv.model),
        cell(&pv.base_url)
    );
    let title = match &p.stage {
        JudgeStage::Confirm { .. } => " Judge: confirm ",
        _ => " Judge: pick rules ",
    };
    lines.push(Line::from(Span::styled(cell(&p.what), th.title())));
    match &p.stage {
        JudgeStage::LoadingRules => {
            lines.push(Line::from(Span::styled("loading rules…", th.dim())))
        }
        JudgeStage::Estimating => lines.push(Line::from(Span::styled(
            "estimating calls and cost…",
            th.dim(),
        ))),
        JudgeStage::Pick { rules, cursor } => {
            lines.push(Line::from(Span::styled(
                "Space or 1–9 toggles · Enter continues · Esc cancels",
                th.dim(),
            )));
            let w = usize::from(area.width.saturating_sub(4).min(80).saturating_sub(2));
            for (i, r) in rules.iter().enumerate() {
                let mark = if r.on { "[x]" } else { "[ ]" };
                let num = if i < 9 {
                    format!("{}", i + 1)
                } else {
                    " ".into()
                };
                let text = format!(
                    "{} {mark} {num} {} ({}) {}",
                    if i == *cursor { "›" } else { " " },
                    cell(&r.id),
                    cell(&r.target),
                    cell(r.title.as_deref().unwrap_or(""))
                );
                let mut line = Line::from(fit(&text, w));
                if i == *cursor {
                    line = line.style(th.selected());
                }
                lines.push(line);
            }
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(judge_line, th.dim())));
        }
        JudgeStage::Confirm { job, estimate: e } => {
            let rules: Vec<String> = job.0.rules.iter().map(|r| cell(&r.id)).collect();
            lines.push(Line::from(format!("rules: {}", rules.join(", "))));
            lines.push(Line::from(format!(
                "{} traces · {} verdicts: {} calls, {} cached (free){}",
                e.traces,
                e.items,
                e.calls,
                e.cached,
                if job.0.force { " · forced re-run" } else { "" }
            )));
            lines.push(Line::from(format!(
                "≈ {} input + {} output tokens · est. cost {}",
                thousands(e.input_tokens),
                thousands(e.output_tokens),
                match e.cost_usd {
                    Some(c) => display::cost_value(c),
                    None => "unknown (no price for this model)".into(),
                }
            )));
            lines.push(Line::from(format!(
                "judge: {} {} at {}",
                job.0.provider.kind.as_str(),
                cell(&e.model),
                cell(&job.0.provider.base_url)
            )));
            lines.push(Line::from(""));
            lines.push(Line::from(vec![
                Span::styled("y", th.key()),
                Span::raw(" / "),
                Span::styled("Enter", th.key()),
                Span::raw(" runs in the background · "),
                Span::styled("n", th.key()),
                Span::raw(" / "),
                Span::styled("Esc", th.key()),
                Span::raw(" cancels"),
            ]));
        }
    }
    let w = area.width.saturating_sub(4).min(80);
    let h = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width.saturating_sub(w)) / 2,
        y: area.y + (area.height.saturating_sub(h)) / 3,
        width: w,
        height: h,
    };
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.border())
        .title(title);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        rect,
    );
}
