//! SQLite sources under the mutator: a temporary copy of an `llm` logs.db fixture (or of a
//! small Phoenix database built here) has column values replaced (damaged JSON, escape sequences, extreme integers, blobs, NULL) and the
//! adapter reads it again. Damage accumulates over a few cases, then the copy is refreshed (so a
//! failing case replays with the cases since the last refresh before it).

use fastrand::Rng;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params};

use super::{cases, fixture, mutate, run_cases};
use crate::ingest::{Imported, llm_logs, phoenix};
use crate::pricing::PriceBook;

const LLM_LOGS_FIXTURES: &[&str] = &[
    "tests/fixtures/llm-logs-0.27.1.db",
    "tests/fixtures/llm-logs-0.36.db",
];

/// Cases between refreshes of the damaged copy.
const REFRESH_EVERY: usize = 20;

/// Tables and their columns, read once from the clean fixture.
fn schema(conn: &Connection) -> rusqlite::Result<Vec<(String, Vec<String>)>> {
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' \
         AND name NOT LIKE '%_fts%' ORDER BY name",
    )?;
    let names: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for t in names {
        let mut cols = conn.prepare(&format!("SELECT name FROM pragma_table_info('{t}')"))?;
        let cols: Vec<String> = cols
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        out.push((t, cols));
    }
    Ok(out)
}

/// A damaged replacement for `current`.
fn damaged(rng: &mut Rng, current: Sql) -> Sql {
    match rng.u8(0..8) {
        0 => Sql::Null,
        1 => Sql::Integer([i64::MAX, i64::MIN, -1, 0, 1 << 53][rng.usize(0..5)]),
        2 => Sql::Real([1e308, -1e308, 1e-308, -0.0][rng.usize(0..4)]),
        3 => Sql::Blob((0..rng.usize(0..64)).map(|_| rng.u8(..)).collect()),
        4 => Sql::Text("\u{1b}]0;PWNED\u{7}\u{202e}\u{200b}aaaaaaaé".into()),
        _ => match current {
            Sql::Text(t) => {
                let bytes = mutate::mutate_json_input(rng, t.as_bytes());
                Sql::Text(String::from_utf8_lossy(&bytes).into_owned())
            }
            Sql::Integer(i) => Sql::Text(format!("{i}x")),
            _ => Sql::Text(String::new()),
        },
    }
}

#[test]
fn fuzz_llm_logs_databases() {
    let dbs = LLM_LOGS_FIXTURES.iter().map(|f| fixture(f)).collect();
    fuzz_databases("llm-logs", dbs, llm_logs::read);
}

#[test]
fn fuzz_phoenix_databases() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("phoenix.db");
    build_phoenix_db(&path).expect("build a Phoenix database");
    let bytes = std::fs::read(&path).expect("read it back");
    fuzz_databases("phoenix", vec![bytes], phoenix::read);
}

