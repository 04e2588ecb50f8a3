//! The evidence behind one response: which passages were retrieved, which the reranker kept,
//! which reached the model's prompt, and which of them the answer's claims touch.
//!
//! Pure data work over a trace's spans, shared by the evidence pane, triage and anything else
//! that shows "what did the model see when it said this":
//!
//! * **Staging.** Every document of the retrievers and rerankers that ran before the response
//!   is one [`Passage`], deduplicated by document id (by text when a document has no id), with
//!   its rank and score at each stage. A reranker that lists documents by id only takes their
//!   text from the retriever's document with that id.
//! * **In the prompt.** RAG apps paste the passages into the LLM call's input messages as text,
//!   so a passage is *in the prompt* when its id, or the start of its text, occurs in the
//!   prompt text; the prompt position orders them. When the LLM span recorded no prompt text,
//!   the last stage (the reranker's output, else the retriever's) is taken as the prompt and
//!   [`PromptSource::Inferred`] says so.
//! * **Claims** ([`claim_terms`], [`Passage::shared`]): see [`claim_terms`] for the heuristic.

use super::{Document, Span, SpanKind};
use std::collections::BTreeSet;
use std::ops::Range;

/// A passage's rank (1-based) and score at one stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageMark {
    pub rank: usize,
    pub score: Option<f64>,
}

/// One document as it went through retrieval, reranking and the prompt.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Passage {
    pub id: Option<String>,
    pub content: String,
    /// From the retriever span(s); `None` when only a reranker had it.
    pub retrieved: Option<StageMark>,
    /// From the reranker's output; `None` when no reranker ran or it dropped the passage.
    pub reranked: Option<StageMark>,
    /// Position among the passages in the prompt (1-based).
    pub in_prompt: Option<usize>,
    /// Claim terms of the answer this passage also contains (normalised, see [`claim_terms`]),
    /// numbers first.
    pub shared: Vec<String>,
}

impl Passage {
    /// Whether the answer's claims touch this passage: it shares a number with the answer (the
    /// claims most often wrong: days, prices, percentages), or at least two distinctive words.
    pub fn touched(&self) -> bool {
        self.shared.iter().any(|t| is_number(t)) || self.shared.len() >= 2
    }
}

/// Where the in-prompt marks come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PromptSource {
    /// Matched against the LLM call's prompt text.
    #[default]
    Matched,
    /// The LLM call recorded no prompt text: the last stage is assumed to be the prompt.
    Inferred,
    /// No LLM call to compare with.
    NoResponse,
}

/// The passages behind one response, in display order: those in the prompt (prompt order),
/// then those the reranker kept but the prompt does not show, then those only retrieved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence {
    /// The LLM span whose prompt was matched.
    pub response_span: Option<String>,
    pub passages: Vec<Passage>,
    pub prompt: PromptSource,
    /// The retriever and reranker spans the passages came from (first of each).
    pub retriever_span: Option<String>,
    pub reranker_span: Option<String>,
    /// The answer's claim terms that some passage shares (for highlighting the answer).
    pub answer_terms: Vec<String>,
}

impl Evidence {
    /// The evidence of the trace's final response: its last LLM call.
    pub fn of_trace(spans: &[Span], answer: Option<&str>) -> Evidence {
        let last = spans
            .iter()
            .filter(|s| s.kind == SpanKind::Llm)
            .max_by_key(|s| s.start_ns);
        Evidence::build(spans, last, answer)
    }

    /// The evidence of one LLM call (`answer` is what it said).
    pub fn of_span(spans: &[Span], llm: &Span, answer: Option<&str>) -> Evidence {
        Evidence::build(spans, Some(llm), answer)
    }

