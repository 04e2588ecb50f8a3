//! Arize Phoenix's local `phoenix.db`, opened read-only (formats.md §6). Span attributes are
//! stored nested; they are flattened to the dotted OpenInference keys and mapped by
//! [`super::semconv`]. Annotations become imported scores and `span_costs` reported cost.
//!
//! Older schema revisions lack the token columns, `span_costs` or sessions; every optional
//! table and column is checked before it is queried.

use super::Imported;
use super::annotation::{apply_binary_verdicts, source_of_annotator};
use super::semconv;
use super::semconv::value::scalar_string;
use super::util::{flatten_attributes, parse_time_ns};
use crate::model::{Cost, CostSource, Score, Span, SpanEvent, SpanKind, StatusCode, Usage};
use rusqlite::{Connection, OpenFlags};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub const SOURCE_FORMAT: &str = "phoenix";

/// Opens a SQLite file without ever writing to it (Phoenix runs in WAL mode; `mode=ro` keeps a
/// running Phoenix undisturbed).
pub fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let uri = crate::sqlite_file::file_uri(path, "mode=ro");
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(uri, flags)
}

pub(crate) fn tables(conn: &Connection) -> rusqlite::Result<HashSet<String>> {
    let mut st = conn.prepare("SELECT name FROM sqlite_master WHERE type IN ('table','view')")?;
    let rows = st.query_map([], |r| r.get::<_, String>(0))?;
    rows.collect()
}

pub(crate) fn columns(conn: &Connection, table: &str) -> rusqlite::Result<HashSet<String>> {
    let mut st = conn.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
    let rows = st.query_map([], |r| r.get::<_, String>(1))?;
    rows.collect()
}

/// Reads every span, annotation and cost in the database.
pub fn read(path: &Path) -> Result<Imported, String> {
    let conn = open_read_only(path).map_err(|e| format!("cannot open Phoenix database: {e}"))?;
    read_conn(&conn).map_err(|e| format!("reading Phoenix database: {e}"))
}

