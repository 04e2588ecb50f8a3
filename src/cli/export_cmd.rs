//! `trawl export`: selected traces as an eval dataset (`--eval`) or as OTLP/JSON (`--otlp`).

use super::{FilterArgs, resolve_trace};
use crate::config::Config;
use crate::export;
use crate::model::ScoreSource;
use crate::sanitize::clean_line;
use crate::store::Store;
use anyhow::{Context, Result};
use clap::{ArgGroup, Args};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

const EXAMPLES: &str = "Examples:
  trawl export --eval --out failures.jsonl --verdict grounded=false --labelled
  trawl export --eval --out cases.jsonl --since 7d --tag prod
  trawl export --otlp --out subset.otlp.jsonl --user user_0204
  trawl import --store other.db subset.otlp.jsonl        read it back

--eval writes one JSON object per trace: trace_id, session_id, user_id, start, input (the
messages sent to the final LLM call), question, context (retrieved documents), output,
tool_calls, human_labels, judge_verdicts, metadata, tags and vars (for promptfoo). See
docs/eval-export.md for every field and for loading the file in promptfoo, inspect-ai and
OpenAI evals. --otlp writes one OTLP/JSON ExportTraceServiceRequest per trace and line, which
trawl and the OpenTelemetry Collector read again; spans imported from other formats (llm,
LangSmith, Langfuse) are written as OpenInference attributes, with hex ids in place of theirs.
Exit status: 0 written, 1 no trace matched (nothing is written), 2 usage errors.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
#[command(group(ArgGroup::new("what").required(true).args(["eval", "otlp"])))]
pub struct ExportArgs {
    /// Write eval cases (JSON lines).
    #[arg(long)]
    pub eval: bool,
    /// Write OTLP/JSON (one request per trace and line).
    #[arg(long)]
    pub otlp: bool,
    /// Output file (replaced if it exists); `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Only traces with at least one human label.
    #[arg(long)]
    pub labelled: bool,
    /// Only these traces (ids or unique prefixes; repeatable).
    #[arg(long = "trace", value_name = "ID")]
    pub traces: Vec<String>,
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(args: &ExportArgs, cfg: &Config) -> Result<i32> {
    let store = super::open_existing_store(cfg)?;
    let mut filter = args.filter.to_filter(crate::timefilter::now())?;
    for t in &args.traces {
        filter.trace_ids.push(resolve_trace(&store, t)?);
    }
    // Oldest first: an eval set reads in the order things happened.
    let mut ids = store.trace_ids(&filter, None)?;
    ids.reverse();
    if args.labelled {
        let mut keep = Vec::with_capacity(ids.len());
        for id in ids {
            if !store
                .latest_scores(std::slice::from_ref(&id), ScoreSource::Human)?
                .is_empty()
            {
                keep.push(id);
            }
        }
        ids = keep;
    }
    if ids.is_empty() {
        errln!(
            "trawl: no traces matched{}; nothing written",
            if args.labelled {
                " (with --labelled: label some with `trawl label`)"
            } else {
                ""
            }
        );
        return Ok(1);
    }

    let to_stdout = args.out.as_os_str() == "-";
    let existed = !to_stdout && args.out.exists();
    let (n, spans, foreign) = if to_stdout {
        let stdout = std::io::stdout();
        let mut w = BufWriter::new(stdout.lock());
        let r = write_all(&store, &ids, args.eval, &mut w)?;
        w.flush()?;
        r
    } else {
        // Written next to the target and renamed into place, so an interrupted export never
        // leaves a half-written file under the requested name.
        let tmp = tmp_path(&args.out);
        let file = std::fs::File::create(&tmp)
            .with_context(|| format!("{}: cannot create", args.out.display()))?;
        let mut w = BufWriter::new(file);
        let r = write_all(&store, &ids, args.eval, &mut w).and_then(|r| {
            w.flush()?;
            Ok(r)
        });
        let r = match r {
            Ok(r) => r,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        std::fs::rename(&tmp, &args.out)
            .with_context(|| format!("{}: cannot write", args.out.display()))?;
        r
    };
    let what = if args.eval {
        format!("{n} case(s)")
    } else {
        format!("{n} trace(s), {spans} span(s), as OTLP/JSON")
    };
    let msg = format!(
        "wrote {what} to {}{}",
        clean_line(&args.out.display().to_string()),
        if existed {
            " (replaced the existing file)"
        } else {
            ""
        }
    );
    // With --out - the data owns stdout; the summary goes to stderr.
    if to_stdout {
        errln!("{msg}");
    } else {
        outln!("{msg}");
    }
    if !args.eval && foreign > 0 {
        tracing::debug!(
            foreign,
            "spans from non-OTLP sources written with OpenInference attributes"
        );
    }
    Ok(0)
}

/// Writes every trace; returns (traces, spans, spans not imported from OTLP).
fn write_all(
    store: &Store,
    ids: &[String],
    eval: bool,
    w: &mut dyn Write,
) -> Result<(usize, usize, usize)> {
    let (mut n, mut n_spans, mut foreign) = (0, 0, 0);
    for id in ids {
        let spans = store.trace_spans(id)?;
        if spans.is_empty() {
            continue;
        }
        let line = if eval {
            let Some(summary) = store.trace_summary(id)? else {
                continue;
            };
            let ids = std::slice::from_ref(id);
            let human = store.latest_scores(ids, ScoreSource::Human)?;
            let judge = store.latest_scores(ids, ScoreSource::Judge)?;
            export::eval::eval_case(&summary, &spans, &human, &judge)
        } else {
            foreign += spans
                .iter()
                .filter(|s| s.source_format != crate::ingest::otlp::SOURCE_FORMAT)
                .count();
            export::otlp::trace_request(&spans)
        };
        serde_json::to_writer(&mut *w, &line)?;
        w.write_all(b"\n")?;
        n += 1;
        n_spans += spans.len();
    }
    Ok((n, n_spans, foreign))
}

fn tmp_path(out: &Path) -> PathBuf {
    let mut name = out
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".trawl-tmp-{}", std::process::id()));
    out.with_file_name(name)
}
