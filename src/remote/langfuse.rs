//! Langfuse v3's ClickHouse tables pulled into the store: `traces`, `observations` (with
//! `usage_details`, `cost_details`, `provided_model_name`, …) and `scores` (imported as
//! annotations, like the scores of a Langfuse export).
//!
//! The tables are `ReplacingMergeTree(event_ts, is_deleted)`: an update is a new row with a later
//! `event_ts`, a deletion a row with `is_deleted = 1`, and old versions linger until a merge.
//! Every read uses `FINAL` (ClickHouse keeps the newest version of each key) and drops deleted
//! rows, so a pull sees exactly what Langfuse's UI shows.
//!
//! The rows are turned into Langfuse's API shape (one trace download per trace:
//! `{id, name, …, observations: […], scores: […]}`) and read by the Langfuse adapter
//! ([`crate::ingest::langfuse`]), so a pulled trace and the same trace downloaded from Langfuse
//! are stored alike. Trace ids are paged like the OTel pull ([`super::pull`]).

use super::RemoteError;
use super::client::{Client, as_i64, quote};
use super::otel_rows::id_list;
use super::otel_sql::{PageKey, where_sql};
use super::pull::{PAGE_TRACES, PullOptions, PullProgress};
use crate::filter::TraceFilter;
use crate::ingest::{IngestReport, langfuse};
use crate::pricing::PriceBook;
use crate::store::text_index::SearchMatcher;
use crate::store::{PreparedSpan, SourceOutcome, SourceRecord, Store};
use serde_json::{Map, Value, json};

/// Conditions on `traces` for the filter (the columns Langfuse itself filters on).
fn trace_conditions(f: &TraceFilter) -> Result<Vec<String>, RemoteError> {
    if !f.verdicts.is_empty() {
        return Err(RemoteError::Unsupported(
            "verdict filters need judge results, which live in the local store; pull the slice \
             first, then filter it locally"
                .into(),
        ));
    }
    let mut w = vec!["is_deleted = 0".to_string()];
    if let Some(s) = f.since_ns {
        w.push(format!(
            "timestamp >= fromUnixTimestamp64Nano(toInt64({s}))"
        ));
    }
    if let Some(u) = f.until_ns {
        w.push(format!("timestamp < fromUnixTimestamp64Nano(toInt64({u}))"));
    }
    if let Some(u) = &f.user {
        w.push(format!("user_id = {}", quote(u)));
    }
    if let Some(s) = &f.session {
        w.push(format!("session_id = {}", quote(s)));
    }
    if let Some(t) = &f.tag {
        w.push(format!("has(tags, {})", quote(t)));
    }
    if let Some(n) = &f.name {
        w.push(format!("name = {}", quote(n)));
    }
    // Candidates only: every word somewhere in the trace's or an observation's input or output.
    // The store's own index then keeps exactly the traces the local search finds (see `pull`).
    if let Some(text) = &f.search {
        for word in super::otel_sql::search_words(text) {
            let has = super::otel_sql::contains_folded(
                "concat(ifNull(input, ''), ' ', ifNull(output, ''))",
                &quote(&word),
            );
            w.push(format!(
                "({has} OR id IN (SELECT trace_id FROM observations FINAL WHERE is_deleted = 0 AND {has}))"
            ));
        }
    }
    if let Some(m) = &f.model {
        w.push(format!(
            "id IN (SELECT trace_id FROM observations FINAL WHERE is_deleted = 0 AND \
             (lower(provided_model_name) = {q} OR {} = {q}))",
            super::otel_sql::undated("provided_model_name"),
            q = quote(&m.trim().to_lowercase())
        ));
    }
    if let Some(e) = f.error {
        let failed = "id IN (SELECT trace_id FROM observations FINAL WHERE is_deleted = 0 AND level = 'ERROR' AND parent_observation_id IS NULL)";
        w.push(if e {
            failed.to_string()
        } else {
            format!("NOT {failed}")
        });
    }
    if f.service.is_some() {
        return Err(RemoteError::Unsupported(
            "Langfuse traces have no service; filter by --name, --user, --session or --tag".into(),
        ));
    }
    if !f.trace_ids.is_empty() {
        w.push(format!("id IN ({})", id_list(&f.trace_ids)));
    }
    Ok(w)
}

