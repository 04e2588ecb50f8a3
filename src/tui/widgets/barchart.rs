//! A column chart over a linear time axis: one column per bucket (empty buckets included, so
//! the x axis is linear), a labelled y axis from 0 to the largest value, each bar's value
//! written just above its top (inside its own column, so no label is ever drawn over another
//! bar or label), and the bucket labels under the x axis.
//!
//! A column can be *empty* (no data at all: nothing drawn), *unmeasured* (data, but no value:
//! `—`, e.g. a bucket with traces none of which is judged) or a value; a value of exactly 0
//! draws a `▁` on the baseline so 0% never looks like "not judged".

use super::text::fit;
use crate::tui::theme::Theme;
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use unicode_width::UnicodeWidthStr;

/// What one column shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValue {
    /// No data in this bucket: an empty column.
    Empty,
    /// Data, but nothing to measure (no verdicts among its traces).
    Unmeasured,
    /// A value ≥ 0 and its short text (at most `COLUMN_W - 1` columns).
    Value(f64, String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub label: String,
    pub value: ColumnValue,
    pub selected: bool,
}

/// The chart's axes and columns.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Above the y axis: what is plotted ("traces per day").
    pub y_title: String,
    /// Under the y axis labels, left of the bucket labels ("day").
    pub x_title: String,
    /// The y axis' top: the largest value of the whole series (not only the columns in view,
    /// so the scale stays put while the view scrolls), and its text.
    pub y_max: f64,
    pub y_max_text: String,
    /// Right of the y title: what the marks mean.
    pub legend: String,
    pub columns: Vec<Column>,
}

/// Columns per bucket: a bar of `COLUMN_W - 1` and a blank gap.
pub const COLUMN_W: u16 = 7;

/// Rows the chart needs besides its bars: the title, a row for the tallest bar's value, the x
/// axis and the labels.
const FRAME_ROWS: u16 = 4;

const EIGHTHS: [&str; 8] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇"];

impl Chart {
    /// Width of the y axis (its labels and the `┤`).
    pub fn axis_width(&self) -> u16 {
        let w = self.y_max_text.width().max(self.x_title.width()).max(1);
        u16::try_from(w + 1).unwrap_or(u16::MAX)
    }

    /// How many columns fit `width`.
    pub fn capacity(&self, width: u16) -> usize {
        usize::from(width.saturating_sub(self.axis_width()) / COLUMN_W)
    }

    /// Whether `height` rows leave room for bars at all.
    pub fn fits(height: u16) -> bool {
        height > FRAME_ROWS + 1
    }
}

/// Draws `chart` into `area`; columns that do not fit are left out from the right (the caller
/// chooses which columns to pass).
pub fn draw(frame: &mut Frame, area: Rect, th: &Theme, chart: &Chart) {
    if !Chart::fits(area.height) || area.width <= chart.axis_width() {
        return;
    }
    let buf = frame.buffer_mut();
    let axis_w = chart.axis_width();
    let bars_h = area.height - FRAME_ROWS;
    let top = area.y + 2;
    let axis_y = top + bars_h;
    let label_y = axis_y + 1;
    let plot_x = area.x + axis_w;
    let plot_w = area.width - axis_w;

    // Title and legend.
    let title = format!("↑ {}", chart.y_title);
    put(buf, area.x, area.y, &title, area.width, th.header());
    let legend_x = area.x + u16::try_from(title.width() + 3).unwrap_or(u16::MAX);
    if !chart.legend.is_empty() && legend_x < area.x + area.width {
        let room = area.x + area.width - legend_x;
        if chart.legend.width() <= usize::from(room) {
            put(buf, legend_x, area.y, &chart.legend, room, th.dim());
        }
    }

    // The y axis: the largest value at the top, 0 at the baseline.
    let label_w = axis_w - 1;
    put(
        buf,
        area.x,
        top,
        &format!("{:>w$}", chart.y_max_text, w = usize::from(label_w)),
        label_w,
        th.dim(),
    );
    put(
        buf,
        area.x,
        axis_y - 1,
        &format!("{:>w$}", "0", w = usize::from(label_w)),
        label_w,
        th.dim(),
    );
    for y in top..axis_y {
        let tick = if y == top || y == axis_y - 1 {
            "┤"
        } else {
            "│"
        };
        put(buf, area.x + label_w, y, tick, 1, th.dim());
    }
    put(buf, area.x + label_w, axis_y, "└", 1, th.dim());
    put(
        buf,
        plot_x,
        axis_y,
        &"─".repeat(usize::from(plot_w)),
        plot_w,
        th.dim(),
    );
    put(buf, area.x, label_y, &chart.x_title, label_w, th.dim());

    // Bars.
    let max = chart.y_max;
    let bar_w = COLUMN_W - 1;
    for (i, col) in chart.columns.iter().enumerate() {
        let x = plot_x
            + u16::try_from(i)
                .unwrap_or(u16::MAX)
                .saturating_mul(COLUMN_W);
        if x + bar_w > area.x + area.width {
            break;
        }
        let style = if col.selected {
            th.selected()
        } else {
            th.llm_bar()
        };
        let label = if col.selected {
            format!("▸{}", col.label)
        } else {
            format!(" {}", col.label)
        };
        put(
            buf,
            x,
            label_y,
            &fit(&label, usize::from(bar_w)),
            bar_w,
            if col.selected {
                th.selected()
            } else {
                th.base()
            },
        );
        let (eighths, text) = match &col.value {
            ColumnValue::Empty => continue,
            ColumnValue::Unmeasured => (0, "—".to_string()),
            ColumnValue::Value(v, text) => {
                let frac = if max > 0.0 {
                    (v / max).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let e = (frac * f64::from(bars_h) * 8.0).round() as u32;
                // Exactly 0 draws a baseline mark; anything above shows at least that much.
                (e.max(1), text.clone())
            }
        };
        let full = u16::try_from(eighths / 8).unwrap_or(u16::MAX).min(bars_h);
        let part = (eighths % 8) as usize;
        for r in 0..full {
            put(
                buf,
                x,
                axis_y - 1 - r,
                &"█".repeat(usize::from(bar_w)),
                bar_w,
                style,
            );
        }
        let mut used = full;
        if part > 0 && full < bars_h {
            put(
                buf,
                x,
                axis_y - 1 - full,
                &EIGHTHS[part].repeat(usize::from(bar_w)),
                bar_w,
                style,
            );
            used += 1;
        }
        // The value sits on the row above the bar: at most the spare row under the title.
        let text_y = (axis_y - used).saturating_sub(1).max(area.y + 1);
        put(
            buf,
            x,
            text_y,
            &fit(&text, usize::from(bar_w)),
            bar_w,
            if col.selected {
                th.selected()
            } else {
                th.dim()
            },
        );
    }
}

/// Writes `s` at (x, y), at most `w` columns.
fn put(buf: &mut Buffer, x: u16, y: u16, s: &str, w: u16, style: Style) {
    buf.set_stringn(x, y, s, usize::from(w), style);
}
