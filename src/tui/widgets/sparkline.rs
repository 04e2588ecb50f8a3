//! Sparklines of the FALSE rate per judge rule, for the trace list's title bar:
//! `✗/day grounded ▁▁▃·█ answered ▁▁▁··`. The scale is absolute (0–100%), so two rules
//! compare at a glance; `▁` is 0%, `·` a day with no verdict for the rule.

use crate::metrics::RuleTrend;
use crate::tui::theme::Theme;
use crate::tui::widgets::text::cell;
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

/// Days a sparkline covers (one character each).
pub const DAYS: usize = 14;

const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// One character per rate: `▁` for 0%, up to `█` for 100%; `·` for not judged.
pub fn glyphs(rates: &[Option<f64>]) -> String {
    rates
        .iter()
        .map(|r| match r {
            None => '·',
            Some(v) if *v <= 0.0 => LEVELS[0],
            // Anything above 0 shows at least one step up from the 0% mark.
            Some(v) => LEVELS[((v.min(1.0) * 7.0).ceil() as usize).clamp(1, 7)],
        })
        .collect()
}

/// The spans for the rules that fit `width` columns (a rule is shown whole or not at all;
/// with less room the lines cover fewer, more recent days). Empty when nothing fits or
/// nothing is judged.
pub fn spans<'a>(trends: &[RuleTrend], width: usize, th: &Theme) -> Vec<Span<'a>> {
    const HEAD: &str = "FALSE/day ";
    // Every rule over two weeks if it fits, else every rule over one; else as many as fit.
    let options: Vec<Vec<(String, String)>> = [DAYS, DAYS / 2]
        .iter()
        .map(|&days| fitting(trends, days, width.saturating_sub(HEAD.width())))
        .collect();
    let best = options
        .iter()
        .find(|o| o.len() == trends.len())
        .or_else(|| options.iter().max_by_key(|o| o.len()));
    let Some(items) = best.filter(|o| !o.is_empty()) else {
        return Vec::new();
    };
    let mut out = vec![Span::styled(HEAD, th.dim())];
    for (rule, line) in items {
        out.push(Span::styled(format!("{rule} "), th.dim()));
        out.push(Span::styled(format!("{line} "), th.error()));
    }
    out
}

/// The (rule, sparkline) pairs over the last `days` that fit `width`, in order.
fn fitting(trends: &[RuleTrend], days: usize, width: usize) -> Vec<(String, String)> {
    let mut used = 0;
    let mut out = Vec::new();
    for t in trends {
        let skip = t.rates.len().saturating_sub(days);
        let (rule, line) = (cell(&t.rule), glyphs(&t.rates[skip..]));
        let w = rule.width() + 1 + line.width() + 1;
        if used + w > width {
            break;
        }
        used += w;
        out.push((rule, line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_not_judged_look_different() {
        assert_eq!(
            glyphs(&[Some(0.0), None, Some(0.01), Some(0.5), Some(1.0)]),
            "▁·▂▅█"
        );
    }

    #[test]
    fn rules_are_shown_whole_or_not_at_all() {
        let t = |r: &str| RuleTrend {
            rule: r.into(),
            rates: vec![Some(0.5); DAYS],
            n: 3,
        };
        let th = Theme::mono();
        let text = |w| -> String {
            spans(&[t("grounded"), t("answered")], w, &th)
                .iter()
                .map(|s| s.content.to_string())
                .collect()
        };
        let wide = text(80);
        assert!(
            wide.contains("grounded") && wide.contains("answered"),
            "{wide}"
        );
        // Both rules over a week rather than one over two weeks.
        let medium = text(50);
        assert!(medium.contains("grounded ▅▅▅▅▅▅▅ answered"), "{medium}");
        let narrow = text(30);
        assert!(
            narrow.contains("grounded") && !narrow.contains("answered"),
            "{narrow}"
        );
        assert_eq!(text(10), "");
    }
}