/// ms since the epoch → the RFC 3339 form Langfuse's API writes.
fn iso(ms: Option<i64>) -> Value {
    match ms.and_then(chrono::DateTime::from_timestamp_millis) {
        Some(t) => json!(t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
        None => Value::Null,
    }
}

/// A stored text field as the API returns it: JSON objects and arrays parsed, anything else
/// text.
fn content(v: Option<&Value>) -> Value {
    match v {
        Some(Value::String(s)) if s.starts_with('{') || s.starts_with('[') => {
            serde_json::from_str(s).unwrap_or_else(|_| json!(s))
        }
        Some(v) => v.clone(),
        None => Value::Null,
    }
}

/// A `Map(…, String)` column whose values Langfuse wrote JSON-encoded when not strings.
fn metadata(v: Option<&Value>) -> Value {
    let Some(Value::Object(m)) = v else {
        return Value::Null;
    };
    let out: Map<String, Value> = m
        .iter()
        .map(|(k, v)| {
            let parsed = v
                .as_str()
                .filter(|s| {
                    s.starts_with('{') || s.starts_with('[') || *s == "true" || *s == "false"
                })
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_else(|| v.clone());
            (k.clone(), parsed)
        })
        .collect();
    Value::Object(out)
}

/// Decimal64 maps come as numbers or quoted numbers.
fn numbers(v: Option<&Value>) -> Value {
    let Some(Value::Object(m)) = v else {
        return Value::Null;
    };
    Value::Object(
        m.iter()
            .map(|(k, v)| {
                let n = super::client::as_f64(v).map_or(Value::Null, |f| json!(f));
                (k.clone(), n)
            })
            .collect(),
    )
}

const TRACE_COLUMNS: &str = "id, toUnixTimestamp64Milli(timestamp) AS ts_ms, name, user_id, metadata, \
    release, version, environment, tags, input, output, session_id";
const OBSERVATION_COLUMNS: &str = "id, trace_id, type, parent_observation_id, \
    toUnixTimestamp64Milli(start_time) AS start_ms, toUnixTimestamp64Milli(end_time) AS end_ms, name, \
    metadata, level, status_message, version, input, output, provided_model_name, model_parameters, \
    usage_details, cost_details, total_cost, \
    toUnixTimestamp64Milli(completion_start_time) AS cst_ms, environment";
const SCORE_COLUMNS: &str = "id, toUnixTimestamp64Milli(timestamp) AS ts_ms, trace_id, observation_id, \
    name, value, source, comment, author_user_id, data_type, string_value";

fn trace_json(r: &Value) -> Value {
    let g = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": g("id"), "timestamp": iso(r.get("ts_ms").and_then(as_i64)), "name": g("name"),
        "userId": g("user_id"), "sessionId": g("session_id"), "tags": g("tags"),
        "input": content(r.get("input")), "output": content(r.get("output")),
        "metadata": metadata(r.get("metadata")), "release": g("release"), "version": g("version"),
        "environment": g("environment"), "observations": [], "scores": [],
    })
}

fn observation_json(r: &Value) -> Value {
    let g = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": g("id"), "traceId": g("trace_id"), "type": g("type"),
        "parentObservationId": g("parent_observation_id"), "name": g("name"),
        "startTime": iso(r.get("start_ms").and_then(as_i64)),
        "endTime": iso(r.get("end_ms").and_then(as_i64)),
        "completionStartTime": iso(r.get("cst_ms").and_then(as_i64)),
        "model": g("provided_model_name"), "modelParameters": content(r.get("model_parameters")),
        "input": content(r.get("input")), "output": content(r.get("output")),
        "usageDetails": g("usage_details"), "costDetails": numbers(r.get("cost_details")),
        "metadata": metadata(r.get("metadata")), "level": g("level"),
        "statusMessage": g("status_message"), "version": g("version"), "environment": g("environment"),
    })
}

fn score_json(r: &Value) -> Value {
    let g = |k: &str| r.get(k).cloned().unwrap_or(Value::Null);
    json!({
        "id": g("id"), "timestamp": iso(r.get("ts_ms").and_then(as_i64)), "traceId": g("trace_id"),
        "observationId": g("observation_id"), "name": g("name"), "value": g("value"),
        "source": g("source"), "comment": g("comment"), "authorUserId": g("author_user_id"),
        "dataType": g("data_type"), "stringValue": g("string_value"),
    })
}

