//! The filter line's small query syntax, parsed into the same `TraceFilter` as `trawl traces`:
//! `on:tuesday since:7d until:2026-11-10 user:u-7 session:s model:gpt-4o tag:web name:x
//! service:api status:error verdict:grounded=false "quoted text"`; bare words are full-text search.

use crate::model::Verdict;
use crate::store::TraceFilter;
use crate::timefilter::{parse_day, parse_instant, to_ns};
use chrono::{DateTime, Utc};

pub const KEYS: &str = "on since until user session model tag name service status verdict";

/// Splits on whitespace, keeping "quoted text" (and key:"quoted value") together.
fn tokens(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err("unclosed quote in filter".into());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

fn unquote(s: &str) -> String {
    s.trim_matches('"').to_string()
}

pub fn parse(text: &str, now: DateTime<Utc>) -> Result<TraceFilter, String> {
    let mut f = TraceFilter::default();
    let mut words: Vec<String> = Vec::new();
    for tok in tokens(text)? {
        let split = if tok.starts_with('"') {
            None
        } else {
            tok.split_once(':')
        };
        let Some((key, raw)) = split else {
            words.push(tok);
            continue;
        };
        let value = unquote(raw);
        if value.is_empty() {
            return Err(format!("'{key}:' needs a value"));
        }
        match key.to_ascii_lowercase().as_str() {
            "on" => {
                let (s, e) = parse_day(&value, now).map_err(|e| e.to_string())?;
                f.since_ns = Some(to_ns(s));
                f.until_ns = Some(to_ns(e));
            }
            "since" => {
                f.since_ns = Some(to_ns(
                    parse_instant(&value, now).map_err(|e| e.to_string())?,
                ));
            }
            "until" => {
                f.until_ns = Some(to_ns(
                    parse_instant(&value, now).map_err(|e| e.to_string())?,
                ));
            }
            "user" => f.user = Some(value),
            "session" => f.session = Some(value),
            "model" => f.model = Some(value),
            "tag" => f.tag = Some(value),
            "name" => f.name = Some(value),
            "service" => f.service = Some(value),
            "status" => {
                f.error = Some(match value.to_ascii_lowercase().as_str() {
                    "error" | "err" | "failed" => true,
                    "ok" => false,
                    other => {
                        return Err(format!(
                            "status:{other}: expected status:error or status:ok"
                        ));
                    }
                })
            }
            "verdict" => {
                let Some((rule, v)) = value.split_once('=') else {
                    return Err(format!(
                        "verdict:{value}: expected verdict:RULE=true|false|na"
                    ));
                };
                let verdict = Verdict::parse(v).ok_or_else(|| {
                    format!("verdict:{value}: '{v}' is not true, false, na or error")
                })?;
                f.verdicts.push((rule.to_string(), verdict));
            }
            other => return Err(format!("unknown filter '{other}:' (known: {KEYS})")),
        }
    }
    if !words.is_empty() {
        f.search = Some(words.join(" "));
    }
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn parses_keys_and_words() {
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
        let f = parse("user:u-7 status:error \"refund policy\" late", now).unwrap();
        assert_eq!(f.user.as_deref(), Some("u-7"));
        assert_eq!(f.error, Some(true));
        assert_eq!(f.search.as_deref(), Some("\"refund policy\" late"));
        assert!(parse("bogus:1", now).is_err());
        assert!(parse("\"open", now).is_err());
    }
}
