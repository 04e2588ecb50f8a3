//! How the CLI writes: every line goes to a locked stdout through [`outln!`], which returns the
//! write error instead of panicking the way `println!` does. A closed pipe (`trawl traces | head
//! -1`) then reaches `main` as an `io::Error` of kind `BrokenPipe`, which ends the program quietly
//! with exit 0 (ripgrep's approach). Rust ignores SIGPIPE, so without this every printer would
//! panic. Text that came from a trace or a server is cleaned with [`crate::sanitize`] before it
//! gets here; [`Table`] cuts cells to the terminal's width.

use crate::sanitize::{fit, fit_width, rfit, width};
use std::io::IsTerminal;

/// `writeln!` to a locked stdout; `?` hands a write error (a closed pipe) to the caller.
macro_rules! outln {
    () => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock())?
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)?
    }};
}

/// `writeln!` to stderr for notes and hints. A closed stderr is not worth failing the command
/// over, so the error is dropped (where `eprintln!` would panic).
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

/// True when `err` (or anything in its chain) is a write to a closed pipe.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == BrokenPipe)
            // serde_json::to_writer wraps the write error in its own type (export).
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(BrokenPipe))
    })
}

/// The width tables must fit: unlimited with `--wide`; else `$COLUMNS` when set; else the
/// terminal's width when stdout is a terminal; else unlimited (piped output is never cut).
pub fn output_width(wide: bool) -> Option<usize> {
    if wide {
        return None;
    }
    if let Some(n) = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
    {
        return Some(n);
    }
    if std::io::stdout().is_terminal() {
        return crossterm::terminal::size()
            .ok()
            .map(|(w, _)| w as usize)
            .filter(|w| *w > 0);
    }
    None
}

/// A line cut to the output width (prose, headers); unchanged when the width is unlimited.
pub fn cut(line: &str, width: Option<usize>) -> String {
    match width {
        Some(w) => fit_width(line, w),
        None => line.to_string(),
    }
}

/// Prose wrapped at word boundaries to the output width (a word longer than the width is cut).
pub fn wrap_words(text: &str, width: Option<usize>) -> Vec<String> {
    let Some(w) = width else {
        return vec![text.to_string()];
    };
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split(' ') {
        let needed = if cur.is_empty() { 0 } else { 1 } + width_of(word);
        if !cur.is_empty() && width_of(&cur) + needed > w {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines.into_iter().map(|l| fit_width(&l, w)).collect()
}

/// A prose line that fits the output width: unchanged when it fits (or the width is unlimited),
/// else wrapped at spaces, every line keeping the text's leading indent and continuation lines
/// indented `hang` columns more (a hanging indent under a label).
pub fn wrap_hanging(text: &str, width: Option<usize>, hang: usize) -> Vec<String> {
    let Some(w) = width.filter(|w| width_of(text) > *w) else {
        return vec![text.to_string()];
    };
    let body = text.trim_start_matches(' ');
    let lead = text.len() - body.len();
    let rest = " ".repeat((lead + hang).min(w / 2));
    let mut lines = Vec::new();
    let mut cur = " ".repeat(lead.min(w / 2));
    let mut empty = true;
    // Each word with the run of spaces before it: kept inside a line (aligned columns stay
    // aligned), dropped where the line breaks.
    let mut gap = 1;
    for word in body.split(' ') {
        if word.is_empty() {
            gap += 1;
            continue;
        }
        if !empty && width_of(&cur) + gap + width_of(word) > w {
            lines.push(std::mem::replace(&mut cur, rest.clone()));
            empty = true;
        }
        if !empty {
            cur.push_str(&" ".repeat(gap));
        }
        cur.push_str(word);
        empty = false;
        gap = 1;
    }
    lines.push(cur);
    lines.into_iter().map(|l| fit_width(&l, w)).collect()
}

/// Writes a prose line to stdout wrapped to the output width ([`wrap_hanging`]); a write error
/// (a closed pipe) is returned, as with [`outln!`].
pub fn say(line: &str, hang: usize) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    for l in wrap_hanging(line, output_width(false), hang) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// One table column. When the table is too wide, columns with the highest `drop_rank` go first
/// until the rest fit; `flex` columns (free text) then shrink, down to `min`, the most droppable
/// first. Other columns (times, ids, figures) are never cut, only dropped.
#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub align: Align,
    pub min: usize,
    pub drop_rank: u8,
    pub flex: bool,
}

impl Column {
    pub fn left(header: &str, min: usize, drop_rank: u8) -> Self {
        Column {
            header: header.to_string(),
            align: Align::Left,
            min,
            drop_rank,
            flex: false,
        }
    }
    pub fn right(header: &str, min: usize, drop_rank: u8) -> Self {
        Column {
            align: Align::Right,
            ..Column::left(header, min, drop_rank)
        }
    }
    /// The column that gives up width first (a question, a span name).
    pub fn flexible(mut self) -> Self {
        self.flex = true;
        self
    }
}

enum Row {
    Cells(Vec<String>),
    /// A full-width line under the previous row (an error message, judge rates).
    Note(String),
}

/// A table of already-clean cells, laid out to a width.
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Row>,
    /// Per column, the widest cell seen so far (the header included).
    natural: Vec<usize>,
}

