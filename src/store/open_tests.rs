//! Issue 15 cases 6, 9, 10 and 15 (directories): opening stores safely.

use super::*;
use crate::import::{ImportOptions, import_file};
use crate::store::{SortKey, TraceFilter};
use std::path::PathBuf;

const BOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/openinference_support_bot_40.otlp.jsonl"
);
const LLM_LOGS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/llm-logs-0.36.db"
);

fn user_version(path: &Path) -> i64 {
    let c = Connection::open(path).unwrap_or_else(|e| panic!("{e}"));
    c.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{e}"))
}

fn sha256(path: &Path) -> String {
    use sha2::Digest;
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{e}"));
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every file in `dir` with the hash of its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .map(|e| {
            let p = e.unwrap_or_else(|e| panic!("{e}")).path();
            let h = sha256(&p);
            (p, h)
        })
        .collect();
    out.sort();
    out
}

/// A closed store holding the 40-trace fixture, in its own folder.
fn bot_store() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("bot.db");
    let mut store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    import_file(&mut store, Path::new(BOT), ImportOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    drop(store);
    (d, path)
}

fn trace_count(store: &Store) -> usize {
    store
        .list_traces(&TraceFilter::default(), SortKey::Start, true, 1000, 0)
        .unwrap_or_else(|e| panic!("{e}"))
        .len()
}

#[test]
fn concurrent_creators_of_one_new_store_all_succeed() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for run in 0..20 {
        let path = d.path().join(format!("new-{run}.db"));
        let openers: Vec<_> = (0..2)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || Store::open(&p).map(|_| ()))
            })
            .collect();
        for o in openers {
            let r = o.join().unwrap_or_else(|_| panic!("opener panicked"));
            assert!(r.is_ok(), "run {run}: {r:?}");
        }
        assert_eq!(user_version(&path), SCHEMA_VERSION, "run {run}");
    }
    // More creators than cores, once.
    let path = d.path().join("many.db");
    let openers: Vec<_> = (0..8)
        .map(|_| {
            let p = path.clone();
            std::thread::spawn(move || Store::open(&p).map(|_| ()))
        })
        .collect();
    for o in openers {
        let r = o.join().unwrap_or_else(|_| panic!("opener panicked"));
        assert!(r.is_ok(), "{r:?}");
    }
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}

#[test]
fn a_foreign_database_is_refused_unchanged() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("logs.db");
    std::fs::copy(LLM_LOGS, &path).unwrap_or_else(|e| panic!("{e}"));
    let before = snapshot(d.path());
    let err = Store::open(&path).err().map(|e| e.to_string());
    let err = err.unwrap_or_else(|| panic!("opened a foreign database as a store"));
    assert!(err.contains("not a trawl store"), "{err}");
    assert!(err.contains("`llm` logs.db"), "{err}");
    assert!(err.contains("trawl import"), "{err}");
    let err = Store::open_for_reading(&path).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("`llm` logs.db")));
    for access in [Access::ReadOnly, Access::Snapshot] {
        assert!(Store::open_without_writing(&path, access).is_err());
    }
    // Same bytes, and no -wal, -shm or -journal appeared next to it.
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_unchanged() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("notes.db");
    std::fs::write(&path, "just some text, long enough to have a header...")
        .unwrap_or_else(|e| panic!("{e}"));
    let before = snapshot(d.path());
    let err = Store::open(&path).err().map(|e| e.to_string());
    assert!(err.is_some_and(|e| e.contains("not a SQLite database")));
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn a_directory_is_named_as_one() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for err in [
        Store::open(d.path()).err(),
        Store::open_for_reading(d.path()).err(),
    ] {
        let err = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("is a directory"), "{err}");
        assert!(!err.contains("read-only"), "{err}");
    }
}

