//! Diffs: [`words`] (word diff of two texts) and [`trace`] (structural diff of two traces).
//! Pure: `trawl diff` and `trawl replay` read spans from the store and print these.

pub mod trace;
pub mod words;

pub use trace::{TraceDiff, diff as diff_traces};
