//! Format adapters: each turns one source format into unified [`crate::model::Span`]s.
//! Adapters are pure (bytes in, spans out); reading files and reporting bad lines is
//! [`lines`]' and [`report`]'s job, writing is the store's.

pub mod detect;
pub mod lines;
pub mod otlp;
pub mod report;
pub mod semconv;

pub use detect::{Format, detect_format};
pub use report::{BadLine, IngestReport};
