//! A [`TraceFilter`] as SQL: the WHERE clause over `traces t` that every trace query shares,
//! and the full-text query syntax.

use super::TraceFilter;
use crate::filter::TextField;
use rusqlite::types::Value as SqlValue;

/// The WHERE clause (empty when the filter is) over `traces t` and its numbered parameters.
pub(super) fn where_clause(filter: &TraceFilter) -> (String, Vec<SqlValue>) {
    let mut w: Vec<String> = Vec::new();
    let mut p: Vec<SqlValue> = Vec::new();
    // Each `?` in a clause becomes the next numbered parameter.
    let push = |clause: &str, v: Vec<SqlValue>, w: &mut Vec<String>, p: &mut Vec<SqlValue>| {
        let mut pieces = clause.split('?');
        let mut c = pieces.next().unwrap_or_default().to_string();
        for (piece, val) in pieces.zip(v) {
            p.push(val);
            c.push_str(&format!("?{}", p.len()));
            c.push_str(piece);
        }
        w.push(c);
    };
    if let Some(s) = filter.since_ns {
        push("t.start_ns >= ?", vec![s.into()], &mut w, &mut p);
    }
    if let Some(u) = filter.until_ns {
        push("t.start_ns < ?", vec![u.into()], &mut w, &mut p);
    }
    if let Some(u) = &filter.user {
        push("t.user_id = ?", vec![u.clone().into()], &mut w, &mut p);
    }
    if let Some(s) = &filter.session {
        push("t.session_id = ?", vec![s.clone().into()], &mut w, &mut p);
    }
    if let Some(n) = &filter.name {
        push("t.name = ?", vec![n.clone().into()], &mut w, &mut p);
    }
    if let Some(n) = &filter.service {
        push("t.service = ?", vec![n.clone().into()], &mut w, &mut p);
    }
    if let Some(m) = &filter.model {
        push(
            "t.tkey IN (SELECT tkey FROM trace_models WHERE model = ?)",
            vec![m.to_ascii_lowercase().into()],
            &mut w,
            &mut p,
        );
    }
    if let Some(tag) = &filter.tag {
        push(
            "t.tkey IN (SELECT tkey FROM trace_tags WHERE tag = ?)",
            vec![tag.clone().into()],
            &mut w,
            &mut p,
        );
    }
    if let Some(e) = filter.error {
        push(
            "t.status = ?",
            vec![(if e { "error" } else { "ok" }).to_string().into()],
            &mut w,
            &mut p,
        );
    }
    for m in text_queries(filter) {
        push(
            "t.tkey IN (SELECT s.trace_key FROM spans s WHERE s.id IN (SELECT rowid FROM span_fields_fts WHERE span_fields_fts MATCH ?))",
            vec![m.into()],
            &mut w,
            &mut p,
        );
    }
    for (rule, v) in &filter.verdicts {
        push(
            // The current score of that name from any source (judge, human label, imported
            // annotation, check) has the verdict.
            "EXISTS (SELECT 1 FROM scores sc WHERE sc.trace_id = t.trace_id AND sc.name = ? AND sc.verdict = ?
               AND sc.id = (SELECT max(id) FROM scores s2
                            WHERE s2.trace_id = sc.trace_id AND s2.name = sc.name AND s2.source = sc.source))",
            vec![rule.clone().into(), v.as_str().to_string().into()],
            &mut w,
            &mut p,
        );
    }
    if !filter.trace_ids.is_empty() {
        let marks: Vec<String> = filter
            .trace_ids
            .iter()
            .map(|id| {
                p.push(id.clone().into());
                format!("?{}", p.len())
            })
            .collect();
        w.push(format!("t.trace_id IN ({})", marks.join(",")));
    }
    if hides_replays(filter) {
        w.push(HIDE_REPLAYS.into());
    }
    if w.is_empty() {
        (String::new(), p)
    } else {
        (format!("WHERE {}", w.join(" AND ")), p)
    }
}

/// A WHERE clause `w` (maybe empty) with `cond` added.
pub(super) fn and_where(w: &str, cond: &str) -> String {
    if w.is_empty() {
        format!("WHERE {cond}")
    } else {
        format!("{w} AND {cond}")
    }
}

/// One FTS query per text condition of `filter` (a bare search looks in questions and answers;
/// `q:`, `a:`, `doc:`, `sys:` in their field); a trace must meet each, with any of its spans.
pub(super) fn text_queries(filter: &TraceFilter) -> Vec<String> {
    let bare = filter
        .search
        .as_deref()
        .map(|q| (&[TextField::Question, TextField::Answer][..], q));
    let scoped = filter
        .scoped
        .iter()
        .map(|(f, q)| (std::slice::from_ref(f), q.as_str()));
    bare.into_iter()
        .chain(scoped)
        .filter_map(|(fields, q)| fts_query_in(fields, q))
        .collect()
}

