//! "Last Tuesday" on a store whose data ended two weeks ago: the same words resolved against
//! the store's last day instead of today, offered (never applied silently) by both front ends.

use super::{Key, Origin, Term, TraceFilter};
use crate::timefilter::{self, Clock};
use chrono::{DateTime, Utc};

/// A relative time filter re-resolved against the store's data.
#[derive(Debug, Clone, PartialEq)]
pub struct Alternative {
    pub filter: TraceFilter,
    /// `no traces on Tue 2026-11-24; the store ends Sun 2026-11-15`.
    pub missed: String,
    /// `Tue 2026-11-10`: the window the alternative shows.
    pub instead: String,
    /// The filter line with its time terms replaced by absolute ones (`on:2026-11-10 user:u-7`).
    pub line: String,
    /// The time as flags (`--on 2026-11-10`).
    pub flags: String,
}

impl Alternative {
    /// `no traces on …; the store ends … — showing Tue 2026-11-10`.
    pub fn showing(&self) -> String {
        format!("{} — showing {}", self.missed, self.instead)
    }

    /// The offer before it is taken: `…; the store ends … — {how} shows Tue 2026-11-10`.
    pub fn offer(&self, how: &str) -> String {
        format!("{} — {how} shows {}", self.missed, self.instead)
    }
}

/// When `terms` hold a relative time (`tuesday`, `yesterday`, `7d`, `11-10`) whose window misses
/// the store's data (`first_ns..=last_ns`, trace starts), the same terms resolved with the
/// store's last day as "today", if that window holds data. `None` when there is nothing better
/// to offer.
pub fn nearest_in_data(
    terms: &[Term],
    now: DateTime<Utc>,
    (first_ns, last_ns): (i64, i64),
) -> Option<Alternative> {
    let is_time = |t: &&Term| matches!(t.key, Key::On | Key::Since | Key::Until);
    if !terms
        .iter()
        .filter(is_time)
        .any(|t| timefilter::is_relative(&t.value))
    {
        return None;
    }
    let overlaps = |f: &TraceFilter| {
        f.since_ns.is_none_or(|s| s <= last_ns) && f.until_ns.is_none_or(|u| u > first_ns)
    };
    let asked = TraceFilter::from_terms(terms.to_vec(), now).ok()?;
    if overlaps(&asked) {
        return None;
    }
    let clock = Clock::at_last_day(timefilter::day_of(last_ns));
    let filter = TraceFilter::from_terms_at(terms.to_vec(), clock).ok()?;
    if filter == asked || !overlaps(&filter) {
        return None;
    }
    let instead = timefilter::describe_window(filter.since_ns, filter.until_ns);
    let window = timefilter::window_terms(filter.since_ns, filter.until_ns);
    let mut words: Vec<String> = terms
        .iter()
        .filter(|t| !is_time(t))
        .map(|t| match t.origin {
            Origin::Column(_) => quoted(&t.spelled()),
            Origin::Flag(_) => quoted(&super::spell(t.key, &t.value, Origin::Column(0))),
        })
        .collect();
    words.splice(0..0, window.iter().map(|(k, v)| format!("{k}:{v}")));
    Some(Alternative {
        missed: format!(
            "no traces {}; the store ends {}",
            timefilter::describe_window(asked.since_ns, asked.until_ns),
            timefilter::day_name(last_ns)
        ),
        instead: instead.strip_prefix("on ").unwrap_or(&instead).to_string(),
        line: words.join(" "),
        flags: window
            .iter()
            .map(|(k, v)| format!("--{k} {v}"))
            .collect::<Vec<_>>()
            .join(" "),
        filter,
    })
}

/// `user:a b` → `user:"a b"` so the rebuilt filter line parses back to the same terms.
fn quoted(spelled: &str) -> String {
    if !spelled.contains(char::is_whitespace) || spelled.contains('"') {
        return spelled.to_string();
    }
    match spelled.split_once(':') {
        Some((k, v)) if !k.contains(char::is_whitespace) => format!("{k}:\"{v}\""),
        _ => format!("\"{spelled}\""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::line_terms;
    use chrono::TimeZone;

    /// Tuesday 2026-11-24 is "tuesday" from here; the data ends Sunday 2026-11-15.
    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap()
    }

    fn data() -> (i64, i64) {
        let at = |d: &str| timefilter::to_ns(timefilter::parse_instant(d, now()).unwrap());
        (at("2026-11-01T08:00:00Z"), at("2026-11-15T17:30:00Z"))
    }

    fn alt(line: &str) -> Option<Alternative> {
        nearest_in_data(&line_terms(line).unwrap(), now(), data())
    }

    #[test]
    fn a_weekday_after_the_data_falls_back_to_the_last_such_day_in_it() {
        let a = alt("on:tuesday user:u-7").unwrap();
        assert_eq!(
            a.showing(),
            "no traces on Tue 2026-11-24; the store ends Sun 2026-11-15 — showing Tue 2026-11-10"
        );
        assert_eq!(a.line, "on:2026-11-10 user:u-7");
        assert_eq!(a.flags, "--on 2026-11-10");
        assert_eq!(
            TraceFilter::parse(&a.line, now()).unwrap(),
            a.filter,
            "the line means the alternative"
        );
        assert_eq!(alt("on:today").unwrap().instead, "Sun 2026-11-15");
        assert_eq!(alt("on:yesterday").unwrap().instead, "Sat 2026-11-14");
        assert_eq!(alt("since:7d").unwrap().instead, "since Mon 2026-11-09");
        let week = alt("on:7d").unwrap();
        assert_eq!(week.instead, "Mon 2026-11-09 .. Sun 2026-11-15");
        assert_eq!(week.line, "on:2026-11-09..2026-11-15");
    }

    #[test]
    fn nothing_is_offered_for_absolute_dates_or_windows_with_data() {
        assert_eq!(alt("on:2026-11-24"), None);
        assert_eq!(alt("on:2026-11-10"), None);
        assert_eq!(alt("user:u-7"), None);
        // 11-10 lies inside the data: the time is not why nothing matched.
        assert_eq!(alt("on:11-10 user:nobody"), None);
    }
}
