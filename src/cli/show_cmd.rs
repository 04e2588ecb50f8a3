//! `trawl show`: one trace as a span tree, or as JSON.

use super::out::{Column, Table, cut, output_width};
use super::resolve_trace;
use super::show_json;
use crate::config::Config;
use crate::display;
use crate::model::{SpanSkeleton, SpanTree, TreeNode, mark_skeleton_aggregates};
use crate::sanitize::{clean_line, fit_width};
use crate::timefilter;
use anyhow::{Result, bail};
use clap::Args;
use std::io::Write as _;

const EXAMPLES: &str = "Examples:
  trawl show 447afa24e1e7c76486d91e88ee5db67d
  trawl show 447afa24 --json | jq '.spans[] | select(.kind == \"llm\")'";

/// The page cache `show` reads with (KiB): enough for the B-tree's inner pages.
const ONE_PASS_CACHE_KIB: i64 = 4096;

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ShowArgs {
    /// Trace id (a unique prefix is enough).
    pub trace_id: String,
    #[arg(long)]
    pub json: bool,
    /// Every column at full width, whatever the terminal's width (piped output is never cut).
    #[arg(long)]
    pub wide: bool,
}

pub fn run(args: &ShowArgs, cfg: &Config) -> Result<i32> {
    let store = super::open_existing_store(cfg)?;
    let id = resolve_trace(&store, &args.trace_id)?;
    let Some(summary) = store.trace_summary(&id)? else {
        bail!("no trace '{id}'");
    };
    // The tree is built over the span rows alone; a payload is read only where it is shown.
    // Every page is read once: a big page cache would only hold the trace a second time.
    store.limit_page_cache(ONE_PASS_CACHE_KIB)?;
    let mut skeleton = store.trace_skeleton(&id)?;
    let tree = SpanTree::build(&skeleton);
    let aggregate = mark_skeleton_aggregates(&mut skeleton, &tree);
    let scores = store.scores_for_trace(&id)?;
    let replays = store.replays_of(&id)?;
    let replay_of = store.replay_link(&id)?;
    if args.json {
        let doc = show_json::TraceDoc {
            summary: &summary,
            scores: &scores,
            replays: &replays,
            replay_of: replay_of.as_ref(),
        };
        let spans = show_json::SpanSource {
            store: &store,
            skeleton: &skeleton,
            aggregate: &aggregate,
            tree: &tree,
        };
        show_json::write(std::io::stdout().lock(), &doc, &spans)?;
        return Ok(0);
    }
    let width = output_width(args.wide);
    let line = |text: String| cut(&text, width);
    outln!(
        "{}",
        line(format!(
            "trace {}  {}  {}  {}",
            clean_line(&summary.trace_id),
            timefilter::rfc3339(summary.start_ns),
            display::duration_ns(summary.duration_ns),
            if summary.error { "✗ ERROR" } else { "ok" }
        ))
    );
    let opt = |o: &Option<String>| clean_line(o.as_deref().unwrap_or("-"));
    outln!(
        "{}",
        line(format!(
            "session {}  user {}  service {}  models {}",
            opt(&summary.session_id),
            opt(&summary.user_id),
            opt(&summary.service),
            clean_line(&summary.models.join(", "))
        ))
    );
    if let Some(q) = &summary.input_preview {
        outln!("{}", line(format!("question: {}", clean_line(q))));
    }
    if let Some(a) = &summary.output_preview {
        outln!("{}", line(format!("answer:   {}", clean_line(a))));
    }
    outln!(
        "{}",
        line(format!(
            "tokens: input {} (cached {})  output {} (reasoning {})  total {}   cost {}{}",
            summary.input_tokens,
            summary.cache_read_tokens,
            summary.output_tokens,
            summary.reasoning_tokens,
            summary.total_tokens,
            display::trace_cost(
                summary.cost_usd,
                summary.cost_known_usd,
                summary.unknown_cost_spans
            ),
            if summary.unknown_cost_spans > 0 {
                format!(
                    " ({} span(s) with unknown price)",
                    summary.unknown_cost_spans
                )
            } else {
                String::new()
            }
        ))
    );
    for s in scores.iter().filter(|s| s.verdict.is_some()) {
        outln!(
            "{}",
            line(format!(
                "score {} = {}{} ({}{}){}",
                clean_line(&s.name),
                s.verdict.map(|v| v.as_str()).unwrap_or("-"),
                // An annotator's label (`hallucinated`) says more than the verdict word.
                s.label
                    .as_deref()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| format!(" [{}]", clean_line(l)))
                    .unwrap_or_default(),
                s.source.as_str(),
                s.model
                    .as_deref()
                    .map(|m| format!(", {}", clean_line(m)))
                    .unwrap_or_default(),
                s.explanation
                    .as_deref()
                    .map(|e| format!(": {}", fit_width(&clean_line(e), 100)))
                    .unwrap_or_default()
            ))
        );
    }
    if let Some(link) = &replay_of {
        outln!(
            "{}",
            line(format!(
                "replay of trace {} span {}",
                clean_line(&link.replay_of_trace),
                clean_line(&link.replay_of_span)
            ))
        );
    }
    for r in &replays {
        outln!(
            "{}",
            line(format!(
                "replay {}  {}  model {}  span {}",
                clean_line(&r.trace_id),
                timefilter::rfc3339(r.created_at_ns),
                clean_line(r.model.as_deref().unwrap_or("-")),
                clean_line(&r.replay_of_span)
            ))
        );
    }
    outln!();
    let mut table = Table::new(vec![
        Column::left("SPAN", 16, 0).flexible(),
        Column::left("KIND", 4, 2),
        Column::right("START", 6, 6),
        Column::right("DURATION", 8, 1),
        Column::left("MODEL", 8, 5).flexible(),
        Column::right("TOKENS in/out", 9, 3),
        Column::right("COST", 6, 4),
    ]);
    // Two passes over the skeleton: the first measures the columns, the second writes each
    // line as it is made, so no row is kept.
    for n in &tree.nodes {
        if let Some(s) = skeleton.get(n.index) {
            table.measure(&span_cells(s, n, summary.start_ns));
        }
    }
    let stream = table.stream(width);
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    writeln!(out, "{}", stream.header())?;
    for n in &tree.nodes {
        let Some(s) = skeleton.get(n.index) else {
            continue;
        };
        writeln!(out, "{}", stream.line(&span_cells(s, n, summary.start_ns)))?;
        if s.is_error()
            && let Some(msg) = store.span_payload(s.row_id)?.and_then(|p| p.status_message)
        {
            // Error text can be a whole stack trace: its first 200 columns say enough here.
            let indent = "  ".repeat(n.depth.min(12));
            let note = format!("{indent}    {}", fit_width(&clean_line(&msg), 200));
            writeln!(out, "{}", stream.note(&note))?;
        }
    }
    out.flush()?;
    Ok(0)
}

/// One span's row of the tree table.
fn span_cells(s: &SpanSkeleton, n: &TreeNode, trace_start_ns: i64) -> Vec<String> {
    let indent = "  ".repeat(n.depth.min(12));
    let mark = if s.is_error() { "✗ " } else { "" };
    let orphan = if n.missing_parent {
        " (missing parent)"
    } else {
        ""
    };
    let name = format!("{indent}{mark}{}{orphan}", clean_line(&s.name));
    let toks = s
        .usage
        .as_ref()
        .map(|u| {
            format!(
                "{}{}/{}",
                if u.aggregate { "Σ" } else { "" },
                u.input.map(display::tokens).unwrap_or("-".into()),
                u.output.map(display::tokens).unwrap_or("-".into())
            )
        })
        .unwrap_or_default();
    let cost = if s.has_cost {
        display::cost(s.cost_usd)
    } else {
        String::new()
    };
    vec![
        name,
        s.kind.short().to_string(),
        format!("+{}", display::duration_ns(s.start_ns - trace_start_ns)),
        s.duration_ns()
            .map(display::duration_ns)
            .unwrap_or("-".into()),
        clean_line(s.model.as_deref().unwrap_or("")),
        toks,
        cost,
    ]
}
