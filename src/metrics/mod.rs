//! Metrics over time (`trawl stats`, the TUI metrics view) and alert checks (`trawl check`).
//!
//! All aggregation happens in SQLite, in the store ([`crate::store::stats`], which also says how
//! exact nearest-rank percentiles are computed without loading every row); this module turns
//! the store's figures into rates, changes and check results.
//!
//! For the TUI:
//! - [`compute_stats`] gives one [`BucketStats`] per bucket (and group), oldest first, each with
//!   its [`Change`] against the previous bucket and its `[start_ns, end_ns)` for opening the
//!   trace list filtered to it.
//! - [`parse_expr`] and [`evaluate`] run checks over a [`CheckWindow`].

pub mod agreement;
pub mod buckets;
pub mod check;
pub mod percentile;
pub mod stats;
pub mod trends;

pub use buckets::{Bucket, GroupBy, NO_GROUP, parse_tz};
pub use check::{
    CheckExpr, CheckResult, CheckWindow, Metric, Op, ParseError, Series, WindowFigures, evaluate,
    evaluate_with, parse_expr,
};
pub use percentile::{nearest_rank, percentile_of};
pub use stats::{
    BucketStats, Change, RuleChange, RuleStats, compute_stats, empty_bucket, stats_from_raw,
    stats_wanted, with_empty_buckets,
};
pub use trends::{RuleTrend, rule_trends};
