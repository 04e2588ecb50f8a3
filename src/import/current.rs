//! "Is this file already current?": imported completely, and unchanged (same canonical path,
//! size and modification time) since. Front ends use it to skip re-importing a file they were
//! given again (the TUI's cache store).

use crate::store::Store;
use std::path::Path;

/// True when `path` was imported completely into `store` and has not changed since. Any
/// failure to tell (the file is gone, its metadata or the store cannot be read) is `false`, so
/// the caller imports again: a needless import is harmless, a skipped one is not.
pub fn is_current(store: &Store, path: &Path) -> bool {
    let Ok(canon) = std::fs::canonicalize(path) else {
        return false;
    };
    let Ok(meta) = std::fs::metadata(&canon) else {
        return false;
    };
    let Some(mtime) = mtime_ns(&meta) else {
        return false;
    };
    store
        .source_is_current(&canon.display().to_string(), meta.len(), mtime)
        .unwrap_or(false)
}

/// A file's modification time in Unix nanoseconds, as recorded for its source.
pub fn mtime_ns(meta: &std::fs::Metadata) -> Option<i64> {
    let t = meta.modified().ok()?;
    let d = t.duration_since(std::time::UNIX_EPOCH).ok()?;
    i64::try_from(d.as_nanos()).ok()
}

/// The path a source is recorded under: canonical when the file exists, else as given.
pub(super) fn canonical_path(path: &Path) -> String {
    std::fs::canonicalize(path)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{ImportOptions, import_file};

    const LINE: &str = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"root","startTimeUnixNano":"1000","endTimeUnixNano":"2000"}]}]}]}"#;

    #[test]
    fn current_until_the_file_changes() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let file = dir.path().join("t.jsonl");
        std::fs::write(&file, format!("{LINE}\n"))?;
        let mut store = Store::open_in_memory()?;
        assert!(!is_current(&store, &file), "not imported yet");

        let report = import_file(&mut store, &file, ImportOptions::default())?;
        assert_eq!(report.spans_new, 1);
        assert!(is_current(&store, &file));
        // Another spelling of the same path is the same source.
        assert!(is_current(&store, &dir.path().join(".").join("t.jsonl")));

        std::fs::write(&file, format!("{LINE}\n{LINE}\n"))?;
        assert!(!is_current(&store, &file), "size changed");
        assert!(!is_current(&store, &dir.path().join("missing.jsonl")));
        Ok(())
    }
}
