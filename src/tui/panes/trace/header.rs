//! The trace view's header: the trace's name, its totals (as many as fit), the question and
//! the answer (cut with an ellipsis; the evidence pane shows them whole) and the verdicts.

use super::TracePane;
use crate::display;
use crate::model::{Score, Trace, Verdict};
use crate::tui::theme::Theme;
use crate::tui::widgets::chrome::line_area;
use crate::tui::widgets::text::{cell, thousands, trace_title, verdict_glyph};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// From this body height the question and the answer get two lines each.
const TWO_LINE_QA_HEIGHT: u16 = 32;
/// Lines for the question and for the answer in a body of `area`: one each, two in a tall
/// body when the text needs them.
pub(super) fn qa_rows(t: &TracePane, area: Rect) -> [u16; 2] {
    let most = if area.height >= TWO_LINE_QA_HEIGHT {
        2
    } else {
        1
    };
    let width = usize::from(area.width.saturating_sub(2)).max(1);
    [&t.question, &t.answer].map(|text| {
        let need = wrap_words(&cell(text.as_deref().unwrap_or("")), width).len();
        u16::try_from(need).unwrap_or(u16::MAX).clamp(1, most)
    })
}

/// "  ↻ 2 replays · newest: fixed" when the trace was replayed (`:replays` lists them).
fn replays_badge(t: &TracePane) -> String {
    match t.replays.first() {
        None => String::new(),
        Some(newest) => format!(
            "  ↻ {} {} · newest: {}",
            t.replays.len(),
            if t.replays.len() == 1 {
                "replay"
            } else {
                "replays"
            },
            newest.outcome.label()
        ),
    }
}

pub(super) fn header(frame: &mut Frame, t: &TracePane, area: Rect, th: &Theme) {
    let width = usize::from(area.width);
    // The question has its own line below: the title names the trace (its root span).
    let name = match &t.data.summary {
        Some(s) => s.name.clone().unwrap_or_else(|| trace_title(s).to_string()),
        None => "(trace)".to_string(),
    };
    let err = t.data.summary.as_ref().is_some_and(|s| s.error);
    let l1 = Line::from(vec![
        Span::styled(if err { "✗ " } else { "" }, th.error()),
        Span::styled(cell(&name), th.title()),
        Span::styled(replays_badge(t), th.accent()),
        Span::styled(format!("  {}", cell(&t.trace_id)), th.dim()),
    ]);
    frame.render_widget(Paragraph::new(l1), line_area(area, 0));
    if let Some(s) = &t.data.summary {
        frame.render_widget(Paragraph::new(totals(s, width)), line_area(area, 1));
    }
    let [nq, na] = qa_rows(t, area);
    let mut row = 2;
    for (tag, text, missing, n) in [
        ("Q ", &t.question, "(no question found)", nq),
        ("A ", &t.answer, "(no answer found)", na),
    ] {
        for (i, l) in clipped(text.as_deref(), width.saturating_sub(2), n)
            .into_iter()
            .enumerate()
        {
            let l = if text.is_none() {
                missing.to_string()
            } else {
                l
            };
            let style = if text.is_none() { th.dim() } else { th.base() };
            let lead = if i == 0 { tag } else { "  " };
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::styled(lead, th.key()),
                    Span::styled(l, style),
                ])),
                line_area(area, row),
            );
            row += 1;
        }
    }
    frame.render_widget(
        Paragraph::new(verdicts(&t.scores, width, th)),
        line_area(area, row),
    );
}

/// Untrusted text on at most `lines` lines of `width` columns, cut with an ellipsis (the
/// evidence pane, one key away, shows all of it). Always `lines` entries.
fn clipped(text: Option<&str>, width: usize, lines: u16) -> Vec<String> {
    let lines = usize::from(lines);
    let flat = cell(text.unwrap_or(""));
    let mut out = wrap_words(&flat, width.max(1));
    if out.len() > lines {
        out.truncate(lines);
        if let Some(last) = out.last_mut() {
            *last = with_ellipsis(last, width);
        }
    }
    out.resize(lines, String::new());
    out
}

