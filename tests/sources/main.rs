//! Reading traces in: the OTLP/JSON adapter and semantic conventions against real and
//! hand-made fixtures, the other sources (llm logs.db, Langfuse, LangSmith, Phoenix, console
//! exporter), import edge cases, live tailing, and pricing.

#[path = "../util/mod.rs"]
mod util;

// Non-OTLP sources and content-based format detection.
mod adapters;
// Pulling slices from ClickHouse (chDB behind tests/clickhouse/chdb_http.py).
mod clickhouse;
// The support bot under OpenLLMetry, the Langfuse SDK and Phoenix read as a person reads it,
// against the ground truth; Phoenix annotations as scores.
mod conformance;
// Live tail: appends, split lines, rotation, truncation.
mod follow;
// Import edge cases through the library: huge lines, split traces, duplicates, roll-ups.
mod import_edge;
// `trawl listen`: the SDK exporter (HTTP protobuf, HTTP JSON, gRPC) against an import of the
// same spans; raw requests for the protocol's error paths.
mod listen;
// The OTLP/JSON adapter on the fixtures: counts, ground truth, usage, messages, documents.
mod otlp;
// OTLP/JSON encoding variants and malformed input.
mod otlp_encoding;
// llm logs (fragments, tool-call chains) and Phoenix failures read as a person reads them.
mod read_as_person;
// Prices and cost computation against the embedded LiteLLM table.
mod pricing;
