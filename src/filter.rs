//! The one filter language: which traces a command or view looks at.
//!
//! Two front ends feed one builder. The TUI filter line is parsed by [`TraceFilter::parse`]
//! (`on:tuesday since:7d user:u-7 status:error verdict:grounded=false "refund policy"`), and the
//! CLI flags (`--on tuesday --since 7d …`, see `cli::FilterArgs`) become the same [`Term`]s.
//! [`TraceFilter::from_terms`] applies the terms one by one, so a term means the same thing
//! whichever way it was typed:
//!
//! - time terms narrow a window: `since` is a lower bound, `until` an upper bound and `on` both,
//!   and several of them intersect (`on:tuesday since:2026-11-10T12:00:00Z` is Tuesday
//!   afternoon), whatever their order;
//! - `verdict` terms accumulate (every one must hold);
//! - free text accumulates into one full-text search over questions and answers (every word
//!   must appear); `q:`, `a:`, `doc:` and `sys:` words accumulate per field ([`TextField`]),
//!   and `--search "a:refund"` scopes the same way;
//! - every other key takes one value: saying it twice with different values is an error rather
//!   than a silent "last one wins";
//! - errors name the term as it was typed and where (`column 9: since:7x: …` on the filter
//!   line, `--since 7x: …` for a flag).
//!
//! Each key is defined once in [`KEYS`] (its filter-line word, its flag and its one-line help),
//! in the way ripgrep keeps a flag's name, docs and effect together. A new key is one row there
//! and one arm in `Builder::apply`; date forms (`last-tuesday`, `11-10`, `11-09..11-11`) belong
//! to [`crate::timefilter`], which both front ends reach only through this builder. When a
//! relative day misses the store's data, [`nearest_in_data`] offers the same words resolved
//! against the store's last day.
//!
//! How a filter becomes SQL is the store's business (`store::query`).

mod keys;
mod nearest;
pub use keys::{KEYS, Key, KeyDef, TextField, known_words, syntax_line};
pub use nearest::{Alternative, nearest_in_data};

use crate::model::Verdict;
use crate::timefilter::{self, Clock};
use chrono::{DateTime, Utc};

/// Which traces to look at: shared by `trawl traces`, `judge`, `stats`, `check`, `export` and
/// the TUI filter line. Empty (the default) means every trace.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TraceFilter {
    /// Only traces starting at or after this instant (ns since the epoch).
    pub since_ns: Option<i64>,
    /// Only traces starting before this instant.
    pub until_ns: Option<i64>,
    pub user: Option<String>,
    pub session: Option<String>,
    /// Matches the exact model name or its undated base (`gpt-4o` matches `gpt-4o-2024-08-06`).
    pub model: Option<String>,
    pub tag: Option<String>,
    pub name: Option<String>,
    pub service: Option<String>,
    /// `Some(true)` = only traces whose root failed, `Some(false)` = only the others.
    pub error: Option<bool>,
    /// Full text over questions and answers (the bare words of the filter line, `--search`).
    pub search: Option<String>,
    /// Full text scoped to one field each (`q:`, `a:`, `doc:`, `sys:`), in [`TextField`] order;
    /// every one must match (in any span of the trace).
    pub scoped: Vec<(TextField, String)>,
    /// Latest verdict per rule from any source (judge, human, imported, check).
    pub verdicts: Vec<(String, Verdict)>,
    /// Restrict to these ids (full ids or unique prefixes are resolved by the caller).
    pub trace_ids: Vec<String>,
    /// Include replays (`trawl replay`'s traces); hidden by default, shown when ids are named.
    pub replays: bool,
}

/// Where a term was typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// On the filter line, at this 1-based character column.
    Column(usize),
    /// As this command-line flag (`--since`; a command may rename one, e.g. `--trace-model`).
    Flag(&'static str),
}

/// One filter term: a key, its value as typed (quotes removed) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub key: Key,
    pub value: String,
    pub origin: Origin,
}

impl Term {
    pub fn flag(key: Key, value: impl Into<String>) -> Term {
        Term {
            key,
            value: value.into(),
            origin: Origin::Flag(key.def().flag),
        }
    }

    /// The term as the user typed it: `since:7d` or `--since 7d`.
    pub fn spelled(&self) -> String {
        spell(self.key, &self.value, self.origin)
    }
}

fn spell(key: Key, value: &str, origin: Origin) -> String {
    match origin {
        Origin::Flag(flag) => format!("{flag} {value}"),
        Origin::Column(_) if key == Key::Text => value.to_string(),
        Origin::Column(_) => format!("{}:{value}", key.def().word),
    }
}

/// A filter term that cannot be used, with where it was typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{term}: {reason}", match origin { Origin::Column(c) => format!("column {c}: "), Origin::Flag(_) => String::new() })]
pub struct FilterError {
    pub origin: Origin,
    /// The term as typed (`since:7x`, `--since 7x`).
    pub term: String,
    pub reason: String,
}

impl TraceFilter {
    pub fn is_empty(&self) -> bool {
        *self == TraceFilter::default()
    }

