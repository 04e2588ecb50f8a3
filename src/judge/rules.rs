//! Judge rules: TOML files with a question, pass/fail/NA guidance, the inputs shown to the judge
//! and optional few-shot examples. A rule's content hash is stored with every verdict so a
//! changed rubric is never confused with the old one.

use super::JudgeError;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The rules trawl ships with (embedded so a fresh install can judge without any config).
const DEFAULT_RULES: [(&str, &str); 3] = [
    ("answered", include_str!("../../assets/rules/answered.toml")),
    ("grounded", include_str!("../../assets/rules/grounded.toml")),
    (
        "escalated",
        include_str!("../../assets/rules/escalated.toml"),
    ),
];

/// One piece of trace data a rule can show to the judge. The prompt always renders them in the
/// order of this enum, whatever order the rule lists them in (fixed order avoids position bias
/// between runs and keeps cache keys stable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    Conversation,
    LastUserMessage,
    RetrievedDocuments,
    ToolResults,
    FinalAnswer,
}

impl InputKind {
    pub const ALL: [InputKind; 5] = [
        InputKind::Conversation,
        InputKind::LastUserMessage,
        InputKind::RetrievedDocuments,
        InputKind::ToolResults,
        InputKind::FinalAnswer,
    ];

    /// The tag name used in the prompt and the key used in TOML.
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::Conversation => "conversation",
            InputKind::LastUserMessage => "last_user_message",
            InputKind::RetrievedDocuments => "retrieved_documents",
            InputKind::ToolResults => "tool_results",
            InputKind::FinalAnswer => "final_answer",
        }
    }
}

/// What one verdict is about: the whole trace, or each LLM span in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    #[default]
    Trace,
    LlmSpan,
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Trace => "trace",
            Target::LlmSpan => "llm_span",
        }
    }
}

/// A worked example shown to the judge (human critiques become few-shots).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    /// TRUE, FALSE or NA.
    pub verdict: String,
    pub reasoning: String,
    /// Input kind → text, rendered like the real data blocks.
    #[serde(default)]
    pub inputs: BTreeMap<InputKind, String>,
}

/// A judge rule as written in TOML.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub id: String,
    #[serde(default = "one")]
    pub version: u32,
    /// One line for lists and pickers.
    #[serde(default)]
    pub title: Option<String>,
    /// The TRUE/FALSE question; TRUE is the good outcome.
    pub question: String,
    #[serde(default)]
    pub pass_when: Vec<String>,
    #[serde(default)]
    pub fail_when: Vec<String>,
    #[serde(default)]
    pub na_when: Vec<String>,
    /// Extra decision rules (how to read the evidence).
    #[serde(default)]
    pub notes: Vec<String>,
    /// What to answer when the evidence is genuinely unclear.
    #[serde(default)]
    pub tie_break: Option<String>,
    pub inputs: Vec<InputKind>,
    #[serde(default)]
    pub target: Target,
    #[serde(default)]
    pub examples: Vec<Example>,
    /// Where the rule was loaded from (`builtin` or a path); not part of the hash.
    #[serde(skip)]
    pub origin: String,
}

fn one() -> u32 {
    1
}

impl Rule {
    /// Parses and validates one rule file.
    pub fn from_toml(text: &str, origin: &str) -> Result<Rule, JudgeError> {
        let mut rule: Rule = toml::from_str(text).map_err(|e| JudgeError::Rule {
            origin: origin.to_string(),
            reason: e.to_string(),
        })?;
        rule.origin = origin.to_string();
        rule.validate()?;
        Ok(rule)
    }

    fn validate(&self) -> Result<(), JudgeError> {
        let bad = |reason: String| JudgeError::Rule {
            origin: self.origin.clone(),
            reason,
        };
        if self.id.is_empty()
            || !self
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(bad(format!(
                "id '{}' must be lowercase letters, digits, '-' or '_'",
                crate::sanitize::clean_line(&self.id)
            )));
        }
        if self.question.trim().is_empty() {
            return Err(bad("question is empty".into()));
        }
        if self.inputs.is_empty() {
            return Err(bad(format!(
                "inputs is empty; pick from {}",
                InputKind::ALL.map(InputKind::as_str).join(", ")
            )));
        }
        for ex in &self.examples {
            if super::parse::label(&ex.verdict).is_none() {
                return Err(bad(format!(
                    "example verdict '{}' is not TRUE, FALSE or NA",
                    crate::sanitize::clean_line(&ex.verdict)
                )));
            }
        }
        Ok(())
    }

    /// sha256 of the canonical rule (serde_json of the parsed struct: field order is fixed and
    /// maps are sorted), so whitespace and comment edits don't change it but content edits do.
    pub fn hash(&self) -> String {
        let canonical = serde_json::to_string(self).unwrap_or_default();
        hex::encode(Sha256::digest(canonical.as_bytes()))
    }

    /// Inputs deduplicated, in prompt order.
    pub fn shown_inputs(&self) -> Vec<InputKind> {
        let mut v = self.inputs.clone();
        v.sort();
        v.dedup();
        v
    }
}

