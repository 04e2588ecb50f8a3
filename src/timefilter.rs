//! Parses the time filters of the CLI and the TUI filter line: RFC 3339 instants, dates, durations
//! back from now (`7d`, `36h`), and `--on` days (`today`, `yesterday`, `2026-11-10`, `tuesday` =
//! the most recent past Tuesday). Days are UTC. "Now" is the real clock unless `TRAWL_NOW` names
//! another instant (for reproducible scripts and tests).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid time '{input}': {reason}")]
pub struct TimeError {
    pub input: String,
    pub reason: String,
}

fn err(input: &str, reason: &str) -> TimeError {
    TimeError {
        input: input.into(),
        reason: reason.into(),
    }
}

/// The instant relative filters count back from.
pub fn now() -> DateTime<Utc> {
    if let Ok(v) = std::env::var("TRAWL_NOW")
        && let Ok(t) = parse_instant(&v, Utc::now())
    {
        return t;
    }
    Utc::now()
}

/// An instant: RFC 3339, a date (its midnight UTC), or a duration back from `now`.
pub fn parse_instant(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(err(s, "empty"));
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S") {
        return Ok(Utc.from_utc_datetime(&dt));
    }
    if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M") {
        return Ok(Utc.from_utc_datetime(&dt));
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Ok(midnight(d));
    }
    if let Some(d) = parse_duration(t) {
        return Ok(now - d);
    }
    if let Ok((start, _)) = parse_day(t, now) {
        return Ok(start);
    }
    Err(err(
        s,
        "expected RFC 3339 (2026-11-10T09:00:00Z), a date (2026-11-10), a duration back from now (7d, 36h, 90m), or a day name",
    ))
}

/// `7d`, `36h`, `90m`, `2w`, `45s`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit())?;
    if split == 0 {
        return None;
    }
    let n: i64 = s[..split].parse().ok()?;
    let d = match &s[split..] {
        "s" | "sec" | "secs" => Duration::try_seconds(n)?,
        "m" | "min" | "mins" => Duration::try_minutes(n)?,
        "h" | "hr" | "hrs" | "hour" | "hours" => Duration::try_hours(n)?,
        "d" | "day" | "days" => Duration::try_days(n)?,
        "w" | "wk" | "week" | "weeks" => Duration::try_weeks(n)?,
        _ => return None,
    };
    Some(d)
}

/// A whole UTC day as [start, end): a date, `today`, `yesterday`, or a weekday name meaning the
/// most recent *past* one (on a Tuesday, `tuesday` is a week ago; use `today` for today).
pub fn parse_day(s: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), TimeError> {
    let t = s.trim().to_ascii_lowercase();
    let today = now.date_naive();
    let day = match t.as_str() {
        "today" => today,
        "yesterday" => today - Duration::days(1),
        _ => {
            if let Ok(d) = NaiveDate::parse_from_str(&t, "%Y-%m-%d") {
                d
            } else if let Some(w) = weekday(&t) {
                let mut back = (today.weekday().num_days_from_monday() as i64
                    - w.num_days_from_monday() as i64)
                    .rem_euclid(7);
                if back == 0 {
                    back = 7;
                }
                today - Duration::days(back)
            } else {
                return Err(err(
                    s,
                    "expected a date (2026-11-10), today, yesterday, or a weekday name (tuesday)",
                ));
            }
        }
    };
    let start = midnight(day);
    Ok((start, start + Duration::days(1)))
}

fn weekday(s: &str) -> Option<Weekday> {
    let w = match s {
        "mon" | "monday" => Weekday::Mon,
        "tue" | "tues" | "tuesday" => Weekday::Tue,
        "wed" | "wednesday" => Weekday::Wed,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thu,
        "fri" | "friday" => Weekday::Fri,
        "sat" | "saturday" => Weekday::Sat,
        "sun" | "sunday" => Weekday::Sun,
        _ => return None,
    };
    Some(w)
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).unwrap_or_default())
}

pub fn to_ns(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// RFC 3339 in UTC with millisecond precision, as in `--json` output.
pub fn rfc3339(ns: i64) -> String {
    // Out-of-range times stay parseable: clamped to 1970 / 2200 (see `display::plausible_ns`).
    Utc.timestamp_nanos(crate::display::clamp_ns(ns))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// `2026-11-10 09:44:41` for tables.
pub fn short_time(ns: i64) -> String {
    if let Some(label) = crate::display::implausible_time_label(ns) {
        return format!("{label:<19}");
    }
    Utc.timestamp_nanos(ns)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn friday() -> DateTime<Utc> {
        // 2026-11-27 is a Friday.
        Utc.with_ymd_and_hms(2026, 11, 27, 15, 30, 0).unwrap()
    }

    #[test]
    fn weekday_names_mean_the_most_recent_past_one() {
        let (s, e) = parse_day("tuesday", friday()).unwrap();
        assert_eq!(s.to_rfc3339(), "2026-11-24T00:00:00+00:00");
        assert_eq!(e - s, Duration::days(1));
        // On a Friday, "friday" is a week ago, not today.
        assert_eq!(parse_day("Fri", friday()).unwrap().0.day(), 20);
        assert_eq!(parse_day("today", friday()).unwrap().0.day(), 27);
        assert_eq!(parse_day("yesterday", friday()).unwrap().0.day(), 26);
        assert_eq!(parse_day("2026-11-10", friday()).unwrap().0.day(), 10);
        assert!(parse_day("someday", friday()).is_err());
    }

    #[test]
    fn instants_accept_rfc3339_dates_and_durations() {
        let n = friday();
        assert_eq!(parse_instant("7d", n).unwrap(), n - Duration::days(7));
        assert_eq!(parse_instant("36h", n).unwrap(), n - Duration::hours(36));
        assert_eq!(
            parse_instant("2026-11-10T09:00:00+01:00", n)
                .unwrap()
                .to_rfc3339(),
            "2026-11-10T08:00:00+00:00"
        );
        assert_eq!(
            parse_instant("2026-11-10", n).unwrap().to_rfc3339(),
            "2026-11-10T00:00:00+00:00"
        );
        assert!(parse_instant("7x", n).is_err());
        assert!(parse_instant("", n).is_err());
    }

    #[test]
    fn formats_utc() {
        assert_eq!(
            rfc3339(1_793_013_548_276_713_827),
            "2026-10-26T11:19:08.276Z"
        );
    }
}
