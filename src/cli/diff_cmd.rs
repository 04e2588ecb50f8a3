//! `trawl diff A B`: structural diff of two traces.

use super::resolve_trace;
use crate::config::Config;
use crate::diff::trace::{Delta, TextDiff, TraceDiff};
use crate::diff::words;
use crate::sanitize::{clean_line, display_id};
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
        for l in lines(&d) {
            outln!("{l}");
        }
    }
    Ok(0)
}

fn int(d: &Delta<i64>) -> String {
    format!("{} → {} ({:+})", d.a, d.b, d.b - d.a)
}
fn opt_int(a: Option<i64>, b: Option<i64>) -> String {
    match (a, b) {
        (Some(x), Some(y)) => format!("{x} → {y} ({:+})", y - x),
        (x, y) => format!(
            "{} → {}",
            x.map_or("-".into(), |v| v.to_string()),
            y.map_or("-".into(), |v| v.to_string())
        ),
    }
}
fn money(a: Option<f64>, b: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("?".into(), |v| format!("${v:.6}"));
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.6})", f(a), f(b), y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}
fn ms(a: Option<f64>, b: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.1} ms)", f(a), f(b), y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}

fn text(name: &str, t: &TextDiff) -> String {
    if t.changed {
        format!("{name}: {}", clean_line(&words::render_plain(&t.diff)))
    } else {
        format!("{name}: (same)")
    }
}

/// The text report.
pub fn lines(d: &TraceDiff) -> Vec<String> {
    let t = &d.totals;
    let mut out = vec![
        format!("diff {} → {}", display_id(&d.a, 8), display_id(&d.b, 8)),
        format!(
            "spans {} → {}; duration {}; input tokens {}; output tokens {}; cost {}",
            t.spans.a,
            t.spans.b,
            ms(Some(t.duration_ms.a), Some(t.duration_ms.b)),
            int(&t.input_tokens),
            int(&t.output_tokens),
            money(t.cost_usd.a, t.cost_usd.b)
        ),
        text("question", &d.question),
        text("answer", &d.answer),
        text("system prompt", &d.system_prompt),
    ];
    for s in &d.removed {
        out.push(format!(
            "- {}  ({})",
            clean_line(&s.path),
            display_id(&s.span_id, 8)
        ));
    }
    for s in &d.added {
        out.push(format!(
            "+ {}  ({})",
            clean_line(&s.path),
            display_id(&s.span_id, 8)
        ));
    }
    for c in &d.changed {
        let mut parts = vec![format!("duration {}", ms(c.duration_ms.a, c.duration_ms.b))];
        if c.input_tokens.a != c.input_tokens.b || c.output_tokens.a != c.output_tokens.b {
            parts.push(format!(
                "tokens in {}, out {}",
                opt_int(c.input_tokens.a, c.input_tokens.b),
                opt_int(c.output_tokens.a, c.output_tokens.b)
            ));
        }
        if c.cost_usd.a != c.cost_usd.b {
            parts.push(format!("cost {}", money(c.cost_usd.a, c.cost_usd.b)));
        }
        if let Some(m) = &c.model {
            parts.push(format!(
                "model {} → {}",
                clean_line(m.a.as_deref().unwrap_or("-")),
                clean_line(m.b.as_deref().unwrap_or("-"))
            ));
        }
        if let Some(s) = &c.status {
            parts.push(format!("status {} → {}", s.a, s.b));
        }
        out.push(format!("~ {}  {}", clean_line(&c.path), parts.join("; ")));
    }
    let docs = &d.documents;
    if docs.added.is_empty() && docs.dropped.is_empty() && docs.moved.is_empty() {
        out.push("documents: (same)".into());
    } else {
        for id in &docs.dropped {
            out.push(format!("document dropped: {}", clean_line(id)));
        }
        for id in &docs.added {
            out.push(format!("document added: {}", clean_line(id)));
        }
        for m in &docs.moved {
            out.push(format!(
                "document moved: {} #{} → #{}",
                clean_line(&m.id),
                m.from,
                m.to
            ));
        }
    }
    out
}