const GAP: usize = 2;

impl Table {
    pub fn new(columns: Vec<Column>) -> Self {
        let natural = columns.iter().map(|c| width_of(&c.header)).collect();
        Table {
            columns,
            rows: Vec::new(),
            natural,
        }
    }

    /// One row; missing cells are empty.
    pub fn row(&mut self, cells: Vec<String>) {
        self.measure(&cells);
        self.rows.push(Row::Cells(cells));
    }

    /// Widens the columns to fit a row without keeping it. A table too long to hold (a
    /// 100,000-span trace) measures every row first, then writes each through [`Table::stream`].
    pub fn measure(&mut self, cells: &[String]) {
        for (w, cell) in self.natural.iter_mut().zip(cells) {
            *w = (*w).max(width_of(cell));
        }
    }

    /// Lays the measured table out to `width`, for writing rows one at a time.
    pub fn stream(&self, width: Option<usize>) -> TableStream<'_> {
        TableStream {
            table: self,
            widths: self.layout(width),
            width,
        }
    }

    pub fn note(&mut self, line: String) {
        self.rows.push(Row::Note(line));
    }

    /// The lines to print, none wider than `width` (when given), trailing spaces trimmed.
    pub fn render(&self, width: Option<usize>) -> Vec<String> {
        let stream = self.stream(width);
        let mut out = vec![stream.header()];
        for row in &self.rows {
            out.push(match row {
                Row::Cells(cells) => stream.line(cells),
                Row::Note(text) => stream.note(text),
            });
        }
        out
    }

    /// Per column: its width, or `None` when dropped.
    fn layout(&self, width: Option<usize>) -> Vec<Option<usize>> {
        let natural = &self.natural;
        let mut widths: Vec<Option<usize>> = natural.iter().map(|w| Some(*w)).collect();
        let Some(limit) = width else {
            return widths;
        };
        let floor = |i: usize| {
            if self.columns[i].flex {
                self.columns[i].min.min(natural[i])
            } else {
                natural[i]
            }
        };
        let total = |ws: &[Option<usize>]| -> usize {
            let kept: Vec<usize> = ws.iter().flatten().copied().collect();
            kept.iter().sum::<usize>() + GAP * kept.len().saturating_sub(1)
        };
        // Drop columns until their minimums fit.
        loop {
            let mins: Vec<Option<usize>> = widths
                .iter()
                .enumerate()
                .map(|(i, w)| w.map(|_| floor(i)))
                .collect();
            if total(&mins) <= limit || widths.iter().flatten().count() <= 1 {
                break;
            }
            let victim = (0..widths.len())
                .filter(|i| widths[*i].is_some())
                .max_by_key(|i| (self.columns[*i].drop_rank, *i));
            match victim {
                Some(i) => widths[i] = None,
                None => break,
            }
        }
        // Shrink: flexible columns first, then the others from the most droppable.
        let mut order: Vec<usize> = (0..widths.len()).collect();
        order.sort_by_key(|i| {
            (
                !self.columns[*i].flex,
                std::cmp::Reverse(self.columns[*i].drop_rank),
            )
        });
        for i in order {
            let excess = total(&widths).saturating_sub(limit);
            if excess == 0 {
                break;
            }
            if let Some(w) = widths[i] {
                let room = w.saturating_sub(floor(i));
                widths[i] = Some(w - excess.min(room));
            }
        }
        widths
    }
}

