//! The text report of a trace diff, line by line (the CLI prints it; a TUI view can show it).
//! Pure; every piece of trace text goes through `clean_line`.

use super::trace::{Delta, TextDiff, TraceDiff};
use super::words;
use crate::sanitize::{clean_line, display_id};

fn int(d: &Delta<i64>) -> String {
    format!("{} → {} ({:+})", d.a, d.b, d.b - d.a)
}
fn opt_int(a: Option<i64>, b: Option<i64>) -> String {
    match (a, b) {
        (Some(x), Some(y)) => format!("{x} → {y} ({:+})", y - x),
        (x, y) => format!(
            "{} → {}",
            x.map_or("-".into(), |v| v.to_string()),
            y.map_or("-".into(), |v| v.to_string())
        ),
    }
}
fn money(a: Option<f64>, b: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("?".into(), |v| format!("${v:.6}"));
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.6})", f(a), f(b), y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}
fn ms(a: Option<f64>, b: Option<f64>) -> String {
    let f = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    match (a, b) {
        (Some(x), Some(y)) => format!("{} → {} ({:+.1} ms)", f(a), f(b), y - x),
        _ => format!("{} → {}", f(a), f(b)),
    }
}

fn text(name: &str, t: &TextDiff) -> String {
    if t.changed {
        format!("{name}: {}", clean_line(&words::render_plain(&t.diff)))
    } else {
        format!("{name}: (same)")
    }
}

/// The text report, trace ids cut to 8 columns.
pub fn lines(d: &TraceDiff) -> Vec<String> {
    lines_with(d, &|id| display_id(id, 8))
}

/// The text report, trace ids shown by `trace_id` (the CLI passes the store's shortest unique
/// prefix, so `trawl show` opens what it prints).
pub fn lines_with(d: &TraceDiff, trace_id: &dyn Fn(&str) -> String) -> Vec<String> {
    let t = &d.totals;
    let mut out = vec![
        format!("diff {} → {}", trace_id(&d.a), trace_id(&d.b)),
        format!(
            "spans {} → {}; duration {}; input tokens {}; output tokens {}; cost {}",
            t.spans.a,
            t.spans.b,
            ms(Some(t.duration_ms.a), Some(t.duration_ms.b)),
            int(&t.input_tokens),
            int(&t.output_tokens),
            money(t.cost_usd.a, t.cost_usd.b)
        ),
        text("question", &d.question),
        text("answer", &d.answer),
        text("system prompt", &d.system_prompt),
    ];
    for s in &d.removed {
        out.push(format!(
            "- {}  ({})",
            clean_line(&s.path),
            display_id(&s.span_id, 8)
        ));
    }
    for s in &d.added {
        out.push(format!(
            "+ {}  ({})",
            clean_line(&s.path),
            display_id(&s.span_id, 8)
        ));
    }
    for c in &d.changed {
        let mut parts = vec![format!("duration {}", ms(c.duration_ms.a, c.duration_ms.b))];
        if c.input_tokens.a != c.input_tokens.b || c.output_tokens.a != c.output_tokens.b {
            parts.push(format!(
                "tokens in {}, out {}",
                opt_int(c.input_tokens.a, c.input_tokens.b),
                opt_int(c.output_tokens.a, c.output_tokens.b)
            ));
        }
        if c.cost_usd.a != c.cost_usd.b {
            parts.push(format!("cost {}", money(c.cost_usd.a, c.cost_usd.b)));
        }
        if let Some(m) = &c.model {
            parts.push(format!(
                "model {} → {}",
                clean_line(m.a.as_deref().unwrap_or("-")),
                clean_line(m.b.as_deref().unwrap_or("-"))
            ));
        }
        if let Some(s) = &c.status {
            parts.push(format!("status {} → {}", s.a, s.b));
        }
        out.push(format!("~ {}  {}", clean_line(&c.path), parts.join("; ")));
    }
    let docs = &d.documents;
    if docs.added.is_empty() && docs.dropped.is_empty() && docs.moved.is_empty() {
        out.push("documents: (same)".into());
    } else {
        for id in &docs.dropped {
            out.push(format!("document dropped: {}", clean_line(id)));
        }
        for id in &docs.added {
            out.push(format!("document added: {}", clean_line(id)));
        }
        for m in &docs.moved {
            out.push(format!(
                "document moved: {} #{} → #{}",
                clean_line(&m.id),
                m.from,
                m.to
            ));
        }
    }
    out
}