    fn build(spans: &[Span], llm: Option<&Span>, answer: Option<&str>) -> Evidence {
        // Only what the model could have seen: stages that started before the response.
        let cutoff = llm.map(|s| s.start_ns).unwrap_or(i64::MAX);
        let before = |k: SpanKind| -> Vec<&Span> {
            let mut v: Vec<&Span> = spans
                .iter()
                .filter(|s| s.kind == k && s.start_ns <= cutoff)
                .collect();
            v.sort_by_key(|s| s.start_ns);
            v
        };
        let retrievers = before(SpanKind::Retriever);
        let rerankers = before(SpanKind::Reranker);
        let mut passages: Vec<Passage> = Vec::new();
        for (rank, d) in retrievers
            .iter()
            .flat_map(|s| s.documents.iter())
            .enumerate()
        {
            let p = merge(&mut passages, d);
            if p.retrieved.is_none() {
                p.retrieved = Some(StageMark {
                    rank: rank + 1,
                    score: d.score,
                });
            }
        }
        // The last reranker before the response decides what was kept.
        if let Some(rr) = rerankers.last() {
            for (rank, d) in reranked_documents(rr).iter().enumerate() {
                let p = merge(&mut passages, d);
                if p.reranked.is_none() {
                    p.reranked = Some(StageMark {
                        rank: rank + 1,
                        score: d.score,
                    });
                }
            }
        }
        let prompt_text = llm.map(prompt_text).unwrap_or_default();
        let prompt = match llm {
            None => PromptSource::NoResponse,
            Some(_) if prompt_text.trim().is_empty() => PromptSource::Inferred,
            Some(_) => PromptSource::Matched,
        };
        mark_in_prompt(&mut passages, &prompt_text, prompt, !rerankers.is_empty());
        let terms = answer.map(claim_terms).unwrap_or_default();
        let mut answer_terms: BTreeSet<String> = BTreeSet::new();
        for p in &mut passages {
            let have: BTreeSet<String> = words(&p.content).map(|(_, w)| w).collect();
            p.shared = terms
                .iter()
                .filter(|t| have.contains(*t))
                .cloned()
                .collect();
            answer_terms.extend(p.shared.iter().cloned());
        }
        passages.sort_by_key(|p| {
            (
                p.in_prompt.unwrap_or(usize::MAX),
                p.reranked.as_ref().map_or(usize::MAX, |m| m.rank),
                p.retrieved.as_ref().map_or(usize::MAX, |m| m.rank),
            )
        });
        Evidence {
            response_span: llm.map(|s| s.span_id.clone()),
            passages,
            prompt,
            retriever_span: retrievers.first().map(|s| s.span_id.clone()),
            reranker_span: rerankers.last().map(|s| s.span_id.clone()),
            answer_terms: terms
                .into_iter()
                .filter(|t| answer_terms.contains(t))
                .collect(),
        }
    }

    pub fn in_prompt(&self) -> usize {
        self.passages
            .iter()
            .filter(|p| p.in_prompt.is_some())
            .count()
    }

    pub fn retrieved(&self) -> usize {
        self.passages
            .iter()
            .filter(|p| p.retrieved.is_some())
            .count()
    }
}

/// The reranker's kept documents: its output list, else the documents on the span.
fn reranked_documents(s: &Span) -> &[Document] {
    s.reranker
        .as_ref()
        .filter(|r| !r.output_documents.is_empty())
        .map(|r| r.output_documents.as_slice())
        .unwrap_or(s.documents.as_slice())
}

/// The passage for document `d` (found by id, else by text), created when new; fills in the
/// text when an earlier stage listed the document by id only.
fn merge<'a>(passages: &'a mut Vec<Passage>, d: &Document) -> &'a mut Passage {
    let content = d.content.clone().unwrap_or_default();
    let found = passages.iter().position(|p| match (&p.id, &d.id) {
        (Some(a), Some(b)) => a == b,
        (None, None) => !content.is_empty() && p.content == content,
        _ => false,
    });
    let i = match found {
        Some(i) => i,
        None => {
            passages.push(Passage {
                id: d.id.clone(),
                ..Passage::default()
            });
            passages.len() - 1
        }
    };
    let p = &mut passages[i];
    if p.content.is_empty() {
        p.content = content;
    }
    p
}

/// What the model was given: its input messages (or raw input when it has none).
fn prompt_text(s: &Span) -> String {
    if s.input_messages.is_empty() {
        return s
            .input
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_default();
    }
    let parts: Vec<&str> = s
        .input_messages
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    parts.join("\n")
}

/// How much of a passage's start has to occur in the prompt to count as pasted there: long
/// enough not to match by chance, short enough to survive a prompt template that adds a title.
const PROBE_CHARS: usize = 60;

fn mark_in_prompt(passages: &mut [Passage], prompt: &str, source: PromptSource, reranked: bool) {
    match source {
        PromptSource::NoResponse => {}
        PromptSource::Inferred => {
            let mut n = 0;
            for p in passages.iter_mut() {
                let last_stage = if reranked {
                    p.reranked.is_some()
                } else {
                    p.retrieved.is_some()
                };
                if last_stage {
                    n += 1;
                    p.in_prompt = Some(n);
                }
            }
        }
        PromptSource::Matched => {
            let hay = squash(prompt);
            let mut found: Vec<(usize, usize)> = Vec::new();
            for (i, p) in passages.iter().enumerate() {
                let by_id =
                    p.id.as_deref()
                        .filter(|id| id.chars().count() >= 3)
                        .and_then(|id| find_token(&hay, &id.to_lowercase()));
                let by_text = || {
                    let probe: String = squash(&p.content).chars().take(PROBE_CHARS).collect();
                    (probe.chars().count() >= 12)
                        .then(|| hay.find(&probe))
                        .flatten()
                };
                if let Some(at) = by_id.or_else(by_text) {
                    found.push((at, i));
                }
            }
            found.sort();
            for (n, (_, i)) in found.into_iter().enumerate() {
                passages[i].in_prompt = Some(n + 1);
            }
        }
    }
}

