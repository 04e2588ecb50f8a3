//! The filter language as ClickHouse SQL over the exporter's `otel_traces` table.
//!
//! A trace matches when its root span (empty `ParentSpanId`) starts in the window and, for each
//! attribute filter, one of its spans in the window carries the value. The window is a range on
//! `Timestamp`, the table's partition key (`PARTITION BY toDate(Timestamp)`), so ClickHouse only
//! reads the partitions it covers. The attribute keys are the ones the semantic-convention
//! reader ([`crate::ingest::semconv`]) takes the same fields from.

use super::RemoteError;
use super::client::quote;
use crate::filter::TraceFilter;

pub(crate) const USER_KEYS: &[&str] = &[
    "user.id",
    "traceloop.association.properties.user_id",
    "enduser.id",
    "langfuse.user.id",
];
pub(crate) const SESSION_KEYS: &[&str] = &[
    "session.id",
    "gen_ai.conversation.id",
    "traceloop.association.properties.session_id",
    "traceloop.association.properties.thread_id",
    "traceloop.association.properties.conversation_id",
    "langfuse.session.id",
];
/// Response model keys first, then request model keys (the reader's order).
pub(crate) const MODEL_KEYS: &[&str] = &[
    "llm.response.model_name",
    "llm.model_name",
    "embedding.model_name",
    "gen_ai.response.model",
    "llm.request.model_name",
    "gen_ai.request.model",
];
/// The model named in the invocation parameters (OpenInference's `llm.invocation_parameters`
/// JSON), the reader's last resort for the request model.
pub(crate) fn invocation_model() -> String {
    "JSONExtractString(if(SpanAttributes['llm.invocation_parameters'] != '', \
     SpanAttributes['llm.invocation_parameters'], SpanAttributes['embedding.invocation_parameters']), 'model')"
        .to_string()
}

/// Both spellings of a failed status (the exporter's current and older ones).
const ERROR_STATUSES: &str = "('Error', 'STATUS_CODE_ERROR')";

/// `SpanAttributes[k]` for the first of `keys` present, as SQL.
pub(crate) fn first_attr(keys: &[&str]) -> String {
    let mut sql = String::from("''");
    for k in keys.iter().rev() {
        sql = format!(
            "if(mapContains(SpanAttributes, {q}), SpanAttributes[{q}], {sql})",
            q = quote(k)
        );
    }
    sql
}