    /// Parses the filter line; relative times count back from `now`.
    pub fn parse(text: &str, now: DateTime<Utc>) -> Result<TraceFilter, FilterError> {
        TraceFilter::from_terms(line_terms(text)?, now)
    }

    /// Builds a filter from terms (the filter line's or the CLI flags'), one by one.
    pub fn from_terms(
        terms: impl IntoIterator<Item = Term>,
        now: DateTime<Utc>,
    ) -> Result<TraceFilter, FilterError> {
        TraceFilter::from_terms_at(terms, Clock::at(now))
    }

    /// [`TraceFilter::from_terms`] with relative times counted from `clock`.
    pub fn from_terms_at(
        terms: impl IntoIterator<Item = Term>,
        clock: Clock,
    ) -> Result<TraceFilter, FilterError> {
        let mut b = Builder {
            clock: Some(clock),
            ..Builder::default()
        };
        for t in terms {
            b.apply(t)?;
        }
        Ok(b.finish())
    }

    /// This filter with its time window replaced by [since, until) (`check`'s change windows).
    pub fn in_window(&self, since_ns: i64, until_ns: i64) -> TraceFilter {
        TraceFilter {
            since_ns: Some(since_ns),
            until_ns: Some(until_ns),
            ..self.clone()
        }
    }

    /// The windows a "change" check compares: ([a, b) current, [a - (b - a), a) previous), where
    /// b is the filter's upper bound (default `now_ns`) and a its lower bound (default b minus
    /// [`DEFAULT_CHANGE_WINDOW_NS`]).
    pub fn change_windows(&self, now_ns: i64) -> ((i64, i64), (i64, i64)) {
        let b = self.until_ns.unwrap_or(now_ns);
        let a = self
            .since_ns
            .unwrap_or_else(|| b.saturating_sub(DEFAULT_CHANGE_WINDOW_NS));
        let len = b.saturating_sub(a).max(0);
        ((a, b), (a.saturating_sub(len), a))
    }
}

/// A change window's length when the filter gives no lower bound: 7 days.
pub const DEFAULT_CHANGE_WINDOW_NS: i64 = 7 * 24 * 3_600_000_000_000;

/// The term-by-term builder both front ends go through.
#[derive(Default)]
struct Builder {
    clock: Option<Clock>,
    f: TraceFilter,
    words: Vec<String>,
    scoped_words: Vec<(TextField, String)>,
    /// The term that set each single-valued key, for "given twice" errors.
    set_by: Vec<(Key, String)>,
}

impl Builder {
    fn apply(&mut self, t: Term) -> Result<(), FilterError> {
        let fail = |reason: String| FilterError {
            origin: t.origin,
            term: t.spelled(),
            reason,
        };
        let value = t.value.trim();
        if value.is_empty() {
            return Err(fail("needs a value".into()));
        }
        let clock = self.clock.unwrap_or_else(|| Clock::at(timefilter::now()));
        match t.key {
            Key::On => {
                let (a, b) =
                    timefilter::parse_day_at(value, clock).map_err(|e| fail(e.reason.clone()))?;
                self.lower(timefilter::to_ns(a));
                self.upper(timefilter::to_ns(b));
            }
            Key::Since => {
                let a = timefilter::parse_instant_at(value, clock)
                    .map_err(|e| fail(e.reason.clone()))?;
                self.lower(timefilter::to_ns(a));
            }
            Key::Until => {
                // A day is its midnight: `until:11-10` stops before the 10th, as a date does.
                let b = timefilter::parse_instant_at(value, clock)
                    .map_err(|e| fail(e.reason.clone()))?;
                self.upper(timefilter::to_ns(b));
            }
            Key::User => self.once(&t, |f| &mut f.user).map_err(fail)?,
            Key::Session => self.once(&t, |f| &mut f.session).map_err(fail)?,
            Key::Model => self.once(&t, |f| &mut f.model).map_err(fail)?,
            Key::Tag => self.once(&t, |f| &mut f.tag).map_err(fail)?,
            Key::Name => self.once(&t, |f| &mut f.name).map_err(fail)?,
            Key::Service => self.once(&t, |f| &mut f.service).map_err(fail)?,
            Key::Status => {
                let error = match value.to_ascii_lowercase().as_str() {
                    "error" | "err" | "failed" => true,
                    "ok" => false,
                    _ => {
                        return Err(fail(format!(
                            "expected {} or {}",
                            spell(Key::Status, "error", t.origin),
                            spell(Key::Status, "ok", t.origin)
                        )));
                    }
                };
                if self.f.error.is_some_and(|e| e != error) {
                    return Err(fail(self.twice(Key::Status)));
                }
                self.f.error = Some(error);
                self.set_by.push((Key::Status, t.spelled()));
            }
            Key::Verdict => {
                let Some((rule, v)) = value.split_once('=') else {
                    return Err(fail("expected RULE=true|false|na|error".into()));
                };
                let rule = rule.trim();
                if rule.is_empty() {
                    return Err(fail("expected RULE=true|false|na|error".into()));
                }
                let verdict = Verdict::parse(v)
                    .ok_or_else(|| fail(format!("'{v}' is not one of true, false, na, error")))?;
                let entry = (rule.to_string(), verdict);
                if !self.f.verdicts.contains(&entry) {
                    self.f.verdicts.push(entry);
                }
            }
            Key::Text => match t.origin {
                // `--search "a:refund late"` scopes like the filter line does.
                Origin::Flag(_) => {
                    for (_, tok) in tokens(value).map_err(|e| fail(e.reason))? {
                        match scoped_token(&tok) {
                            Some((field, v)) if !v.is_empty() => {
                                self.scoped_words.push((field, v.to_string()))
                            }
                            _ => self.words.push(tok),
                        }
                    }
                }
                Origin::Column(_) => self.words.push(value.to_string()),
            },
            Key::Question | Key::Answer | Key::Docs | Key::System => {
                if let Some(field) = t.key.text_field() {
                    self.scoped_words.push((field, quote_if_spaced(value)));
                }
            }
        }
        Ok(())
    }

