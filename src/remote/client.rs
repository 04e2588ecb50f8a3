//! ClickHouse's HTTP interface, read as `FORMAT JSONEachRow`.
//!
//! Why reqwest and JSONEachRow (rather than the official `clickhouse` crate and RowBinary):
//! - JSONEachRow is one JSON object per line, so rows stream through a small buffer: each
//!   response chunk is cut at newlines and parsed row by row, and memory stays flat however
//!   many rows come back.
//! - It is self-describing: Map columns arrive as objects, `Nested` columns as arrays, and the
//!   exporter's JSON-column variant (attributes as typed JSON) arrives as nested objects, all
//!   read by the same code. RowBinary would need the exact column types in the client (Map of
//!   LowCardinality, DateTime64(9), Nested arrays) and breaks on every schema variant.
//! - The rows become OTLP/JSON anyway ([`super::otel_rows`]); the text costs some bytes on the
//!   wire, little next to writing the spans into SQLite.
//! - reqwest (with rustls) is already a dependency; the `clickhouse` crate would add a client
//!   stack for what is one POST per query.
//!
//! Requests are `POST /?database=DB` with the SQL as the body, the user and password in the
//! `X-ClickHouse-User` / `X-ClickHouse-Key` headers (never in the URL, so proxies and server
//! logs do not see them). An error is a non-200 status with `Code: N. DB::Exception: …`, or,
//! once rows have started, an exception text in the stream: both become
//! [`RemoteError::Server`].

use super::RemoteError;
use super::url::ClickHouseUrl;
use serde_json::Value;
use std::time::Duration;

/// Bytes of an error body kept for the message.
const MAX_ERROR_BODY: usize = 8 << 10;
/// Longest single row accepted (a span with huge attributes is still far below).
const MAX_ROW_BYTES: usize = 256 << 20;

/// A connection to one ClickHouse source. Blocking: it owns a small runtime.
pub struct Client {
    url: ClickHouseUrl,
    http: reqwest::Client,
    rt: tokio::runtime::Runtime,
}

impl Client {
    pub fn new(url: &ClickHouseUrl) -> Result<Client, RemoteError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Io(format!("cannot start the HTTP runtime: {e}")))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            // A slow aggregation is fine; a dead connection is not.
            .read_timeout(Duration::from_secs(300))
            .build()
            .map_err(|e| RemoteError::Io(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            url: url.clone(),
            http,
            rt,
        })
    }

    pub fn source(&self) -> &ClickHouseUrl {
        &self.url
    }

    /// Runs `sql` (without a FORMAT clause) and hands each row to `on_row`, in order, as it
    /// arrives. `on_row` may stop the query by returning an error.
    pub fn for_each_row(
        &self,
        sql: &str,
        mut on_row: impl FnMut(Value) -> Result<(), RemoteError>,
    ) -> Result<u64, RemoteError> {
        tracing::debug!(target: "trawl::remote", source = %self.url.display(), sql, "query");
        let body = format!("{sql}\nFORMAT JSONEachRow");
        self.rt.block_on(async {
            let mut req = self
                .http
                .post(format!("{}/", self.url.endpoint))
                .query(&[
                    ("database", self.url.database.as_str()),
                    // 64-bit numbers as JSON numbers, not strings (both are read anyway).
                    ("output_format_json_quote_64bit_integers", "0"),
                ])
                .header("X-ClickHouse-User", &self.url.user)
                .body(body);
            if let Some(pw) = self.url.password() {
                req = req.header("X-ClickHouse-Key", pw);
            }
            let mut resp = req.send().await.map_err(|e| self.transport(e))?;
            let status = resp.status();
            if !status.is_success() {
                let mut text = Vec::new();
                while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
                    text.extend_from_slice(&chunk);
                    if text.len() > MAX_ERROR_BODY {
                        break;
                    }
                }
                return Err(server_error(status.as_u16(), &text));
            }
            let mut buf: Vec<u8> = Vec::new();
            let mut rows = 0u64;
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.transport(e))? {
                buf.extend_from_slice(&chunk);
                let mut start = 0;
                while let Some(nl) = memchr::memchr(b'\n', &buf[start..]) {
                    let line = &buf[start..start + nl];
                    start += nl + 1;
                    if !line.is_empty() {
                        on_row(parse_row(line)?)?;
                        rows += 1;
                    }
                }
                buf.drain(..start);
                if buf.len() > MAX_ROW_BYTES {
                    return Err(RemoteError::Protocol(format!(
                        "a row longer than {MAX_ROW_BYTES} bytes"
                    )));
                }
            }
            if !buf.iter().all(u8::is_ascii_whitespace) {
                on_row(parse_row(&buf)?)?;
                rows += 1;
            }
            Ok(rows)
        })
    }

    /// Runs a statement that returns no rows (DDL, `INSERT … SELECT`): no FORMAT clause added.
    pub fn execute(&self, sql: &str) -> Result<(), RemoteError> {
        self.rt.block_on(async {
            let mut req = self
                .http
                .post(format!("{}/", self.url.endpoint))
                .query(&[("database", self.url.database.as_str())])
                .header("X-ClickHouse-User", &self.url.user)
                .body(sql.to_string());
            if let Some(pw) = self.url.password() {
                req = req.header("X-ClickHouse-Key", pw);
            }
            let resp = req.send().await.map_err(|e| self.transport(e))?;
            let status = resp.status();
            let body = resp.bytes().await.map_err(|e| self.transport(e))?;
            if status.is_success() {
                Ok(())
            } else {
                Err(server_error(
                    status.as_u16(),
                    &body[..body.len().min(MAX_ERROR_BODY)],
                ))
            }
        })
    }

    /// All rows of `sql` (for small results: figures, existence checks).
    pub fn rows(&self, sql: &str) -> Result<Vec<Value>, RemoteError> {
        let mut out = Vec::new();
        self.for_each_row(sql, |r| {
            out.push(r);
            Ok(())
        })?;
        Ok(out)
    }

    /// Does table `name` exist in the source's database?
    pub fn has_table(&self, name: &str) -> Result<bool, RemoteError> {
        let sql = format!(
            "SELECT count() AS n FROM system.tables WHERE database = {} AND name = {}",
            quote(&self.url.database),
            quote(name)
        );
        let rows = self.rows(&sql)?;
        Ok(rows
            .first()
            .and_then(|r| r.get("n"))
            .and_then(as_i64)
            .unwrap_or(0)
            > 0)
    }

    fn transport(&self, e: reqwest::Error) -> RemoteError {
        // reqwest's message names the URL, which never holds the password (headers do).
        let what = if e.is_connect() {
            "cannot connect"
        } else if e.is_timeout() {
            "timed out"
        } else {
            "HTTP error"
        };
        RemoteError::Io(format!("{}: {what}: {e}", self.url.display()))
    }
}

