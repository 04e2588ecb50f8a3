//! Issue 11's acceptance, end to end in tmux at 80x24: "the bot gave a wrong answer last
//! Tuesday", on the demo with its data two weeks old and the real clock (no `TRAWL_NOW`).
//!
//! `f on:tuesday` finds nothing in the last week, offers the store's last Tuesday, and Enter
//! shows it; `f … a:refund` narrows to the trace whose answer promises a refund; Enter opens
//! it; `a` shows its "30 days" answer next to the passage that says 14 days.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde_json::Value;

use crate::util::Trawl;
use crate::util::tmux::Tmux;

/// The demo's last day (a Sunday) and the day of its wrong refund answer (trace a9a71350).
const DEMO_LAST_DAY: (i32, u32, u32) = (2026, 11, 15);
const REFUND_DAY: (i32, u32, u32) = (2026, 11, 10);

fn day((y, m, d): (i32, u32, u32)) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

/// How many whole weeks to move the demo so that its last day is two weeks old: the Sunday 14
/// to 20 days before `today`. Whole weeks keep every weekday, so the refund trace stays on a
/// Tuesday and the store's last day stays a Sunday (exactly 14 days ago when today is one).
fn shift_days(today: NaiveDate) -> i64 {
    let two_weeks = today - Duration::days(14);
    let sunday = two_weeks - Duration::days(i64::from(two_weeks.weekday().num_days_from_sunday()));
    (sunday - day(DEMO_LAST_DAY)).num_days()
}

/// Adds `by_ns` to every `…UnixNano` timestamp (span starts and ends, event times).
fn shift(v: &mut Value, by_ns: i128) {
    match v {
        Value::Object(o) => {
            for (k, x) in o.iter_mut() {
                if k.ends_with("UnixNano") {
                    let old = match &*x {
                        Value::String(s) => s.parse::<i128>().ok(),
                        Value::Number(n) => n.as_i64().map(i128::from),
                        _ => None,
                    };
                    if let Some(old) = old {
                        *x = Value::String((old + by_ns).to_string());
                    }
                } else {
                    shift(x, by_ns);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift(x, by_ns)),
        _ => {}
    }
}

/// The demo with its timestamps moved by `days`, written to `path`.
fn shifted_demo(path: &std::path::Path, days: i64) {
    let demo = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/demo/support-bot.otlp.jsonl"
    );
    let text = std::fs::read_to_string(demo).unwrap_or_else(|e| panic!("{demo}: {e}"));
    let by_ns = i128::from(days) * 86_400 * 1_000_000_000;
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut v: Value = serde_json::from_str(line).expect("the demo is JSON lines");
        shift(&mut v, by_ns);
        out.push_str(&v.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

#[test]
fn shift_keeps_weekdays_and_ages_the_demo_two_weeks() {
    for today in [day((2026, 11, 29)), day((2027, 3, 3)), day((2026, 11, 16))] {
        let d = shift_days(today);
        assert_eq!(d % 7, 0, "{today}");
        let last = day(DEMO_LAST_DAY) + Duration::days(d);
        let age = (today - last).num_days();
        assert!(
            (14..=20).contains(&age),
            "{today}: last day {last}, {age} days old"
        );
        let tuesday = day(REFUND_DAY) + Duration::days(d);
        assert_eq!(tuesday.weekday(), chrono::Weekday::Tue);
    }
    assert_eq!(
        shift_days(day((2026, 11, 29))),
        0,
        "a Sunday: exactly 14 days"
    );
}

/// Steps 1–3 (the date hint, the weekday column, `a:`) are s11-find's; steps 4–5 (the question
/// and answer in the trace view, the evidence pane) s11-evidence's.
#[test]
fn wrong_answer_last_tuesday_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let days = shift_days(Utc::now().date_naive());
    let dump = home.join("support-bot.otlp.jsonl");
    shifted_demo(&dump, days);
    let tuesday = day(REFUND_DAY) + Duration::days(days);
    let tue = tuesday.format("%Y-%m-%d").to_string();
    let tmux = Tmux::start(
        "wrong-answer",
        // No `.now(…)`: the real clock, as a user has it.
        Trawl::new(home)
            .arg("--store")
            .arg(home.join("store.db"))
            .arg(&dump),
        80,
        24,
    );
    tmux.wait_for("/40");

    // 1. `on:tuesday`: nothing in the last week; the hint offers the store's last Tuesday.
    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", "on:tuesday"]);
    tmux.keys(&["Enter"]);
    // Each step waits for the lowest text it checks: a frame is drawn top to bottom, and a
    // capture may land in the middle of one.
    let screen = tmux.wait_for(&format!("Tue {tue}"));
    assert!(screen.contains("the store ends"), "{screen}");

    // 2. Enter takes the offer: that Tuesday's four traces, weekday in the time column.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1/4");
    assert!(screen.contains(&format!("on:{tue}")), "{screen}");
    assert!(
        screen.contains(&tuesday.format("Tue %m-%d").to_string()),
        "{screen}"
    );
    assert!(screen.contains("I bought a tent"), "{screen}");
    assert!(screen.contains("developer mode"), "{screen}");

    // 3. `a:refund` on top: only the trace whose answer promises a refund.
    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", " a:refund"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1/1");
    assert!(screen.contains("I bought a tent"), "{screen}");
    assert!(!screen.contains("developer mode"), "{screen}");

    // 4. Enter opens it: the question and the answer under the header, the waterfall at 80.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("GRD output_guardrail");
    assert!(screen.contains("A Yes, we refund"), "{screen}");
    assert!(screen.contains("Q I bought a tent"), "{screen}");
    assert!(screen.contains("timeline"), "{screen}");
    assert!(
        screen.contains("$0.00174"),
        "cost kept at 80 columns:\n{screen}"
    );

    // 5. `a`: the "30 days" answer beside the passage that says 14 days, staged.
    tmux.keys(&["a"]);
    let screen = tmux.wait_for("within 14 days of purchase");
    assert!(screen.contains("passages in the prompt"), "{screen}");
    assert!(screen.contains("within 30 days of purchase"), "{screen}");
    assert!(
        screen.contains("◆ kb-account-01 · retrieved #1 0.449 → reranked #1 0.330 → in prompt #1"),
        "{screen}"
    );

    tmux.keys(&["q", "q", "q"]);
    tmux.wait_for("TRAWL_EXITED");
}
