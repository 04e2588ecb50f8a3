//! One cursor-and-scroll implementation for every list and document in the TUI: the trace list,
//! the span tree, span detail, session turns, triage text, metrics buckets, agreement rows, the
//! judge popup's rules and the help overlay.
//!
//! Positions are screen rows: an item may take several rows (a wrapped line of text, a session
//! turn), so scrolling moves by what the user sees, not by items. A *list* has a cursor and
//! scrolls to keep it in view; a *document* has no cursor and the motions move the view.

use crate::tui::action::Cmd;
use std::ops::Range;

/// A key of the shared navigation layer (j/k/g/G/Home/End/PgUp/PgDn/Ctrl-d/Ctrl-u).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Motion {
    Down,
    Up,
    Top,
    Bottom,
    /// Half a screen down (as Ctrl-d in vim and less).
    PageDown,
    PageUp,
}

impl Motion {
    pub fn of(cmd: Cmd) -> Option<Motion> {
        Some(match cmd {
            Cmd::Down => Motion::Down,
            Cmd::Up => Motion::Up,
            Cmd::Top => Motion::Top,
            Cmd::Bottom => Motion::Bottom,
            Cmd::PageDown => Motion::PageDown,
            Cmd::PageUp => Motion::PageUp,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScrollList {
    len: usize,
    /// Row where each item starts, then the total; empty while every item is one row.
    starts: Vec<usize>,
    selected: usize,
    /// First row in view.
    offset: usize,
    /// Rows on screen (set by the owner from its layout).
    viewport: usize,
    document: bool,
}

impl ScrollList {
    /// A list with a cursor; every item one row until `set_rows` says otherwise.
    pub fn list() -> ScrollList {
        ScrollList::default()
    }

    /// Text to read: no cursor, the motions scroll.
    pub fn document() -> ScrollList {
        ScrollList {
            document: true,
            ..ScrollList::default()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The cursor (always 0 for a document).
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The first row in view.
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub fn viewport(&self) -> usize {
        self.viewport
    }

    /// Items of one row each.
    pub fn set_len(&mut self, len: usize) {
        self.len = len;
        self.starts.clear();
        self.clamp();
    }

    /// Items of the given heights (wrapped lines, multi-line turns).
    pub fn set_rows(&mut self, rows: impl IntoIterator<Item = usize>) {
        self.starts.clear();
        let mut at = 0;
        for r in rows {
            self.starts.push(at);
            at += r.max(1);
        }
        self.len = self.starts.len();
        self.starts.push(at);
        self.clamp();
    }

    pub fn set_viewport(&mut self, rows: usize) {
        self.viewport = rows;
        self.clamp();
    }

    /// Cursor and view back to the top.
    pub fn reset(&mut self) {
        self.selected = 0;
        self.offset = 0;
    }

    /// A document scrolled so item `i` is on screen (its first row at the top when it was not
    /// already in view, never past the last page); a list selects it.
    pub fn show_item(&mut self, i: usize) {
        if !self.document {
            self.select(i);
            return;
        }
        let (top, bottom) = (self.start_of(i), self.start_of(i + 1));
        if top < self.offset || bottom > self.offset + self.rows() {
            self.offset = top.min(self.max_offset());
        }
    }

    /// The first item (partly) in view.
    pub fn first_in_view(&self) -> usize {
        self.item_at_row(self.offset)
    }

    /// Moves the cursor to item `i` (clamped) and scrolls it into view.
    pub fn select(&mut self, i: usize) {
        self.selected = i.min(self.last());
        self.keep_visible();
    }

    /// Moves the cursor and the view down together by `n` items (rows inserted above them), so
    /// what the user looks at stays where it is on screen.
    pub fn shift_down(&mut self, n: usize) {
        let row = self.start_of(self.selected).saturating_sub(self.offset);
        self.selected = (self.selected + n).min(self.last());
        self.offset = self.start_of(self.selected).saturating_sub(row);
        self.keep_visible();
    }

    pub fn apply(&mut self, m: Motion) {
        let half = (self.rows() / 2).max(1);
        if self.document {
            self.offset = match m {
                Motion::Down => self.offset + 1,
                Motion::Up => self.offset.saturating_sub(1),
                Motion::Top => 0,
                Motion::Bottom => self.max_offset(),
                Motion::PageDown => self.offset + half,
                Motion::PageUp => self.offset.saturating_sub(half),
            }
            .min(self.max_offset());
            return;
        }
        let last = self.last();
        let start = self.start_of(self.selected);
        self.selected = match m {
            Motion::Down => (self.selected + 1).min(last),
            Motion::Up => self.selected.saturating_sub(1),
            Motion::Top => 0,
            Motion::Bottom => last,
            // Half a screen of rows, at least one item.
            Motion::PageDown => self
                .item_at_row(start + half)
                .max(self.selected + 1)
                .min(last),
            Motion::PageUp => self
                .item_at_row(start.saturating_sub(half))
                .min(self.selected.saturating_sub(1)),
        };
        self.keep_visible();
    }

    /// The items in view and how many rows of the first one are above the view.
    pub fn window(&self) -> (Range<usize>, usize) {
        self.window_of(self.rows())
    }

    /// As `window`, for a screen `rows` high (drawing fills the area it is given).
    pub fn window_of(&self, rows: usize) -> (Range<usize>, usize) {
        if self.len == 0 {
            return (0..0, 0);
        }
        let first = self.item_at_row(self.offset);
        let end_row = self.offset + rows.max(1);
        let mut end = first;
        while end < self.len && self.start_of(end) < end_row {
            end += 1;
        }
        (first..end, self.offset - self.start_of(first))
    }

    fn rows(&self) -> usize {
        self.viewport.max(1)
    }

    fn last(&self) -> usize {
        self.len.saturating_sub(1)
    }

    fn total_rows(&self) -> usize {
        self.starts.last().copied().unwrap_or(self.len)
    }

    fn start_of(&self, i: usize) -> usize {
        if self.starts.is_empty() {
            i
        } else {
            self.starts.get(i).copied().unwrap_or(self.total_rows())
        }
    }

    /// The item drawn on `row` (the last item for rows past the end).
    fn item_at_row(&self, row: usize) -> usize {
        if self.starts.is_empty() {
            return row.min(self.last());
        }
        self.starts
            .partition_point(|&s| s <= row)
            .saturating_sub(1)
            .min(self.last())
    }

    fn max_offset(&self) -> usize {
        self.total_rows().saturating_sub(self.rows())
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.last());
        if self.document {
            self.offset = self.offset.min(self.max_offset());
        } else {
            self.keep_visible();
        }
    }

    /// Scrolls as little as needed to show the cursor's item (its top when it is taller than
    /// the screen), never past the end.
    fn keep_visible(&mut self) {
        if self.document {
            return;
        }
        let top = self.start_of(self.selected);
        let bottom = self.start_of(self.selected + 1).max(top + 1);
        if top < self.offset || bottom - top > self.rows() {
            self.offset = top;
        } else if bottom > self.offset + self.rows() {
            self.offset = bottom - self.rows();
        }
        self.offset = self.offset.min(self.max_offset());
    }
}

/// Index of the next item (cyclically) after or before `cur` satisfying `pred`; `inclusive`
/// counts `cur` itself (a new search starts on the current row).
pub fn find_cyclic(
    n: usize,
    cur: usize,
    forward: bool,
    inclusive: bool,
    pred: impl Fn(usize) -> bool,
) -> Option<usize> {
    if n == 0 {
        return None;
    }
    let start = if inclusive { 0 } else { 1 };
    (start..=n)
        .map(|k| {
            if forward {
                (cur + k) % n
            } else {
                (cur + n * 2 - k) % n
            }
        })
        .find(|&i| pred(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(len: usize, viewport: usize) -> ScrollList {
        let mut l = ScrollList::list();
        l.set_len(len);
        l.set_viewport(viewport);
        l
    }

    #[test]
    fn cursor_moves_and_the_view_follows() {
        let mut l = list(40, 10);
        l.apply(Motion::Down);
        l.apply(Motion::Down);
        assert_eq!((l.selected(), l.offset()), (2, 0));
        l.apply(Motion::PageDown);
        assert_eq!(l.selected(), 7);
        l.apply(Motion::PageDown);
        assert_eq!((l.selected(), l.offset()), (12, 3));
        l.apply(Motion::Bottom);
        assert_eq!((l.selected(), l.offset()), (39, 30));
        l.apply(Motion::Down);
        assert_eq!(l.selected(), 39);
        l.apply(Motion::PageUp);
        assert_eq!((l.selected(), l.offset()), (34, 30));
        l.apply(Motion::Top);
        assert_eq!((l.selected(), l.offset()), (0, 0));
        assert_eq!(l.window(), (0..10, 0));
    }

    #[test]
    fn shrinking_keeps_the_cursor_inside_and_the_screen_full() {
        let mut l = list(40, 10);
        l.select(39);
        l.set_len(15);
        assert_eq!((l.selected(), l.offset()), (14, 5));
        l.set_len(0);
        assert_eq!((l.selected(), l.offset(), l.window()), (0, 0, (0..0, 0)));
        l.apply(Motion::Down);
        assert_eq!(l.selected(), 0);
    }

    #[test]
    fn tall_items_page_by_rows_and_show_whole() {
        let mut l = ScrollList::list();
        l.set_rows([4, 4, 4, 4, 4]);
        l.set_viewport(10);
        l.apply(Motion::Down);
        l.apply(Motion::Down);
        // Item 2 spans rows 8..12: the view scrolls so all of it shows.
        assert_eq!((l.selected(), l.offset()), (2, 2));
        assert_eq!(l.window(), (0..3, 2));
        l.apply(Motion::PageDown);
        assert_eq!(l.selected(), 3);
        // Half a screen up from row 12 lands in item 1 (rows 4..8).
        l.apply(Motion::PageUp);
        assert_eq!(l.selected(), 1);
    }

    #[test]
    fn documents_scroll_by_rows_and_stop_at_the_last_screen() {
        let mut d = ScrollList::document();
        d.set_rows([1, 5, 1, 1]);
        d.set_viewport(3);
        assert_eq!(d.window(), (0..2, 0));
        d.apply(Motion::Down);
        d.apply(Motion::Down);
        // Inside the five-row line: it stays on screen, two rows already above.
        assert_eq!(d.window(), (1..2, 1));
        d.apply(Motion::Bottom);
        assert_eq!(d.offset(), 5);
        assert_eq!(d.window(), (1..4, 4));
        d.apply(Motion::Down);
        assert_eq!(d.offset(), 5);
        d.apply(Motion::PageUp);
        assert_eq!(d.offset(), 4);
        assert_eq!(d.selected(), 0);
    }
}
