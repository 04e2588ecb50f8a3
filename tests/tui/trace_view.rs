//! The trace view with many spans at 80x24: a deep chain and hundreds of siblings keep their
//! names, the compact timeline and the cost column, and only the visible rows are drawn.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use trawl::model::{Span, SpanKind};
use trawl::tui::Theme;
use trawl::tui::pane::Pane;
use trawl::tui::panes::trace::TracePane;

fn span(i: usize, parent: Option<usize>, depth: usize) -> Span {
    Span {
        trace_id: "t".into(),
        span_id: format!("s{i}"),
        parent_id: parent.map(|p| format!("s{p}")),
        name: format!("step_{i}_at_depth_{depth}"),
        kind: SpanKind::Chain,
        start_ns: i as i64 * 1_000,
        end_ns: Some(i as i64 * 1_000 + 500_000),
        ..Span::default()
    }
}

#[test]
fn a_deep_and_wide_trace_stays_readable_at_80_columns() {
    // A chain 60 deep, then 3,000 siblings under its last span.
    let mut spans: Vec<Span> = (0..60).map(|i| span(i, i.checked_sub(1), i)).collect();
    spans.extend((60..3060).map(|i| span(i, Some(59), 60)));
    let mut pane = TracePane::with_spans(None, spans, (80, 24));
    let area = Rect::new(0, 0, 80, 21);
    let mut term = Terminal::new(TestBackend::new(80, 21)).unwrap();
    for _ in 0..70 {
        pane.tree
            .list
            .apply(trawl::tui::widgets::scroll::Motion::Down);
    }
    term.draw(|f| pane.draw(f, area, &Theme::mono())).unwrap();
    let buf = term.backend().buffer();
    let rows: Vec<String> = (0..buf.area.height)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol()).collect())
        .collect();
    let text = rows.join("\n");
    assert!(rows.iter().any(|r| r.contains("timeline")), "{text}");
    // The indent is capped: a span 60 deep still shows its kind and most of its name.
    let deep: Vec<&String> = rows.iter().filter(|r| r.contains("CHN step_")).collect();
    assert!(deep.len() >= 10, "{text}");
    for r in deep {
        assert!(r.contains("at_depth"), "name cut away by the indent: {r}");
        assert!(r.contains('█'), "no timeline bar: {r}");
    }
    assert_eq!(pane.position(), "span 71/3060 ");
}
