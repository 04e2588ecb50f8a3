//! The command line, end to end through the real binary (`import`, `traces`, `show`, `check`,
//! `stats`, `label`, `agreement`, `export`), the metrics behind `stats`/`check`/`agreement`
//! against hand-computed figures, and checks on the repository's shape.

#[path = "../util/mod.rs"]
mod util;

// Reads src/ into a module graph for the `repo` checks.
mod module_graph;
// A small hand-made store whose figures the check and metrics tests compute by hand.
mod stats_store;

// Judge–human agreement (kappa, precision, recall) against hand-computed values.
mod agreement;
// `trawl check` and `trawl stats` through the binary.
mod check;
// `trawl config`: every setting, precedence, secrets, errors; the filter flags.
mod config;
// `import`, `traces`, `show`: counts, bad input, exit codes, JSON fields, escapes.
mod commands;
// `trawl export`: eval cases and the OTLP/JSON round trip.
mod export;
// `export --otlp` round-trips every fixture source (OpenInference for non-OTLP ones).
mod export_sources;
// `trawl label` and `trawl agreement` through the binary.
mod label;
// `trawl listen` through the binary: JSON lines, signals, kill -9, usage errors.
mod listen;
// Relative days against the store's data; search scoped to questions, answers, passages.
mod find;
// `trawl::metrics`: buckets, percentiles, changes, checks.
mod metrics;
// The output layer: hostile text escaped, closed pipes quiet, tables fit $COLUMNS.
mod output;
// `stats --source` / `check --source` computed in ClickHouse (chDB) against the local store.
mod remote_figures;
// Module graph (no cycles, SQL only in the store), test layout, fixture index.
mod repo;
// A store written by trawl's schema 7 migrates and answers as before.
mod store_v7;
// A hostile OTLP file: impossible numbers, prose fitting $COLUMNS.
mod hostile;
// Short trace ids in lists grow until `show` resolves them (time-ordered ids).
mod short_ids;