#[test]
fn an_unwritable_store_is_browsed_read_only_and_refuses_writes() {
    let (_d, path) = bot_store();
    // A read-only connection may add -wal/-shm next to the store where it can; the store's
    // own bytes never change.
    let before = sha256(&path);
    let cannot_write = Writable {
        file: false,
        folder: false,
    };
    let (mut store, access) =
        Store::open_for_reading_with(&path, cannot_write).unwrap_or_else(|e| panic!("{e}"));
    assert!(!access.is_writable());
    assert_eq!(store.access(), access);
    assert!(access.note(&path).is_some_and(|n| n.contains("judging")));
    assert_eq!(trace_count(&store), 40);
    // Writes say why they fail.
    let err = store
        .transaction(|_| Ok::<(), StoreError>(()))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("read-only") && err.contains("writable store"),
        "{err}"
    );
    let err = Store::open_writable(&path, cannot_write)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("read-only"), "{err}");
    drop(store);
    assert_eq!(sha256(&path), before);
}

#[test]
fn a_snapshot_reads_a_store_without_locks_or_files() {
    let (d, path) = bot_store();
    let before = snapshot(d.path());
    let store =
        Store::open_without_writing(&path, Access::Snapshot).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(trace_count(&store), 40);
    assert!(store.delete_score(1).is_err());
    drop(store);
    assert_eq!(snapshot(d.path()), before);
}

#[test]
fn a_writable_store_opens_read_write_for_browsing() {
    let (_d, path) = bot_store();
    let (store, access) = Store::open_for_reading(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(access, Access::ReadWrite);
    assert_eq!(trace_count(&store), 40);
}

#[test]
fn a_missing_store_is_not_created_for_browsing() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("none.db");
    assert!(Store::open_for_reading(&path).is_err());
    assert!(!path.exists());
}

/// A copy of the checked-in store written by schema 7 (text trace ids), in a temp dir.
fn v7_store() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = d.path().join("v7.db");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store_v7/store.db");
    std::fs::copy(&fixture, &path).unwrap_or_else(|e| panic!("{}: {e}", fixture.display()));
    (d, path)
}

