//! Sniffs a source's format from its content, never from its file name.

use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// OpenTelemetry Collector `file` exporter: one TracesData JSON object per line.
    OtlpJson,
    /// A trawl store (SQLite with our schema).
    TrawlStore,
    /// Some other SQLite database (named by what we found inside, when we know it).
    OtherSqlite(String),
    Empty,
    Unknown(String),
}

impl Format {
    pub fn name(&self) -> &str {
        match self {
            Format::OtlpJson => "otlp-json",
            Format::TrawlStore => "trawl-store",
            Format::OtherSqlite(_) => "sqlite",
            Format::Empty => "empty",
            Format::Unknown(_) => "unknown",
        }
    }

    /// Parses the `--format` override.
    pub fn from_flag(s: &str) -> Option<Format> {
        match s {
            "otlp" | "otlp-json" | "otlp_json" => Some(Format::OtlpJson),
            "store" | "trawl" | "trawl-store" => Some(Format::TrawlStore),
            _ => None,
        }
    }
}

/// The formats trawl reads, for error messages.
pub const SUPPORTED: &str = "OTLP/JSON lines (OpenTelemetry Collector file exporter, with OpenInference, \
OTel GenAI or OpenLLMetry attributes) and trawl stores";

const SQLITE_MAGIC: &[u8] = b"SQLite format 3\0";

/// Looks at the first bytes of `path`.
pub fn detect_format(path: &Path) -> std::io::Result<Format> {
    let mut f = std::fs::File::open(path)?;
    let mut head = vec![0u8; 64 * 1024];
    let mut n = 0;
    while n < head.len() {
        let r = f.read(&mut head[n..])?;
        if r == 0 {
            break;
        }
        n += r;
    }
    head.truncate(n);
    if head.starts_with(SQLITE_MAGIC) {
        return Ok(sqlite_kind(path));
    }
    Ok(detect_bytes(&head))
}

/// Content sniffing on a prefix of the file.
pub fn detect_bytes(head: &[u8]) -> Format {
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Format::Empty;
    };
    let body = &head[start..];
    if body.starts_with(SQLITE_MAGIC) {
        return Format::OtherSqlite("unknown".into());
    }
    if body[0] == b'{' {
        let first_line = match memchr::memchr(b'\n', body) {
            Some(i) => &body[..i],
            None => body,
        };
        for key in [
            &b"\"resourceSpans\""[..],
            b"\"resource_spans\"",
            b"\"instrumentationLibrarySpans\"",
        ] {
            if memchr::memmem::find(first_line, key).is_some() {
                return Format::OtlpJson;
            }
        }
        return Format::Unknown("JSON, but not OTLP/JSON traces (no resourceSpans key)".into());
    }
    if body[0] == b'[' {
        return Format::Unknown("a JSON array, not OTLP/JSON lines".into());
    }
    if std::str::from_utf8(&body[..body.len().min(512)]).is_err() {
        return Format::Unknown("binary data".into());
    }
    Format::Unknown("text that is not JSON".into())
}

/// Tells our store apart from other SQLite files by its tables.
fn sqlite_kind(path: &Path) -> Format {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(conn) = rusqlite::Connection::open_with_flags(path, flags) else {
        return Format::OtherSqlite("unreadable".into());
    };
    let has = |t: &str| -> bool {
        conn.query_row(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name=?1",
            [t],
            |_| Ok(()),
        )
        .is_ok()
    };
    if has("trawl_meta") {
        Format::TrawlStore
    } else if has("responses") || has("turns") {
        Format::OtherSqlite("llm logs.db".into())
    } else if has("spans") && has("alembic_version") {
        Format::OtherSqlite("Arize Phoenix database".into())
    } else {
        Format::OtherSqlite("unknown schema".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        assert_eq!(detect_bytes(b"  \n"), Format::Empty);
        assert_eq!(detect_bytes(b"{\"resourceSpans\":[]}\n"), Format::OtlpJson);
        assert_eq!(detect_bytes(b"{\"resource_spans\":[]}"), Format::OtlpJson);
        assert!(matches!(detect_bytes(b"{\"a\":1}"), Format::Unknown(_)));
        assert!(matches!(detect_bytes(b"hello"), Format::Unknown(_)));
        assert!(matches!(detect_bytes(b"[1,2]"), Format::Unknown(_)));
    }
}
