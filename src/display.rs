//! Number formatting shared by the CLI and the TUI, so both say the same thing the same way.

/// The earliest time trawl believes (1970-01-01T00:00:00Z, UTC ns). Times outside
/// [`PLAUSIBLE_MIN_NS`]..=[`PLAUSIBLE_MAX_NS`] come from broken clocks or hostile files: they
/// are shown as "before 1970" / "after 2200", sorted last and left out of time buckets.
pub const PLAUSIBLE_MIN_NS: i64 = 0;
/// The latest time trawl believes (2200-01-01T00:00:00Z, UTC ns).
pub const PLAUSIBLE_MAX_NS: i64 = 7_258_118_400 * 1_000_000_000;

/// Is `ns` (UTC) a time trawl shows and buckets?
pub fn plausible_ns(ns: i64) -> bool {
    (PLAUSIBLE_MIN_NS..=PLAUSIBLE_MAX_NS).contains(&ns)
}

/// `None` for a plausible time, else what to show instead of a date.
pub fn implausible_time_label(ns: i64) -> Option<&'static str> {
    if ns < PLAUSIBLE_MIN_NS {
        Some("before 1970")
    } else if ns > PLAUSIBLE_MAX_NS {
        Some("after 2200")
    } else {
        None
    }
}

/// `ns` moved into the plausible range (for machine-readable times that must stay parseable).
pub fn clamp_ns(ns: i64) -> i64 {
    ns.clamp(PLAUSIBLE_MIN_NS, PLAUSIBLE_MAX_NS)
}

/// `840ms`, `1.25s`, `2m05s`.
pub fn duration_ns(ns: i64) -> String {
    let ms = ns as f64 / 1e6;
    if ns < 0 {
        return "?".into();
    }
    if ms < 1.0 {
        format!("{:.0}µs", ns as f64 / 1e3)
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else if ms < 60_000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        let s = (ms / 1000.0).round() as i64;
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// `950`, `12.3k`, `4.1M`.
pub fn tokens(n: i64) -> String {
    let a = n.abs() as f64;
    if a < 10_000.0 {
        n.to_string()
    } else if a < 1_000_000.0 {
        format!("{:.1}k", n as f64 / 1e3)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

/// Dollars with enough precision for per-call costs; unknown is `?`, never 0.
pub fn cost(usd: Option<f64>) -> String {
    match usd {
        None => "?".into(),
        Some(v) => cost_value(v),
    }
}

pub fn cost_value(v: f64) -> String {
    if v == 0.0 {
        "$0".into()
    } else if v.abs() < 0.000_005 {
        // Five decimals would round it to "$0.00000", which reads as free. Two significant
        // digits in the same width instead (an embedding call costs a few millionths).
        format!("${v:.1e}")
    } else if v.abs() < 0.01 {
        format!("${v:.5}")
    } else if v.abs() < 100.0 {
        format!("${v:.4}")
    } else {
        format!("${v:.2}")
    }
}

/// A trace's cost: known total, or the known part with `?` when some span had no price.
pub fn trace_cost(cost_usd: Option<f64>, known: f64, unknown_spans: i64) -> String {
    match cost_usd {
        Some(v) => cost_value(v),
        None if known > 0.0 => format!("{}+?", cost_value(known)),
        None => {
            let _ = unknown_spans;
            "?".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_compact_and_unknown_is_question_mark() {
        assert_eq!(duration_ns(840_000_000), "840ms");
        assert_eq!(duration_ns(1_250_000_000), "1.25s");
        assert_eq!(duration_ns(125_000_000_000), "2m05s");
        assert_eq!(tokens(950), "950");
        assert_eq!(tokens(12_345), "12.3k");
        assert_eq!(cost(None), "?");
        assert_eq!(cost(Some(0.00066)), "$0.00066");
        assert_eq!(cost(Some(0.0000032)), "$3.2e-6");
        assert_eq!(cost(Some(0.00000002)), "$2.0e-8");
        assert_eq!(cost(Some(0.000006)), "$0.00001");
        assert_eq!(trace_cost(None, 0.5, 1), "$0.5000+?");
    }

    #[test]
    fn the_plausible_range_is_1970_to_2200() {
        use chrono::{TimeZone, Utc};
        let max = Utc.with_ymd_and_hms(2200, 1, 1, 0, 0, 0).single();
        assert_eq!(
            max.and_then(|t| t.timestamp_nanos_opt()),
            Some(PLAUSIBLE_MAX_NS)
        );
        assert!(plausible_ns(0) && plausible_ns(PLAUSIBLE_MAX_NS));
        assert_eq!(implausible_time_label(i64::MIN), Some("before 1970"));
        assert_eq!(implausible_time_label(i64::MAX), Some("after 2200"));
        assert_eq!(implausible_time_label(1_790_000_000_000_000_000), None);
        assert_eq!(clamp_ns(i64::MAX), PLAUSIBLE_MAX_NS);
    }
}