    fn lower(&mut self, a: i64) {
        self.f.since_ns = Some(self.f.since_ns.map_or(a, |s| s.max(a)));
    }

    fn upper(&mut self, b: i64) {
        self.f.until_ns = Some(self.f.until_ns.map_or(b, |u| u.min(b)));
    }

    /// Sets a single-valued key; the same value twice is fine, a different one is an error.
    fn once(
        &mut self,
        t: &Term,
        field: impl Fn(&mut TraceFilter) -> &mut Option<String>,
    ) -> Result<(), String> {
        let value = t.value.trim().to_string();
        match field(&mut self.f) {
            Some(old) if *old != value => return Err(self.twice(t.key)),
            slot => *slot = Some(value),
        }
        self.set_by.push((t.key, t.spelled()));
        Ok(())
    }

    fn twice(&self, key: Key) -> String {
        let first = self
            .set_by
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s.as_str())
            .unwrap_or("");
        format!(
            "{} is already given ({first}); a trace has one",
            key.def().word
        )
    }

    fn finish(mut self) -> TraceFilter {
        if !self.words.is_empty() {
            self.f.search = Some(self.words.join(" "));
        }
        for field in TextField::ALL {
            let words: Vec<&str> = self
                .scoped_words
                .iter()
                .filter(|(f, _)| *f == field)
                .map(|(_, w)| w.as_str())
                .collect();
            if !words.is_empty() {
                self.f.scoped.push((field, words.join(" ")));
            }
        }
        self.f
    }
}

/// `a:refund` → (Answer, "refund") for a token of free text given as a flag.
fn scoped_token(tok: &str) -> Option<(TextField, &str)> {
    let (word, value) = tok.split_once(':')?;
    let field = Key::from_word(word)?.text_field()?;
    Some((field, value))
}

/// A scoped value with spaces (`a:"30 days"`, `--answer "30 days"`) stays one phrase.
fn quote_if_spaced(v: &str) -> String {
    if v.contains(char::is_whitespace) && !v.starts_with('"') {
        format!("\"{v}\"")
    } else {
        v.to_string()
    }
}

/// Splits the filter line into terms: `key:value` (the value may be "quoted"), and bare words or
/// "quoted phrases" as free text. Phrases keep their quotes so the search stays a phrase.
pub fn line_terms(text: &str) -> Result<Vec<Term>, FilterError> {
    let mut terms = Vec::new();
    for (column, tok) in tokens(text)? {
        let split = if tok.starts_with('"') {
            None
        } else {
            tok.split_once(':')
        };
        let Some((word, raw)) = split else {
            terms.push(Term {
                key: Key::Text,
                value: tok,
                origin: Origin::Column(column),
            });
            continue;
        };
        let Some(key) = Key::from_word(word) else {
            return Err(FilterError {
                origin: Origin::Column(column),
                term: tok.clone(),
                reason: format!("unknown filter '{word}:' (known: {})", known_words()),
            });
        };
        let value = if key.text_field().is_some() {
            // A quoted phrase stays a phrase.
            raw.to_string()
        } else {
            raw.trim_matches('"').to_string()
        };
        terms.push(Term {
            key,
            value,
            origin: Origin::Column(column),
        });
    }
    Ok(terms)
}

/// Whitespace-separated tokens with their 1-based start column; "quoted text" (and
/// key:"quoted value") stays one token.
fn tokens(s: &str) -> Result<Vec<(usize, String)>, FilterError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut quote_at = 0;
    let mut quoted = false;
    for (i, c) in s.chars().enumerate() {
        let column = i + 1;
        if c.is_whitespace() && !quoted {
            if !cur.is_empty() {
                out.push((start, std::mem::take(&mut cur)));
            }
            continue;
        }
        if cur.is_empty() {
            start = column;
        }
        if c == '"' {
            quoted = !quoted;
            quote_at = column;
        }
        cur.push(c);
    }
    if quoted {
        return Err(FilterError {
            origin: Origin::Column(quote_at),
            term: cur,
            reason: "unclosed quote".into(),
        });
    }
    if !cur.is_empty() {
        out.push((start, cur));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "filter/tests.rs"]
mod tests;
