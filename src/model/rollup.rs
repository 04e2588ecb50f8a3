//! Trace roll-ups: counts, time range, tokens and cost without double counting (§10.2 of the
//! format notes: only the deepest LLM/embedding spans that carry their own usage are summed;
//! a parent whose usage covers its children is an aggregate and shown, not added).
//!
//! Pure functions over [`RollupSpan`]s, the few columns of a span a roll-up needs: the store
//! computes [`Trace`] rows with them as it writes, and views mark aggregates on loaded spans
//! with [`mark_aggregates`].

use super::{Span, SpanKind, Trace};
use std::collections::{HashMap, HashSet};

/// The columns a roll-up needs, without the span payload.
#[derive(Debug, Clone, Default)]
pub struct RollupSpan {
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub kind: SpanKind,
    pub start_ns: i64,
    pub end_ns: Option<i64>,
    pub error: bool,
    pub model: Option<String>,
    pub session_id: Option<String>,
    pub user_id: Option<String>,
    pub service: Option<String>,
    pub input: Option<i64>,
    pub output: Option<i64>,
    pub total: Option<i64>,
    pub cache_read: Option<i64>,
    pub reasoning: Option<i64>,
    pub cost: Option<f64>,
    pub cost_unknown: bool,
    pub tags: Vec<String>,
    pub preview_in: Option<String>,
    pub preview_out: Option<String>,
    /// Time to first token (LLM calls), for the statistics cells of a new trace.
    pub ttft_ns: Option<i64>,
}

impl RollupSpan {
    fn has_usage(&self) -> bool {
        self.input.is_some() || self.output.is_some() || self.total.is_some() || self.cost.is_some()
    }

    /// The roll-up view of a full span (for callers that already loaded spans).
    pub fn from_span(s: &Span) -> RollupSpan {
        let u = s.usage.as_ref();
        RollupSpan {
            span_id: s.span_id.clone(),
            parent_id: s.parent_id.clone(),
            name: s.name.clone(),
            kind: s.kind,
            start_ns: s.start_ns,
            end_ns: s.end_ns,
            error: s.is_error(),
            model: s.model.clone(),
            session_id: s.session_id.clone(),
            user_id: s.user_id.clone(),
            service: s.service_name.clone(),
            input: u.and_then(|u| u.input),
            output: u.and_then(|u| u.output),
            total: u.and_then(|u| u.total_or_sum()),
            cache_read: u.and_then(|u| u.cache_read),
            reasoning: u.and_then(|u| u.reasoning),
            cost: s.cost.as_ref().and_then(|c| c.total),
            cost_unknown: s.cost.as_ref().is_some_and(|c| c.total.is_none()),
            tags: s.tags.clone(),
            preview_in: None,
            preview_out: None,
            ttft_ns: s.ttft_ns,
        }
    }
}

/// For each span: does it count towards the trace total? A span counts when it is an LLM or
/// embedding span with usage of its own and no descendant that counts. Descendants are those
/// of the display tree ([`super::SpanTree`]): a parent cycle is cut at its earliest span.
///
/// An LLM call without usage counts too, as a call of unknown cost (its tokens are not known,
/// so the trace's cost becomes a lower bound), when it is the deepest such call and no span
/// above or below it carries usage (that usage covers it: a wrapper or an inner HTTP span of a
/// priced call is the same call). A *failed* call without usage is taken as not billed:
/// providers charge for the tokens they report, and an error before any token (rate limit,
/// bad request, timeout to connect) reports none; counting it would make every retried trace's
/// cost unknown. Embedding spans without usage are left out: they are not chat calls and many
/// exporters never record their usage.
pub fn counted(spans: &[RollupSpan]) -> Vec<bool> {
    let parent = display_parents(spans);
    let with_usage: Vec<bool> = spans
        .iter()
        .map(|s| s.kind.counts_usage() && s.has_usage())
        .collect();
    let usage_below = marked_ancestors(&parent, &with_usage);
    let usage_above = marked_descendants(&parent, &with_usage);
    let unknown_call: Vec<bool> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.kind == SpanKind::Llm
                && !s.has_usage()
                && !s.error
                && !usage_below[i]
                && !usage_above[i]
        })
        .collect();
    let unknown_below = marked_ancestors(&parent, &unknown_call);
    (0..spans.len())
        .map(|i| (with_usage[i] && !usage_below[i]) || (unknown_call[i] && !unknown_below[i]))
        .collect()
}

