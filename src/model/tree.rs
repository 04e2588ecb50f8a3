//! Builds a display tree from a flat list of spans: children ordered by start time, spans whose
//! parent is missing become roots (flagged), and parent cycles are broken.

use super::Span;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct TreeNode {
    /// Index into the span slice the tree was built from.
    pub index: usize,
    pub depth: usize,
    /// The span names a parent that is not in the trace.
    pub missing_parent: bool,
    pub children: Vec<usize>,
}

/// A span tree flattened in depth-first order.
#[derive(Debug, Clone, Default)]
pub struct SpanTree {
    /// Nodes in depth-first (display) order.
    pub nodes: Vec<TreeNode>,
}

/// What a tree needs of a span: its id, its parent's id and its start. Implemented by full
/// spans and by [`super::SpanSkeleton`]s (a big trace's tree is built without payloads).
pub trait TreeKey {
    fn tree_span_id(&self) -> &str;
    fn tree_parent_id(&self) -> Option<&str>;
    fn tree_start_ns(&self) -> i64;
}

/// Every span shape keys the tree by the same three fields.
macro_rules! tree_key_by_fields {
    ($($t:ty),+) => {$(
        impl TreeKey for $t {
            fn tree_span_id(&self) -> &str {
                &self.span_id
            }
            fn tree_parent_id(&self) -> Option<&str> {
                self.parent_id.as_deref()
            }
            fn tree_start_ns(&self) -> i64 {
                self.start_ns
            }
        }
    )+};
}

tree_key_by_fields!(Span, super::SpanSkeleton, super::SpanLine);

impl SpanTree {
    /// O(n log n) for any shape (the sorts; the walks are linear), without recursion: a
    /// 100,000-deep parent chain is as cheap as a flat trace.
    pub fn build<S: TreeKey>(spans: &[S]) -> SpanTree {
        let n = spans.len();
        let by_id: HashMap<&str, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.tree_span_id(), i))
            .collect();
        let mut parent: Vec<Option<usize>> = vec![None; n];
        let mut missing = vec![false; n];
        for (i, s) in spans.iter().enumerate() {
            match s.tree_parent_id().and_then(|p| by_id.get(p)) {
                Some(&p) => parent[i] = Some(p),
                None => missing[i] = s.tree_parent_id().is_some(),
            }
        }
        drop(by_id);
        let order = |a: &usize, b: &usize| {
            spans[*a]
                .tree_start_ns()
                .cmp(&spans[*b].tree_start_ns())
                .then_with(|| a.cmp(b))
        };
        let mut by_start: Vec<usize> = (0..n).collect();
        by_start.sort_by(order);
        cut_cycles(&mut parent, &by_start);
        // Children in start order: push them in that order.
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        let mut roots = Vec::new();
        for &i in &by_start {
            match parent[i] {
                Some(p) => children[p].push(i),
                None => roots.push(i),
            }
        }
        let mut nodes = Vec::with_capacity(n);
        let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            for &c in children[i].iter().rev() {
                stack.push((c, depth + 1));
            }
            nodes.push(TreeNode {
                index: i,
                depth,
                missing_parent: missing[i],
                children: std::mem::take(&mut children[i]),
            });
        }
        SpanTree { nodes }
    }
}

