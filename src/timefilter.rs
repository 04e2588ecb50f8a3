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

/// The clock relative forms count from: `now`, and whether a weekday name may mean today.
///
/// Normally `tuesday` on a Tuesday means a week ago (use `today` for today). Resolved against a
/// store's last day instead ([`Clock::at_last_day`]), the last day itself counts, because there
/// is no "later today" in the data.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Clock {
    /// Where durations (`7d`) count back from.
    pub now: DateTime<Utc>,
    /// The day `today` names.
    pub today: NaiveDate,
    pub weekday_includes_today: bool,
}

impl Clock {
    pub fn at(now: DateTime<Utc>) -> Clock {
        Clock {
            now,
            today: now.date_naive(),
            weekday_includes_today: false,
        }
    }

    /// `day` as today, with "now" at its end (so `7d` is the seven days up to and including it).
    pub fn at_last_day(day: NaiveDate) -> Clock {
        Clock {
            now: midnight(day) + Duration::days(1),
            today: day,
            weekday_includes_today: true,
        }
    }
}

/// An instant: RFC 3339, a date (its midnight UTC), or a duration back from `now`.
pub fn parse_instant(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, TimeError> {
    parse_instant_at(s, Clock::at(now))
}

/// [`parse_instant`] with an explicit [`Clock`]. Any day form (`tuesday`, `11-10`) is that day's
/// midnight; a range is its first day's.
pub fn parse_instant_at(s: &str, clock: Clock) -> Result<DateTime<Utc>, TimeError> {
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
    if let Some(d) = parse_duration(t) {
        return Ok(clock.now - d);
    }
    if let Ok((start, _)) = parse_day_at(t, clock) {
        return Ok(start);
    }
    Err(err(
        s,
        "expected RFC 3339 (2026-11-10T09:00:00Z), a day (11-10, tuesday) or a duration back (7d)",
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

/// A window of UTC time as [start, end): a date, `today`, `yesterday`, a weekday name meaning
/// the most recent *past* one (on a Tuesday, `tuesday` is a week ago; use `today` for today),
/// `last-tuesday` (the same), a month-day `11-10` (the most recent one not after today), a
/// duration back to now (`7d`), or a range of days `11-09..11-11` (both days included).
pub fn parse_day(s: &str, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), TimeError> {
    parse_day_at(s, Clock::at(now))
}

const DAY_FORMS: &str = "expected a day (2026-11-10, 11-10, today, a weekday (tuesday, last-tuesday)), 7d or 11-09..11-11";

/// [`parse_day`] with an explicit [`Clock`].
pub fn parse_day_at(s: &str, clock: Clock) -> Result<(DateTime<Utc>, DateTime<Utc>), TimeError> {
    let t = s.trim().to_ascii_lowercase();
    if let Some((a, b)) = t.split_once("..") {
        let first = one_day(a.trim(), clock).ok_or_else(|| err(s, DAY_FORMS))?;
        let last = one_day(b.trim(), clock).ok_or_else(|| err(s, DAY_FORMS))?;
        if last < first {
            return Err(err(s, "the range ends before it starts"));
        }
        return Ok((midnight(first), midnight(last) + Duration::days(1)));
    }
    if let Some(d) = parse_duration(&t) {
        return Ok((clock.now - d, clock.now));
    }
    let day = one_day(&t, clock).ok_or_else(|| err(s, DAY_FORMS))?;
    let start = midnight(day);
    Ok((start, start + Duration::days(1)))
}

/// One day by any of its names (lowercase input).
fn one_day(t: &str, clock: Clock) -> Option<NaiveDate> {
    let today = clock.today;
    match t {
        "today" => return Some(today),
        "yesterday" => return Some(today - Duration::days(1)),
        _ => {}
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(d);
    }
    if let Some(d) = month_day(t, today) {
        return Some(d);
    }
    let name = t
        .strip_prefix("last-")
        .or_else(|| t.strip_prefix("last "))
        .unwrap_or(t);
    let w = weekday(name)?;
    let mut back = (today.weekday().num_days_from_monday() as i64
        - w.num_days_from_monday() as i64)
        .rem_euclid(7);
    if back == 0 && !clock.weekday_includes_today {
        back = 7;
    }
    Some(today - Duration::days(back))
}

/// `11-10`: that day in today's year, or last year's when it is still to come.
fn month_day(t: &str, today: NaiveDate) -> Option<NaiveDate> {
    let (m, d) = t.split_once('-')?;
    if m.len() > 2 || d.len() > 2 {
        return None;
    }
    let (m, d): (u32, u32) = (m.parse().ok()?, d.parse().ok()?);
    let this_year = NaiveDate::from_ymd_opt(today.year(), m, d);
    match this_year {
        Some(day) if day <= today => Some(day),
        _ => NaiveDate::from_ymd_opt(today.year() - 1, m, d),
    }
}

/// Whether the value's meaning depends on "now" (`tuesday`, `7d`, `11-10`), as opposed to a
/// full date or instant. Relative values are the ones worth re-resolving against a store's data.
pub fn is_relative(s: &str) -> bool {
    let t = s.trim();
    let absolute = |p: &str| {
        let p = p.trim();
        DateTime::parse_from_rfc3339(p).is_ok()
            || chrono::NaiveDateTime::parse_from_str(p, "%Y-%m-%dT%H:%M:%S").is_ok()
            || chrono::NaiveDateTime::parse_from_str(p, "%Y-%m-%d %H:%M").is_ok()
            || NaiveDate::parse_from_str(p, "%Y-%m-%d").is_ok()
    };
    match t.split_once("..") {
        Some((a, b)) => !(absolute(a) && absolute(b)),
        None => !absolute(t),
    }
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

/// `Tue 2026-11-10`, how hints name a day.
pub fn day_name(ns: i64) -> String {
    Utc.timestamp_nanos(crate::display::clamp_ns(ns))
        .format("%a %Y-%m-%d")
        .to_string()
}

/// A window in words for hints: `on Tue 2026-11-10`, `Mon 2026-11-09 .. Wed 2026-11-11`,
/// `since Tue 2026-11-10 12:00`, `before …`.
pub fn describe_window(since_ns: Option<i64>, until_ns: Option<i64>) -> String {
    let at = |ns: i64| {
        let t = Utc.timestamp_nanos(crate::display::clamp_ns(ns));
        if t.time() == chrono::NaiveTime::MIN {
            day_name(ns)
        } else {
            t.format("%a %Y-%m-%d %H:%M").to_string()
        }
    };
    match (since_ns, until_ns) {
        (Some(a), Some(b)) => match whole_days(a, b) {
            Some((first, 1)) => format!("on {}", day_name(to_ns(midnight(first)))),
            Some((first, n)) => format!(
                "{} .. {}",
                day_name(to_ns(midnight(first))),
                day_name(to_ns(midnight(first + Duration::days(n - 1))))
            ),
            None => format!("{} .. {}", at(a), at(b)),
        },
        (Some(a), None) => format!("since {}", at(a)),
        (None, Some(b)) => format!("before {}", at(b)),
        (None, None) => "at any time".into(),
    }
}

/// The window as filter-line words (`on:2026-11-10`, `on:2026-11-09..2026-11-11`,
/// `since:… until:…`) and as flags (`--on 2026-11-10`), absolute so they mean the same tomorrow.
pub fn window_terms(since_ns: Option<i64>, until_ns: Option<i64>) -> Vec<(&'static str, String)> {
    let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    if let (Some(a), Some(b)) = (since_ns, until_ns)
        && let Some((first, n)) = whole_days(a, b)
    {
        let value = if n == 1 {
            date(first)
        } else {
            format!("{}..{}", date(first), date(first + Duration::days(n - 1)))
        };
        return vec![("on", value)];
    }
    let mut out = Vec::new();
    if let Some(a) = since_ns {
        out.push(("since", rfc3339_seconds(a)));
    }
    if let Some(b) = until_ns {
        out.push(("until", rfc3339_seconds(b)));
    }
    out
}

fn rfc3339_seconds(ns: i64) -> String {
    Utc.timestamp_nanos(crate::display::clamp_ns(ns))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// [a, b) as (first day, number of days) when both ends are UTC midnights.
fn whole_days(a: i64, b: i64) -> Option<(NaiveDate, i64)> {
    let (ta, tb) = (Utc.timestamp_nanos(a), Utc.timestamp_nanos(b));
    let midnight_at = |t: DateTime<Utc>| t.time() == chrono::NaiveTime::MIN;
    if !midnight_at(ta) || !midnight_at(tb) || b <= a {
        return None;
    }
    Some((
        ta.date_naive(),
        (tb.date_naive() - ta.date_naive()).num_days(),
    ))
}

/// The UTC day of an instant.
pub fn day_of(ns: i64) -> NaiveDate {
    Utc.timestamp_nanos(crate::display::clamp_ns(ns))
        .date_naive()
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

/// `Sat 2026-11-14 22:41` for the `traces` table: the weekday, because people remember "last Tuesday";
/// minutes are enough to tell traces apart on a screen (`--json` has the exact instant).
pub fn table_time(ns: i64) -> String {
    if let Some(label) = crate::display::implausible_time_label(ns) {
        return format!("{label:<20}");
    }
    Utc.timestamp_nanos(ns)
        .format("%a %Y-%m-%d %H:%M")
        .to_string()
}

/// `2026-11-10 09:44:41` for headers and detail lines.
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
    fn the_traces_table_names_the_weekday() {
        let ns = friday().timestamp_nanos_opt().unwrap();
        assert_eq!(table_time(ns), "Fri 2026-11-27 15:30");
        assert_eq!(table_time(ns).len(), 20);
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
    fn days_as_people_say_them() {
        let day =
            |s: &str| parse_day(s, friday()).map(|(a, b)| (a.to_rfc3339(), (b - a).num_days()));
        let on = |d: &str, n: i64| Ok((format!("{d}T00:00:00+00:00"), n));
        assert_eq!(day("last-tuesday"), on("2026-11-24", 1));
        assert_eq!(day("Last Tuesday"), on("2026-11-24", 1));
        assert_eq!(day("11-10"), on("2026-11-10", 1));
        // A month-day still to come this year is last year's.
        assert_eq!(day("12-25"), on("2025-12-25", 1));
        assert_eq!(day("11-09..11-11"), on("2026-11-09", 3));
        assert_eq!(day("2026-11-09..yesterday"), on("2026-11-09", 18));
        let (a, b) = parse_day("7d", friday()).unwrap();
        assert_eq!((a, b), (friday() - Duration::days(7), friday()));
        assert!(parse_day("11-11..11-09", friday()).is_err());
        assert!(parse_day("13-40", friday()).is_err());
        assert!(parse_day("last-someday", friday()).is_err());
    }

    #[test]
    fn the_last_day_clock_counts_that_day_for_weekdays() {
        // 2026-11-15 is a Sunday.
        let sunday = NaiveDate::from_ymd_opt(2026, 11, 15).unwrap();
        let c = Clock::at_last_day(sunday);
        let first = |s: &str| parse_day_at(s, c).unwrap().0.date_naive().to_string();
        assert_eq!(first("tuesday"), "2026-11-10");
        assert_eq!(first("sunday"), "2026-11-15");
        assert_eq!(first("today"), "2026-11-15");
        assert_eq!(first("yesterday"), "2026-11-14");
    }

    #[test]
    fn relative_values_and_window_words() {
        assert!(is_relative("tuesday") && is_relative("7d") && is_relative("11-10"));
        assert!(!is_relative("2026-11-10") && !is_relative("2026-11-10T09:00:00Z"));
        assert!(!is_relative("2026-11-09..2026-11-11") && is_relative("11-09..11-11"));
        let ns = |s: &str| Some(to_ns(parse_instant(s, friday()).unwrap()));
        assert_eq!(
            describe_window(ns("2026-11-24"), ns("2026-11-25")),
            "on Tue 2026-11-24"
        );
        assert_eq!(
            describe_window(ns("2026-11-09"), ns("2026-11-12")),
            "Mon 2026-11-09 .. Wed 2026-11-11"
        );
        assert_eq!(
            describe_window(ns("2026-11-20T12:00:00Z"), None),
            "since Fri 2026-11-20 12:00"
        );
        assert_eq!(
            window_terms(ns("2026-11-09"), ns("2026-11-12")),
            vec![("on", "2026-11-09..2026-11-11".to_string())]
        );
        assert_eq!(
            window_terms(ns("2026-11-20T12:00:00Z"), None),
            vec![("since", "2026-11-20T12:00:00Z".to_string())]
        );
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
