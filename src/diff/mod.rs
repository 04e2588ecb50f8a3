//! Diffs: [`words`] (word diff of two texts), [`trace`] (structural diff of two traces) and
//! [`render`] (its text report).
//! Pure: `trawl diff` and `trawl replay` read spans from the store and print these.

pub mod render;
pub mod trace;
pub mod words;

pub use trace::{TraceDiff, diff as diff_traces};