/// Each span's parent index in the display tree (cycles cut at their earliest span).
fn display_parents(spans: &[RollupSpan]) -> Vec<Option<usize>> {
    let idx: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let mut parent: Vec<Option<usize>> = spans
        .iter()
        .map(|s| s.parent_id.as_deref().and_then(|p| idx.get(p).copied()))
        .collect();
    let mut by_start: Vec<usize> = (0..spans.len()).collect();
    by_start.sort_by_key(|&i| (spans[i].start_ns, i));
    super::tree::cut_cycles(&mut parent, &by_start);
    parent
}

/// For each span: is one of its descendants marked? Climbs from every marked span; a climb
/// stops at a span already reached, whose ancestors an earlier climb reached, so the climbs
/// are linear in total (a deep chain of LLM spans included).
fn marked_ancestors(parent: &[Option<usize>], marked: &[bool]) -> Vec<bool> {
    let mut below = vec![false; parent.len()];
    for i in (0..parent.len()).filter(|&i| marked[i]) {
        let mut cur = parent[i];
        while let Some(p) = cur {
            if std::mem::replace(&mut below[p], true) {
                break;
            }
            cur = parent[p];
        }
    }
    below
}

/// For each span: is one of its ancestors marked? Memoised along each climb, so linear in
/// total; the parents form a forest (cycles are cut), so every climb ends.
fn marked_descendants(parent: &[Option<usize>], marked: &[bool]) -> Vec<bool> {
    let mut above: Vec<Option<bool>> = vec![None; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut cur = start;
        // Climb until a span whose answer is known or a root.
        let mut answer = loop {
            if let Some(a) = above[cur] {
                // `cur` is the parent of the last span on the path.
                break a || marked[cur];
            }
            path.push(cur);
            match parent[cur] {
                Some(p) if marked[p] => break true,
                Some(p) => cur = p,
                None => break false,
            }
        };
        // The path runs from `start` upward; walking it back down, each span's answer is its
        // parent's answer or its parent being marked.
        while let Some(i) = path.pop() {
            above[i] = Some(answer);
            answer = answer || marked[i];
        }
    }
    above.into_iter().map(|a| a.unwrap_or(false)).collect()
}

/// Which spans are aggregates (carry usage that their descendants also carry).
pub fn aggregates(spans: &[RollupSpan]) -> Vec<bool> {
    let c = counted(spans);
    spans
        .iter()
        .enumerate()
        .map(|(i, s)| s.has_usage() && !c[i] && s.kind.counts_usage())
        .collect()
}

impl Trace {
    /// The roll-up of one trace's spans.
    pub fn roll_up(trace_id: &str, spans: &[RollupSpan]) -> Trace {
        let mut r = roll_up_figures(spans);
        r.trace_id = trace_id.to_string();
        // Saturating: a hostile file can put one span at i64::MIN and another at i64::MAX.
        r.duration_ns = r.end_ns.saturating_sub(r.start_ns);
        r
    }
}