/// Does any of `keys` hold `value`?
fn any_attr_is(keys: &[&str], value: &str) -> String {
    let list = keys
        .iter()
        .map(|k| format!("SpanAttributes[{}]", quote(k)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("has([{list}], {})", quote(value))
}

/// A model name without its snapshot date, as SQL (`gpt-4o-2024-08-06` → `gpt-4o`), like
/// [`crate::model::model_name::strip_date_suffix`].
pub(crate) fn undated(expr: &str) -> String {
    format!(
        "replaceRegexpOne(lower({expr}), '[-@](\\\\d{{4}}-\\\\d{{2}}-\\\\d{{2}}|\\\\d{{8}})$', '')"
    )
}

/// The root span failed: an error status, or (status unset) an `error.type` attribute.
pub(crate) fn span_failed() -> String {
    format!(
        "(StatusCode IN {ERROR_STATUSES} OR (StatusCode IN ('', 'Unset', 'STATUS_CODE_UNSET') \
         AND SpanAttributes['error.type'] != ''))"
    )
}

/// Filters as aggregate conditions over one trace's rows (for a `HAVING`), plus conditions on
/// single rows that may go in the `WHERE` (the service). Filters that need local data (judge
/// verdicts) are refused.
pub(crate) struct TraceConditions {
    pub row: Vec<String>,
    pub having: Vec<String>,
}

impl TraceConditions {
    pub fn is_empty(&self) -> bool {
        self.row.is_empty() && self.having.is_empty()
    }
}

pub(crate) fn conditions(f: &TraceFilter) -> Result<TraceConditions, RemoteError> {
    if !f.verdicts.is_empty() {
        return Err(RemoteError::Unsupported(
            "verdict filters need judge results, which live in the local store, not in \
             ClickHouse; pull the slice first, then filter it locally"
                .into(),
        ));
    }
    let mut row = Vec::new();
    let mut having = Vec::new();
    if let Some(s) = &f.service {
        row.push(format!("ServiceName = {}", quote(s)));
    }
    if let Some(u) = &f.user {
        having.push(format!("max({})", any_attr_is(USER_KEYS, u)));
    }
    if let Some(s) = &f.session {
        having.push(format!("max({})", any_attr_is(SESSION_KEYS, s)));
    }
    if let Some(m) = &f.model {
        let m = m.trim().to_lowercase();
        let alts: Vec<String> = MODEL_KEYS
            .iter()
            .map(|k| format!("SpanAttributes[{}]", quote(k)))
            .chain([invocation_model()])
            .map(|v| format!("(lower({v}) = {q} OR {} = {q})", undated(&v), q = quote(&m)))
            .collect();
        having.push(format!("max({})", alts.join(" OR ")));
    }
    if let Some(t) = &f.tag {
        having.push(format!(
            "max(has(JSONExtract(SpanAttributes['tag.tags'], 'Array(String)'), {}))",
            quote(t)
        ));
    }
    if let Some(n) = &f.name {
        having.push(format!(
            "countIf(ParentSpanId = '' AND SpanName = {}) > 0",
            quote(n)
        ));
    }
    if let Some(e) = f.error {
        let failed = format!("countIf(ParentSpanId = '' AND {}) > 0", span_failed());
        having.push(if e { failed } else { format!("NOT {failed}") });
    }
    // Free text looks at every attribute value, which covers prompts and responses and a little
    // more: candidates only; the fetch keeps the traces the store's own index matches.
    if let Some(text) = &f.search {
        for word in search_words(text) {
            having.push(format!(
                "max(arrayExists(v -> {}, mapValues(SpanAttributes)))",
                contains_folded("v", &quote(&word))
            ));
        }
    }
    if !f.trace_ids.is_empty() {
        row.push(format!(
            "TraceId IN ({})",
            super::otel_rows::id_list(&f.trace_ids)
        ));
    }
    Ok(TraceConditions { row, having })
}

/// `haystack` contains `needle` (SQL expressions) ignoring case and, like the store's index
/// (`unicode61 remove_diacritics`), diacritics: "cafe" finds "café" and "café" finds "cafe".
/// The plain comparison answers first; only text with a non-ASCII byte on either side pays for
/// the decomposition, and most prompts and answers are ASCII.
pub(super) fn contains_folded(haystack: &str, needle: &str) -> String {
    let fold = |e: &str| format!("replaceRegexpAll(normalizeUTF8NFD({e}), '\\\\p{{Mn}}', '')");
    let non_ascii = |e: &str| format!("match({e}, '[^\\\\x00-\\\\x7F]')");
    format!(
        "(positionCaseInsensitiveUTF8({haystack}, {needle}) > 0 OR \
         ((({}) OR ({})) AND positionCaseInsensitiveUTF8({}, {}) > 0))",
        non_ascii(haystack),
        non_ascii(needle),
        fold(haystack),
        fold(needle)
    )
}

/// The words and "quoted phrases" of a search, each of which must occur.
pub(super) fn search_words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('"') {
            let (phrase, tail) = r.split_once('"').unwrap_or((r, ""));
            if !phrase.trim().is_empty() {
                out.push(phrase.trim().to_string());
            }
            rest = tail.trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start();
        }
    }
    out
}

/// `Timestamp` within [since, until) as SQL (either bound may be open).
pub(crate) fn window(col: &str, since: Option<i64>, until: Option<i64>) -> Vec<String> {
    let mut w = Vec::new();
    if let Some(s) = since {
        w.push(format!("{col} >= fromUnixTimestamp64Nano(toInt64({s}))"));
    }
    if let Some(u) = until {
        w.push(format!("{col} < fromUnixTimestamp64Nano(toInt64({u}))"));
    }
    w
}

/// Where the next page of trace ids starts: after (start, id) of the last one.
pub(crate) type PageKey = Option<(i64, String)>;

