//! Sniffs a source's format from its content, never from its file name.

use std::io::Read;
use std::path::Path;

use super::lines::strip_bom;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// OpenTelemetry Collector `file` exporter: one TracesData JSON object per line.
    OtlpJson,
    /// Langfuse exports: single-trace download, batch export (JSON array or JSONL), API list
    /// response, or the ingestion batch envelope.
    Langfuse,
    /// LangSmith runs (`list_runs` objects) as a JSON array or JSONL.
    LangSmith,
    /// Arize Phoenix's SQLite database.
    Phoenix,
    /// The `llm` CLI's logs.db (legacy and 0.32+ tables).
    LlmLogs,
    /// Python `ConsoleSpanExporter` output: pretty JSON objects, one per span.
    Console,
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
            Format::Langfuse => "langfuse",
            Format::LangSmith => "langsmith",
            Format::Phoenix => "phoenix",
            Format::LlmLogs => "llm-logs",
            Format::Console => "otel-console",
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
            "langfuse" => Some(Format::Langfuse),
            "langsmith" => Some(Format::LangSmith),
            "phoenix" | "arize-phoenix" => Some(Format::Phoenix),
            "llm" | "llm-logs" | "logs.db" => Some(Format::LlmLogs),
            "console" | "otel-console" => Some(Format::Console),
            "store" | "trawl" | "trawl-store" => Some(Format::TrawlStore),
            _ => None,
        }
    }
}

/// The formats trawl reads, for error messages.
pub const SUPPORTED: &str = "OTLP/JSON lines (OpenTelemetry Collector file exporter, with OpenInference, \
OTel GenAI, OpenLLMetry or Langfuse SDK attributes), Python ConsoleSpanExporter output, Langfuse \
exports (trace download, batch JSON/JSONL, ingestion batch), LangSmith runs (JSON/JSONL), Arize \
Phoenix phoenix.db, llm CLI logs.db, and trawl stores";

/// Names accepted by `--format`.
pub const FORMAT_FLAGS: &str = "otlp, langfuse, langsmith, phoenix, llm, console";

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

/// How many later lines are tried when the first record is not recognised.
const MAX_PROBED_LINES: usize = 16;

/// Content sniffing on a prefix of the file. A byte order mark is skipped, and when the first
/// record is not one trawl knows (`null`, `{}`, a stray line of text), the next lines that start
/// a record are tried, so one junk line cannot hide the format of the rest; the importer then
/// reports the junk lines and reads the rest.
pub fn detect_bytes(head: &[u8]) -> Format {
    let head = strip_bom(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace());
    let Some(start) = start else {
        return Format::Empty;
    };
    let body = &head[start..];
    if body.starts_with(SQLITE_MAGIC) {
        return Format::OtherSqlite("unknown".into());
    }
    if let Some(f) = classify_record_at(body) {
        return f;
    }
    if let Some(f) = later_record_starts(body)
        .take(MAX_PROBED_LINES)
        .find_map(|at| classify_record_at(&body[at..]))
    {
        return f;
    }
    if body[0] == b'{' || body[0] == b'[' {
        // The first record may be cut off by the 64 KiB window: look for telltale keys.
        if let Some(f) = classify_keys(body) {
            return f;
        }
        return if body[0] == b'[' {
            Format::Unknown("a JSON array of records trawl does not recognise".into())
        } else {
            Format::Unknown(
                "JSON, but not a trace format trawl knows (no resourceSpans, observations, runs or span context)"
                    .into(),
            )
        };
    }
    if std::str::from_utf8(&body[..body.len().min(512)]).is_err() {
        return Format::Unknown("binary data".into());
    }
    Format::Unknown("text that is not JSON".into())
}

/// The format of the record that starts `rec` (a `{` or `[`), if trawl knows it.
fn classify_record_at(rec: &[u8]) -> Option<Format> {
    if rec.first() == Some(&b'{') {
        let first_line = match memchr::memchr(b'\n', rec) {
            Some(i) => &rec[..i],
            None => rec,
        };
        for key in [
            &b"\"resourceSpans\""[..],
            b"\"resource_spans\"",
            b"\"instrumentationLibrarySpans\"",
        ] {
            if memchr::memmem::find(first_line, key).is_some() {
                return Some(Format::OtlpJson);
            }
        }
    }
    if !matches!(rec.first(), Some(b'{' | b'[')) {
        return None;
    }
    match serde_json::Deserializer::from_slice(rec)
        .into_iter::<serde_json::Value>()
        .next()
    {
        Some(Ok(v)) => classify_value(&v, 0),
        _ => None,
    }
}

/// Offsets of the lines after the first that start a record: `{` or `[` in the first column
/// (JSON Lines records and concatenated pretty-printed objects both start there; the nested
/// parts of a pretty-printed record are indented).
fn later_record_starts(body: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', body)
        .map(|i| i + 1)
        .filter(|&at| matches!(body.get(at), Some(b'{' | b'[')))
}

