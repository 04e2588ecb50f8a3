//! Replaying recorded LLM calls: would the fix have worked?
//!
//! - [`request`]: the recorded request rebuilt from a span as stored (messages, tools,
//!   parameters), or the reason it cannot be ([`incomplete`]: hidden or truncated input);
//! - [`select`]: which calls of a trace are replayed (the final one, or all);
//! - [`wire`]: overrides, the OpenAI and Anthropic request bodies, and the answer read back;
//! - [`run`]: sending with the judge's client and retry policy, cost and estimate;
//! - [`record`]: the replay as a trace of its own, linked to the original;
//! - [`report`]: the per-item lines, the summary table and the `--json` shape;
//! - [`outcome`]: fixed / regressed / still failing / still passing from before/after verdicts.
//!
//! Everything but `run` is pure. The store keeps the link (`Store::record_replay`).

pub mod incomplete;
pub mod outcome;
pub mod record;
pub mod report;
pub mod request;
pub mod run;
pub mod select;
pub mod single;
pub mod wire;

pub use outcome::Outcome;
pub use request::{Incomplete, RecordedRequest, from_span};
pub use wire::{Answer, Overrides};
