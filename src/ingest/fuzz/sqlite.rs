//! SQLite sources under the mutator: a temporary copy of an `llm` logs.db fixture has column
//! values replaced (damaged JSON, escape sequences, extreme integers, blobs, NULL) and the
//! adapter reads it again. Damage accumulates over a few cases, then the copy is refreshed (so a
//! failing case replays with the cases since the last refresh before it).

use fastrand::Rng;
use rusqlite::types::Value as Sql;
use rusqlite::{Connection, params};

use super::{cases, fixture, mutate, run_cases};
use crate::ingest::llm_logs;
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
    let dir = tempfile::tempdir().expect("temp dir");
    let sources: Vec<(Vec<u8>, std::path::PathBuf)> = LLM_LOGS_FIXTURES
        .iter()
        .enumerate()
        .map(|(i, f)| (fixture(f), dir.path().join(format!("logs-{i}.db"))))
        .collect();
    let mut schemas = Vec::new();
    for (bytes, path) in &sources {
        std::fs::write(path, bytes).expect("copy fixture");
        let clean = llm_logs::read(path).expect("the unmutated fixture reads");
        assert!(!clean.spans.is_empty());
        let conn = Connection::open(path).expect("open copy");
        schemas.push(schema(&conn).expect("schema"));
    }
    let book = PriceBook::embedded();
    let mut case_no = 0usize;
    run_cases("llm-logs", cases(), |rng| {
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
        if let Ok(imported) = llm_logs::read(path) {
            super::finish_like_import(book, imported.spans);
        }
        Ok(())
    });
}
