//! `trawl label`: record (or undo) a human verdict for one trace and rule.

use super::resolve_trace;
use crate::config::Config;
use crate::model::{Score, ScoreSource, Verdict};
use crate::sanitize::clean_line;
use crate::store::Store;
use crate::timefilter;
use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

const EXAMPLES: &str = "Examples:
  trawl label 447afa24 --rule grounded --verdict false --note \"cites the wrong policy\"
  trawl label 447afa24 --rule grounded --undo
  trawl agreement --rule grounded              then see how far the judge agrees

The author is --author, else TRAWL_AUTHOR, else `author = \"…\"` in ~/.config/trawl/config.toml,
else $USER (see trawl config).
The newest label per trace, rule and author is the one that counts; --undo deletes your newest
label for the rule so the one before it (if any) counts again.
Exit status: 0 labelled / undone, 1 unknown trace or nothing to undo, 2 usage errors.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct LabelArgs {
    /// Trace id (a unique prefix is enough).
    pub trace_id: String,
    /// Rule the label is for (judge rules such as grounded, or a new one of your own).
    #[arg(long, value_name = "RULE")]
    pub rule: String,
    /// The verdict: true, false or na.
    #[arg(long, value_parser = parse_human_verdict, required_unless_present = "undo")]
    pub verdict: Option<Verdict>,
    /// Why: shown next to the label and exported with eval cases.
    #[arg(long, value_name = "TEXT")]
    pub note: Option<String>,
    /// Who labelled (default: TRAWL_AUTHOR, the config file's author, else $USER).
    #[arg(long, value_name = "NAME")]
    pub author: Option<String>,
    /// Remove your newest label for this trace and rule.
    #[arg(long, conflicts_with_all = ["verdict", "note"])]
    pub undo: bool,
    #[arg(long)]
    pub json: bool,
}

/// Humans say true, false or na; "error" is a judge outcome, not an opinion.
fn parse_human_verdict(s: &str) -> std::result::Result<Verdict, String> {
    match Verdict::parse(s) {
        Some(Verdict::Error) | None => Err(format!("'{s}' is not one of true, false, na")),
        Some(v) => Ok(v),
    }
}

/// Records or undoes a label. The author is `cfg.author` (which already holds `--author`).
pub fn run(args: &LabelArgs, cfg: &Config) -> Result<i32> {
    let store = super::open_existing_store_for_writing(cfg)?;
    let id = resolve_trace(&store, &args.trace_id)?;
    let rule = args.rule.trim();
    if rule.is_empty() {
        errln!("trawl: error: --rule must not be empty");
        return Ok(2);
    }
    let who = cfg.author.clone();
    if args.undo {
        return undo(&store, &id, rule, &who, args.json);
    }
    let Some(verdict) = args.verdict else {
        // clap enforces this; kept so a library caller gets a usage code, not a panic.
        errln!("trawl: error: --verdict is required (or --undo)");
        return Ok(2);
    };
    let judge = current_judge(&store, &id, rule)?;
    if judge.is_none() {
        errln!(
            "trawl: warning: no judge verdict for rule '{}' on this trace; the label is stored, \
             but agreement needs one (trawl judge --rule {} --trace {})",
            clean_line(rule),
            clean_line(rule),
            super::typed_id(&store, &id, 12)?
        );
    }
    let score = Score::human_label(
        id.clone(),
        rule,
        verdict,
        who.clone(),
        args.note.clone().filter(|n| !n.trim().is_empty()),
    );
    let row_id = store.insert_score(&score)?;
    let stored = store
        .scores_for_trace(&id)?
        .into_iter()
        .find(|s| s.id == Some(row_id));
    if args.json {
        let mut o = stored.as_ref().map(label_json).unwrap_or(Value::Null);
        o["judge"] = judge
            .as_ref()
            .map(
                |j| json!({"verdict": j.verdict.map(|v| v.as_str()), "explanation": j.explanation}),
            )
            .unwrap_or(Value::Null);
        outln!("{}", serde_json::to_string_pretty(&o)?);
    } else {
        let agree = judge.as_ref().and_then(|j| j.verdict).map(|jv| {
            if jv == verdict {
                " (judge agrees)".to_string()
            } else {
                format!(" (judge said {})", jv.as_str())
            }
        });
        let line = format!(
            "labelled {} {} = {} by {}{}",
            super::typed_id(&store, &id, 12)?,
            clean_line(rule),
            verdict.as_str(),
            clean_line(&who),
            agree.unwrap_or_default()
        );
        super::out::say(&line, 2)?;
    }
    Ok(0)
}

fn undo(store: &Store, id: &str, rule: &str, who: &str, as_json: bool) -> Result<i32> {
    let mine = store.scores_for_trace(id)?.into_iter().find(|s| {
        s.source == ScoreSource::Human && s.name == rule && s.author.as_deref() == Some(who)
    });
    let Some(row) = mine else {
        errln!(
            "trawl: nothing to undo: no label by {} for rule '{}' on trace {}",
            clean_line(who),
            clean_line(rule),
            super::typed_id(store, id, 12)?
        );
        return Ok(1);
    };
    if let Some(row_id) = row.id {
        store.delete_score(row_id)?;
    }
    // After the delete the previous label (anyone's) is current again; say which.
    let now = store
        .latest_scores(&[id.to_string()], ScoreSource::Human)?
        .into_iter()
        .find(|s| s.name == rule);
    if as_json {
        let o = json!({
            "undone": label_json(&row),
            "current": now.as_ref().map(label_json),
        });
        outln!("{}", serde_json::to_string_pretty(&o)?);
    } else {
        outln!(
            "removed label {} {} = {} by {}; now {}",
            super::typed_id(store, id, 12)?,
            clean_line(rule),
            row.verdict.map(|v| v.as_str()).unwrap_or("-"),
            clean_line(who),
            match &now {
                Some(n) => format!(
                    "{} (by {})",
                    n.verdict.map(|v| v.as_str()).unwrap_or("-"),
                    clean_line(n.author.as_deref().unwrap_or("?"))
                ),
                None => "unlabelled".to_string(),
            }
        );
    }
    Ok(0)
}

fn current_judge(store: &Store, id: &str, rule: &str) -> Result<Option<Score>> {
    Ok(store
        .latest_scores(&[id.to_string()], ScoreSource::Judge)?
        .into_iter()
        .find(|s| s.name == rule))
}

fn label_json(s: &Score) -> Value {
    json!({
        "id": s.id,
        "trace_id": s.trace_id,
        "rule": s.name,
        "verdict": s.verdict.map(|v| v.as_str()),
        "note": s.note,
        "author": s.author,
        "created_at": s.created_at_ns.map(timefilter::rfc3339),
    })
}
