//! Executes the comparison queries on the worker (or synchronously, headless): trace diffs,
//! replay lists and pairs, and the replay form's estimate. Sending a replay and editing in
//! `$EDITOR` are run by the runtime (a thread, the terminal) and by `headless`.

use super::action::Action;
use super::compare::{CompareAction, CompareEffect, ReplayPair, ReplayRow, outcome_of};
use crate::diff::{diff_traces, words};
use crate::model::SpanKind;
use crate::replay::report::Side;
use crate::replay::{select, single};
use crate::store::{ReplayLink, Store, StoreError};

/// The action a comparison query results in (`None` for `Run` and `Edit`).
pub fn execute(store: &Store, effect: &CompareEffect) -> Option<Action> {
    let action = match effect {
        CompareEffect::Diff { req, a, b } => CompareAction::Diff {
            req: *req,
            result: trace_diff(store, a, b).map_err(|e| e.to_string()),
        },
        CompareEffect::Pair {
            req,
            replay_trace_id,
        } => CompareAction::Pair {
            req: *req,
            result: pair(store, replay_trace_id),
        },
        CompareEffect::List { req, of } => CompareAction::List {
            req: *req,
            result: rows(store, of.as_deref()).map_err(|e| e.to_string()),
        },
        CompareEffect::Prepare {
            req,
            trace_id,
            span_id,
            settings,
        } => CompareAction::Prepared {
            req: *req,
            result: single::prepare(store, trace_id, span_id, settings).map(Box::new),
        },
        CompareEffect::Run { .. } | CompareEffect::Edit { .. } => return None,
    };
    Some(Action::Compare(action))
}

/// `a` → `b`, the earlier trace first whatever order they were marked in.
fn trace_diff(store: &Store, a: &str, b: &str) -> Result<crate::diff::TraceDiff, StoreError> {
    let start = |id: &str| {
        store
            .trace_summary(id)
            .map(|t| t.map(|t| t.start_ns).unwrap_or(0))
    };
    let (a, b) = if start(b)? < start(a)? {
        (b, a)
    } else {
        (a, b)
    };
    let (sa, sb) = (store.trace_spans(a)?, store.trace_spans(b)?);
    Ok(diff_traces(a, &sa, b, &sb))
}

fn row(store: &Store, link: ReplayLink) -> Result<ReplayRow, StoreError> {
    let outcome = outcome_of(
        &store.scores_for_trace(&link.replay_of_trace)?,
        &store.scores_for_trace(&link.trace_id)?,
    );
    Ok(ReplayRow { link, outcome })
}

/// Every replay newest first, or the replays of one trace (newest first too).
fn rows(store: &Store, of: Option<&str>) -> Result<Vec<ReplayRow>, StoreError> {
    let mut links = match of {
        Some(id) => store.replays_of(id)?,
        None => store.all_replays()?,
    };
    if of.is_some() {
        links.reverse();
    }
    links.into_iter().map(|l| row(store, l)).collect()
}

fn pair(store: &Store, replay_trace_id: &str) -> Result<ReplayPair, String> {
    let link = store
        .replay_link(replay_trace_id)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("trace {replay_trace_id} is not a replay"))?;
    let original_spans = store
        .trace_spans(&link.replay_of_trace)
        .map_err(|e| e.to_string())?;
    let replay_spans = store
        .trace_spans(&link.trace_id)
        .map_err(|e| e.to_string())?;
    let original = original_spans
        .iter()
        .find(|s| s.span_id == link.replay_of_span)
        .map(|s| Side::of_span(s, select::answer_text(s)))
        .unwrap_or_default();
    let replay = replay_spans
        .iter()
        .find(|s| s.kind == SpanKind::Llm)
        .map(|s| Side::of_span(s, select::answer_text(s)))
        .unwrap_or_default();
    let answer_diff = words::diff(
        original.answer.as_deref().unwrap_or(""),
        replay.answer.as_deref().unwrap_or(""),
    );
    let row = row(store, link).map_err(|e| e.to_string())?;
    Ok(ReplayPair {
        link: row.link,
        outcome: row.outcome,
        original,
        replay,
        answer_diff,
    })
}

/// Runs `$VISUAL`/`$EDITOR` (else `vi`) on a temporary file holding `text`; returns the
/// edited text. The caller hands the terminal over first.
pub fn edit_in_editor(text: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let path = std::env::temp_dir().join(format!(
        "trawl-system-prompt-{:016x}.txt",
        fastrand::u64(..)
    ));
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    // `$EDITOR` may carry arguments ("code --wait"): the shell splits it as a user expects.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("trawl-editor")
        .arg(&path)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display())),
        Ok(s) => Err(format!(
            "{editor} exited with {s}; the system prompt is unchanged"
        )),
        Err(e) => Err(format!("cannot run {editor}: {e}")),
    };
    let _ = std::fs::remove_file(&path);
    result
}