/// The next page of trace ids (`id`, `start_ns`, `end_ns`), oldest first. With the exporter's
/// `<table>_trace_id_ts` table and no span conditions, ids come from that small table (whose
/// times are whole seconds: the window is widened to the seconds around it); otherwise from the
/// spans, grouped by trace.
pub(crate) fn id_page(
    table: &str,
    ts_table: Option<&str>,
    f: &TraceFilter,
    conds: &TraceConditions,
    after: &PageKey,
    limit: u64,
) -> String {
    let after_sql = match after {
        Some((s, id)) => format!(" AND (start_ns, id) > ({s}, {})", quote(id)),
        None => String::new(),
    };
    let sec = 1_000_000_000i64;
    match ts_table {
        Some(ts) if conds.is_empty() => {
            let since_s = f.since_ns.map(|s| s.div_euclid(sec));
            let until_s = f.until_ns.map(|u| (u + sec - 1).div_euclid(sec));
            let mut w = Vec::new();
            if let Some(s) = since_s {
                w.push(format!("Start >= toDateTime({s})"));
            }
            if let Some(u) = until_s {
                w.push(format!("Start < toDateTime({u})"));
            }
            let mut h = vec!["1".to_string()];
            if let Some(s) = since_s {
                h.push(format!("start_ns >= {}", s * sec));
            }
            if let Some(u) = until_s {
                h.push(format!("start_ns < {}", u * sec));
            }
            format!(
                "SELECT TraceId AS id, toInt64(toUnixTimestamp(min(Start))) * 1000000000 AS start_ns, \
                 toInt64(toUnixTimestamp(max(End))) * 1000000000 + 999999999 AS end_ns \
                 FROM {ts} {where_} GROUP BY TraceId HAVING {having}{after_sql} \
                 ORDER BY start_ns, id LIMIT {limit}",
                where_ = where_sql(&w),
                having = h.join(" AND "),
            )
        }
        _ => {
            let mut w = window("Timestamp", f.since_ns, f.until_ns);
            w.extend(conds.row.iter().cloned());
            let mut h = vec!["countIf(ParentSpanId = '') > 0".to_string()];
            h.extend(conds.having.iter().cloned());
            format!(
                "SELECT TraceId AS id, toInt64(toUnixTimestamp64Nano(min(Timestamp))) AS start_ns, \
                 toInt64(toUnixTimestamp64Nano(max(Timestamp))) AS end_ns \
                 FROM {table} {where_} GROUP BY TraceId HAVING {having}{after_sql} \
                 ORDER BY start_ns, id LIMIT {limit}",
                where_ = where_sql(&w),
                having = h.join(" AND "),
            )
        }
    }
}

/// The spans of `ids`, whose traces run from `lo` to `hi` (ns): the bounds let ClickHouse skip
/// partitions; a day of slack after `hi` keeps spans that end a long trace.
pub(crate) fn spans_of(table: &str, ids: &[String], lo: i64, hi: i64) -> String {
    const SLACK_BEFORE: i64 = 1_000_000_000;
    const SLACK_AFTER: i64 = 86_400 * 1_000_000_000;
    format!(
        "SELECT {} FROM {table} WHERE TraceId IN ({}) AND {} ORDER BY TraceId, Timestamp",
        super::otel_rows::span_columns(),
        super::otel_rows::id_list(ids),
        window(
            "Timestamp",
            Some(lo.saturating_sub(SLACK_BEFORE)),
            Some(hi.saturating_add(SLACK_AFTER))
        )
        .join(" AND ")
    )
}

pub(crate) fn where_sql(w: &[String]) -> String {
    if w.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", w.join(" AND "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_keep_phrases() {
        assert_eq!(
            search_words(r#"refund "price difference" x"#),
            vec!["refund", "price difference", "x"]
        );
    }

    #[test]
    fn verdict_filters_are_refused() {
        let f = TraceFilter {
            verdicts: vec![("grounded".into(), crate::model::Verdict::False)],
            ..Default::default()
        };
        assert!(matches!(conditions(&f), Err(RemoteError::Unsupported(_))));
    }
}
