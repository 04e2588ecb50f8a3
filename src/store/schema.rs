//! Numbered migrations, tracked in PRAGMA user_version. Never edit a released migration; add one.

use super::{Result, StoreError};
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    // 1: traces, spans, sources, scores, full-text index.
    r#"
    CREATE TABLE trawl_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO trawl_meta(key, value) VALUES ('created_by', 'trawl');

    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL,
        format TEXT NOT NULL,
        size INTEGER,
        mtime_ns INTEGER,
        imported_at_ns INTEGER NOT NULL,
        lines INTEGER NOT NULL DEFAULT 0,
        lines_ok INTEGER NOT NULL DEFAULT 0,
        lines_bad INTEGER NOT NULL DEFAULT 0,
        spans_new INTEGER NOT NULL DEFAULT 0,
        duplicates INTEGER NOT NULL DEFAULT 0,
        traces INTEGER NOT NULL DEFAULT 0,
        complete INTEGER NOT NULL DEFAULT 0,
        errors TEXT
    );
    CREATE INDEX sources_path ON sources(path);

    CREATE TABLE spans (
        id INTEGER PRIMARY KEY,
        trace_id TEXT NOT NULL,
        span_id TEXT NOT NULL,
        parent_id TEXT,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER,
        status TEXT NOT NULL,
        model TEXT,
        provider TEXT,
        session_id TEXT,
        user_id TEXT,
        service TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        total_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        reasoning_tokens INTEGER,
        cost_usd REAL,
        cost_source TEXT,
        ttft_ns INTEGER,
        tags TEXT,
        preview_in TEXT,
        preview_out TEXT,
        hash INTEGER NOT NULL,
        source_id INTEGER,
        UNIQUE (trace_id, span_id)
    );
    -- The payload lives apart so the spans rows stay small for scans and index updates.
    CREATE TABLE span_data (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
    -- Covers the per-call latency statistics, so they never read span rows.
    CREATE INDEX spans_kind_start ON spans(kind, start_ns, end_ns, ttft_ns, trace_id);

    CREATE TABLE traces (
        trace_id TEXT PRIMARY KEY,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        duration_ns INTEGER NOT NULL,
        name TEXT,
        session_id TEXT,
        user_id TEXT,
        service TEXT,
        models TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        span_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        llm_calls INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        cost_usd REAL,
        cost_known_usd REAL NOT NULL,
        unknown_cost_spans INTEGER NOT NULL,
        status TEXT NOT NULL,
        missing_parents INTEGER NOT NULL,
        input_preview TEXT,
        output_preview TEXT
    ) WITHOUT ROWID;
    CREATE INDEX traces_start ON traces(start_ns);
    CREATE INDEX traces_session ON traces(session_id, start_ns);
    CREATE INDEX traces_user ON traces(user_id);

    CREATE TABLE trace_models (trace_id TEXT NOT NULL, model TEXT NOT NULL, PRIMARY KEY (model, trace_id)) WITHOUT ROWID;
    CREATE TABLE trace_tags (trace_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, trace_id)) WITHOUT ROWID;
    CREATE INDEX trace_models_trace ON trace_models(trace_id);
    CREATE INDEX trace_tags_trace ON trace_tags(trace_id);

    CREATE TABLE scores (
        id INTEGER PRIMARY KEY,
        trace_id TEXT NOT NULL,
        span_id TEXT,
        name TEXT NOT NULL,
        verdict TEXT,
        value REAL,
        label TEXT,
        explanation TEXT,
        source TEXT NOT NULL,
        model TEXT,
        rule_hash TEXT,
        samples INTEGER,
        agree INTEGER,
        input_tokens INTEGER,
        output_tokens INTEGER,
        cost_usd REAL,
        author TEXT,
        note TEXT,
        created_at_ns INTEGER NOT NULL,
        cache_key TEXT
    );
    CREATE INDEX scores_trace ON scores(trace_id, name, source, created_at_ns);
    CREATE INDEX scores_cache ON scores(cache_key);

    CREATE VIRTUAL TABLE span_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
    "#,
    // 2: the full-text index by field, so a search can mean "in the answer" (`a:refund`) and a
    // bare one skips system prompts and retrieved passages. Filled from the stored spans after
    // the migration (see `migrate_from`).
    r#"
    DROP TABLE span_fts;
    CREATE VIRTUAL TABLE span_fields_fts USING fts5(question, answer, docs, system, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
    INSERT OR REPLACE INTO trawl_meta(key, value) VALUES ('rebuild_text_index', '1');
    "#,
    // 3: replays (`trawl replay`): which trace re-sent which recorded LLM call, and how.
    // `IF NOT EXISTS`: a store whose version was set back (as tests do) still holds the table.
    r#"
    CREATE TABLE IF NOT EXISTS replays (
        trace_id TEXT PRIMARY KEY,
        replay_of_trace TEXT NOT NULL,
        replay_of_span TEXT NOT NULL,
        created_at_ns INTEGER NOT NULL,
        provider TEXT,
        model TEXT,
        overrides TEXT NOT NULL DEFAULT '{}'
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS replays_of ON replays(replay_of_trace, created_at_ns);
    "#,
    // 4: statistics cells (see `aggregates`): per 15-minute UTC cell and grouping, the sums and
    // latency values `trawl stats` reads instead of the spans; `stats_dirty` lists the time
    // ranges to recompute (inclusive). Built for the stored traces after the migration (see `migrate_from`).
    r#"
    CREATE TABLE IF NOT EXISTS stats_cells (
        dim TEXT NOT NULL,
        cell_ns INTEGER NOT NULL,
        grp TEXT NOT NULL,
        traces INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        -- Float sums as the sum and its rounding error, so cells add up exactly.
        cost_known REAL NOT NULL,
        cost_known_err REAL NOT NULL,
        cost_full_n INTEGER NOT NULL,
        cost_full_sum REAL NOT NULL,
        cost_full_sum_err REAL NOT NULL,
        unknown_cost_traces INTEGER NOT NULL,
        judge_cost_unknown INTEGER NOT NULL,
        latency BLOB,
        llm BLOB,
        ttft BLOB,
        PRIMARY KEY (dim, cell_ns, grp)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS stats_rule_cells (
        dim TEXT NOT NULL,
        cell_ns INTEGER NOT NULL,
        grp TEXT NOT NULL,
        rule TEXT NOT NULL,
        false_n INTEGER NOT NULL,
        n INTEGER NOT NULL,
        cost REAL NOT NULL,
        cost_err REAL NOT NULL,
        PRIMARY KEY (dim, cell_ns, grp, rule)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS stats_dirty (from_ns INTEGER NOT NULL, to_ns INTEGER NOT NULL);
    -- Judge verdicts and replays change the figures of their trace's cells.
    CREATE TRIGGER IF NOT EXISTS stats_dirty_score_new AFTER INSERT ON scores WHEN new.source = 'judge'
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id = new.trace_id; END;
    CREATE TRIGGER IF NOT EXISTS stats_dirty_score_gone AFTER DELETE ON scores WHEN old.source = 'judge'
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id = old.trace_id; END;
    CREATE TRIGGER IF NOT EXISTS stats_dirty_score_changed AFTER UPDATE ON scores
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id IN (old.trace_id, new.trace_id); END;
    CREATE TRIGGER IF NOT EXISTS stats_dirty_replay_new AFTER INSERT ON replays
    BEGIN INSERT INTO stats_dirty SELECT start_ns, end_ns FROM traces WHERE trace_id = new.trace_id; END;
    CREATE TRIGGER IF NOT EXISTS stats_dirty_replay_gone AFTER DELETE ON replays
    BEGIN INSERT INTO stats_dirty SELECT start_ns, end_ns FROM traces WHERE trace_id = old.trace_id; END;
    INSERT INTO stats_dirty SELECT min(start_ns), max(end_ns) FROM traces HAVING count(*) > 0;
    "#,
    // 5 (payload dictionaries): zstd dictionaries trained on a store's first big import; a
    // payload names its dictionary by id (a hash of the bytes). Older payloads stay LZ4.
    r#"
    CREATE TABLE IF NOT EXISTS payload_dicts (
        id INTEGER PRIMARY KEY,
        dict BLOB NOT NULL,
        created_at_ns INTEGER NOT NULL
    );
    "#,
    // 6: intentionally empty. It was reserved for a statistics-cell change that turned out not
    // to need one; stores already count 7 migrations, so the slot stays.
    "",
    // 7 (store size): the LLM-call latency indexes hold only LLM calls (one span in six in a
    // typical RAG trace) instead of every span. `stats`/`check` and the statistics cells read
    // them with `kind = 'llm'`: by start for a time range, by trace for a filter or a grouping
    // (the join from `traces`), both covering. `kind` stays a column so older SQLite planners
    // also see them as covering.
    r#"
    DROP INDEX IF EXISTS spans_kind_start;
    CREATE INDEX IF NOT EXISTS spans_llm_start ON spans(start_ns, end_ns, ttft_ns, trace_id, kind) WHERE kind = 'llm';
    CREATE INDEX IF NOT EXISTS spans_llm_trace ON spans(trace_id, start_ns, end_ns, ttft_ns, kind) WHERE kind = 'llm';
    "#,
    // 8 (store size, import speed; issues 13 and 17): traces get integer keys (`tkey`, given
    // in start order, then increasing), and spans, models and tags refer to a trace by its key
    // instead of its 33-byte text id. Random text ids made every index they led (the spans'
    // uniqueness, the traces table itself, models, tags, LLM calls by trace) take inserts at
    // random pages; keys append. Spans keep their `id` (the text index and `span_data` use it)
    // and lose `preview_in`/`preview_out`: a trace rolled up again computes its previews from
    // the payloads (`rollup::previews`). Applied only to a store whose spans still hold
    // `trace_id` (see `migrate_from`), so a test that sets the version back can re-run it.
    r#"
    DROP TRIGGER IF EXISTS stats_dirty_score_new;
    DROP TRIGGER IF EXISTS stats_dirty_score_gone;
    DROP TRIGGER IF EXISTS stats_dirty_score_changed;
    DROP TRIGGER IF EXISTS stats_dirty_replay_new;
    DROP TRIGGER IF EXISTS stats_dirty_replay_gone;

    CREATE TABLE traces_keyed (
        tkey INTEGER PRIMARY KEY,
        trace_id TEXT NOT NULL UNIQUE,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER NOT NULL,
        duration_ns INTEGER NOT NULL,
        name TEXT,
        session_id TEXT,
        user_id TEXT,
        service TEXT,
        models TEXT NOT NULL DEFAULT '[]',
        tags TEXT NOT NULL DEFAULT '[]',
        span_count INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        llm_calls INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        total_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        reasoning_tokens INTEGER NOT NULL,
        cost_usd REAL,
        cost_known_usd REAL NOT NULL,
        unknown_cost_spans INTEGER NOT NULL,
        status TEXT NOT NULL,
        missing_parents INTEGER NOT NULL,
        input_preview TEXT,
        output_preview TEXT
    );
    INSERT INTO traces_keyed(trace_id, start_ns, end_ns, duration_ns, name, session_id, user_id, service,
        models, tags, span_count, error_count, llm_calls, input_tokens, output_tokens, total_tokens,
        cache_read_tokens, reasoning_tokens, cost_usd, cost_known_usd, unknown_cost_spans, status,
        missing_parents, input_preview, output_preview)
    SELECT trace_id, start_ns, end_ns, duration_ns, name, session_id, user_id, service,
        models, tags, span_count, error_count, llm_calls, input_tokens, output_tokens, total_tokens,
        cache_read_tokens, reasoning_tokens, cost_usd, cost_known_usd, unknown_cost_spans, status,
        missing_parents, input_preview, output_preview
    FROM traces ORDER BY start_ns, trace_id;

    CREATE TABLE spans_keyed (
        id INTEGER PRIMARY KEY,
        trace_key INTEGER NOT NULL,
        span_id TEXT NOT NULL,
        parent_id TEXT,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        start_ns INTEGER NOT NULL,
        end_ns INTEGER,
        status TEXT NOT NULL,
        model TEXT,
        provider TEXT,
        session_id TEXT,
        user_id TEXT,
        service TEXT,
        input_tokens INTEGER,
        output_tokens INTEGER,
        total_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_tokens INTEGER,
        reasoning_tokens INTEGER,
        cost_usd REAL,
        cost_source TEXT,
        ttft_ns INTEGER,
        tags TEXT,
        hash INTEGER NOT NULL,
        source_id INTEGER,
        UNIQUE (trace_key, span_id)
    );
    INSERT INTO spans_keyed(id, trace_key, span_id, parent_id, name, kind, start_ns, end_ns, status, model,
        provider, session_id, user_id, service, input_tokens, output_tokens, total_tokens, cache_read_tokens,
        cache_write_tokens, reasoning_tokens, cost_usd, cost_source, ttft_ns, tags, hash, source_id)
    SELECT s.id, t.tkey, s.span_id, s.parent_id, s.name, s.kind, s.start_ns, s.end_ns, s.status, s.model,
        s.provider, s.session_id, s.user_id, s.service, s.input_tokens, s.output_tokens, s.total_tokens,
        s.cache_read_tokens, s.cache_write_tokens, s.reasoning_tokens, s.cost_usd, s.cost_source, s.ttft_ns,
        s.tags, s.hash, s.source_id
    FROM spans s JOIN traces_keyed t ON t.trace_id = s.trace_id ORDER BY s.id;

    CREATE TABLE trace_models_keyed (tkey INTEGER NOT NULL, model TEXT NOT NULL, PRIMARY KEY (model, tkey)) WITHOUT ROWID;
    INSERT INTO trace_models_keyed(tkey, model)
    SELECT t.tkey, m.model FROM trace_models m JOIN traces_keyed t ON t.trace_id = m.trace_id;
    CREATE TABLE trace_tags_keyed (tkey INTEGER NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (tag, tkey)) WITHOUT ROWID;
    INSERT INTO trace_tags_keyed(tkey, tag)
    SELECT t.tkey, g.tag FROM trace_tags g JOIN traces_keyed t ON t.trace_id = g.trace_id;

    DROP TABLE spans;
    DROP TABLE traces;
    DROP TABLE trace_models;
    DROP TABLE trace_tags;
    ALTER TABLE spans_keyed RENAME TO spans;
    ALTER TABLE traces_keyed RENAME TO traces;
    ALTER TABLE trace_models_keyed RENAME TO trace_models;
    ALTER TABLE trace_tags_keyed RENAME TO trace_tags;

    CREATE INDEX traces_start ON traces(start_ns);
    CREATE INDEX traces_session ON traces(session_id, start_ns);
    CREATE INDEX traces_user ON traces(user_id);
    CREATE INDEX trace_models_trace ON trace_models(tkey);
    CREATE INDEX trace_tags_trace ON trace_tags(tkey);
    CREATE INDEX spans_llm_start ON spans(start_ns, end_ns, ttft_ns, trace_key, kind) WHERE kind = 'llm';
    CREATE INDEX spans_llm_trace ON spans(trace_key, start_ns, end_ns, ttft_ns, kind) WHERE kind = 'llm';

    CREATE TRIGGER stats_dirty_score_new AFTER INSERT ON scores WHEN new.source = 'judge'
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id = new.trace_id; END;
    CREATE TRIGGER stats_dirty_score_gone AFTER DELETE ON scores WHEN old.source = 'judge'
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id = old.trace_id; END;
    CREATE TRIGGER stats_dirty_score_changed AFTER UPDATE ON scores
    BEGIN INSERT INTO stats_dirty SELECT start_ns, start_ns FROM traces WHERE trace_id IN (old.trace_id, new.trace_id); END;
    CREATE TRIGGER stats_dirty_replay_new AFTER INSERT ON replays
    BEGIN INSERT INTO stats_dirty SELECT start_ns, end_ns FROM traces WHERE trace_id = new.trace_id; END;
    CREATE TRIGGER stats_dirty_replay_gone AFTER DELETE ON replays
    BEGIN INSERT INTO stats_dirty SELECT start_ns, end_ns FROM traces WHERE trace_id = old.trace_id; END;
    "#,
    // 9 (live refresh cost; issue 13): the numbers of traces and spans, kept by the writer in
    // the transaction that adds the rows (see `counts`), so the status line and the unfiltered
    // list count read one row instead of counting an index. Rows are never deleted. Set from
    // `count(*)` here, so re-running it (a test that sets the version back) stays exact.
    r#"
    CREATE TABLE IF NOT EXISTS store_counts (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        traces INTEGER NOT NULL,
        spans INTEGER NOT NULL
    );
    INSERT OR REPLACE INTO store_counts(id, traces, spans)
    VALUES (1, (SELECT count(*) FROM traces), (SELECT count(*) FROM spans));
    "#,
    // 10 (search): a span's question is this turn's (not an earlier turn's from the chat
    // history, nor a retriever's query), see `text_index::last_question`; the index is rebuilt
    // from the stored spans once.
    r#"
    INSERT OR REPLACE INTO trawl_meta(key, value) VALUES ('rebuild_text_index', '1');
    "#,
    // 11 (store size; issue 17): spans no longer repeat their session, user and service (39
    // bytes a span in a store of small spans). A trace's come from its spans' at roll-up (the
    // first found in start order); the writer has them in memory, and a trace rolled up again
    // reads them from the payloads of the few spans that decide it (`rollup::fill_labels`).
    // Nothing but that roll-up read them. Applied only to a store whose spans still hold them
    // (see `migrate_from`).
    r#"
    ALTER TABLE spans DROP COLUMN session_id;
    ALTER TABLE spans DROP COLUMN user_id;
    ALTER TABLE spans DROP COLUMN service;
    "#,
    // 12 (statistics; issue 17): a cell is kept as parts, each batch appending its own
    // (`cell_delta`), and holds its LLM calls and failed calls; a model's cells hold its own
    // calls' figures (`model_shares`). Cells are derived: recomputed for the stored traces
    // (see `migrate_from`).
    r#"
    DROP TABLE IF EXISTS stats_cells;
    CREATE TABLE stats_cells (
        dim TEXT NOT NULL,
        cell_ns INTEGER NOT NULL,
        grp TEXT NOT NULL,
        part INTEGER NOT NULL,
        traces INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_known REAL NOT NULL,
        cost_known_err REAL NOT NULL,
        cost_full_n INTEGER NOT NULL,
        cost_full_sum REAL NOT NULL,
        cost_full_sum_err REAL NOT NULL,
        unknown_cost_traces INTEGER NOT NULL,
        judge_cost_unknown INTEGER NOT NULL,
        latency BLOB,
        llm BLOB,
        ttft BLOB,
        llm_calls INTEGER NOT NULL,
        llm_errors INTEGER NOT NULL,
        PRIMARY KEY (dim, cell_ns, grp, part)
    ) WITHOUT ROWID;
    DELETE FROM stats_rule_cells;
    INSERT INTO stats_dirty SELECT min(start_ns), max(end_ns) FROM traces HAVING count(*) > 0;
    "#,
    // 13 (search; engineer D): a step between calls whose input or output is a chat (a prompt
    // built for the next call) is split as an LLM call's input is, so an earlier turn's answer
    // in its history is no longer a doc (`text_index::chat_in`); the index is rebuilt once.
    r#"
    INSERT OR REPLACE INTO trawl_meta(key, value) VALUES ('rebuild_text_index', '1');
    "#,
    // 14 (listen at scale): statistics cells in a rowid table, their key in a separate index,
    // and the latency series last. In a WITHOUT ROWID table a cell is its own index entry, and
    // a seek compared against a cell whose series overflow copied the whole row: with live
    // traffic filling one cell, finding a cell's next part copied megabytes per commit. Rows
    // are copied unchanged.
    r#"
    CREATE TABLE stats_cells_rowid (
        dim TEXT NOT NULL,
        cell_ns INTEGER NOT NULL,
        grp TEXT NOT NULL,
        part INTEGER NOT NULL,
        traces INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_known REAL NOT NULL,
        cost_known_err REAL NOT NULL,
        cost_full_n INTEGER NOT NULL,
        cost_full_sum REAL NOT NULL,
        cost_full_sum_err REAL NOT NULL,
        unknown_cost_traces INTEGER NOT NULL,
        judge_cost_unknown INTEGER NOT NULL,
        llm_calls INTEGER NOT NULL,
        llm_errors INTEGER NOT NULL,
        latency BLOB,
        llm BLOB,
        ttft BLOB,
        PRIMARY KEY (dim, cell_ns, grp, part)
    );
    INSERT INTO stats_cells_rowid(dim, cell_ns, grp, part, traces, errors, input_tokens, output_tokens,
        cost_known, cost_known_err, cost_full_n, cost_full_sum, cost_full_sum_err, unknown_cost_traces,
        judge_cost_unknown, llm_calls, llm_errors, latency, llm, ttft)
      SELECT dim, cell_ns, grp, part, traces, errors, input_tokens, output_tokens,
        cost_known, cost_known_err, cost_full_n, cost_full_sum, cost_full_sum_err, unknown_cost_traces,
        judge_cost_unknown, llm_calls, llm_errors, latency, llm, ttft
      FROM stats_cells ORDER BY dim, cell_ns, grp, part;
    DROP TABLE stats_cells;
    ALTER TABLE stats_cells_rowid RENAME TO stats_cells;
    "#,
    // 15 (listen at scale): the text index merges its segments 16 at a time instead of 4.
    // Every commit adds a segment, and a live receiver commits many times a second: merging
    // every 4 rewrote each indexed term once per level, about 15% of the writer's time and
    // of the bytes it wrote at 1.5M spans. Searches read more segments; on a 1.5M-span store
    // they took the same time (0.7 s, dominated by the join, not the index).
    r#"
    INSERT INTO span_fields_fts(span_fields_fts, rank) VALUES ('automerge', 16);
    "#,
    // 16: a level of the text index is merged at once only at 64 segments, not FTS5's 16.
    // With 15's automerge of 16 equal to the crisis limit, every merge was a crisis merge: a
    // whole level rewritten inside one commit instead of a little after each write. A live
    // receiver stalled 13 s at 3M spans (the WAL grew from 242 MB to 1.5 GB, nothing
    // committed). Above the automerge, the crisis limit leaves merging incremental.
    r#"
    INSERT INTO span_fields_fts(span_fields_fts, rank) VALUES ('crisismerge', 64);
    "#,
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The migration that gives traces integer keys (8): it rebuilds tables, so it runs only on a
/// store whose spans still name their trace by text.
const KEYED_TRACES: usize = 8;

/// The migration that drops the spans' session, user and service (11): it runs only on a
/// store whose spans still have them.
const SPAN_LABELS_DROPPED: usize = 11;

fn spans_have_column(c: &Connection, column: &str) -> Result<bool> {
    Ok(c.query_row(
        "SELECT count(*) FROM pragma_table_info('spans') WHERE name = ?1",
        [column],
        |r| r.get::<_, i64>(0),
    )? > 0)
}

/// Whether migration `n` (numbered from 1) changes this store: the two that rebuild or
/// drop columns are skipped where that was done already (a test that sets the version back).
fn applies(c: &Connection, n: usize) -> Result<bool> {
    match n {
        KEYED_TRACES => spans_have_column(c, "trace_id"),
        SPAN_LABELS_DROPPED => spans_have_column(c, "session_id"),
        _ => Ok(true),
    }
}

/// Fails on a database that is neither empty nor ours; `kind` names a foreign one ("an `llm`
/// logs.db") for the message.
pub fn check_version(c: &Connection, path: &str, kind: &str) -> Result<i64> {
    // One statement, so one read transaction: read apart, a concurrent creator's commit
    // could land between them and show its tables beside the old version 0.
    let (v, tables): (i64, i64) = c.query_row(
        "SELECT (SELECT user_version FROM pragma_user_version),
                (SELECT count(*) FROM sqlite_master WHERE type='table')",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if v > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.into(),
            found: v,
            known: SCHEMA_VERSION,
        });
    }
    if v == 0 && tables > 0 {
        return Err(StoreError::NotAStore {
            path: path.into(),
            reason: format!(
                "it is {kind}; import it with `trawl import {path}` instead of opening it as a store"
            ),
        });
    }
    Ok(v)
}

/// Applies the migrations after version `v`. The caller holds the write lock (see
/// `open::create_schema`), so `v` is current.
pub fn migrate_from(c: &Connection, v: i64) -> Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(v.max(0) as usize) {
        if applies(c, i + 1)? {
            c.execute_batch(sql)?;
        }
        c.pragma_update(None, "user_version", (i + 1) as i64)?;
    }
    // Derived data a migration asked for, rebuilt in Rust (it needs the span payloads decoded).
    // Keyed by a flag rather than a version so renumbering migrations cannot skip it.
    let rebuild: bool = c.query_row(
        "SELECT count(*) FROM trawl_meta WHERE key = 'rebuild_text_index'",
        [],
        |r| r.get::<_, i64>(0).map(|n| n > 0),
    )?;
    if rebuild {
        let n = super::text_index::rebuild(c)?;
        tracing::info!("rebuilt the full-text index by field over {n} spans");
        c.execute(
            "DELETE FROM trawl_meta WHERE key = 'rebuild_text_index'",
            [],
        )?;
    }
    // Statistics cells of the ranges a migration or an interrupted writer left dirty.
    let n = super::aggregates::refresh(c)?;
    if n > 0 {
        tracing::info!("computed {n} statistics cells");
    }
    Ok(())
}