/// A line of JSONEachRow, or the exception ClickHouse writes into a stream that already
/// started (the status was 200 by then).
fn parse_row(line: &[u8]) -> Result<Value, RemoteError> {
    match serde_json::from_slice::<Value>(line) {
        Ok(v @ Value::Object(_)) => Ok(v),
        _ => {
            let text = String::from_utf8_lossy(&line[..line.len().min(MAX_ERROR_BODY)]);
            if text.contains("DB::Exception") || text.starts_with("Code:") {
                Err(server_error(200, text.as_bytes()))
            } else {
                Err(RemoteError::Protocol(format!(
                    "not a JSONEachRow row: {}",
                    crate::sanitize::truncate_chars(&text, 200)
                )))
            }
        }
    }
}

/// `Code: 60. DB::Exception: Unknown table … (UNKNOWN_TABLE) (version …)` → its code and text.
fn server_error(status: u16, body: &[u8]) -> RemoteError {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    let code = text
        .strip_prefix("Code:")
        .and_then(|r| r.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|c| c.parse::<i64>().ok());
    let message = text
        .split_once("DB::Exception:")
        .map(|(_, m)| m.trim())
        .unwrap_or(text);
    // Drop the trailing "(version …)": noise in a one-line error.
    let message = match message.rfind(" (version ") {
        Some(i) => &message[..i],
        None => message,
    };
    RemoteError::Server {
        status,
        code,
        message: crate::sanitize::clean_line(&crate::sanitize::truncate_chars(message, 600)),
    }
}

/// A ClickHouse string literal.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// An integer from a JSON number or a quoted 64-bit number.
pub fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_u64().map(|u| u.min(i64::MAX as u64) as i64))
            .or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A float from a JSON number or a quoted number.
pub fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_keep_code_and_message() {
        let e = server_error(
            404,
            b"Code: 60. DB::Exception: Unknown table expression identifier 'x'. (UNKNOWN_TABLE) (version 26.9.2.1)\n",
        );
        match e {
            RemoteError::Server { code, message, .. } => {
                assert_eq!(code, Some(60));
                assert!(message.ends_with("(UNKNOWN_TABLE)"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote("a'b\\c"), "'a\\'b\\\\c'");
    }

    #[test]
    fn a_stream_exception_is_an_error() {
        assert!(parse_row(b"Code: 241. DB::Exception: Memory limit exceeded").is_err());
        assert!(parse_row(br#"{"a":1}"#).is_ok());
    }
}
