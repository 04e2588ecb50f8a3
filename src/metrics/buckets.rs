//! Time buckets (hour, day, ISO week at a fixed offset) and their labels; the groupings are the
//! store's ([`GroupBy`]).
//!
//! Bucketing is done in SQL (see [`crate::store::stats`]) so that only one row per bucket (and
//! per percentile rank) ever comes back to Rust. Offsets are fixed (`--tz +02:00`), never a
//! named zone, so every bucket of a kind has the same length and "the previous bucket" is
//! always `start - length`.

use crate::store::stats::Buckets;
use chrono::{FixedOffset, TimeZone, Utc};

pub use crate::store::stats::{GroupBy, NO_GROUP};

const HOUR_NS: i64 = 3_600_000_000_000;
const DAY_NS: i64 = 24 * HOUR_NS;
const WEEK_NS: i64 = 7 * DAY_NS;

/// Bucket size of `trawl stats --by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    Hour,
    Day,
    /// Weeks start on Monday (ISO 8601).
    Week,
}

impl Bucket {
    pub const ALL: [Bucket; 3] = [Bucket::Hour, Bucket::Day, Bucket::Week];

    pub fn parse(s: &str) -> Option<Bucket> {
        match s.trim().to_ascii_lowercase().as_str() {
            "hour" | "hourly" | "h" => Some(Bucket::Hour),
            "day" | "daily" | "d" => Some(Bucket::Day),
            "week" | "weekly" | "w" => Some(Bucket::Week),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Bucket::Hour => "hour",
            Bucket::Day => "day",
            Bucket::Week => "week",
        }
    }

    /// Length in nanoseconds.
    pub fn len_ns(self) -> i64 {
        match self {
            Bucket::Hour => HOUR_NS,
            Bucket::Day => DAY_NS,
            Bucket::Week => WEEK_NS,
        }
    }

    /// Shift that makes bucket boundaries land on multiples of the length. The Unix epoch was a
    /// Thursday; Mondays are 3 days later modulo a week.
    fn align_ns(self) -> i64 {
        match self {
            Bucket::Week => 3 * DAY_NS,
            _ => 0,
        }
    }

    /// Start (UTC ns) of the bucket holding `ns` when buckets follow local time at `tz`.
    pub fn start_of(self, ns: i64, tz: FixedOffset) -> i64 {
        let off = offset_ns(tz);
        ns - (ns + off + self.align_ns()).rem_euclid(self.len_ns())
    }

    /// These buckets as the store computes them; same arithmetic as [`Bucket::start_of`].
    pub(crate) fn store_buckets(self, tz: FixedOffset) -> Buckets {
        Buckets::Every {
            len_ns: self.len_ns(),
            shift_ns: offset_ns(tz) + self.align_ns(),
        }
    }

    /// ISO label of a bucket start: a date for days and weeks, a date-time for hours; local to
    /// `tz` (`Z` for UTC).
    pub fn label_of(self, start_ns: i64, tz: FixedOffset) -> String {
        let local = Utc.timestamp_nanos(start_ns).with_timezone(&tz);
        match self {
            Bucket::Day | Bucket::Week => local.format("%Y-%m-%d").to_string(),
            Bucket::Hour => {
                if tz.local_minus_utc() == 0 {
                    local.format("%Y-%m-%dT%H:%M:%SZ").to_string()
                } else {
                    local.format("%Y-%m-%dT%H:%M:%S%:z").to_string()
                }
            }
        }
    }
}

fn offset_ns(tz: FixedOffset) -> i64 {
    i64::from(tz.local_minus_utc()) * 1_000_000_000
}

/// Parses `--tz`: `UTC`, `Z`, `+HH:MM`, `-HH:MM`, `+HH`, `+HHMM`.
pub fn parse_tz(s: &str) -> Option<FixedOffset> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("utc") || t == "Z" || t == "z" {
        return FixedOffset::east_opt(0);
    }
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => return None,
    };
    let digits: String = rest.chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) || rest.matches(':').count() > 1 {
        return None;
    }
    let (h, m) = match digits.len() {
        1 | 2 => (digits.parse::<i32>().ok()?, 0),
        4 => (
            digits[..2].parse::<i32>().ok()?,
            digits[2..].parse::<i32>().ok()?,
        ),
        _ => return None,
    };
    if h > 23 || m > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn ns(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.timestamp_nanos_opt().unwrap_or_default())
            .unwrap_or_default()
    }

    #[test]
    fn weeks_start_on_monday_and_days_follow_the_offset() {
        let utc = FixedOffset::east_opt(0).unwrap_or_else(|| unreachable!());
        // 2026-11-15 is a Sunday; its week starts Monday 2026-11-09.
        let t = ns("2026-11-15T23:30:00Z");
        assert_eq!(Bucket::Week.start_of(t, utc), ns("2026-11-09T00:00:00Z"));
        assert_eq!(
            Bucket::Week.label_of(Bucket::Week.start_of(t, utc), utc),
            "2026-11-09"
        );
        // At +02:00 that instant is already Monday 2026-11-16.
        let plus2 = parse_tz("+02:00").unwrap_or(utc);
        assert_eq!(
            Bucket::Week.label_of(Bucket::Week.start_of(t, plus2), plus2),
            "2026-11-16"
        );
        assert_eq!(Bucket::Day.start_of(t, plus2), ns("2026-11-15T22:00:00Z"));
        assert_eq!(
            Bucket::Hour.label_of(Bucket::Hour.start_of(t, plus2), plus2),
            "2026-11-16T01:00:00+02:00"
        );
        assert_eq!(
            Bucket::Hour.label_of(Bucket::Hour.start_of(t, utc), utc),
            "2026-11-15T23:00:00Z"
        );
    }

    #[test]
    fn store_buckets_match_start_of() {
        let plus2 = parse_tz("+02:00").unwrap_or_else(|| unreachable!());
        let t = ns("2026-11-15T23:30:00Z");
        for b in Bucket::ALL {
            let Buckets::Every { len_ns, shift_ns } = b.store_buckets(plus2) else {
                panic!("{b:?}: not time buckets");
            };
            assert_eq!(t - (t + shift_ns).rem_euclid(len_ns), b.start_of(t, plus2));
        }
    }

    #[test]
    fn tz_forms() {
        assert_eq!(parse_tz("UTC").map(|o| o.local_minus_utc()), Some(0));
        assert_eq!(
            parse_tz("-05:30").map(|o| o.local_minus_utc()),
            Some(-19800)
        );
        assert_eq!(parse_tz("+0100").map(|o| o.local_minus_utc()), Some(3600));
        assert_eq!(parse_tz("+2").map(|o| o.local_minus_utc()), Some(7200));
        assert!(parse_tz("Europe/Paris").is_none());
        assert!(parse_tz("+25:00").is_none());
    }
}
