//! `trawl show`: one trace as a span tree, or as JSON.

use super::out::{Column, Table, cut, output_width};
use super::resolve_trace;
use crate::config::Config;
use crate::display;
use crate::model::mark_aggregates;
use crate::model::{Span, SpanTree};
use crate::sanitize::{clean_line, fit_width};
use crate::timefilter;
use anyhow::{Result, bail};
use clap::Args;
use serde_json::{Value, json};

const EXAMPLES: &str = "Examples:
  trawl show 447afa24e1e7c76486d91e88ee5db67d
  trawl show 447afa24 --json | jq '.spans[] | select(.kind == \"llm\")'";

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
    let mut spans = store.trace_spans(&id)?;
    mark_aggregates(&mut spans);
    let scores = store.scores_for_trace(&id)?;
    let replays = store.replays_of(&id)?;
    let replay_of = store.replay_link(&id)?;
    if args.json {
        let mut obj = super::traces_cmd::trace_json(
            &summary,
            scores
                .iter()
                .filter(|s| s.source == crate::model::ScoreSource::Judge),
        );
        let tree = SpanTree::build(&spans);
        let ordered: Vec<Value> = tree
            .nodes
            .iter()
            .map(|n| span_json(&spans[n.index], n.depth))
            .collect();
        obj["spans"] = Value::Array(ordered);
        obj["all_scores"] = serde_json::to_value(&scores)?;
        // Replays (`trawl replay`): only present when there are any, so older output is unchanged.
        if !replays.is_empty() {
            obj["replays"] = serde_json::to_value(&replays)?;
        }
        if let Some(link) = &replay_of {
            obj["replay_of"] =
                json!({"trace_id": link.replay_of_trace, "span_id": link.replay_of_span});
        }
        outln!("{}", serde_json::to_string_pretty(&obj)?);
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
    let tree = SpanTree::build(&spans);
    for n in &tree.nodes {
        let s = &spans[n.index];
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
        let cost = match &s.cost {
            Some(c) => display::cost(c.total),
            None => String::new(),
        };
        table.row(vec![
            name,
            s.kind.short().to_string(),
            format!("+{}", display::duration_ns(s.start_ns - summary.start_ns)),
            s.duration_ns()
                .map(display::duration_ns)
                .unwrap_or("-".into()),
            clean_line(s.model.as_deref().unwrap_or("")),
            toks,
            cost,
        ]);
        if let Some(msg) = &s.status_message
            && s.is_error()
        {
            // Error text can be a whole stack trace: its first 200 columns say enough here.
            table.note(format!("{indent}    {}", fit_width(&clean_line(msg), 200)));
        }
    }
    for l in table.render(width) {
        outln!("{l}");
    }
    Ok(0)
}

/// The documented per-span JSON object.
pub fn span_json(s: &Span, depth: usize) -> Value {
    let u = s.usage.as_ref();
    let msgs = |m: &[crate::model::Message]| -> Vec<Value> {
        m.iter()
            .map(|m| {
                let mut o = json!({"role": m.role, "content": m.content});
                if !m.tool_calls.is_empty() {
                    o["tool_calls"] = serde_json::to_value(&m.tool_calls).unwrap_or(Value::Null);
                }
                if let Some(id) = &m.tool_call_id {
                    o["tool_call_id"] = json!(id);
                }
                o
            })
            .collect()
    };
    json!({
        "span_id": s.span_id,
        "parent_id": s.parent_id,
        "depth": depth,
        "name": s.name,
        "kind": s.kind.as_str(),
        "start": timefilter::rfc3339(s.start_ns),
        "duration_ms": s.duration_ns().map(|d| d as f64 / 1e6),
        "status": s.status.as_str(),
        "status_message": s.status_message,
        "model": s.model,
        "request_model": s.request_model,
        "provider": s.provider,
        "input_tokens": u.and_then(|u| u.input),
        "output_tokens": u.and_then(|u| u.output),
        "total_tokens": u.and_then(|u| u.total_or_sum()),
        "cache_read_tokens": u.and_then(|u| u.cache_read),
        "cache_write_tokens": u.and_then(|u| u.cache_write),
        "reasoning_tokens": u.and_then(|u| u.reasoning),
        "usage_aggregate": u.map(|u| u.aggregate),
        "cost_usd": s.cost.as_ref().and_then(|c| c.total),
        "cost_source": s.cost.as_ref().map(|c| c.source.as_str()).unwrap_or("unknown"),
        "cost_price_key": s.cost.as_ref().and_then(|c| match &c.source {
            crate::model::CostSource::Computed { price_key } => Some(price_key.clone()),
            _ => None,
        }),
        "input_messages": msgs(&s.input_messages),
        "output_messages": msgs(&s.output_messages),
        "documents": s.documents.iter().map(|d| json!({"id": d.id, "score": d.score, "content": d.content})).collect::<Vec<_>>(),
        "tool": s.tool,
        "events": s.events,
        "session_id": s.session_id,
        "user_id": s.user_id,
    })
}
