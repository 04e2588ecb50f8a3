//! One table through both front ends of the filter language: the TUI filter line
//! (`TraceFilter::parse`) and the CLI flags (parsed by clap, then `FilterArgs::to_filter`).
//! Every row must give the same filter, or the same error, both ways.

use super::FilterArgs;
use crate::filter::{TextField, TraceFilter};
use crate::model::Verdict;
use crate::timefilter;
use chrono::{DateTime, TimeZone, Utc};
use clap::Parser;

#[derive(Debug, Parser)]
struct Flags {
    #[command(flatten)]
    filter: FilterArgs,
}

/// 2026-11-27 is a Friday; "tuesday" is 2026-11-24.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
}

fn at(t: &str) -> Option<i64> {
    Some(timefilter::to_ns(
        timefilter::parse_instant(t, now()).unwrap(),
    ))
}

enum Want {
    Filter(Box<TraceFilter>),
    /// The error's reason contains this, both ways.
    Error(&'static str),
}

struct Case {
    line: &'static str,
    flags: &'static [&'static str],
    want: Want,
}

fn cases() -> Vec<Case> {
    let f = TraceFilter::default;
    vec![
        Case {
            line: "on:tuesday",
            flags: &["--on", "tuesday"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-24"),
                until_ns: at("2026-11-25"),
                ..f()
            })),
        },
        Case {
            // `on` intersects with since/until instead of replacing them.
            line: "since:2026-11-24T12:00:00Z on:tuesday until:2026-11-24T18:00:00Z",
            flags: &[
                "--on",
                "tuesday",
                "--since",
                "2026-11-24T12:00:00Z",
                "--until",
                "2026-11-24T18:00:00Z",
            ],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-24T12:00:00Z"),
                until_ns: at("2026-11-24T18:00:00Z"),
                ..f()
            })),
        },
        Case {
            line: "since:7d until:1d",
            flags: &["--since", "7d", "--until", "1d"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-20T12:00:00Z"),
                until_ns: at("2026-11-26T12:00:00Z"),
                ..f()
            })),
        },
        Case {
            line: "user:u-7 session:s-1 model:gpt-4o tag:web name:checkout service:api",
            flags: &[
                "--user",
                "u-7",
                "--session",
                "s-1",
                "--model",
                "gpt-4o",
                "--tag",
                "web",
                "--name",
                "checkout",
                "--service",
                "api",
            ],
            want: Want::Filter(Box::new(TraceFilter {
                user: Some("u-7".into()),
                session: Some("s-1".into()),
                model: Some("gpt-4o".into()),
                tag: Some("web".into()),
                name: Some("checkout".into()),
                service: Some("api".into()),
                ..f()
            })),
        },
        Case {
            line: "name:\"checkout flow\"",
            flags: &["--name", "checkout flow"],
            want: Want::Filter(Box::new(TraceFilter {
                name: Some("checkout flow".into()),
                ..f()
            })),
        },
        Case {
            line: "status:err",
            flags: &["--status", "err"],
            want: Want::Filter(Box::new(TraceFilter {
                error: Some(true),
                ..f()
            })),
        },
        Case {
            line: "status:error",
            flags: &["--status", "error"],
            want: Want::Filter(Box::new(TraceFilter {
                error: Some(true),
                ..f()
            })),
        },
        Case {
            line: "status:ok",
            flags: &["--status", "ok"],
            want: Want::Filter(Box::new(TraceFilter {
                error: Some(false),
                ..f()
            })),
        },
        Case {
            line: "verdict:grounded=false verdict:answered=TRUE",
            flags: &["--verdict", "grounded=false", "--verdict", "answered=TRUE"],
            want: Want::Filter(Box::new(TraceFilter {
                verdicts: vec![
                    ("grounded".into(), Verdict::False),
                    ("answered".into(), Verdict::True),
                ],
                ..f()
            })),
        },
        Case {
            line: "refund",
            flags: &["--search", "refund"],
            want: Want::Filter(Box::new(TraceFilter {
                search: Some("refund".into()),
                ..f()
            })),
        },
        Case {
            line: "\"refund policy\"",
            flags: &["--search", "\"refund policy\""],
            want: Want::Filter(Box::new(TraceFilter {
                search: Some("\"refund policy\"".into()),
                ..f()
            })),
        },
        Case {
            line: "on:last-tuesday",
            flags: &["--on", "last-tuesday"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-24"),
                until_ns: at("2026-11-25"),
                ..f()
            })),
        },
        Case {
            line: "on:11-10",
            flags: &["--on", "11-10"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-10"),
                until_ns: at("2026-11-11"),
                ..f()
            })),
        },
        Case {
            // A range includes both days.
            line: "on:11-09..11-11",
            flags: &["--on", "11-09..11-11"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-09"),
                until_ns: at("2026-11-12"),
                ..f()
            })),
        },
        Case {
            line: "on:7d",
            flags: &["--on", "7d"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-20T12:00:00Z"),
                until_ns: at("2026-11-27T12:00:00Z"),
                ..f()
            })),
        },
        Case {
            line: "since:yesterday until:today",
            flags: &["--since", "yesterday", "--until", "today"],
            want: Want::Filter(Box::new(TraceFilter {
                since_ns: at("2026-11-26"),
                until_ns: at("2026-11-27"),
                ..f()
            })),
        },
        Case {
            line: "a:refund q:tent",
            flags: &["--answer", "refund", "--question", "tent"],
            want: Want::Filter(Box::new(TraceFilter {
                scoped: vec![
                    (TextField::Question, "tent".into()),
                    (TextField::Answer, "refund".into()),
                ],
                ..f()
            })),
        },
        Case {
            line: "doc:\"14 days\" sys:policy",
            flags: &["--doc", "14 days", "--system", "policy"],
            want: Want::Filter(Box::new(TraceFilter {
                scoped: vec![
                    (TextField::Docs, "\"14 days\"".into()),
                    (TextField::System, "policy".into()),
                ],
                ..f()
            })),
        },
        Case {
            // --search scopes words the way the filter line does.
            line: "a:refund late",
            flags: &["--search", "a:refund late"],
            want: Want::Filter(Box::new(TraceFilter {
                search: Some("late".into()),
                scoped: vec![(TextField::Answer, "refund".into())],
                ..f()
            })),
        },
        Case {
            line: "",
            flags: &[],
            want: Want::Filter(Box::new(f())),
        },
        Case {
            line: "since:7x",
            flags: &["--since", "7x"],
            want: Want::Error("expected RFC 3339"),
        },
        Case {
            line: "on:someday",
            flags: &["--on", "someday"],
            want: Want::Error("a weekday (tuesday, last-tuesday)"),
        },
        Case {
            line: "verdict:grounded",
            flags: &["--verdict", "grounded"],
            want: Want::Error("expected RULE=true|false|na|error"),
        },
        Case {
            line: "verdict:grounded=maybe",
            flags: &["--verdict", "grounded=maybe"],
            want: Want::Error("'maybe' is not one of true, false, na, error"),
        },
        Case {
            line: "user:\"\"",
            flags: &["--user", ""],
            want: Want::Error("needs a value"),
        },
    ]
}

