//! `trawl agreement`: how far the judge agrees with human labels, per rule.

use crate::config::Config;
use crate::metrics::agreement::{self, RuleAgreement, kappa_band};
use crate::sanitize::{clean_line, truncate_chars};
use anyhow::Result;
use clap::Args;
use serde_json::Value;

/// `outln!` for prose: a line wider than the output (`$COLUMNS` or the terminal) wraps at
/// spaces, continuation lines indented two more, so nothing is left to the terminal's wrapping.
macro_rules! say {
    ($($arg:tt)*) => {{
        let width = super::out::output_width(false);
        for line in super::out::wrap_hanging(&format!($($arg)*), width, 2) {
            outln!("{line}");
        }
    }};
}

const EXAMPLES: &str = "Examples:
  trawl agreement
  trawl agreement --rule grounded
  trawl agreement --rule grounded --human correctness
  trawl agreement --json | jq '.[] | {rule, kappa}'

Pairs are traces with both a current judge verdict and a current human label (trawl label) for
the rule. Only TRUE/FALSE pairs enter accuracy, Cohen's kappa, precision and recall; pairs where
either side is NA or error are counted apart (na_or_error). Precision and recall are for FALSE:
of the answers the judge flagged, how many a human confirmed; of the answers a human called
FALSE, how many the judge caught. kappa is undefined (null) when chance agreement is 1, e.g.
when both sides used one and the same class throughout. Human labels include imported human
annotations (Phoenix HUMAN annotations, Langfuse ANNOTATION scores, LangSmith user feedback);
--human NAME pairs the judge rule with the human labels of another name.

--json prints an array with one object per rule: rule, pairs, accuracy, kappa, confusion
{judge_true_human_true, judge_true_human_false, judge_false_human_true, judge_false_human_false},
precision_false, recall_false, na_or_error, disagreements (trace ids), plus kappa_band, judged,
labelled, repeatability {mean, scores} and disagreement_details.
Exit status: 0 (also when nothing is labelled yet), 2 for usage errors.";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct AgreementArgs {
    /// Only this rule.
    #[arg(long, value_name = "RULE")]
    pub rule: Option<String>,
    /// Pair the judge rule with the human labels of this name (default: the same name as the
    /// rule), e.g. --rule grounded --human correctness.
    #[arg(long, value_name = "NAME")]
    pub human: Option<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &AgreementArgs, cfg: &Config) -> Result<i32> {
    let store = super::open_existing_store(cfg)?;
    let rows = agreement::compute_against(&store, args.rule.as_deref(), args.human.as_deref())?;
    if args.json {
        let arr: Vec<Value> = rows.iter().map(RuleAgreement::to_json).collect();
        outln!("{}", serde_json::to_string_pretty(&arr)?);
        return Ok(0);
    }
    if rows.is_empty() {
        say!(
            "no judge verdicts or human labels yet: run `trawl judge --rule grounded`, then label \
             some traces with `trawl label TRACE --rule grounded --verdict true|false`"
        );
        return Ok(0);
    }
    for (i, r) in rows.iter().enumerate() {
        if i > 0 {
            outln!();
        }
        print_rule(r)?;
    }
    Ok(0)
}

fn pct(v: Option<f64>) -> String {
    v.map(|x| format!("{:.0}%", x * 100.0))
        .unwrap_or_else(|| "-".into())
}

fn print_rule(r: &RuleAgreement) -> Result<()> {
    say!(
        "rule {}: {} pair(s) compared  ({} judged, {} labelled, {} NA/error kept out)",
        clean_line(&r.rule),
        r.pairs,
        r.judged,
        r.labelled,
        r.na_or_error
    );
    if r.pairs == 0 {
        say!(
            "  no TRUE/FALSE pairs yet: label traces the judge scored \
             (trawl traces --verdict {}=false, then trawl label ID --rule {} --verdict …)",
            clean_line(&r.rule),
            clean_line(&r.rule)
        );
    } else {
        let kappa = r
            .kappa
            .map(|k| format!("{k:.2} ({})", kappa_band(k)))
            .unwrap_or_else(|| "-".into());
        say!(
            "  accuracy {}   Cohen's kappa {}   FALSE precision {}   FALSE recall {}",
            pct(r.accuracy),
            kappa,
            pct(r.precision_false),
            pct(r.recall_false)
        );
        if r.pairs < 10 {
            say!("  (fewer than 10 pairs: read these numbers as a hint, not a measurement)");
        }
        let c = &r.confusion;
        outln!();
        say!("  {:<14} {:>11} {:>11}", "", "human TRUE", "human FALSE");
        say!(
            "  {:<14} {:>11} {:>11}",
            "judge TRUE",
            c.judge_true_human_true,
            c.judge_true_human_false
        );
        say!(
            "  {:<14} {:>11} {:>11}",
            "judge FALSE",
            c.judge_false_human_true,
            c.judge_false_human_false
        );
    }
    if let Some(rep) = r.repeatability {
        say!(
            "  judge repeatability: samples agreed {:.0}% on average over {} multi-sample verdict(s)",
            rep.mean * 100.0,
            rep.scores
        );
    }
    if !r.disagreements.is_empty() {
        outln!();
        say!("  disagreements ({}):", r.disagreements.len());
        for d in &r.disagreements {
            say!(
                "  {}  judge {:<5} human {:<5} {}",
                clean_line(&d.trace_id),
                d.judge.as_str(),
                d.human.as_str(),
                truncate_chars(&clean_line(d.explanation.as_deref().unwrap_or("")), 70)
            );
        }
        say!("  (open one with: trawl show TRACE_ID)");
    }
    Ok(())
}