/// Lowercase with runs of whitespace made one space, for matching text across templates.
fn squash(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Where `needle` occurs in `hay` not inside a longer word (so id `kb-1` is not found in
/// `kb-12`).
fn find_token(hay: &str, needle: &str) -> Option<usize> {
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '-' && c != '_');
    hay.match_indices(needle).map(|(i, _)| i).find(|&i| {
        edge(hay[..i].chars().next_back()) && edge(hay[i + needle.len()..].chars().next())
    })
}

// ── claims ──────────────────────────────────────────────────────────────────────────────

/// Common words long enough to pass the length test that say nothing about a claim.
const STOPWORDS: &[&str] = &[
    "about", "above", "after", "again", "against", "always", "another", "because", "before",
    "being", "below", "between", "could", "didn't", "doesn't", "during", "either", "every",
    "hello", "happy", "however", "might", "never", "other", "please", "really", "should", "since",
    "sorry", "still", "thank", "thanks", "their", "there", "these", "things", "those", "through",
    "under", "until", "where", "which", "while", "within", "without", "would", "you'll", "you're",
    "you've", "yours",
];

/// The answer's claim terms, normalised, numbers first, each once.
///
/// The heuristic: a wrong answer is usually wrong in a number (a period, a price, a percentage)
/// or in a distinctive word (a policy, a product), so a claim term is every number (`30` in
/// "30 days", `40` in "$40") and every word of five letters or more that is not a common word.
/// Words are compared lowercased with a plural `s` dropped ("days" = "day"). A passage that
/// shares a number with the answer, or two words, is "touched" by it: for "refund within 30
/// days" both the 14-day price-adjustment passage (refund, price, purchase) and the 30-day
/// returns passage (the number 30) light up, which shows where a wrong number came from.
pub fn claim_terms(answer: &str) -> Vec<String> {
    let mut numbers: Vec<String> = Vec::new();
    let mut other: Vec<String> = Vec::new();
    for (_, w) in words(answer) {
        let list = if is_number(&w) {
            &mut numbers
        } else if w.chars().count() >= 5 && !STOPWORDS.contains(&w.as_str()) {
            &mut other
        } else {
            continue;
        };
        if !list.contains(&w) {
            list.push(w);
        }
    }
    numbers.extend(other);
    numbers
}

fn is_number(t: &str) -> bool {
    t.chars().any(|c| c.is_ascii_digit())
}

/// Byte ranges of the words of `text` whose normalised form is one of `terms`: what a view
/// highlights in an answer or a passage.
pub fn term_ranges(text: &str, terms: &[String]) -> Vec<Range<usize>> {
    if terms.is_empty() {
        return Vec::new();
    }
    words(text)
        .filter(|(_, w)| terms.contains(w))
        .map(|(r, _)| r)
        .collect()
}

/// The words of `text` with their byte ranges, normalised: lowercase, a plural `s` dropped.
/// A word is a run of letters, digits and apostrophes; `.` and `,` between digits stay inside
/// a number (`1,250.50`), so `$40` is `40` and `7-14` is `7` and `14`.
fn words(text: &str) -> impl Iterator<Item = (Range<usize>, String)> + '_ {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].1.is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() {
            let c = chars[i].1;
            if c.is_alphanumeric() {
                i += 1;
                continue;
            }
            // Not the word's first char (that one is alphanumeric), so there is a previous one.
            let prev = chars[i - 1].1;
            let next = chars.get(i + 1).map(|n| n.1);
            let inner_sep = match c {
                '\'' => prev.is_alphabetic() && next.is_some_and(char::is_alphabetic),
                '.' | ',' => prev.is_ascii_digit() && next.is_some_and(|n| n.is_ascii_digit()),
                _ => false,
            };
            if inner_sep {
                i += 1;
            } else {
                break;
            }
        }
        let from = chars[start].0;
        let to = chars.get(i).map_or(text.len(), |c| c.0);
        out.push((from..to, normalise(&text[from..to])));
    }
    out.into_iter()
}

fn normalise(word: &str) -> String {
    let w = word.to_lowercase().replace('’', "'");
    if w.len() > 3 && w.ends_with('s') && !w.ends_with("ss") && !is_number(&w) {
        w[..w.len() - 1].to_string()
    } else {
        w
    }
}

#[cfg(test)]
mod tests;