/// A Phoenix database of the current revision: one trace, a chain with a retriever and an LLM
/// child, annotations and costs (the shape `tests/sources/adapters.rs` reads).
fn build_phoenix_db(path: &std::path::Path) -> rusqlite::Result<()> {
    let c = Connection::open(path)?;
    c.execute_batch(
        "CREATE TABLE alembic_version (version_num TEXT);
        INSERT INTO alembic_version VALUES ('a20694b15f82');
        CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT UNIQUE, description TEXT, created_at TEXT, updated_at TEXT);
        INSERT INTO projects VALUES (1, 'support-bot', NULL, '2025-01-01 00:00:00', '2025-01-01 00:00:00');
        CREATE TABLE project_sessions (id INTEGER PRIMARY KEY, session_id TEXT UNIQUE, project_id INTEGER, start_time TEXT, end_time TEXT);
        INSERT INTO project_sessions VALUES (1, 's-42', 1, '2025-01-01 12:00:00', '2025-01-01 12:00:02');
        CREATE TABLE traces (id INTEGER PRIMARY KEY, project_rowid INTEGER, trace_id TEXT UNIQUE, project_session_rowid INTEGER, start_time TEXT, end_time TEXT);
        INSERT INTO traces VALUES (1, 1, '5b8efff798038103d269b633813fc60c', 1, '2025-01-01 12:00:00.000000', '2025-01-01 12:00:02.000000');
        CREATE TABLE spans (id INTEGER PRIMARY KEY, trace_rowid INTEGER, span_id TEXT UNIQUE, parent_id TEXT, name TEXT,
          span_kind TEXT, start_time TEXT, end_time TEXT, attributes JSONB, events JSONB, status_code TEXT,
          status_message TEXT, cumulative_error_count INTEGER,
          cumulative_llm_token_count_prompt INTEGER, cumulative_llm_token_count_completion INTEGER,
          llm_token_count_prompt INTEGER, llm_token_count_completion INTEGER);
        CREATE TABLE span_annotations (id INTEGER PRIMARY KEY, span_rowid INTEGER, name TEXT, label TEXT, score REAL,
          explanation TEXT, metadata JSONB, annotator_kind TEXT, identifier TEXT, source TEXT, user_id INTEGER,
          created_at TEXT, updated_at TEXT);
        CREATE TABLE trace_annotations (id INTEGER PRIMARY KEY, trace_rowid INTEGER, name TEXT, label TEXT, score REAL,
          explanation TEXT, metadata JSONB, annotator_kind TEXT, identifier TEXT, source TEXT, user_id INTEGER,
          created_at TEXT, updated_at TEXT);
        CREATE TABLE span_costs (id INTEGER PRIMARY KEY, span_rowid INTEGER, trace_rowid INTEGER, span_start_time TEXT,
          model_id INTEGER, total_cost REAL, total_tokens REAL, prompt_cost REAL, prompt_tokens REAL,
          completion_cost REAL, completion_tokens REAL);
        INSERT INTO span_costs VALUES (1, 3, 1, '2025-01-01 12:00:00.400000', NULL, 0.0005, 250, 0.0003, 229, 0.0002, 21);
        INSERT INTO span_annotations VALUES (1, 3, 'correctness', 'correct', 1.0, 'matches the KB', NULL, 'LLM', '', 'API', NULL, '2025-01-01 13:00:00', '2025-01-01 13:00:00');
        INSERT INTO trace_annotations VALUES (1, 1, 'user_feedback', 'thumbs_down', 0.0, NULL, NULL, 'HUMAN', '', 'APP', NULL, '2025-01-01 13:01:00', '2025-01-01 13:01:00');",
    )?;
    let chain = r#"{"openinference":{"span":{"kind":"CHAIN"}},"input":{"value":"Where is my order?"},"output":{"value":"It ships today."},"user":{"id":"u-1"},"tag":{"tags":["prod"]},"metadata":{"tenant":"acme"}}"#;
    let llm = r#"{"openinference":{"span":{"kind":"LLM"}},"llm":{"model_name":"gpt-4o-mini","token_count":{"prompt":229,"completion":21,"total":250},"input_messages":[{"message":{"role":"system","content":"Be brief."}},{"message":{"role":"user","content":"Where is my order?"}}],"output_messages":[{"message":{"role":"assistant","content":"It ships today."}}]},"input":{"value":"{}","mime_type":"application/json"}}"#;
    let retriever = r#"{"openinference":{"span":{"kind":"RETRIEVER"}},"retrieval":{"documents":[{"document":{"id":"kb-1","content":"Orders ship in 1 day.","score":0.9}}]}}"#;
    let events = r#"[{"name":"exception","timestamp":"2025-01-01T12:00:01.200000+00:00","attributes":{"exception.message":"slow"}}]"#;
    let rows = [
        (
            1,
            "aaaaaaaaaaaaaaa1",
            None,
            "answer",
            "CHAIN",
            "12:00:00.000000",
            "12:00:02.000000",
            chain,
            "[]",
            "OK",
        ),
        (
            2,
            "aaaaaaaaaaaaaaa2",
            Some("aaaaaaaaaaaaaaa1"),
            "retrieve",
            "RETRIEVER",
            "12:00:00.100000",
            "12:00:00.300000",
            retriever,
            "[]",
            "UNSET",
        ),
        (
            3,
            "aaaaaaaaaaaaaaa3",
            Some("aaaaaaaaaaaaaaa1"),
            "ChatCompletion",
            "LLM",
            "12:00:00.400000",
            "12:00:01.900000",
            llm,
            events,
            "ERROR",
        ),
    ];
    for (id, sid, parent, name, kind, start, end, attrs, events, status) in rows {
        c.execute(
            "INSERT INTO spans (id, trace_rowid, span_id, parent_id, name, span_kind, start_time, end_time,
               attributes, events, status_code, status_message, cumulative_error_count,
               llm_token_count_prompt, llm_token_count_completion)
             VALUES (?1, 1, ?2, ?3, ?4, ?5, '2025-01-01 ' || ?6, '2025-01-01 ' || ?7, ?8, ?9, ?10, NULL, 0,
               CASE WHEN ?1 = 3 THEN 229 END, CASE WHEN ?1 = 3 THEN 21 END)",
            params![id, sid, parent, name, kind, start, end, attrs, events, status],
        )?;
    }
    Ok(())
}

