//! Which spans the text index leaves out: a span whose text another span of its trace already
//! put in the index adds no search result (see [`TraceText`]).

use super::Result;
use super::text_index::{self, SpanText};
use rusqlite::Connection;

/// What one trace's spans put in the index during one batch, to leave out a span whose text
/// adds nothing: one whose every field holds only pieces that a single indexed span of the
/// trace holds in the same field. RAG traces repeat their text this way: the reranker's
/// passages are the retriever's, and the root's question and answer are its LLM call's.
/// Skipping such a span loses no search result: a search (every word, in the named fields, of
/// one span) that finds it finds the span that covers it, which is in the same trace. Only a
/// phrase that runs from the end of one passage into the next could differ.
#[derive(Debug, Default)]
pub struct TraceText {
    /// The pieces of each span indexed, by field, sorted.
    indexed: Vec<[Vec<u64>; 4]>,
}

/// How many indexed spans a new span is compared with, so a trace of thousands of spans costs
/// no more per span than a small one.
const COVER_CANDIDATES: usize = 64;

impl TraceText {
    /// Whether a span of the trace already indexed holds every piece of `t`, field by field.
    pub fn covers(&self, t: &SpanText) -> bool {
        !t.is_empty()
            && self.indexed.iter().rev().take(COVER_CANDIDATES).any(|s| {
                s.iter()
                    .zip(&t.pieces)
                    .all(|(have, want)| want.iter().all(|h| have.binary_search(h).is_ok()))
            })
    }

    /// Notes that `t` was indexed.
    pub fn add(&mut self, t: &SpanText) {
        let mut pieces = t.pieces.clone();
        for p in &mut pieces {
            p.sort_unstable();
            p.dedup();
        }
        self.indexed.push(pieces);
    }

    /// Whether `t` is to be indexed: it has text and no span indexed covers it. If so, it is
    /// noted as indexed (the caller inserts it).
    pub fn claim(&mut self, t: &SpanText) -> bool {
        let wanted = !t.is_empty() && !self.covers(t);
        if wanted {
            self.add(t);
        }
        wanted
    }
}

/// Indexes texts that arrived together, in row id order: FTS5 writes its pending terms out
/// whenever a row id is lower than the last one, so inserting in any other order makes many
/// small segments to merge. Which texts are left out is decided first, largest first, so a span
/// is met after the spans that may cover it; `claim` answers for each text's trace.
pub fn insert_deduplicated<'t>(
    conn: &Connection,
    texts: &[(i64, &'t SpanText)],
    mut claim: impl FnMut(usize, &'t SpanText) -> bool,
) -> Result<()> {
    let mut by_size: Vec<usize> = (0..texts.len()).collect();
    by_size.sort_by_key(|&i| std::cmp::Reverse(texts[i].1.len()));
    let mut wanted = vec![false; texts.len()];
    for i in by_size {
        wanted[i] = claim(i, texts[i].1);
    }
    let mut kept: Vec<&(i64, &SpanText)> = texts
        .iter()
        .zip(&wanted)
        .filter_map(|(t, w)| w.then_some(t))
        .collect();
    kept.sort_by_key(|(id, _)| *id);
    for (id, t) in kept {
        text_index::insert(conn, *id, t)?;
    }
    Ok(())
}

/// Indexes one trace's spans again, after a span of it changed: a span left out because
/// another covered it (see [`TraceText`]) may no longer be covered.
pub fn reindex_trace(conn: &Connection, trace_key: i64) -> Result<()> {
    let mut texts = Vec::new();
    text_index::each_stored_text(conn, "WHERE s.trace_key = ?1", [trace_key], |id, text| {
        text_index::delete(conn, id)?;
        texts.extend(text.map(|t| (id, t)));
        Ok(())
    })?;
    let texts: Vec<(i64, &SpanText)> = texts.iter().map(|(id, t)| (*id, t)).collect();
    let mut trace = TraceText::default();
    insert_deduplicated(conn, &texts, |_, t| trace.claim(t))
}
