//! A response's evidence as reading text: the staged passages (retrieved → reranked → in
//! prompt, with scores), the words they share with the answer marked, and the judge's
//! reasoning. The evidence pane draws it styled; triage draws the same lines plain.

use super::lines::{DetailLine, LineKind as L};
use super::text::{block, cell, verdict_glyph, verdict_word};
use crate::model::evidence::{Evidence, Passage, PromptSource, term_ranges};
use crate::model::{Score, ScoreSource};
use crate::tui::theme::Theme;
use ratatui::text::{Line, Span};

/// One line of text in pieces; `true` pieces are words the answer and a passage share.
#[derive(Debug, Clone, PartialEq)]
pub struct MarkedLine {
    pub kind: L,
    pub parts: Vec<(String, bool)>,
}

impl MarkedLine {
    pub fn new(kind: L, text: impl Into<String>) -> MarkedLine {
        MarkedLine {
            kind,
            parts: vec![(text.into(), false)],
        }
    }

    pub fn text(&self) -> String {
        self.parts.iter().map(|(t, _)| t.as_str()).collect()
    }

    /// Styled for drawing: shared words in the theme's mark style.
    pub fn styled(&self, th: &Theme) -> Line<'static> {
        let base = self.kind.style(th);
        Line::from(
            self.parts
                .iter()
                .map(|(t, hit)| Span::styled(t.clone(), if *hit { th.mark() } else { base }))
                .collect::<Vec<_>>(),
        )
    }

    pub fn plain(&self) -> DetailLine {
        DetailLine::new(self.kind, self.text())
    }
}

/// Untrusted multi-line text, cleaned and indented two columns, with `terms` marked.
pub fn text(out: &mut Vec<MarkedLine>, kind: L, s: &str, terms: &[String]) {
    for line in block(s).split('\n') {
        let mut parts = vec![("  ".to_string(), false)];
        let mut at = 0;
        for r in term_ranges(line, terms) {
            if r.start > at {
                parts.push((line[at..r.start].to_string(), false));
            }
            parts.push((line[r.clone()].to_string(), true));
            at = r.end;
        }
        parts.push((line[at..].to_string(), false));
        parts.retain(|(t, _)| !t.is_empty());
        out.push(MarkedLine { kind, parts });
    }
}

fn score(s: Option<f64>) -> String {
    s.map(|v| format!(" {v:.3}")).unwrap_or_default()
}

/// `retrieved #1 0.449 → reranked #1 0.330 → in prompt #1`, or where the passage stopped.
pub fn stages(p: &Passage, reranker_ran: bool) -> String {
    let mut out: Vec<String> = Vec::new();
    if let Some(m) = &p.retrieved {
        out.push(format!("retrieved #{}{}", m.rank, score(m.score)));
    }
    match &p.reranked {
        Some(m) => out.push(format!("reranked #{}{}", m.rank, score(m.score))),
        None if reranker_ran => out.push("dropped by the reranker".into()),
        None => {}
    }
    match p.in_prompt {
        Some(n) => out.push(format!("in prompt #{n}")),
        None if p.reranked.is_some() || !reranker_ran => out.push("not in the prompt".into()),
        None => {}
    }
    out.join(" → ")
}

/// The passages, those in the prompt first, each with its stages, the answer's words it
/// shares (`◆` when the answer's claims touch it) and its text.
pub fn passages(out: &mut Vec<MarkedLine>, e: &Evidence) {
    if e.passages.is_empty() {
        out.push(MarkedLine::new(L::Heading, "── passages ──"));
        out.push(MarkedLine::new(
            L::Dim,
            "  no retriever or reranker ran before this response",
        ));
        return;
    }
    out.push(MarkedLine::new(
        L::Heading,
        format!(
            "── {} of {} passages in the prompt ──",
            e.in_prompt(),
            e.passages.len()
        ),
    ));
    match e.prompt {
        PromptSource::Inferred => out.push(MarkedLine::new(
            L::Dim,
            "  (the LLM call kept no prompt text: the last stage is taken as the prompt)",
        )),
        PromptSource::NoResponse => out.push(MarkedLine::new(
            L::Dim,
            "  (no LLM call to compare with: none is marked as in the prompt)",
        )),
        PromptSource::Matched => {}
    }
    let reranker_ran = e.reranker_span.is_some();
    let mut shown_rest = false;
    for p in &e.passages {
        if p.in_prompt.is_none() && !shown_rest && e.in_prompt() > 0 {
            out.push(MarkedLine::new(L::Heading, "── not in the prompt ──"));
            shown_rest = true;
        }
        let id = cell(p.id.as_deref().unwrap_or("(no id)"));
        out.push(MarkedLine::new(
            L::Role,
            format!(
                "{} {id} · {}",
                if p.touched() { "◆" } else { "·" },
                stages(p, reranker_ran)
            ),
        ));
        if !p.shared.is_empty() {
            out.push(MarkedLine::new(
                L::Dim,
                format!("  shares with the answer: {}", cell(&p.shared.join(", "))),
            ));
        }
        if p.content.trim().is_empty() {
            out.push(MarkedLine::new(L::Dim, "  (no text recorded)"));
        } else {
            text(out, L::Body, &p.content, &p.shared);
        }
    }
}