fn roll_up_figures(spans: &[RollupSpan]) -> Trace {
    let mut r = Trace {
        span_count: spans.len() as i64,
        start_ns: i64::MAX,
        end_ns: i64::MIN,
        ..Default::default()
    };
    if spans.is_empty() {
        r.start_ns = 0;
        r.end_ns = 0;
        return r;
    }
    let ids: HashMap<&str, usize> = spans
        .iter()
        .enumerate()
        .map(|(i, s)| (s.span_id.as_str(), i))
        .collect();
    let is_root = |s: &RollupSpan| s.parent_id.as_deref().is_none_or(|p| !ids.contains_key(p));
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].start_ns, i));
    let counted = counted(spans);
    // Sets beside the lists keep first-seen order and stay linear with many distinct values.
    let mut seen_models: HashSet<&str> = HashSet::new();
    let mut seen_tags: HashSet<&str> = HashSet::new();
    let mut known = 0.0;
    for &i in &order {
        let s = &spans[i];
        r.start_ns = r.start_ns.min(s.start_ns);
        r.end_ns = r.end_ns.max(s.end_ns.unwrap_or(s.start_ns)).max(s.start_ns);
        if s.error {
            r.error_count += 1;
        }
        if s.parent_id.is_some() && is_root(s) {
            r.missing_parents += 1;
        }
        if s.kind == SpanKind::Llm {
            r.llm_calls += 1;
            if let Some(m) = &s.model
                && seen_models.insert(m.as_str())
            {
                r.models.push(m.clone());
            }
        }
        for t in &s.tags {
            if seen_tags.insert(t.as_str()) {
                r.tags.push(t.clone());
            }
        }
        if r.session_id.is_none() {
            r.session_id = s.session_id.clone();
        }
        if r.user_id.is_none() {
            r.user_id = s.user_id.clone();
        }
        if r.service.is_none() {
            r.service = s.service.clone();
        }
        if counted[i] {
            r.input_tokens += s.input.unwrap_or(0);
            r.output_tokens += s.output.unwrap_or(0);
            r.total_tokens += s
                .total
                .unwrap_or(s.input.unwrap_or(0) + s.output.unwrap_or(0));
            r.cache_read_tokens += s.cache_read.unwrap_or(0);
            r.reasoning_tokens += s.reasoning.unwrap_or(0);
            match s.cost {
                Some(c) => known += c,
                None => r.unknown_cost_spans += 1,
            }
        } else if s.cost_unknown && s.kind.counts_usage() && s.has_usage() {
            // An aggregate with unknown cost says nothing new: its children decide.
        }
    }
    r.cost_known_usd = known;
    r.cost_usd = if r.unknown_cost_spans == 0 {
        Some(known)
    } else {
        None
    };
    // The trace's outcome is its root's: a failed call that was retried successfully shows as
    // an inner error (error_count) on an ok trace.
    let roots: Vec<&RollupSpan> = order
        .iter()
        .map(|&i| &spans[i])
        .filter(|s| is_root(s))
        .collect();
    r.error = roots.iter().any(|s| s.error);
    if let Some(root) = roots.first() {
        r.name = Some(root.name.clone());
        r.input_preview = root.preview_in.clone();
        r.output_preview = root.preview_out.clone();
    }
    let llm: Vec<&RollupSpan> = order
        .iter()
        .map(|&i| &spans[i])
        .filter(|s| s.kind == SpanKind::Llm)
        .collect();
    if r.input_preview.is_none() {
        r.input_preview = llm.iter().find_map(|s| s.preview_in.clone());
    }
    if r.output_preview.is_none() {
        r.output_preview = llm.iter().rev().find_map(|s| s.preview_out.clone());
    }
    r
}