/// Fuzzes a database adapter: each case damages one column value of a random row in a scratch
/// copy of one of `dbs` and reads the copy.
fn fuzz_databases(
    name: &str,
    dbs: Vec<Vec<u8>>,
    read: fn(&std::path::Path) -> Result<Imported, String>,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let sources: Vec<(Vec<u8>, std::path::PathBuf)> = dbs
        .into_iter()
        .enumerate()
        .map(|(i, bytes)| (bytes, dir.path().join(format!("source-{i}.db"))))
        .collect();
    let mut schemas = Vec::new();
    for (bytes, path) in &sources {
        std::fs::write(path, bytes).expect("copy fixture");
        let clean = read(path).expect("the unmutated database reads");
        assert!(
            !clean.spans.is_empty(),
            "{name}: the unmutated database yields spans"
        );
        let conn = Connection::open(path).expect("open copy");
        schemas.push(schema(&conn).expect("schema"));
    }
    let book = PriceBook::embedded();
    let mut case_no = 0usize;
    run_cases(name, cases(), |rng| {
        let which = case_no % sources.len();
        let (bytes, path) = &sources[which];
        if case_no / sources.len() % REFRESH_EVERY == 0 {
            std::fs::write(path, bytes).map_err(|e| format!("refresh copy: {e}"))?;
        }
        case_no += 1;
        {
            let conn = Connection::open(path).map_err(|e| format!("open copy: {e}"))?;
            // A scratch copy: no need to wait for the disk.
            let _ = conn.execute_batch("PRAGMA synchronous=OFF; PRAGMA journal_mode=MEMORY;");
            let tables = &schemas[which];
            let (table, cols) = &tables[rng.usize(0..tables.len())];
            if cols.is_empty() {
                return Ok(());
            }
            let col = &cols[rng.usize(0..cols.len())];
            let rows: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{table}\""), [], |r| {
                    r.get(0)
                })
                .unwrap_or(0);
            if rows == 0 {
                return Ok(());
            }
            let offset = rng.i64(0..rows);
            let current: Sql = conn
                .query_row(
                    &format!("SELECT \"{col}\" FROM \"{table}\" LIMIT 1 OFFSET ?1"),
                    params![offset],
                    |r| r.get(0),
                )
                .unwrap_or(Sql::Null);
            let new = damaged(rng, current);
            // Constraint violations (NOT NULL, UNIQUE) are fine: that damage cannot happen.
            let _ = conn.execute(
                &format!(
                    "UPDATE \"{table}\" SET \"{col}\" = ?1 WHERE rowid IN \
                     (SELECT rowid FROM \"{table}\" LIMIT 1 OFFSET ?2)"
                ),
                params![new, offset],
            );
        }
        if let Ok(imported) = read(path) {
            super::finish_like_import(book, imported.spans);
        }
        Ok(())
    });
}