/// The judge's latest verdict and reasoning per rule about this response: scores of its span,
/// or of the whole trace when it is the trace's final answer.
pub fn judge(out: &mut Vec<MarkedLine>, scores: &[Score], span_id: Option<&str>, whole: bool) {
    out.push(MarkedLine::new(L::Heading, "── judge ──"));
    let mut seen: Vec<&str> = Vec::new();
    for s in scores.iter().filter(|s| s.source == ScoreSource::Judge) {
        let about_this = match s.span_id.as_deref() {
            Some(id) => Some(id) == span_id,
            None => whole,
        };
        if !about_this || seen.contains(&s.name.as_str()) {
            continue;
        }
        seen.push(&s.name);
        let (g, w) = s
            .verdict
            .map(|v| (verdict_glyph(v), verdict_word(v)))
            .unwrap_or(("", "-"));
        let model = s
            .model
            .as_deref()
            .map(|m| format!(" ({})", cell(m)))
            .unwrap_or_default();
        let kind = if w == "FALSE" || w == "ERROR" {
            L::Error
        } else {
            L::Role
        };
        out.push(MarkedLine::new(
            kind,
            format!("{} {g} {w}{model}", cell(&s.name)),
        ));
        match &s.explanation {
            Some(e) => text(out, L::Body, e, &[]),
            None => out.push(MarkedLine::new(L::Dim, "  (no reasoning given)")),
        }
    }
    if seen.is_empty() {
        out.push(MarkedLine::new(
            L::Dim,
            "  not judged (J in the trace list judges traces)",
        ));
    }
}

/// `lines` wrapped to `width` columns at spaces with a hanging indent (a wrapped passage
/// stays under its first line), shared words in the mark style: one `Line` per screen row.
pub fn wrap(lines: &[MarkedLine], width: u16, th: &Theme) -> Vec<Line<'static>> {
    let width = usize::from(width.max(1));
    let mut rows = Vec::new();
    for l in lines {
        let style = |hit: bool| if hit { th.mark() } else { l.kind.style(th) };
        let chars: Vec<(char, bool)> = l
            .parts
            .iter()
            .flat_map(|(t, hit)| t.chars().map(move |c| (c, *hit)))
            .collect();
        let lead = chars.iter().take_while(|(c, _)| *c == ' ').count();
        let indent = if lead * 2 < width { lead } else { 0 };
        let words: Vec<&[(char, bool)]> = chars[lead..]
            .split(|(c, _)| *c == ' ')
            .filter(|w| !w.is_empty())
            .collect();
        let mut row = Row::new(indent);
        if words.is_empty() {
            rows.push(row.line(&style));
            continue;
        }
        for word in words {
            let w: usize = word.iter().map(|(c, _)| char_width(*c)).sum();
            if row.used > indent && row.used + 1 + w > width {
                rows.push(std::mem::replace(&mut row, Row::new(indent)).line(&style));
            }
            if row.used > indent {
                row.push(' ', false);
            }
            for &(c, hit) in word {
                // A word longer than the row is cut where the row ends.
                if row.used + char_width(c) > width && row.used > indent {
                    rows.push(std::mem::replace(&mut row, Row::new(indent)).line(&style));
                }
                row.push(c, hit);
            }
        }
        rows.push(row.line(&style));
    }
    rows
}

fn char_width(c: char) -> usize {
    unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)
}

/// A screen row being filled: its text in runs of one style, and the columns used.
struct Row {
    runs: Vec<(String, bool)>,
    used: usize,
}

impl Row {
    fn new(indent: usize) -> Row {
        Row {
            runs: vec![(" ".repeat(indent), false)],
            used: indent,
        }
    }

    fn push(&mut self, c: char, hit: bool) {
        match self.runs.last_mut() {
            Some((text, h)) if *h == hit => text.push(c),
            _ => self.runs.push((c.to_string(), hit)),
        }
        self.used += char_width(c);
    }

    fn line(self, style: &impl Fn(bool) -> ratatui::style::Style) -> Line<'static> {
        Line::from(
            self.runs
                .into_iter()
                .filter(|(t, _)| !t.is_empty())
                .map(|(t, hit)| Span::styled(t, style(hit)))
                .collect::<Vec<_>>(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[MarkedLine], width: u16) -> Vec<String> {
        wrap(lines, width, &Theme::mono())
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn wrapped_text_hangs_under_its_first_line_and_keeps_marked_words() {
        let mut lines = Vec::new();
        let terms = vec!["30".to_string()];
        text(
            &mut lines,
            L::Body,
            "refunds within 30 days, so you'll get $40",
            &terms,
        );
        assert_eq!(
            rows(&lines, 16),
            ["  refunds within", "  30 days, so", "  you'll get $40"]
        );
        let styled = wrap(&lines, 16, &Theme::mono());
        let marked: Vec<&str> = styled
            .iter()
            .flat_map(|l| l.spans.iter())
            .filter(|s| s.style == Theme::mono().mark())
            .map(|s| s.content.as_ref())
            .collect();
        assert_eq!(marked, ["30"]);
    }

    #[test]
    fn a_word_longer_than_the_row_is_cut_and_empty_lines_stay() {
        let lines = vec![
            MarkedLine::new(L::Body, "  abcdefghij"),
            MarkedLine::new(L::Body, ""),
        ];
        assert_eq!(rows(&lines, 6), ["  abcd", "  efgh", "  ij", ""]);
        assert_eq!(rows(&lines, 1).len(), 11, "no endless loop at width 1");
    }

    #[test]
    fn stages_name_where_a_passage_stopped() {
        use crate::model::evidence::StageMark;
        let mark = |rank, score| {
            Some(StageMark {
                rank,
                score: Some(score),
            })
        };
        let mut p = Passage {
            retrieved: mark(5, 0.0911),
            ..Passage::default()
        };
        assert_eq!(
            stages(&p, true),
            "retrieved #5 0.091 → dropped by the reranker"
        );
        assert_eq!(stages(&p, false), "retrieved #5 0.091 → not in the prompt");
        p.reranked = mark(1, 0.5);
        p.in_prompt = Some(2);
        assert_eq!(
            stages(&p, true),
            "retrieved #5 0.091 → reranked #1 0.500 → in prompt #2"
        );
    }
}
