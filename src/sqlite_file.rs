//! Small helpers about SQLite files shared by `ingest` (reading other apps' databases) and
//! `store` (opening trawl's own), so neither has to import the other.

use rusqlite::Connection;
use std::path::Path;

/// A `file:` URI for `path` with query `params`, percent-encoding the characters that mean
/// something in a URI.
pub(crate) fn file_uri(path: &Path, params: &str) -> String {
    let s = path.to_string_lossy();
    let mut out = String::with_capacity(s.len() + params.len() + 6);
    out.push_str("file:");
    for c in s.chars() {
        match c {
            '?' => out.push_str("%3f"),
            '#' => out.push_str("%23"),
            '%' => out.push_str("%25"),
            c => out.push(c),
        }
    }
    out.push('?');
    out.push_str(params);
    out
}

/// Whether the database behind `conn` has a table called `name`.
pub(crate) fn has_table(conn: &Connection, name: &str) -> bool {
    conn.query_row(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
        [name],
        |_| Ok(()),
    )
    .is_ok()
}
