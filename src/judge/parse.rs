//! The verdict parsing ladder: structured output → first JSON object in the text (code fences
//! stripped) → a `VERDICT:` line scanned from the end → an error verdict. An answer we cannot
//! read is never counted as FALSE.

use crate::model::Verdict;
use serde_json::Value;

/// How a verdict was read (kept for diagnostics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParsedBy {
    Structured,
    Json,
    VerdictLine,
    Unparseable,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub verdict: Verdict,
    pub reasoning: String,
    pub by: ParsedBy,
}

/// A verdict label: TRUE, FALSE or NA (case-insensitive; N/A accepted). Nothing else, so a
/// stray "no" in prose is never taken as a verdict.
pub fn label(s: &str) -> Option<Verdict> {
    let t = s.trim().trim_matches(|c: char| {
        c == '"' || c == '\'' || c == '`' || c == '*' || c == '.' || c == '[' || c == ']'
    });
    match t.to_ascii_uppercase().as_str() {
        "TRUE" | "PASS" => Some(Verdict::True),
        "FALSE" | "FAIL" => Some(Verdict::False),
        "NA" | "N/A" | "N.A" | "NOT APPLICABLE" => Some(Verdict::Na),
        _ => None,
    }
}

/// Reads `{reasoning, verdict}` from a JSON value (structured output or a tool call's input).
pub fn from_value(v: &Value) -> Option<Parsed> {
    let obj = v.as_object()?;
    let verdict = match obj
        .get("verdict")
        .or_else(|| obj.get("label"))
        .or_else(|| obj.get("score"))?
    {
        Value::String(s) => label(s)?,
        Value::Bool(true) => Verdict::True,
        Value::Bool(false) => Verdict::False,
        _ => return None,
    };
    let reasoning = obj
        .get("reasoning")
        .or_else(|| obj.get("explanation"))
        .or_else(|| obj.get("reason"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    Some(Parsed {
        verdict,
        reasoning,
        by: ParsedBy::Structured,
    })
}

/// Parses a free-text answer down the ladder.
pub fn parse_text(text: &str) -> Parsed {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t)
        && let Some(p) = from_value(&v)
    {
        return Parsed {
            by: ParsedBy::Structured,
            ..p
        };
    }
    if let Some(p) = first_json_object(t).and_then(|v| from_value(&v)) {
        return Parsed {
            by: ParsedBy::Json,
            ..p
        };
    }
    if let Some((verdict, line_idx)) = verdict_line(t) {
        let reasoning = t
            .lines()
            .take(line_idx)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string();
        return Parsed {
            verdict,
            reasoning,
            by: ParsedBy::VerdictLine,
        };
    }
    unparseable(t)
}

/// The error verdict for an answer that could not be read.
pub fn unparseable(text: &str) -> Parsed {
    let shown = crate::sanitize::truncate_chars(text.trim(), 300);
    Parsed {
        verdict: Verdict::Error,
        reasoning: if shown.is_empty() {
            "unparseable judge answer: the answer was empty".into()
        } else {
            format!("unparseable judge answer (no TRUE/FALSE/NA verdict found): {shown}")
        },
        by: ParsedBy::Unparseable,
    }
}

/// The first `{…}` that parses as a JSON object; code fences need no special handling because
/// the scan starts at a brace, but strings with braces inside are respected.
fn first_json_object(t: &str) -> Option<Value> {
    let bytes = t.as_bytes();
    let mut start = 0;
    while let Some(off) = t[start..].find('{') {
        let s = start + off;
        if let Some(end) = matching_brace(bytes, s)
            && let Ok(v) = serde_json::from_str::<Value>(&t[s..=end])
            && v.is_object()
        {
            return Some(v);
        }
        start = s + 1;
    }
    None
}

fn matching_brace(b: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut in_str = false;
    let mut esc = false;
    for (i, &c) in b.iter().enumerate().skip(start) {
        if in_str {
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => in_str = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `VERDICT: X` scanning from the last line up; the first line (from the end) that has the
/// marker must carry exactly one distinct label.
fn verdict_line(t: &str) -> Option<(Verdict, usize)> {
    let lines: Vec<&str> = t.lines().collect();
    for (idx, line) in lines.iter().enumerate().rev() {
        let upper = line.to_ascii_uppercase();
        let Some(pos) = upper.find("VERDICT") else {
            continue;
        };
        let rest = upper[pos + "VERDICT".len()..].trim_start_matches(['*', ' ', '\t']);
        let Some(rest) = rest.strip_prefix(':') else {
            continue;
        };
        let words: Vec<&str> = rest
            .split(|c: char| c.is_whitespace() || c == ',' || c == '|')
            .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '/'))
            .filter(|w| !w.is_empty())
            .collect();
        let mut found: Vec<Verdict> = words.iter().filter_map(|w| label(w)).collect();
        found.dedup();
        let first_word_is_label = words.first().and_then(|w| label(w)).is_some();
        if found.len() == 1 && first_word_is_label {
            return Some((found[0], idx));
        }
        return None;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder() {
        let p = parse_text(r#"{"reasoning":"ok","verdict":"TRUE"}"#);
        assert_eq!((p.verdict, p.by), (Verdict::True, ParsedBy::Structured));
        let p =
            parse_text("Sure!\n```json\n{\"reasoning\": \"a {b}\", \"verdict\": \"false\"}\n```");
        assert_eq!((p.verdict, p.by), (Verdict::False, ParsedBy::Json));
        assert_eq!(p.reasoning, "a {b}");
        let p = parse_text("The answer cites kb-1.\nVERDICT: NA");
        assert_eq!((p.verdict, p.by), (Verdict::Na, ParsedBy::VerdictLine));
        assert_eq!(p.reasoning, "The answer cites kb-1.");
        let p = parse_text("**Verdict:** FALSE");
        assert_eq!(p.verdict, Verdict::False);
        let p = parse_text("VERDICT: TRUE or FALSE");
        assert_eq!(p.verdict, Verdict::Error);
        let p = parse_text("I think it's fine, no problems.");
        assert_eq!(p.verdict, Verdict::Error);
        assert!(p.reasoning.contains("unparseable"));
    }
}
