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
//! - free text accumulates into one full-text search (every word must appear);
//! - every other key takes one value: saying it twice with different values is an error rather
//!   than a silent "last one wins";
//! - errors name the term as it was typed and where (`column 9: since:7x: …` on the filter
//!   line, `--since 7x: …` for a flag).
//!
//! Each key is defined once in [`KEYS`] (its filter-line word, its flag and its one-line help),
//! in the way ripgrep keeps a flag's name, docs and effect together. A new key (say a field
//! scoped search `a:refund`) is one row there and one arm in `Builder::apply`; new date forms
//! (`last-tuesday`, `11-10`, ranges) belong to [`crate::timefilter`], which both front ends reach
//! only through this builder.
//!
//! How a filter becomes SQL is the store's business (`store::query`).

use crate::model::Verdict;
use crate::timefilter;
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
    /// Full text over prompts and responses.
    pub search: Option<String>,
    /// Latest verdict per rule from any source (judge, human, imported, check).
    pub verdicts: Vec<(String, Verdict)>,
    /// Restrict to these ids (full ids or unique prefixes are resolved by the caller).
    pub trace_ids: Vec<String>,
    /// Include replays (`trawl replay`'s traces); hidden by default, shown when ids are named.
    pub replays: bool,
}

/// A filter key. Free text (bare words on the filter line, `--search`) is [`Key::Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    On,
    Since,
    Until,
    User,
    Session,
    Model,
    Tag,
    Name,
    Service,
    Status,
    Verdict,
    Text,
}

/// One key as both front ends spell it.
#[derive(Debug, Clone, Copy)]
pub struct KeyDef {
    pub key: Key,
    /// The filter-line prefix before `:` (empty for free text, which has none).
    pub word: &'static str,
    /// The CLI flag.
    pub flag: &'static str,
    /// One line for the filter line's help.
    pub help: &'static str,
}

/// Every key, in the order help lists them.
pub const KEYS: &[KeyDef] = &[
    KeyDef {
        key: Key::On,
        word: "on",
        flag: "--on",
        help: "one UTC day: a date, today, yesterday or a weekday name",
    },
    KeyDef {
        key: Key::Since,
        word: "since",
        flag: "--since",
        help: "starting at or after: RFC 3339, a date or a duration back (7d)",
    },
    KeyDef {
        key: Key::Until,
        word: "until",
        flag: "--until",
        help: "starting before: RFC 3339, a date or a duration back",
    },
    KeyDef {
        key: Key::User,
        word: "user",
        flag: "--user",
        help: "user id",
    },
    KeyDef {
        key: Key::Session,
        word: "session",
        flag: "--session",
        help: "session id",
    },
    KeyDef {
        key: Key::Model,
        word: "model",
        flag: "--model",
        help: "model name (an undated name matches its dated snapshots)",
    },
    KeyDef {
        key: Key::Tag,
        word: "tag",
        flag: "--tag",
        help: "trace tag",
    },
    KeyDef {
        key: Key::Name,
        word: "name",
        flag: "--name",
        help: "trace (root span) name",
    },
    KeyDef {
        key: Key::Service,
        word: "service",
        flag: "--service",
        help: "service name",
    },
    KeyDef {
        key: Key::Status,
        word: "status",
        flag: "--status",
        help: "error (or err) or ok: the outcome of the root span",
    },
    KeyDef {
        key: Key::Verdict,
        word: "verdict",
        flag: "--verdict",
        help: "RULE=true|false|na|error, the latest verdict from any source (repeatable)",
    },
    KeyDef {
        key: Key::Text,
        word: "",
        flag: "--search",
        help: "full-text search over prompts and responses (\"quoted phrase\")",
    },
];

impl Key {
    pub fn def(self) -> &'static KeyDef {
        // Every key has a row; the fallback only keeps this total.
        KEYS.iter()
            .find(|d| d.key == self)
            .unwrap_or(&KEYS[KEYS.len() - 1])
    }

    /// The filter-line key for `word` (case-insensitive).
    pub fn from_word(word: &str) -> Option<Key> {
        let w = word.to_ascii_lowercase();
        KEYS.iter()
            .find(|d| !d.word.is_empty() && d.word == w)
            .map(|d| d.key)
    }
}

