//! Format adapters: each turns one source format into unified [`crate::model::Span`]s.
//! Adapters are pure (bytes in, spans out); reading files and reporting bad lines is
//! [`lines`]' and [`report`]'s job, writing is the store's.
//!
//! The OTLP adapter works line by line on a parser thread (the fast path). The others read a
//! whole export or database and return an [`Imported`] batch that the importer writes through
//! the same span writer.

pub mod annotation;
pub mod console;
pub mod detect;
#[cfg(test)]
mod fuzz;
pub mod langfuse;
pub mod langsmith;
pub mod lines;
pub mod llm_logs;
pub mod otlp;
pub mod phoenix;
pub mod report;
pub mod semconv;
pub mod util;

pub use detect::{Format, detect_format};
pub use report::{BadLine, IngestReport};

use crate::model::{Score, Span};

/// What a whole-file adapter produced.
#[derive(Debug, Default)]
pub struct Imported {
    pub spans: Vec<Span>,
    /// Evaluations found in the source, stored as imported scores.
    pub scores: Vec<Score>,
    /// Records read (lines, array elements or rows), for the report.
    pub records: u64,
    /// Records that could not be used: (line or record number, reason).
    pub bad: util::BadRecords,
}

impl Imported {
    /// The records of a JSON / JSON Lines export and an empty result that already counts them
    /// (and the unreadable ones) for the report.
    pub fn from_json_records(bytes: &[u8]) -> (util::Records, Imported) {
        let (records, bad) = util::json_records(bytes);
        let out = Imported {
            records: records.len() as u64,
            bad,
            ..Imported::default()
        };
        (records, out)
    }
}