/// Recognises a parsed record by its keys.
fn classify_value(v: &serde_json::Value, depth: u8) -> Option<Format> {
    use serde_json::Value;
    match v {
        Value::Array(a) if depth < 3 => a.first().and_then(|x| classify_value(x, depth + 1)),
        Value::Object(o) => {
            let has = |k: &str| o.contains_key(k);
            if has("resourceSpans") || has("resource_spans") {
                return Some(Format::OtlpJson);
            }
            if o.get("context")
                .is_some_and(|c| c.get("trace_id").is_some() && c.get("span_id").is_some())
            {
                return Some(Format::Console);
            }
            if has("run_type") || has("dotted_order") || (has("run_id") && has("key")) {
                return Some(Format::LangSmith);
            }
            if let Some(runs) = o.get("runs").filter(|r| r.is_array()) {
                return classify_value(runs, depth + 1).filter(|f| *f == Format::LangSmith);
            }
            if o.get("batch").is_some_and(Value::is_array)
                || o.get("observations").is_some_and(Value::is_array)
                || has("parentObservationId")
                || (has("traceId") && (has("startTime") || has("dataType")))
                || (has("sessionId") && has("timestamp"))
            {
                return Some(Format::Langfuse);
            }
            if let Some(data) = o.get("data").filter(|d| d.is_array())
                && has("meta")
            {
                return classify_value(data, depth + 1);
            }
            None
        }
        _ => None,
    }
}

/// Key sniffing on raw bytes, for a first record longer than the detection window.
fn classify_keys(body: &[u8]) -> Option<Format> {
    let has = |k: &[u8]| memchr::memmem::find(body, k).is_some();
    if has(b"\"context\"") && has(b"\"SpanKind.") {
        Some(Format::Console)
    } else if has(b"\"dotted_order\"") || has(b"\"run_type\"") {
        Some(Format::LangSmith)
    } else if has(b"\"parentObservationId\"")
        || has(b"\"observations\"")
        || (has(b"\"batch\"") && has(b"-create\""))
    {
        Some(Format::Langfuse)
    } else {
        None
    }
}

/// Tells our store apart from other SQLite files by its tables.
fn sqlite_kind(path: &Path) -> Format {
    let flags =
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let Ok(conn) = rusqlite::Connection::open_with_flags(path, flags) else {
        return Format::OtherSqlite("unreadable".into());
    };
    let has = |t: &str| crate::sqlite_file::has_table(&conn, t);
    if has("trawl_meta") {
        Format::TrawlStore
    } else if (has("responses") && has("conversations")) || (has("turns") && has("threads")) {
        Format::LlmLogs
    } else if has("spans") && has("traces") && (has("alembic_version") || has("projects")) {
        Format::Phoenix
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
        assert_eq!(
            detect_bytes(b"{\n  \"name\": \"x\",\n  \"context\": {\"trace_id\": \"0x1\", \"span_id\": \"0x2\"}\n}\n{"),
            Format::Console
        );
        assert_eq!(
            detect_bytes(b"[{\"id\":\"a\",\"run_type\":\"llm\"}]"),
            Format::LangSmith
        );
        assert_eq!(detect_bytes(b"{\"batch\":[]}"), Format::Langfuse);
        assert_eq!(
            detect_bytes(b"{\"id\":\"o\",\"traceId\":\"t\",\"startTime\":\"2025\"}\n{\"id\":"),
            Format::Langfuse
        );
    }

    /// Issue 15 case 4: a byte order mark or a junk first line must not lose the file.
    #[test]
    fn looks_past_a_bom_and_junk_first_lines() {
        let otlp = b"{\"resourceSpans\":[]}\n";
        for prefix in [
            &b"\xEF\xBB\xBF"[..],
            b"null\n",
            b"{}\n",
            b"{\"foo\":1}\n",
            b"\xEF\xBB\xBFnull\n",
            b"garbage text\n\n[1,2]\n",
        ] {
            let input = [prefix, &otlp[..]].concat();
            assert_eq!(
                detect_bytes(&input),
                Format::OtlpJson,
                "{:?}",
                String::from_utf8_lossy(prefix)
            );
        }
        let run = b"{\"id\":\"a\",\"run_type\":\"llm\"}\n";
        assert_eq!(
            detect_bytes(&[&b"{}\n"[..], run].concat()),
            Format::LangSmith
        );
        // Nothing recognisable anywhere stays unknown, with the first record's description.
        assert!(matches!(
            detect_bytes(b"{}\n{\"foo\":1}\nnull\n"),
            Format::Unknown(w) if w.starts_with("JSON, but not")
        ));
        assert!(matches!(
            detect_bytes(b"\xEF\xBB\xBFhello\n"),
            Format::Unknown(w) if w == "text that is not JSON"
        ));
    }
}
