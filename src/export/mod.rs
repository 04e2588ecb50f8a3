//! Exports out of the store: eval datasets ([`eval`]) and OTLP/JSON ([`otlp`]).
//!
//! Both work on one trace at a time (spans as `Store::trace_spans` returns them) so a large
//! selection streams to the output file instead of being held in memory.

pub mod eval;
pub mod openinference;
pub mod otlp;
// The id rules live with the OTLP reader, which maps exported ids back ([`otlp_ids`]).
pub use crate::ingest::otlp::ids as otlp_ids;