/// Migration 7: a store from before it loses the all-spans latency index for the two LLM-only
/// ones, the statistics queries read those as covering indexes (by trace key since migration
/// 8), and the figures (filtered and grouped, so read from the spans) stay the same.
#[test]
fn migration_7_indexes_only_llm_calls_with_the_same_figures() {
    use crate::store::stats::{Buckets, GroupBy, WantedPercentiles};
    let wanted = WantedPercentiles {
        latency: vec![50, 99],
        llm: vec![50, 95],
        ttft: vec![50],
    };
    let filtered = TraceFilter {
        since_ns: Some(1),
        ..TraceFilter::default()
    };
    let figures = |store: &Store| {
        let mut out = String::new();
        for group in [None, Some(GroupBy::Model), Some(GroupBy::User)] {
            let f = store
                .bucket_figures(&filtered, Buckets::Whole, group, &wanted)
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!f.is_empty());
            out.push_str(&format!("{f:?}\n"));
        }
        out
    };
    let before = {
        let (_d, path) = v7_store();
        figures(&Store::open(&path).unwrap_or_else(|e| panic!("{e}")))
    };
    // The same store as schema 6 had it: one index of every span, by kind.
    let (_d, path) = v7_store();
    rusqlite::Connection::open(&path)
        .and_then(|c| {
            c.execute_batch(
                "DROP INDEX spans_llm_start; DROP INDEX spans_llm_trace;
                 CREATE INDEX spans_kind_start ON spans(kind, start_ns, end_ns, ttft_ns, trace_id);
                 PRAGMA user_version = 6;",
            )
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let indexes: Vec<String> = store
        .conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'spans' ORDER BY name")
        .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        indexes,
        [
            "spans_llm_start",
            "spans_llm_trace",
            "sqlite_autoindex_spans_1"
        ]
    );
    assert_eq!(figures(&store), before);
    let plan = |sql: &str| -> String {
        store
            .conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .and_then(|mut st| {
                st.query_map([], |r| r.get::<_, String>(3))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap_or_else(|e| panic!("{e}"))
            .join("; ")
    };
    // By start (the cells of a time range), by trace (a filter), and joined from the traces
    // of a time range (a grouping).
    let by_start = plan(
        "SELECT s.start_ns, s.end_ns, s.ttft_ns, s.trace_key FROM spans s
         WHERE s.kind = 'llm' AND s.start_ns >= 0 AND s.start_ns < 10",
    );
    assert!(
        by_start.contains("COVERING INDEX spans_llm_start"),
        "{by_start}"
    );
    let by_trace = plan(
        "SELECT s.start_ns, s.end_ns, s.ttft_ns FROM spans s
         WHERE s.kind = 'llm' AND s.start_ns > 0 AND s.trace_key IN (SELECT t.tkey FROM traces t WHERE t.user_id = 'u')",
    );
    assert!(
        by_trace.contains("COVERING INDEX spans_llm_trace"),
        "{by_trace}"
    );
    let joined = plan(
        "SELECT t.start_ns, s.end_ns - s.start_ns FROM spans s JOIN traces t ON t.tkey = s.trace_key
         WHERE t.start_ns >= 0 AND t.start_ns < 10 AND s.kind = 'llm' AND s.start_ns > 0",
    );
    assert!(
        joined.contains("COVERING INDEX spans_llm_trace"),
        "{joined}"
    );
}

/// Migration 8 keeps every row: spans under their ids (the text index and payloads use them),
/// traces with keys in start order, models, tags and scores; a span still leads to its trace.
#[test]
fn migration_8_keeps_every_row_under_integer_trace_keys() {
    let (_d, path) = v7_store();
    let count = |c: &rusqlite::Connection, sql: &str| -> i64 {
        c.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let old = rusqlite::Connection::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let span_7: String = old
        .query_row(
            "SELECT trace_id || '/' || span_id FROM spans WHERE id = 7",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let tables = [
        "spans",
        "traces",
        "scores",
        "trace_models",
        "trace_tags",
        "span_data",
    ];
    let before: Vec<i64> = tables
        .iter()
        .map(|t| count(&old, &format!("SELECT count(*) FROM {t}")))
        .collect();
    drop(old);
    let store = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let after: Vec<i64> = tables
        .iter()
        .map(|t| count(&store.conn, &format!("SELECT count(*) FROM {t}")))
        .collect();
    assert_eq!(after, before);
    assert_eq!(before[..2], [35, 15]);
    let span_7_now: String = store
        .conn
        .query_row(
            "SELECT t.trace_id || '/' || s.span_id FROM spans s JOIN traces t ON t.tkey = s.trace_key WHERE s.id = 7",
            [],
            |r| r.get(0),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(span_7_now, span_7);
    let (trace, span) = span_7.split_once('/').unwrap_or_default();
    assert_eq!(
        store.trace_of_span(span).ok().flatten().as_deref(),
        Some(trace)
    );
    // Keys follow start times, so new traces append.
    let out_of_order = count(
        &store.conn,
        "SELECT count(*) FROM traces a JOIN traces b ON b.tkey = a.tkey + 1 WHERE b.start_ns < a.start_ns",
    );
    assert_eq!(out_of_order, 0);
    assert_eq!(
        count(
            &store.conn,
            "SELECT count(*) FROM pragma_table_info('spans') WHERE name LIKE 'preview%' OR name = 'trace_id'"
        ),
        0
    );
}

/// Live receiving commits many times a second, each commit a new text-index segment: the
/// index merges them 16 at a time (migration 15), not FTS5's default 4, and a little after
/// each write: only 64 segments at a level force a merge at once (migration 16).
#[test]
fn the_text_index_merges_sixteen_segments_at_a_time_incrementally() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
    let config = |k: &str| -> i64 {
        store
            .conn
            .query_row(
                "SELECT v FROM span_fields_fts_config WHERE k = ?1",
                [k],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{k}: {e}"))
    };
    assert_eq!(config("automerge"), 16);
    // Above the automerge: at equal values every merge was a whole level at once.
    assert_eq!(config("crisismerge"), 64);
}