/// The filter-line words, for "known: …" messages and help.
pub fn known_words() -> String {
    KEYS.iter()
        .filter(|d| !d.word.is_empty())
        .map(|d| d.word)
        .collect::<Vec<_>>()
        .join(" ")
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
        let mut b = Builder {
            now,
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
    now: DateTime<Utc>,
    f: TraceFilter,
    words: Vec<String>,
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
        match t.key {
            Key::On => {
                let (a, b) =
                    timefilter::parse_day(value, self.now).map_err(|e| fail(e.reason.clone()))?;
                self.lower(timefilter::to_ns(a));
                self.upper(timefilter::to_ns(b));
            }
            Key::Since => {
                let a = timefilter::parse_instant(value, self.now)
                    .map_err(|e| fail(e.reason.clone()))?;
                self.lower(timefilter::to_ns(a));
            }
            Key::Until => {
                let b = timefilter::parse_instant(value, self.now)
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
            Key::Text => self.words.push(value.to_string()),
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
        self.f
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
        terms.push(Term {
            key,
            value: raw.trim_matches('"').to_string(),
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
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        // A Friday.
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn ns(rfc: &str) -> i64 {
        timefilter::to_ns(timefilter::parse_instant(rfc, now()).unwrap())
    }

    #[test]
    fn on_intersects_with_since_and_until_in_any_order() {
        let a = TraceFilter::parse("since:2026-11-24T12:00:00Z on:tuesday", now()).unwrap();
        let b = TraceFilter::parse("on:tuesday since:2026-11-24T12:00:00Z", now()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.since_ns, Some(ns("2026-11-24T12:00:00Z")));
        assert_eq!(a.until_ns, Some(ns("2026-11-25T00:00:00Z")));
        // A window that ends before the day starts stays empty instead of being replaced.
        let c = TraceFilter::parse("until:2026-11-01 on:tuesday", now()).unwrap();
        assert_eq!(c.until_ns, Some(ns("2026-11-01")));
        assert_eq!(c.since_ns, Some(ns("2026-11-24")));
    }

    #[test]
    fn verdicts_and_words_accumulate_single_keys_do_not() {
        let f = TraceFilter::parse(
            "verdict:grounded=false refund verdict:answered=true \"late fee\"",
            now(),
        )
        .unwrap();
        assert_eq!(
            f.verdicts,
            vec![
                ("grounded".into(), Verdict::False),
                ("answered".into(), Verdict::True)
            ]
        );
        assert_eq!(f.search.as_deref(), Some("refund \"late fee\""));
        assert!(TraceFilter::parse("user:a user:a", now()).is_ok());
        let e = TraceFilter::parse("user:a user:b", now()).unwrap_err();
        assert_eq!(e.origin, Origin::Column(8));
        assert!(e.to_string().contains("already given (user:a)"), "{e}");
    }

    #[test]
    fn errors_name_the_term_and_its_column() {
        let e = TraceFilter::parse("user:u-7 since:7x", now()).unwrap_err();
        assert_eq!(e.origin, Origin::Column(10));
        assert!(e.to_string().starts_with("column 10: since:7x: "), "{e}");
        let e = TraceFilter::parse("a  bogus:1", now()).unwrap_err();
        assert_eq!(e.to_string().split(':').next(), Some("column 4"));
        assert!(e.reason.contains("unknown filter 'bogus:'"));
        let e = TraceFilter::parse("x \"open phrase", now()).unwrap_err();
        assert_eq!(e.origin, Origin::Column(3));
        let e = TraceFilter::parse("status:maybe", now()).unwrap_err();
        assert!(e.to_string().contains("status:error"), "{e}");
        let e = TraceFilter::from_terms([Term::flag(Key::Since, "7x")], now()).unwrap_err();
        assert!(e.to_string().starts_with("--since 7x: "), "{e}");
        assert!(TraceFilter::parse("user:", now()).is_err());
    }

    #[test]
    fn change_windows_default_to_the_week_before_now() {
        let f = TraceFilter::default();
        let now_ns = 100 * DEFAULT_CHANGE_WINDOW_NS;
        let ((a, b), (pa, pb)) = f.change_windows(now_ns);
        assert_eq!((b - a, pb, pa), (DEFAULT_CHANGE_WINDOW_NS, a, a - (b - a)));
        let g = f.in_window(1, 2);
        assert_eq!((g.since_ns, g.until_ns), (Some(1), Some(2)));
    }

    #[test]
    fn every_key_has_a_definition() {
        for k in [
            Key::On,
            Key::Since,
            Key::Until,
            Key::User,
            Key::Session,
            Key::Model,
            Key::Tag,
            Key::Name,
            Key::Service,
            Key::Status,
            Key::Verdict,
            Key::Text,
        ] {
            assert_eq!(k.def().key, k);
        }
    }
}
