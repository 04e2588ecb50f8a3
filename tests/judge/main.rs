//! LLM-as-judge: the runner against a local scripted server (testkit's `TestServer`) speaking
//! the OpenAI and Anthropic wire formats, and `trawl judge` end to end through the binary.

#[path = "../util/mod.rs"]
mod util;

// The support-bot store, built-in rules, a request aimed at a local server, the binary with
// an API key.
mod common;

// `trawl judge` through the real binary: exit codes, messages, cache, filters.
mod cli;
// Issue 15 regressions through the binary: timeouts, all-error runs, echoed keys, plain HTTP.
mod cli_limits;
// Issue 15 regressions: the client against a misbehaving server (retry waits, body caps,
// budgets, keys never stored or sent over plain HTTP, dropped connections, redirects).
mod limits;
// `trawl replay` and `trawl diff` against scripted servers: exact requests, refusals,
// before/after verdicts, replays kept out of stats.
mod replay;
// The runner: wire formats, retries, pauses, cache, concurrency, sampling, budgets, events.
mod runner;
