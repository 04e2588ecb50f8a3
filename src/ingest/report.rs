//! What an import saw: counts and every bad line as `file:line: reason` (or, for one span of a
//! line that was otherwise imported, `file:line: span N: reason`).

use serde::Serialize;
use std::fmt;

/// One rejected input record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    pub file: String,
    /// 1-based line number; 0 when the problem is the whole file.
    pub line: u64,
    /// 0-based position of the span in the line when only that span (or one of its
    /// attributes) was the problem; the rest of the line was imported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<u64>,
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.span) {
            (0, _) => write!(f, "{}: {}", self.file, self.reason),
            (line, None) => write!(f, "{}:{line}: {}", self.file, self.reason),
            (line, Some(span)) => write!(f, "{}:{line}: span {span}: {}", self.file, self.reason),
        }
    }
}

/// Counts for one source file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestReport {
    pub file: String,
    pub format: String,
    pub bytes: u64,
    pub lines: u64,
    pub lines_ok: u64,
    pub spans_new: u64,
    /// Spans already in the store (or repeated in the file): kept once.
    pub duplicates: u64,
    pub traces_touched: u64,
    /// Traces that did not exist in the store before this import.
    pub traces_new: u64,
    pub bad_lines: Vec<BadLine>,
    /// Bad lines beyond the first [`MAX_REPORTED_BAD_LINES`] are only counted. Includes the
    /// span problems below.
    pub bad_lines_total: u64,
    /// Problems confined to one span or attribute of a line whose other spans were imported
    /// (also counted in `bad_lines_total`).
    pub span_problems: u64,
    /// Set when the file could not be read at all.
    pub fatal: Option<String>,
}

/// Keep memory bounded on a file that is all garbage.
pub const MAX_REPORTED_BAD_LINES: usize = 1000;

impl IngestReport {
    pub fn new(file: &str) -> Self {
        IngestReport {
            file: file.to_string(),
            ..Default::default()
        }
    }
    pub fn bad(&mut self, line: u64, reason: impl Into<String>) {
        self.record(line, None, reason.into());
    }

    /// A problem confined to one span of `line` (`span` is its 0-based position; `None` for a
    /// problem of the line's shared parts), while the rest of the line was imported.
    pub fn span_problem(&mut self, line: u64, span: Option<u64>, reason: impl Into<String>) {
        self.span_problems += 1;
        self.record(line, span, reason.into());
    }

    fn record(&mut self, line: u64, span: Option<u64>, reason: String) {
        self.bad_lines_total += 1;
        if self.bad_lines.len() < MAX_REPORTED_BAD_LINES {
            self.bad_lines.push(BadLine {
                file: self.file.clone(),
                line,
                span,
                reason,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_problems_name_line_and_span() {
        let mut r = IngestReport::new("dump.jsonl");
        r.bad(3, "invalid JSON");
        r.span_problem(1, Some(0), "span \"x\" has no traceId");
        r.span_problem(2, None, "resource attribute \"k\": bad");
        let shown: Vec<String> = r.bad_lines.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "dump.jsonl:3: invalid JSON",
                "dump.jsonl:1: span 0: span \"x\" has no traceId",
                "dump.jsonl:2: resource attribute \"k\": bad",
            ]
        );
        assert_eq!((r.bad_lines_total, r.span_problems), (3, 2));
    }
}