/// A laid-out [`Table`]: formats rows one at a time with the widths measured before.
pub struct TableStream<'a> {
    table: &'a Table,
    widths: Vec<Option<usize>>,
    width: Option<usize>,
}

impl TableStream<'_> {
    pub fn header(&self) -> String {
        let headers: Vec<String> = self
            .table
            .columns
            .iter()
            .map(|c| c.header.clone())
            .collect();
        self.line(&headers)
    }

    /// One row's line; missing cells are empty.
    pub fn line(&self, cells: &[String]) -> String {
        let mut s = String::new();
        let mut first = true;
        for (i, col) in self.table.columns.iter().enumerate() {
            let Some(w) = self.widths[i] else { continue };
            if !first {
                s.push_str(&" ".repeat(GAP));
            }
            first = false;
            let cell = cells.get(i).map(String::as_str).unwrap_or("");
            s.push_str(&match col.align {
                Align::Left => fit(cell, w),
                Align::Right => rfit(cell, w),
            });
        }
        // A last safety net: a lone column wider than the terminal is cut too.
        cut(s.trim_end(), self.width)
    }

    /// A full-width note under a row.
    pub fn note(&self, text: &str) -> String {
        cut(text, self.width)
    }
}

fn width_of(s: &str) -> usize {
    width(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(vec![
            Column::left("ID", 8, 0),
            Column::left("QUESTION", 10, 1).flexible(),
            Column::right("COST", 5, 3),
            Column::left("STATUS", 6, 2),
        ]);
        t.row(vec![
            "abcdef12".into(),
            "a long question about refunds and returns".into(),
            "$0.0042".into(),
            "ok".into(),
        ]);
        t.note("  a note that is much longer than the narrow terminal it will be shown in".into());
        t
    }

    #[test]
    fn unlimited_width_keeps_everything() {
        let lines = sample().render(None);
        assert!(lines[1].contains("a long question about refunds and returns"));
        assert!(lines[1].contains("$0.0042"));
    }

    #[test]
    fn narrow_widths_shrink_the_flexible_column_then_drop_columns() {
        for w in [80, 50, 40, 30, 20, 8] {
            for line in sample().render(Some(w)) {
                assert!(width(&line) <= w, "{w}: {line:?}");
            }
        }
        let at40 = sample().render(Some(40));
        assert!(at40[1].starts_with("abcdef12  a long"), "{at40:?}");
        assert!(at40[1].contains("$0.0042"), "{at40:?}");
        let at30 = sample().render(Some(30));
        assert!(!at30[0].contains("COST"), "{at30:?}");
        assert!(at30[0].contains("STATUS"), "{at30:?}");
    }

    #[test]
    fn prose_wraps_at_words() {
        let lines = wrap_words("one two three four", Some(9));
        assert_eq!(lines, ["one two", "three", "four"]);
        assert_eq!(wrap_words("one two", None), ["one two"]);
    }

    #[test]
    fn wrap_hanging_keeps_a_fitting_line_and_indents_continuations() {
        assert_eq!(wrap_hanging("  a   b", Some(10), 2), ["  a   b"]);
        assert_eq!(wrap_hanging("  a   b", None, 2), ["  a   b"]);
        assert_eq!(
            wrap_hanging("  one two three four", Some(10), 2),
            ["  one two", "    three", "    four"]
        );
        // Aligned columns keep their spacing; the break drops it.
        assert_eq!(
            wrap_hanging("key    value    source", Some(14), 7),
            ["key    value", "       source"]
        );
        // A word wider than the line is cut, never left to wrap in the terminal.
        let lines = wrap_hanging("x abcdefghijklmnop", Some(8), 0);
        assert!(lines.iter().all(|l| width_of(l) <= 8), "{lines:?}");
    }

    #[test]
    fn broken_pipe_is_found_anywhere_in_the_chain() {
        let e = anyhow::Error::from(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing the table");
        assert!(is_broken_pipe(&e));
        assert!(!is_broken_pipe(&anyhow::anyhow!("other")));
    }
}
