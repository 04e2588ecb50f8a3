//! trawl: a terminal trace explorer for LLM applications.
//!
//! Data flows one way: source file → [`ingest`] adapter → [`model`] → [`store`] (SQLite) →
//! queries → CLI commands and TUI views. [`pricing`] fills in costs the sources did not report;
//! [`judge`] reads spans through the store and writes scores back.

pub mod model;
pub mod ingest;
pub mod pricing;
pub mod store;
pub mod import;
pub mod sanitize;
pub mod timefilter;
pub mod paths;
pub mod display;
pub mod cli;
pub mod judge;
pub mod metrics;
pub mod tui;