/// Marks `usage.aggregate` on spans whose usage is a roll-up of their descendants'.
pub fn mark_aggregates(spans: &mut [Span]) {
    let r: Vec<RollupSpan> = spans.iter().map(RollupSpan::from_span).collect();
    for (s, agg) in spans.iter_mut().zip(aggregates(&r)) {
        if let Some(u) = s.usage.as_mut() {
            u.aggregate = agg;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(
        id: &str,
        parent: Option<&str>,
        kind: SpanKind,
        input: Option<i64>,
        cost: Option<f64>,
    ) -> RollupSpan {
        RollupSpan {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            kind,
            input,
            output: input.map(|_| 10),
            cost,
            ..Default::default()
        }
    }

    #[test]
    fn aggregates_are_not_added_again() {
        // An agent-level LLM span carrying the sum of its two children (LangSmith style).
        let spans = vec![
            s("root", None, SpanKind::Chain, None, None),
            s("agg", Some("root"), SpanKind::Llm, Some(300), Some(0.3)),
            s("a", Some("agg"), SpanKind::Llm, Some(100), Some(0.1)),
            s("b", Some("agg"), SpanKind::Llm, Some(200), Some(0.2)),
        ];
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.input_tokens, 300);
        assert_eq!(r.output_tokens, 20);
        assert!((r.cost_usd.unwrap() - 0.3).abs() < 1e-12);
        assert_eq!(aggregates(&spans), vec![false, true, false, false]);
    }

    #[test]
    fn only_the_leaf_of_a_100k_deep_chain_of_llm_spans_counts() {
        const N: usize = 100_000;
        let spans: Vec<RollupSpan> = (0..N)
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                let mut r = s(
                    &format!("s{i}"),
                    parent.as_deref(),
                    SpanKind::Llm,
                    Some(5),
                    None,
                );
                r.start_ns = i as i64;
                r
            })
            .collect();
        let c = counted(&spans);
        assert!(c[N - 1]);
        assert_eq!(c.iter().filter(|&&x| x).count(), 1);
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.input_tokens, 5);
    }

    #[test]
    fn a_cycle_counts_as_the_tree_shows_it() {
        // a <- b <- a: the tree roots the cycle at a (earliest), so b is a's child and counts.
        let mut a = s("a", Some("b"), SpanKind::Llm, Some(1), Some(0.1));
        a.start_ns = 0;
        let mut b = s("b", Some("a"), SpanKind::Llm, Some(2), Some(0.2));
        b.start_ns = 1;
        assert_eq!(counted(&[a, b]), vec![false, true]);
        let own = s("x", Some("x"), SpanKind::Llm, Some(1), None);
        assert_eq!(counted(&[own]), vec![true]);
    }

    #[test]
    fn unknown_cost_makes_the_trace_cost_unknown() {
        let spans = vec![
            s("a", None, SpanKind::Llm, Some(100), Some(0.1)),
            s("b", None, SpanKind::Llm, Some(100), None),
        ];
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.cost_usd, None);
        assert_eq!(r.unknown_cost_spans, 1);
        assert!((r.cost_known_usd - 0.1).abs() < 1e-12);
    }

    #[test]
    fn status_comes_from_the_root_and_orphans_are_counted() {
        let mut child = s("c", Some("root"), SpanKind::Llm, None, None);
        child.error = true;
        let spans = vec![
            s("root", None, SpanKind::Chain, None, None),
            child,
            s("o", Some("gone"), SpanKind::Tool, None, None),
        ];
        let r = Trace::roll_up("t", &spans);
        assert!(!r.error);
        assert_eq!(r.error_count, 1);
        assert_eq!(r.missing_parents, 1);
    }

    #[test]
    fn a_call_without_usage_is_of_unknown_cost() {
        let spans = vec![
            s("root", None, SpanKind::Chain, None, None),
            s("priced", Some("root"), SpanKind::Llm, Some(100), Some(0.1)),
            s("bare", Some("root"), SpanKind::Llm, None, None),
        ];
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.unknown_cost_spans, 1);
        assert_eq!(r.cost_usd, None);
        assert!((r.cost_known_usd - 0.1).abs() < 1e-12);
        assert_eq!(r.input_tokens, 100);
        assert_eq!(aggregates(&spans), vec![false, false, false]);
    }

    #[test]
    fn usage_above_or_below_covers_a_call_without_usage() {
        // A wrapper LLM span without usage over a priced call, and a priced call over an inner
        // HTTP-level LLM span without usage: both are one priced call each.
        let spans = vec![
            s("wrap", None, SpanKind::Llm, None, None),
            s("call", Some("wrap"), SpanKind::Llm, Some(10), Some(0.01)),
            s("priced", None, SpanKind::Llm, Some(20), Some(0.02)),
            s("http", Some("priced"), SpanKind::Llm, None, None),
            s("http2", Some("http"), SpanKind::Llm, None, None),
        ];
        assert_eq!(counted(&spans), vec![false, true, true, false, false]);
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.unknown_cost_spans, 0);
        assert!((r.cost_usd.unwrap() - 0.03).abs() < 1e-12);
        assert_eq!(r.input_tokens, 30);
    }

    #[test]
    fn nested_calls_without_usage_are_one_unknown_call() {
        let spans = vec![
            s("outer", None, SpanKind::Llm, None, None),
            s("inner", Some("outer"), SpanKind::Llm, None, None),
        ];
        assert_eq!(counted(&spans), vec![false, true]);
        assert_eq!(Trace::roll_up("t", &spans).unknown_cost_spans, 1);
    }

    #[test]
    fn failed_calls_and_embeddings_without_usage_cost_nothing() {
        let mut failed = s("failed", None, SpanKind::Llm, None, None);
        failed.error = true;
        let spans = vec![
            failed,
            s("embed", None, SpanKind::Embedding, None, None),
            s("ok", None, SpanKind::Llm, Some(5), Some(0.5)),
        ];
        let r = Trace::roll_up("t", &spans);
        assert_eq!(r.unknown_cost_spans, 0);
        assert!((r.cost_usd.unwrap() - 0.5).abs() < 1e-12);
    }

    #[test]
    fn ancestors_are_found_along_deep_chains_and_forests() {
        // 0 <- 1 <- 2 <- 3, 4 alone; 1 marked.
        let parent = vec![None, Some(0), Some(1), Some(2), None];
        let marked = vec![false, true, false, false, false];
        assert_eq!(
            marked_descendants(&parent, &marked),
            vec![false, false, true, true, false]
        );
        assert_eq!(
            marked_ancestors(&parent, &marked),
            vec![true, false, false, false, false]
        );
    }
}
