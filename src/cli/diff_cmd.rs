//! `trawl diff A B`: structural diff of two traces.

use super::resolve_trace;
use crate::config::Config;
use anyhow::Result;
use clap::Args;

const EXAMPLES: &str = "Examples:
  trawl diff 447afa24 9c1d0b7e                 two runs of a question
  trawl diff 447afa24 $(trawl show 447afa24 --json | jq -r '.replays[0].trace_id')
  trawl diff 447afa24 9c1d0b7e --json

Spans are aligned by their path (kind and name from the root, then order among equals).";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct DiffArgs {
    /// The first trace (id or unique prefix).
    pub a: String,
    /// The second trace.
    pub b: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &DiffArgs, cfg: &Config) -> Result<i32> {
    let store = super::open_existing_store(cfg)?;
    let a = resolve_trace(&store, &args.a)?;
    let b = resolve_trace(&store, &args.b)?;
    let (sa, sb) = (store.trace_spans(&a)?, store.trace_spans(&b)?);
    let d = crate::diff::diff_traces(&a, &sa, &b, &sb);
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&d)?);
    } else {
        // Trace ids as `trawl show` takes them back (a store error falls back to 8 columns).
        let shown = |id: &str| {
            super::typed_id(&store, id, crate::store::SHORT_ID_MIN)
                .unwrap_or_else(|_| crate::sanitize::display_id(id, 8))
        };
        // A changed answer is one long line: it wraps at spaces to the output width.
        let width = super::out::output_width(false);
        for l in crate::diff::render::lines_with(&d, &shown) {
            for line in super::out::wrap_hanging(&l, width, 2) {
                outln!("{line}");
            }
        }
    }
    Ok(0)
}