/// `line` ending in ` …` after a whole word, clear of the right edge (a cut at the edge reads as
/// a word cut in half); a single word too long for that is cut.
fn with_ellipsis(line: &str, width: usize) -> String {
    let room = width.saturating_sub(3);
    let mut words: Vec<&str> = line.split(' ').collect();
    while words.len() > 1 && crate::sanitize::width(&words.join(" ")) > room {
        words.pop();
    }
    let kept = words.join(" ");
    if crate::sanitize::width(&kept) > room {
        return crate::sanitize::fit_width(&kept, room.max(1));
    }
    format!("{kept} …")
}

/// Greedy word wrap of one line of clean text (long words are cut at the width).
fn wrap_words(s: &str, width: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in s.split(' ') {
        let need = crate::sanitize::width(word) + usize::from(!cur.is_empty());
        if !cur.is_empty() && crate::sanitize::width(&cur) + need > width {
            out.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
        while crate::sanitize::width(&cur) > width {
            // The longest prefix that fits, at least one char (a wide char in a 1-column box).
            let mut used = 0;
            let mut cut = 0;
            for (i, ch) in cur.char_indices() {
                let w = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
                if used + w > width && i > 0 {
                    break;
                }
                used += w;
                cut = i + ch.len_utf8();
            }
            let rest = cur.split_off(cut);
            out.push(std::mem::replace(&mut cur, rest));
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// The totals line, as much as fits: duration, tokens and cost always; the start time, span
/// count and cache and reasoning tokens when there is room.
fn totals(s: &Trace, width: usize) -> String {
    let time = crate::timefilter::short_time(s.start_ns);
    let dur = display::duration_ns(s.duration_ns);
    let cost = display::trace_cost(s.cost_usd, s.cost_known_usd, s.unknown_cost_spans);
    let (i, o) = (thousands(s.input_tokens), thousands(s.output_tokens));
    let (c, r) = (
        thousands(s.cache_read_tokens),
        thousands(s.reasoning_tokens),
    );
    let n = match s.span_count {
        1 => "1 span".to_string(),
        n => format!("{n} spans"),
    };
    let variants = [
        format!("{time} · {dur} · {n} · in {i} (cached {c}) · out {o} (reasoning {r}) · {cost}"),
        format!("{time} · {dur} · {n} · in {i} · out {o} · {cost}"),
        format!("{time} · {dur} · in {i} · out {o} · {cost}"),
        format!("{dur} · in {i} · out {o} · {cost}"),
        format!("{dur} · {i}→{o} tok · {cost}"),
    ];
    let pick = variants
        .iter()
        .find(|v| crate::sanitize::width(v) <= width)
        .unwrap_or(&variants[variants.len() - 1]);
    crate::sanitize::fit_width(pick, width)
}

/// Latest verdict per rule (any source) with its label text and explanation; when that is
/// wider than `width`, the rules and verdicts alone (`v` shows the explanations).
fn verdicts<'a>(scores: &[Score], width: usize, th: &Theme) -> Line<'a> {
    let full = verdict_spans(scores, true, th);
    if full.width() <= width {
        return full;
    }
    let mut short = verdict_spans(scores, false, th);
    short.push_span(Span::styled("· v explains", th.dim()));
    if short.width() <= width {
        return short;
    }
    whole_verdicts(verdict_spans(scores, false, th), width, th)
}

/// As many whole verdicts as fit, then how many more there are: a rule name is never cut.
/// `line` alternates a verdict span and its separator.
fn whole_verdicts<'a>(line: Line<'a>, width: usize, th: &Theme) -> Line<'a> {
    let items: Vec<_> = line.spans.chunks(2).map(|c| c.to_vec()).collect();
    let total = items.len();
    let mut out: Vec<Span<'a>> = Vec::new();
    let mut used = 0;
    for (shown, item) in items.into_iter().enumerate() {
        let w: usize = item.iter().map(|s| s.width()).sum();
        let more = format!("+{} more · v", total - shown - 1);
        let reserve = if shown + 1 < total {
            crate::sanitize::width(&more)
        } else {
            0
        };
        if used + w + reserve > width {
            out.push(Span::styled(
                format!("+{} more · v", total - shown),
                th.dim(),
            ));
            return Line::from(out);
        }
        used += w;
        out.extend(item);
    }
    Line::from(out)
}

fn verdict_spans<'a>(scores: &[Score], explain: bool, th: &Theme) -> Line<'a> {
    if scores.is_empty() {
        return Line::from(Span::styled("no verdicts yet (trawl judge)", th.dim()));
    }
    let mut seen: Vec<&str> = Vec::new();
    let mut spans = Vec::new();
    for s in scores {
        if seen.contains(&s.name.as_str()) {
            continue;
        }
        seen.push(&s.name);
        let style = match s.verdict {
            Some(Verdict::True) => th.ok(),
            Some(Verdict::False | Verdict::Error) => th.error(),
            Some(Verdict::Na) => th.dim(),
            None => th.base(),
        };
        let g = s.verdict.map(verdict_glyph).unwrap_or("");
        let value = s.value.map(|v| format!("={v:.2}")).unwrap_or_default();
        let label = s
            .label
            .as_deref()
            .filter(|l| !l.trim().is_empty())
            .map(|l| format!(" ({})", cell(l)))
            .unwrap_or_default();
        spans.push(Span::styled(
            format!("{}{g}{value}{label}", cell(&s.name)),
            style,
        ));
        if let Some(e) = s.explanation.as_ref().filter(|_| explain) {
            spans.push(Span::raw(format!(" {}  ", cell(e))));
        } else {
            spans.push(Span::raw("  "));
        }
    }
    Line::from(spans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_question_ends_after_a_whole_word_clear_of_the_edge() {
        let a =
            "Yes, we refund price differences within 30 days of purchase, so you'll get $40 back.";
        let one = clipped(Some(a), 78, 1);
        assert_eq!(
            one,
            ["Yes, we refund price differences within 30 days of purchase, so you'll get …"]
        );
        let two = clipped(Some(a), 40, 2);
        assert_eq!(two[0], "Yes, we refund price differences within");
        assert!(
            two[1].ends_with(" …") && crate::sanitize::width(&two[1]) <= 39,
            "{two:?}"
        );
        assert_eq!(clipped(Some("short"), 40, 2), ["short", ""]);
        assert_eq!(clipped(None, 40, 1), [""]);
    }

    #[test]
    fn verdicts_that_do_not_fit_are_dropped_whole_and_counted() {
        let th = Theme::mono();
        let line = Line::from(vec![
            Span::raw("session_quality✗=0.00"),
            Span::raw("  "),
            Span::raw("escalation_policy✗=0.00"),
            Span::raw("  "),
            Span::raw("correctness✓"),
            Span::raw("  "),
        ]);
        let text = |l: Line| {
            l.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(
            text(whole_verdicts(line.clone(), 60, &th)),
            "session_quality✗=0.00  escalation_policy✗=0.00  +1 more · v"
        );
        assert_eq!(
            text(whole_verdicts(line.clone(), 35, &th)),
            "session_quality✗=0.00  +2 more · v"
        );
        assert_eq!(text(whole_verdicts(line, 10, &th)), "+3 more · v");
    }

    #[test]
    fn wrapping_never_loops_on_wide_or_long_words() {
        assert_eq!(wrap_words("日本語", 1), ["日", "本", "語"]);
        assert_eq!(wrap_words("abcdef gh", 4), ["abcd", "ef", "gh"]);
        assert_eq!(clipped(Some("abcdefghijklmnop"), 6, 1), ["ab…"]);
    }
}
