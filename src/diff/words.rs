//! Word diff of two texts (longest common subsequence over words). Pure.

use serde::Serialize;

/// One piece of a word diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "text", rename_all = "lowercase")]
pub enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// Longest inputs diffed word by word (the table is |a|·|b|); longer ones are one replacement.
const MAX_WORDS: usize = 3000;

/// Words with the whitespace that follows each, so pieces join back into the texts.
fn words(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space = false;
    for (i, c) in s.char_indices() {
        if c.is_whitespace() {
            in_space = true;
        } else if in_space {
            out.push(&s[start..i]);
            start = i;
            in_space = false;
        }
    }
    if start < s.len() {
        out.push(&s[start..]);
    }
    out
}

/// The word diff of `a` → `b`; adjacent pieces of one kind are merged.
pub fn diff(a: &str, b: &str) -> Vec<Piece> {
    let (wa, wb) = (words(a), words(b));
    let key = |w: &str| w.trim_end().to_string();
    let mut out: Vec<Piece> = Vec::new();
    if wa.len() > MAX_WORDS || wb.len() > MAX_WORDS {
        if a == b {
            push(&mut out, Piece::Same(a.into()));
        } else {
            push(&mut out, Piece::Removed(a.into()));
            push(&mut out, Piece::Added(b.into()));
        }
        return out;
    }
    let (n, m) = (wa.len(), wb.len());
    // lcs[i][j]: LCS length of wa[i..] and wb[j..].
    let mut lcs = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[i][j] = if key(wa[i]) == key(wb[j]) {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && key(wa[i]) == key(wb[j]) {
            push(&mut out, Piece::Same(wb[j].into()));
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1]) {
            // Removals first, as `git diff --word-diff` shows them.
            push(&mut out, Piece::Removed(wa[i].into()));
            i += 1;
        } else {
            push(&mut out, Piece::Added(wb[j].into()));
            j += 1;
        }
    }
    out
}

fn push(out: &mut Vec<Piece>, p: Piece) {
    match (out.last_mut(), p) {
        (Some(Piece::Same(a)), Piece::Same(b))
        | (Some(Piece::Removed(a)), Piece::Removed(b))
        | (Some(Piece::Added(a)), Piece::Added(b)) => a.push_str(&b),
        (_, p) => out.push(p),
    }
}

/// Plain rendering, as `git diff --word-diff=plain`: `[-removed-]{+added+}`.
pub fn render_plain(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for p in pieces {
        match p {
            Piece::Same(t) => s.push_str(t),
            Piece::Removed(t) => {
                let (w, sp) = split_trailing_space(t);
                s.push_str(&format!("[-{w}-]{sp}"));
            }
            Piece::Added(t) => {
                let (w, sp) = split_trailing_space(t);
                s.push_str(&format!("{{+{w}+}}{sp}"));
            }
        }
    }
    s
}

fn split_trailing_space(t: &str) -> (&str, &str) {
    let w = t.trim_end();
    (w, &t[w.len()..])
}

/// Did anything change?
pub fn changed(pieces: &[Piece]) -> bool {
    pieces.iter().any(|p| !matches!(p, Piece::Same(_)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_exactly_the_changed_words() {
        let d = diff(
            "Express shipping costs $14.95 today.",
            "Express shipping costs $9.95 today.",
        );
        assert_eq!(
            render_plain(&d),
            "Express shipping costs [-$14.95-] {+$9.95+} today."
        );
        assert!(changed(&d));
        let same = diff("a b c", "a b c");
        assert_eq!(same, vec![Piece::Same("a b c".into())]);
        assert!(!changed(&same));
        assert_eq!(render_plain(&diff("", "new words")), "{+new words+}");
        assert_eq!(render_plain(&diff("old", "")), "[-old-]");
    }
}