/// [`fts_query`] restricted to the index columns of `fields` (`{question answer} : (…)`).
pub(super) fn fts_query_in(fields: &[TextField], text: &str) -> Option<String> {
    let q = fts_query(text)?;
    let cols: Vec<&str> = fields.iter().map(|f| f.column()).collect();
    Some(format!("{{{}}} : ({q})", cols.join(" ")))
}

/// The condition that leaves replays out (see [`hides_replays`]).
const HIDE_REPLAYS: &str = "t.trace_id NOT IN (SELECT trace_id FROM replays)";

/// `Some(hides_replays)` when the filter selects every trace (but replays, if it hides them),
/// so a count can read the store's counts (see `counts`) instead of counting rows.
pub(super) fn selects_all(filter: &TraceFilter) -> Option<bool> {
    let (w, params) = where_clause(filter);
    if !params.is_empty() {
        None
    } else if w.is_empty() {
        Some(false)
    } else if w.strip_prefix("WHERE ") == Some(HIDE_REPLAYS) {
        Some(true)
    } else {
        None
    }
}

/// Replays (`trawl replay`) are left out of trace lists and statistics unless the filter asks
/// for them or names traces by id.
pub(super) fn hides_replays(filter: &TraceFilter) -> bool {
    !filter.replays && filter.trace_ids.is_empty()
}

/// Turns user text into an FTS5 query: every word must appear (each quoted, so punctuation in
/// the text is never FTS syntax); a quoted "phrase" stays a phrase.
pub(super) fn fts_query(text: &str) -> Option<String> {
    let mut terms = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped.find('"').unwrap_or(stripped.len());
            let phrase = stripped[..end].trim();
            if !phrase.is_empty() {
                terms.push(format!("\"{}\"", phrase.replace('"', "\"\"")));
            }
            rest = stripped.get(end + 1..).unwrap_or("").trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            let word = &rest[..end];
            if word.chars().any(|c| c.is_alphanumeric()) {
                terms.push(format!("\"{}\"", word.replace('"', "\"\"")));
            }
            rest = rest[end..].trim_start();
        }
    }
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Verdict;

    #[test]
    fn fts_queries_are_always_valid_syntax() {
        assert_eq!(
            fts_query("refund policy").as_deref(),
            Some("\"refund\" AND \"policy\"")
        );
        assert_eq!(
            fts_query("\"refund policy\" x").as_deref(),
            Some("\"refund policy\" AND \"x\"")
        );
        assert_eq!(fts_query("a\"b").as_deref(), Some("\"a\"\"b\""));
        assert_eq!(fts_query("  ** "), None);
        assert_eq!(
            fts_query_in(&[TextField::Answer], "refund").as_deref(),
            Some("{answer} : (\"refund\")")
        );
    }

    #[test]
    fn replays_are_hidden_unless_asked_for_or_named() {
        let hide = "t.trace_id NOT IN (SELECT trace_id FROM replays)";
        assert_eq!(
            where_clause(&TraceFilter::default()).0,
            format!("WHERE {hide}")
        );
        let with = TraceFilter {
            replays: true,
            ..Default::default()
        };
        assert_eq!(where_clause(&with).0, "");
        let named = TraceFilter {
            trace_ids: vec!["a".into()],
            ..Default::default()
        };
        assert!(!where_clause(&named).0.contains("replays"));
    }

    #[test]
    fn filter_sql_numbers_parameters_in_order() {
        let f = TraceFilter {
            user: Some("u".into()),
            trace_ids: vec!["a".into(), "b".into()],
            ..Default::default()
        };
        let (w, p) = where_clause(&f);
        assert_eq!(w, "WHERE t.user_id = ?1 AND t.trace_id IN (?2,?3)");
        assert_eq!(p.len(), 3);
        // A clause with two parameters after ten others: numbering must not collide.
        let f = TraceFilter {
            verdicts: vec![("grounded".into(), Verdict::False)],
            user: Some("u".into()),
            ..Default::default()
        };
        let (w, p) = where_clause(&f);
        assert!(
            w.contains("sc.name = ?2") && w.contains("sc.verdict = ?3"),
            "{w}"
        );
        assert_eq!(p.len(), 3);
    }
}