pub fn pull(
    store: &mut Store,
    client: &Client,
    opts: &PullOptions,
    on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    let display = client.source().display();
    let mut report = IngestReport::new(&display);
    report.format = "clickhouse langfuse".into();
    for t in ["traces", "observations", "scores"] {
        if !client.has_table(t)? {
            return Err(RemoteError::Schema(format!(
                "{display}: no Langfuse table '{t}' in database '{}'",
                client.source().database
            )));
        }
    }
    let conds = trace_conditions(&opts.filter)?;
    let matcher = SearchMatcher::new(&opts.filter).map_err(|e| RemoteError::Io(e.to_string()))?;
    let source = SourceRecord {
        path: display.clone(),
        format: report.format.clone(),
        size: None,
        mtime_ns: None,
    };
    let book = PriceBook::active();
    let mut progress = PullProgress::default();
    let mut after: PageKey = None;
    let limit = opts.limit_traces.unwrap_or(u64::MAX);
    let mut all_scores = Vec::new();
    let mut writer = store.begin_import(&source)?;
    while progress.traces < limit {
        let want = PAGE_TRACES.min(limit - progress.traces);
        let mut w = conds.clone();
        if let Some((ms, id)) = &after {
            w.push(format!(
                "(toUnixTimestamp64Milli(timestamp), id) > ({ms}, {})",
                quote(id)
            ));
        }
        let traces = client.rows(&format!(
            "SELECT {TRACE_COLUMNS} FROM traces FINAL {} ORDER BY ts_ms, id LIMIT {want}",
            where_sql(&w)
        ))?;
        if traces.is_empty() {
            break;
        }
        let ids: Vec<String> = traces
            .iter()
            .filter_map(|t| t.get("id").and_then(Value::as_str).map(String::from))
            .collect();
        if let Some(last) = traces.last() {
            after = Some((
                last.get("ts_ms").and_then(as_i64).unwrap_or(0),
                last.get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            ));
        }
        let mut docs: Vec<Value> = traces.iter().map(trace_json).collect();
        let index: std::collections::HashMap<String, usize> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let in_page = format!("trace_id IN ({}) AND is_deleted = 0", id_list(&ids));
        for (table, cols, field, to_json) in [
            (
                "observations",
                OBSERVATION_COLUMNS,
                "observations",
                observation_json as fn(&Value) -> Value,
            ),
            ("scores", SCORE_COLUMNS, "scores", score_json),
        ] {
            client.for_each_row(
                &format!("SELECT {cols} FROM {table} FINAL WHERE {in_page} ORDER BY trace_id, id"),
                |row| {
                    report.lines += 1;
                    let tid = row
                        .get("trace_id")
                        .and_then(Value::as_str)
                        .unwrap_or_default();
                    if let Some(list) = index
                        .get(tid)
                        .and_then(|&i| docs[i].get_mut(field))
                        .and_then(Value::as_array_mut)
                    {
                        list.push(to_json(&row));
                    }
                    Ok(())
                },
            )?;
        }
        report.lines += docs.len() as u64;
        let mut jsonl = Vec::new();
        for d in &docs {
            serde_json::to_writer(&mut jsonl, d)
                .map_err(|e| RemoteError::Protocol(e.to_string()))?;
            jsonl.push(b'\n');
        }
        let imported = langfuse::parse(&jsonl);
        for (n, reason) in imported.bad {
            report.bad(n, reason);
        }
        let mut spans = Vec::with_capacity(imported.spans.len());
        for mut span in imported.spans {
            crate::pricing::apply(book, &mut span);
            spans.push(PreparedSpan::new(span)?);
        }
        let page = ids.len() as u64;
        let mut kept = page;
        let mut scores = imported.scores;
        if let Some(m) = &matcher {
            let keep = m
                .matching_traces(spans.iter().map(PreparedSpan::search_text))
                .map_err(|e| RemoteError::Io(e.to_string()))?;
            spans.retain(|s| keep.contains(s.search_text().0));
            scores.retain(|s| keep.contains(&s.trace_id));
            kept = keep.len() as u64;
        }
        for p in &spans {
            writer.write_prepared(p)?;
            if writer.batch_full() {
                writer.commit_batch()?;
            }
        }
        all_scores.extend(scores);
        writer.commit_batch()?;
        progress.traces += kept;
        progress.spans_new = writer.stats.spans_new;
        on_progress(&progress);
        if page < want {
            break;
        }
    }
    report.lines_ok = report.lines - report.bad_lines_total.min(report.lines);
    let stats = writer.finish(&SourceOutcome {
        lines: report.lines,
        lines_ok: report.lines_ok,
        lines_bad: report.bad_lines_total,
        errors_json: serde_json::to_string(&report.bad_lines).unwrap_or_default(),
    })?;
    // Scores once: one already stored under the source's score id is skipped (re-pulls add
    // nothing), as for a Langfuse export.
    store.transaction(|store| {
        for s in &all_scores {
            if let Some(k) = &s.cache_key
                && store.score_by_cache_key(k)?.is_some()
            {
                continue;
            }
            store.insert_score(s)?;
        }
        Ok::<(), crate::store::StoreError>(())
    })?;
    report.spans_new = stats.spans_new;
    report.duplicates = stats.duplicates;
    report.traces_touched = stats.traces_touched;
    report.traces_new = stats.traces_new;
    Ok(report)
}
