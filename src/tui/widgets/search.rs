//! The `/` search every reading pane shares (trace list, span detail, session view): one
//! case-insensitive needle, the items it matches, which match is current (`match 3/12`), `n`/`N`
//! to move between them, and the matched text highlighted where it is drawn.

use ratatui::style::Style;
use ratatui::text::Span;

/// A search over a pane's items (rows, lines, turns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    /// As typed (shown in messages).
    pub query: String,
    /// Lowercased, one char per char of the query.
    needle: Vec<char>,
    /// Items that match, ascending.
    hits: Vec<usize>,
    /// Index into `hits` of the current match.
    current: Option<usize>,
}

impl Search {
    /// `None` for an empty query (which ends a search).
    pub fn new(query: &str) -> Option<Search> {
        let query = query.trim();
        if query.is_empty() {
            return None;
        }
        Some(Search {
            query: query.to_string(),
            needle: query.chars().map(lower).collect(),
            hits: Vec::new(),
            current: None,
        })
    }

    /// Whether `text` contains the query (case-insensitive).
    pub fn matches(&self, text: &str) -> bool {
        !self.ranges(text).is_empty()
    }

    /// Byte ranges of every non-overlapping match in `text`.
    pub fn ranges(&self, text: &str) -> Vec<(usize, usize)> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let n = self.needle.len();
        let mut out = Vec::new();
        let mut i = 0;
        while n > 0 && i + n <= chars.len() {
            let hit = (0..n).all(|k| lower(chars[i + k].1) == self.needle[k]);
            if hit {
                let end = chars.get(i + n).map_or(text.len(), |(b, _)| *b);
                out.push((chars[i].0, end));
                i += n;
            } else {
                i += 1;
            }
        }
        out
    }

    /// Finds the matching items among `len` of them with `item_matches`.
    pub fn scan(&mut self, len: usize, item_matches: impl Fn(&Search, usize) -> bool) {
        let hits = (0..len).filter(|&i| item_matches(self, i)).collect();
        self.hits = hits;
        self.current = None;
    }

    pub fn hits(&self) -> &[usize] {
        &self.hits
    }

    /// The current match's item.
    pub fn current(&self) -> Option<usize> {
        self.current.and_then(|c| self.hits.get(c).copied())
    }

    /// Moves to the next match after `from` (forward) or before it, wrapping; `inclusive`
    /// counts `from` itself (a new search starts where the cursor is). Returns its item.
    pub fn step(&mut self, from: usize, forward: bool, inclusive: bool) -> Option<usize> {
        if self.hits.is_empty() {
            self.current = None;
            return None;
        }
        let pos = if forward {
            let after = |&h: &usize| if inclusive { h >= from } else { h > from };
            self.hits.iter().position(after).unwrap_or(0)
        } else {
            let before = |&h: &usize| if inclusive { h <= from } else { h < from };
            self.hits
                .iter()
                .rposition(before)
                .unwrap_or(self.hits.len() - 1)
        };
        self.current = Some(pos);
        self.hits.get(pos).copied()
    }

    /// `match 3/12`, `12 matches` before moving, or `no match`.
    pub fn status(&self) -> String {
        match (self.current, self.hits.len()) {
            (_, 0) => "no match".into(),
            (Some(c), n) => format!("match {}/{n}", c + 1),
            (None, n) => format!("{n} matches"),
        }
    }

    /// `text` as spans in `base`, with every match in `hit` on top of `base`.
    pub fn highlight<'a>(&self, text: &'a str, base: Style, hit: Style) -> Vec<Span<'a>> {
        highlight(Some(self), text, base, hit)
    }
}

/// `text` as spans, matches of `search` (if any) highlighted.
pub fn highlight<'a>(
    search: Option<&Search>,
    text: &'a str,
    base: Style,
    hit: Style,
) -> Vec<Span<'a>> {
    let ranges = search.map(|s| s.ranges(text)).unwrap_or_default();
    if ranges.is_empty() {
        return vec![Span::styled(text, base)];
    }
    let mut out = Vec::with_capacity(ranges.len() * 2 + 1);
    let mut at = 0;
    for (a, b) in ranges {
        if a > at {
            out.push(Span::styled(&text[at..a], base));
        }
        out.push(Span::styled(&text[a..b], base.patch(hit)));
        at = b;
    }
    if at < text.len() {
        out.push(Span::styled(&text[at..], base));
    }
    out
}

/// One lowercase char for one char (a multi-char lowercase keeps its first), so byte ranges
/// stay on the original text's char boundaries.
fn lower(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Modifier;

    #[test]
    fn finds_case_insensitive_matches_on_char_boundaries() {
        let s = Search::new("Refund").unwrap();
        assert_eq!(s.ranges("a REFUND, a refund"), vec![(2, 8), (12, 18)]);
        assert!(s.matches("Refunds"));
        assert!(!s.matches("fund"));
        let s = Search::new("é").unwrap();
        assert_eq!(s.ranges("Éclair café"), vec![(0, 2), (11, 13)]);
        assert_eq!(Search::new("  "), None);
    }

    #[test]
    fn steps_wrap_and_count() {
        let mut s = Search::new("x").unwrap();
        s.scan(10, |_, i| i % 3 == 0); // 0 3 6 9
        assert_eq!(s.status(), "4 matches");
        assert_eq!(s.step(4, true, true), Some(6));
        assert_eq!(s.status(), "match 3/4");
        assert_eq!(s.step(6, true, true), Some(6));
        assert_eq!(s.step(9, true, false), Some(0));
        assert_eq!(s.step(0, false, false), Some(9));
        assert_eq!(s.status(), "match 4/4");
        s.scan(2, |_, _| false);
        assert_eq!(
            (s.step(0, true, true), s.status()),
            (None, "no match".into())
        );
    }

    #[test]
    fn highlights_only_the_matched_text() {
        let s = Search::new("fund").unwrap();
        let hit = Style::default().add_modifier(Modifier::UNDERLINED);
        let spans = s.highlight("refund ok", Style::default(), hit);
        let parts: Vec<(&str, bool)> = spans
            .iter()
            .map(|sp| (sp.content.as_ref(), sp.style == hit))
            .collect();
        assert_eq!(parts, vec![("re", false), ("fund", true), (" ok", false)]);
    }
}
