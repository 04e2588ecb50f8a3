//! The filter-line builder: terms, windows, errors.
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
        Key::Question,
        Key::Answer,
        Key::Docs,
        Key::System,
    ] {
        assert_eq!(k.def().key, k);
    }
}

#[test]
fn the_syntax_line_parses_as_a_filter() {
    let line = syntax_line();
    let text = line.trim_start_matches("Filter syntax: ");
    assert!(
        text.contains("a:refund") && text.contains("on:tuesday"),
        "{line}"
    );
    let f = TraceFilter::parse(text, now()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(f.scoped.len(), 4);
}
