//! trawl: a terminal trace explorer for LLM applications.
//!
//! Data flows one way: source file → [`ingest`] adapter → [`model`] → [`store`] (SQLite) →
//! queries → CLI commands and TUI views. [`pricing`] fills in costs the sources did not report;
//! [`judge`] reads spans through the store and writes scores back.

pub mod cli;
pub mod config;
pub mod diff;
pub mod display;
pub mod export;
pub mod filter;
pub mod import;
pub mod ingest;
pub mod judge;
pub mod metrics;
pub mod model;
pub mod paths;
pub mod pricing;
pub mod remote;
pub mod replay;
pub mod sanitize;
mod sqlite_file;
pub mod store;
pub mod timefilter;
pub mod tui;
