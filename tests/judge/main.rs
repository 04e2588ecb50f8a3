//! LLM-as-judge: the runner against a local scripted server (testkit's `TestServer`) speaking
//! the OpenAI and Anthropic wire formats, and `trawl judge` end to end through the binary.

#[path = "../util/mod.rs"]
mod util;

// The support-bot store, built-in rules, a request aimed at a local server.
mod common;

// `trawl judge` through the real binary: exit codes, messages, cache, filters.
mod cli;
// The runner: wire formats, retries, pauses, cache, concurrency, sampling, budgets, events.
mod runner;
