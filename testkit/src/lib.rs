//! Test-only scaffolding for trawl, kept out of the shipped crate: trawl's integration tests use
//! it as a dev-dependency and the benchmark binary (`bench/`) as a dependency.
//!
//! - [`TestServer`]: a scripted HTTP/1.1 server on 127.0.0.1 that answers like an
//!   OpenAI-compatible or Anthropic endpoint, records every request and tracks concurrency.

mod server;

pub use server::{Recorded, Response, TestServer};