/// Makes the parent links a forest: a span that is its own parent becomes a root, and so does
/// the earliest span (first in `by_start`) of every parent cycle. Linear: each span is climbed
/// through once, by the first climb that reaches it.
pub(crate) fn cut_cycles(parent: &mut [Option<usize>], by_start: &[usize]) {
    const UNSEEN: usize = usize::MAX;
    let n = parent.len();
    let mut rank = vec![0; n];
    for (r, &i) in by_start.iter().enumerate() {
        rank[i] = r;
    }
    // The climb that first reached each span (its starting span), or UNSEEN.
    let mut climb = vec![UNSEEN; n];
    for &start in by_start {
        if climb[start] != UNSEEN {
            continue;
        }
        let mut cur = start;
        climb[cur] = start;
        loop {
            match parent[cur] {
                None => break,
                Some(p) if climb[p] == UNSEEN => {
                    climb[p] = start;
                    cur = p;
                }
                // Reached a span an earlier climb finished: no cycle through this one.
                Some(p) if climb[p] != start => break,
                // Back on this climb: `p` is on a cycle. Walk it once and cut the earliest.
                Some(p) => {
                    let mut first = p;
                    let mut x = parent[p].unwrap_or(p);
                    while x != p {
                        if rank[x] < rank[first] {
                            first = x;
                        }
                        x = parent[x].unwrap_or(p);
                    }
                    parent[first] = None;
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, start: i64) -> Span {
        Span {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            start_ns: start,
            ..Default::default()
        }
    }

    #[test]
    fn orders_children_and_flags_orphans() {
        let spans = vec![
            span("c2", Some("root"), 20),
            span("c1", Some("root"), 10),
            span("root", None, 0),
            span("orphan", Some("gone"), 5),
            span("g", Some("c1"), 11),
        ];
        let t = SpanTree::build(&spans);
        let ids: Vec<(&str, usize)> = t
            .nodes
            .iter()
            .map(|n| (spans[n.index].span_id.as_str(), n.depth))
            .collect();
        assert_eq!(
            ids,
            vec![("root", 0), ("c1", 1), ("g", 2), ("c2", 1), ("orphan", 0)]
        );
        assert!(
            t.nodes
                .iter()
                .any(|n| spans[n.index].span_id == "orphan" && n.missing_parent)
        );
    }

    #[test]
    fn breaks_cycles() {
        let spans = vec![span("a", Some("b"), 0), span("b", Some("a"), 1)];
        let t = SpanTree::build(&spans);
        assert_eq!(t.nodes.len(), 2);
        let own = vec![span("self", Some("self"), 0), span("c", Some("self"), 1)];
        let t = SpanTree::build(&own);
        assert_eq!(shape(&own, &t), vec![("self".into(), 0), ("c".into(), 1)]);
        assert!(!t.nodes[0].missing_parent);
    }

    fn shape(spans: &[Span], t: &SpanTree) -> Vec<(String, usize)> {
        t.nodes
            .iter()
            .map(|n| (spans[n.index].span_id.clone(), n.depth))
            .collect()
    }

    /// Every span exactly once, and each node's children listed right after it.
    fn assert_well_formed(spans: &[Span], t: &SpanTree) {
        let mut seen = vec![false; spans.len()];
        for n in &t.nodes {
            assert!(!std::mem::replace(&mut seen[n.index], true), "span twice");
        }
        assert!(seen.iter().all(|&s| s), "span missing");
        let pos: HashMap<usize, usize> = t
            .nodes
            .iter()
            .enumerate()
            .map(|(p, n)| (n.index, p))
            .collect();
        for n in &t.nodes {
            for c in &n.children {
                assert_eq!(t.nodes[pos[c]].depth, n.depth + 1);
            }
        }
    }

    #[test]
    fn a_cycle_with_a_tail_becomes_one_tree_rooted_at_its_earliest_span() {
        // c -> b -> a -> c is a cycle; d hangs below b, e below d.
        let spans = vec![
            span("e", Some("d"), 0),
            span("a", Some("c"), 3),
            span("b", Some("a"), 2),
            span("c", Some("b"), 4),
            span("d", Some("b"), 1),
            span("root", None, 9),
        ];
        let t = SpanTree::build(&spans);
        assert_well_formed(&spans, &t);
        let got = shape(&spans, &t);
        let want: Vec<(String, usize)> = [
            ("b", 0),
            ("d", 1),
            ("e", 2),
            ("c", 1),
            ("a", 2),
            ("root", 0),
        ]
        .iter()
        .map(|(s, d)| (s.to_string(), *d))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_100k_deep_chain_builds_without_recursion() {
        const N: usize = 100_000;
        // Listed leaf first, so no order of the input helps.
        let spans: Vec<Span> = (0..N)
            .rev()
            .map(|i| {
                let parent = (i > 0).then(|| format!("s{}", i - 1));
                span(&format!("s{i}"), parent.as_deref(), i as i64)
            })
            .collect();
        let t = SpanTree::build(&spans);
        assert_eq!(t.nodes.len(), N);
        for (d, n) in t.nodes.iter().enumerate() {
            assert_eq!(n.depth, d);
            assert_eq!(spans[n.index].span_id, format!("s{d}"));
        }
        assert_well_formed(&spans, &t);
    }

    #[test]
    fn a_100k_span_cycle_is_cut_once() {
        const N: usize = 100_000;
        let spans: Vec<Span> = (0..N)
            .map(|i| {
                let parent = format!("s{}", (i + N - 1) % N);
                span(&format!("s{i}"), Some(&parent), i as i64)
            })
            .collect();
        let t = SpanTree::build(&spans);
        assert_eq!(t.nodes.len(), N);
        assert_eq!(t.nodes.iter().filter(|n| n.depth == 0).count(), 1);
        assert_eq!(spans[t.nodes[0].index].span_id, "s0");
        assert_eq!(t.nodes[N - 1].depth, N - 1);
        assert_well_formed(&spans, &t);
    }
}
