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
                "{} {id}  {}",
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