#[test]
fn the_filter_line_and_the_flags_give_the_same_filter() {
    for c in cases() {
        let argv = std::iter::once("trawl").chain(c.flags.iter().copied());
        let flags = Flags::try_parse_from(argv)
            .unwrap_or_else(|e| panic!("{:?}: clap rejected the flags: {e}", c.flags));
        let from_line = TraceFilter::parse(c.line, now());
        let from_flags = flags.filter.to_filter(now());
        match c.want {
            Want::Filter(want) => {
                assert_eq!(from_line.as_ref(), Ok(&*want), "filter line {:?}", c.line);
                assert_eq!(from_flags.as_ref(), Ok(&*want), "flags {:?}", c.flags);
            }
            Want::Error(reason) => {
                let (l, f) = (from_line.unwrap_err(), from_flags.unwrap_err());
                assert!(l.reason.contains(reason), "{:?}: {l}", c.line);
                assert_eq!(l.reason, f.reason, "{:?} vs {:?}", c.line, c.flags);
                // Each error names the term as it was typed, and where.
                assert!(l.to_string().starts_with("column 1: "), "{l}");
                assert!(
                    l.to_string().contains(&l.term) && l.term.contains(':'),
                    "{l}"
                );
                assert!(f.to_string().starts_with(c.flags[0]), "{f}");
            }
        }
    }
}

#[test]
fn every_filter_key_has_its_flag() {
    use clap::CommandFactory;
    let cmd = Flags::command();
    for def in crate::filter::KEYS {
        let long = def.flag.trim_start_matches("--");
        assert!(
            cmd.get_arguments().any(|a| a.get_long() == Some(long)),
            "no {} flag for the filter key {:?}",
            def.flag,
            def.key
        );
    }
}