/// The built-in rules.
pub fn default_rules() -> Result<Vec<Rule>, JudgeError> {
    DEFAULT_RULES
        .iter()
        .map(|(id, text)| Rule::from_toml(text, &format!("builtin:{id}")))
        .collect()
}

/// The user's rule directory: `<config dir>/trawl/rules`.
pub fn user_rules_dir() -> PathBuf {
    crate::paths::config_dir().join("rules")
}

/// Built-in rules, then `*.toml` in the user's rule directory, then `extra` (a file, or a
/// directory of `*.toml`). A later rule with the same id replaces an earlier one.
pub fn load_rules(extra: Option<&Path>) -> Result<Vec<Rule>, JudgeError> {
    load_rules_from(Some(&user_rules_dir()), extra)
}

/// [`load_rules`] with an explicit user directory (tests, other front ends).
pub fn load_rules_from(
    user_dir: Option<&Path>,
    extra: Option<&Path>,
) -> Result<Vec<Rule>, JudgeError> {
    let mut rules = default_rules()?;
    if let Some(dir) = user_dir
        && dir.is_dir()
    {
        for r in read_dir_rules(dir)? {
            upsert(&mut rules, r);
        }
    }
    if let Some(p) = extra {
        let found = if p.is_dir() {
            read_dir_rules(p)?
        } else {
            read_rule_file(p)?
        };
        for r in found {
            upsert(&mut rules, r);
        }
    }
    Ok(rules)
}

fn upsert(rules: &mut Vec<Rule>, r: Rule) {
    match rules.iter_mut().find(|x| x.id == r.id) {
        Some(slot) => *slot = r,
        None => rules.push(r),
    }
}

fn read_dir_rules(dir: &Path) -> Result<Vec<Rule>, JudgeError> {
    let io = |e: std::io::Error| JudgeError::Rule {
        origin: dir.display().to_string(),
        reason: e.to_string(),
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        out.extend(read_rule_file(&p)?);
    }
    Ok(out)
}

/// A rule file holds one rule, or several as `[[rule]]` tables.
fn read_rule_file(path: &Path) -> Result<Vec<Rule>, JudgeError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| JudgeError::Rule {
        origin: origin.clone(),
        reason: e.to_string(),
    })?;
    #[derive(Deserialize)]
    struct Many {
        rule: Vec<toml::Value>,
    }
    if let Ok(many) = toml::from_str::<Many>(&text) {
        return many
            .rule
            .into_iter()
            .map(|v| {
                let t = toml::to_string(&v).map_err(|e| JudgeError::Rule {
                    origin: origin.clone(),
                    reason: e.to_string(),
                })?;
                Rule::from_toml(&t, &origin)
            })
            .collect();
    }
    Ok(vec![Rule::from_toml(&text, &origin)?])
}

/// Picks rules by id; unknown ids are reported together with the known ones.
pub fn select_rules(all: &[Rule], ids: &[String]) -> Result<Vec<Rule>, JudgeError> {
    let mut out: Vec<Rule> = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        let id = id.trim();
        if id.is_empty() || out.iter().any(|r| r.id == id) {
            continue;
        }
        match all.iter().find(|r| r.id == id) {
            Some(r) => out.push(r.clone()),
            None => unknown.push(crate::sanitize::clean_line(id)),
        }
    }
    if !unknown.is_empty() {
        return Err(JudgeError::UnknownRule {
            ids: unknown.join(", "),
            known: all
                .iter()
                .map(|r| r.id.clone())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_hash_is_stable() {
        let rules = default_rules().unwrap();
        assert_eq!(rules.len(), 3);
        let h = rules[0].hash();
        assert_eq!(h.len(), 64);
        assert_eq!(h, default_rules().unwrap()[0].hash());
        let mut changed = rules[0].clone();
        changed.question.push('!');
        assert_ne!(changed.hash(), h);
    }

    #[test]
    fn unknown_rule_lists_known() {
        let rules = default_rules().unwrap();
        let e = select_rules(&rules, &["nope".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("nope") && e.contains("grounded"), "{e}");
    }
}
