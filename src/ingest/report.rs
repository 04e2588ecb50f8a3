//! What an import saw: counts and every bad line as `file:line: reason`.

use serde::Serialize;
use std::fmt;

/// One rejected input record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BadLine {
    pub file: String,
    /// 1-based line number; 0 when the problem is the whole file.
    pub line: u64,
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.reason)
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
    /// Bad lines beyond the first [`MAX_REPORTED_BAD_LINES`] are only counted.
    pub bad_lines_total: u64,
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
        self.bad_lines_total += 1;
        if self.bad_lines.len() < MAX_REPORTED_BAD_LINES {
            self.bad_lines.push(BadLine {
                file: self.file.clone(),
                line,
                reason: reason.into(),
            });
        }
    }
}