fn read_conn(conn: &Connection) -> rusqlite::Result<Imported> {
    let tables = tables(conn)?;
    let mut out = Imported::default();
    if !tables.contains("spans") || !tables.contains("traces") {
        out.bad
            .push((0, "no spans/traces tables: not a Phoenix database".into()));
        return Ok(out);
    }
    let scols = columns(conn, "spans")?;
    let tcols = columns(conn, "traces")?;
    let opt = |c: &str| -> String {
        if scols.contains(c) {
            format!("s.{c}")
        } else {
            "NULL".into()
        }
    };
    let has_projects = tables.contains("projects") && tcols.contains("project_rowid");
    let has_sessions =
        tables.contains("project_sessions") && tcols.contains("project_session_rowid");
    let has_costs = tables.contains("span_costs");
    let sql = format!(
        "SELECT s.id, t.trace_id, s.span_id, s.parent_id, s.name, {kind}, s.start_time, s.end_time,
                {attrs}, {events}, {status}, {status_msg}, {tp}, {tc}, {project}, {session}, {cost}
         FROM spans s JOIN traces t ON t.id = s.trace_rowid
         {pjoin} {sjoin} {cjoin}
         ORDER BY s.start_time",
        kind = opt("span_kind"),
        attrs = opt("attributes"),
        events = opt("events"),
        status = opt("status_code"),
        status_msg = opt("status_message"),
        tp = opt("llm_token_count_prompt"),
        tc = opt("llm_token_count_completion"),
        project = if has_projects { "p.name" } else { "NULL" },
        session = if has_sessions {
            "ps.session_id"
        } else {
            "NULL"
        },
        cost = if has_costs {
            "(SELECT json_array(c.total_cost, c.prompt_cost, c.completion_cost) FROM span_costs c WHERE c.span_rowid = s.id LIMIT 1)"
        } else {
            "NULL"
        },
        pjoin = if has_projects {
            "LEFT JOIN projects p ON p.id = t.project_rowid"
        } else {
            ""
        },
        sjoin = if has_sessions {
            "LEFT JOIN project_sessions ps ON ps.id = t.project_session_rowid"
        } else {
            ""
        },
        cjoin = "",
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    let mut rowid_to_span: HashMap<i64, (String, String)> = HashMap::new();
    while let Some(r) = rows.next()? {
        out.records += 1;
        let rowid: i64 = r.get(0)?;
        let trace_id: String = text(r, 1)?.unwrap_or_default();
        let span_id: String = text(r, 2)?.unwrap_or_default();
        if trace_id.is_empty() || span_id.is_empty() {
            out.bad.push((rowid as u64, "span row without ids".into()));
            continue;
        }
        let Some(start_ns) = text(r, 6)?.as_deref().and_then(parse_time_ns) else {
            out.bad.push((
                rowid as u64,
                format!("span {span_id}: unreadable start_time"),
            ));
            continue;
        };
        let mut span = Span {
            trace_id: trace_id.clone(),
            span_id: span_id.clone(),
            parent_id: text(r, 3)?.filter(|p| !p.is_empty()),
            name: text(r, 4)?.unwrap_or_default(),
            start_ns,
            end_ns: text(r, 7)?.as_deref().and_then(parse_time_ns),
            source_format: SOURCE_FORMAT.into(),
            ..Span::default()
        };
        // Phoenix's own kind is tool-native; OpenInference's attribute still wins in semconv.
        if let Some(k) = text(r, 5)?.as_deref().and_then(SpanKind::parse)
            && k != SpanKind::Unknown
        {
            span.kind = k;
        }
        span.status = match text(r, 10)?.as_deref() {
            Some("OK") => StatusCode::Ok,
            Some("ERROR") => StatusCode::Error,
            _ => StatusCode::Unset,
        };
        span.status_message = text(r, 11)?.filter(|m| !m.is_empty());
        let attrs_json: Value = text(r, 8)?
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let flat = flatten_attributes(&attrs_json);
        span.events = events(text(r, 9)?.as_deref());
        semconv::apply_attributes(&mut span, &flat);
        span.attributes = flat;
        semconv::apply_events(&mut span);
        // Phoenix fills its token columns with 0 when the span reported no `llm.token_count.*`
        // (a failed call): a count the attributes did not carry (semconv read them above) is
        // unknown, not zero, unless the column says otherwise.
        let reported = |v: Option<i64>| v.filter(|n| *n != 0);
        let tp = reported(r.get::<_, Option<i64>>(12).unwrap_or(None));
        let tc = reported(r.get::<_, Option<i64>>(13).unwrap_or(None));
        if span.usage.is_none() && (tp.is_some() || tc.is_some()) {
            span.usage = Some(Usage {
                input: tp,
                output: tc,
                ..Usage::default()
            });
        }
        if let Some(project) = text(r, 14)? {
            span.service_name.get_or_insert(project.clone());
            span.resource
                .insert("openinference.project.name".into(), Value::String(project));
        }
        if span.session_id.is_none() {
            span.session_id = text(r, 15)?;
        }
        if let Some(c) = text(r, 16)?
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| cost_row(&v))
        {
            span.cost = Some(c);
        }
        rowid_to_span.insert(rowid, (trace_id, span_id));
        out.spans.push(span);
    }
    drop(rows);
    if tables.contains("span_annotations") {
        annotations(
            conn,
            "span_annotations",
            "span_rowid",
            &mut out.scores,
            None,
            |id| {
                rowid_to_span
                    .get(&id)
                    .map(|(t, s)| (t.clone(), Some(s.clone())))
                    .into_iter()
                    .collect()
            },
        )?;
    }
    let has_sessions = tables.contains("project_session_annotations")
        && columns(conn, "traces")?.contains("project_session_rowid");
    if tables.contains("trace_annotations") || has_sessions {
        let mut trace_ids: HashMap<i64, String> = HashMap::new();
        let mut session_traces: HashMap<i64, Vec<String>> = HashMap::new();
        let session_col = if has_sessions {
            "project_session_rowid"
        } else {
            "NULL"
        };
        let mut st = conn.prepare(&format!("SELECT id, trace_id, {session_col} FROM traces"))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            if let Some(t) = text(r, 1)? {
                if let Some(sess) = r.get::<_, Option<i64>>(2).unwrap_or(None) {
                    session_traces.entry(sess).or_default().push(t.clone());
                }
                trace_ids.insert(r.get(0)?, t);
            }
        }
        if tables.contains("trace_annotations") {
            annotations(
                conn,
                "trace_annotations",
                "trace_rowid",
                &mut out.scores,
                None,
                |id| {
                    trace_ids
                        .get(&id)
                        .map(|t| (t.clone(), None))
                        .into_iter()
                        .collect()
                },
            )?;
        }
        if has_sessions {
            annotations(
                conn,
                "project_session_annotations",
                "project_session_id",
                &mut out.scores,
                Some("session annotation".to_string()),
                |id| {
                    session_traces
                        .get(&id)
                        .map(|ts| ts.iter().map(|t| (t.clone(), None)).collect())
                        .unwrap_or_default()
                },
            )?;
        }
    }
    // One binary rule, decided per annotation name over the whole database.
    apply_binary_verdicts(&mut out.scores);
    Ok(out)
}

