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

impl SpanTree {
    pub fn build(spans: &[Span]) -> SpanTree {
        let by_id: HashMap<&str, usize> = spans
            .iter()
            .enumerate()
            .map(|(i, s)| (s.span_id.as_str(), i))
            .collect();
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
        let mut roots = Vec::new();
        let mut missing = vec![false; spans.len()];
        for (i, s) in spans.iter().enumerate() {
            match s.parent_id.as_deref().and_then(|p| by_id.get(p)) {
                Some(&p) if p != i && !is_ancestor(spans, &by_id, i, p) => children[p].push(i),
                Some(_) => roots.push(i),
                None => {
                    missing[i] = s.parent_id.is_some();
                    roots.push(i);
                }
            }
        }
        let order = |a: &usize, b: &usize| {
            spans[*a]
                .start_ns
                .cmp(&spans[*b].start_ns)
                .then_with(|| a.cmp(b))
        };
        roots.sort_by(order);
        for c in &mut children {
            c.sort_by(order);
        }
        let mut nodes = Vec::with_capacity(spans.len());
        let mut stack: Vec<(usize, usize)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((i, depth)) = stack.pop() {
            nodes.push(TreeNode {
                index: i,
                depth,
                missing_parent: missing[i],
                children: children[i].clone(),
            });
            for &c in children[i].iter().rev() {
                stack.push((c, depth + 1));
            }
        }
        SpanTree { nodes }
    }
}

/// Would making `parent` the parent of `child` close a cycle? Walks up from `parent`.
fn is_ancestor(spans: &[Span], by_id: &HashMap<&str, usize>, child: usize, parent: usize) -> bool {
    let mut cur = parent;
    for _ in 0..spans.len() {
        match spans[cur].parent_id.as_deref().and_then(|p| by_id.get(p)) {
            Some(&p) if p == child => return true,
            Some(&p) => cur = p,
            None => return false,
        }
    }
    true
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
    }
}