/// A text column that may hold text, a number or NULL.
fn text(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<Option<String>> {
    use rusqlite::types::ValueRef;
    Ok(match r.get_ref(i)? {
        ValueRef::Null => None,
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Real(f) => Some(f.to_string()),
        ValueRef::Text(t) | ValueRef::Blob(t) => Some(String::from_utf8_lossy(t).into_owned()),
    })
}

fn events(json: Option<&str>) -> Vec<SpanEvent> {
    let Some(Value::Array(items)) = json.and_then(|t| serde_json::from_str::<Value>(t).ok()) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|e| SpanEvent {
            name: e.get("name").and_then(scalar_string).unwrap_or_default(),
            time_ns: e
                .get("timestamp")
                .and_then(super::util::value_time_ns)
                .unwrap_or(0),
            attributes: match e.get("attributes") {
                Some(Value::Object(m)) => m.clone(),
                _ => Map::new(),
            },
        })
        .collect()
}

fn cost_row(v: &Value) -> Option<Cost> {
    let a = v.as_array()?;
    let f = |i: usize| a.get(i).and_then(Value::as_f64);
    Some(Cost {
        total: Some(f(0)?),
        input: f(1),
        output: f(2),
        source: CostSource::Reported,
    })
}

fn annotations(
    conn: &Connection,
    table: &str,
    key: &str,
    scores: &mut Vec<Score>,
    note: Option<String>,
    target: impl Fn(i64) -> Vec<(String, Option<String>)>,
) -> rusqlite::Result<()> {
    let cols = columns(conn, table)?;
    let opt = |c: &str| {
        if cols.contains(c) {
            c.to_string()
        } else {
            "NULL".to_string()
        }
    };
    let sql = format!(
        "SELECT id, {key}, name, {label}, {score}, {expl}, {kind}, {created}, {ident} FROM \"{table}\"",
        label = opt("label"),
        score = opt("score"),
        expl = opt("explanation"),
        kind = opt("annotator_kind"),
        created = opt("created_at"),
        ident = opt("identifier"),
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        let name = text(r, 2)?.unwrap_or_else(|| "annotation".into());
        let label = text(r, 3)?;
        let created = text(r, 7)?.as_deref().and_then(parse_time_ns);
        let annotator = text(r, 6)?;
        // A session annotation is a score on each of the session's traces.
        let targets = target(r.get(1)?);
        let per_trace = targets.len() > 1 || note.is_some();
        for (trace_id, span_id) in targets {
            scores.push(Score {
                span_id,
                // Set for the whole import by `annotation::apply_binary_verdicts`.
                verdict: None,
                value: r.get::<_, Option<f64>>(4).unwrap_or(None),
                label: label.clone(),
                explanation: text(r, 5)?,
                note: text(r, 8)?.filter(|s| !s.is_empty()).or(note.clone()),
                created_at_ns: created,
                cache_key: Some(if per_trace {
                    format!("import:phoenix:{table}:{id}:{trace_id}")
                } else {
                    format!("import:phoenix:{table}:{id}")
                }),
                author: annotator.clone(),
                ..Score::new(
                    source_of_annotator(annotator.as_deref()),
                    trace_id,
                    name.clone(),
                )
            });
        }
    }
    Ok(())
}
