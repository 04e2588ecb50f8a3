//! End to end: the real binary in tmux. Opens the fixture, filters, enters a trace, opens an
//! LLM span, goes back and quits, then checks the shell got its screen back; and follows a
//! growing file while a background judge run puts a badge on a row; judge without a key through
//! the set-up form at 80x24.

use std::time::Duration;
use testkit::TestServer;

use crate::util::tmux::Tmux;
use crate::util::{SUPPORT_BOT, Trawl, fixture};

/// The support-bot fixture's lines in two halves, each ending in a newline.
fn support_bot_halves() -> (String, String) {
    let text = std::fs::read_to_string(fixture(SUPPORT_BOT)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let (a, b) = lines.split_at(lines.len() / 2);
    (format!("{}\n", a.join("\n")), format!("{}\n", b.join("\n")))
}

#[test]
fn filter_enter_trace_open_llm_span_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let tmux = Tmux::start(
        "open",
        Trawl::new(home)
            .now("2026-11-16T12:00:00Z")
            .arg("--store")
            .arg(&store)
            .arg(fixture(SUPPORT_BOT)),
        120,
        40,
    );

    let screen = tmux.wait_for("/40");
    assert!(screen.contains("question / name"), "{screen}");

    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", "user:user_0311"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1/2");
    assert!(screen.contains("filter: user:user_0311"), "{screen}");
    assert!(screen.contains("restocking fee"), "{screen}");

    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("timeline");
    assert!(screen.contains("traces › trace"), "{screen}");

    tmux.keys(&["m"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("[Messages]");
    assert!(screen.contains("LLM "), "{screen}");
    assert!(
        screen.contains("[user]") || screen.contains("[system]"),
        "{screen}"
    );

    tmux.keys(&["q"]);
    tmux.wait_for("timeline");
    tmux.keys(&["q"]);
    tmux.wait_for("question / name");
    tmux.keys(&["q"]);
    let screen = tmux.wait_for("TRAWL_EXITED");
    // Back on the main screen: the TUI's frame is gone.
    assert!(
        !screen.contains("question / name"),
        "alternate screen not left:\n{screen}"
    );
}

/// `trawl --follow FILE`: lines appended to the file (one split across two writes) show up in
/// the open list; then a background judge run against a local server puts a badge on a row.
#[test]
fn follow_tails_a_growing_file_and_judge_runs_in_the_background() {
    let (first, rest) = support_bot_halves();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let dump = home.join("dump.jsonl");
    std::fs::write(&dump, first).unwrap();
    let server = TestServer::instant().unwrap();
    let tmux = Tmux::start(
        "follow",
        Trawl::new(home)
            .now("2026-11-16T12:00:00Z")
            .env("TRAWL_JUDGE_BASE_URL", server.base_url())
            .arg("--follow")
            .arg("--store")
            .arg(&store)
            .arg(&dump),
        120,
        40,
    );
    let screen = tmux.wait_for("following");
    assert!(!screen.contains("1/40"), "only half written yet:\n{screen}");

    // Append the rest, one line split across two writes.
    use std::io::Write;
    let (a, b) = rest.split_at(rest.len() / 2 + 7);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&dump)
        .unwrap();
    f.write_all(a.as_bytes()).unwrap();
    f.flush().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    f.write_all(b.as_bytes()).unwrap();
    f.flush().unwrap();
    tmux.wait_for("1/40");

    // Judge the first row for `answered`: picker, estimate, run, badge.
    tmux.keys(&["g", "Space", "J"]);
    tmux.wait_for("[ ] 1 answered");
    tmux.keys(&["1"]);
    tmux.wait_for("[x] 1 answered");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Judge: confirm");
    assert!(screen.contains("1 calls"), "{screen}");
    tmux.keys(&["y"]);
    tmux.wait_for("judged 1: 1 true");
    tmux.wait_for("answered✓");
    assert!(server.request_count() >= 1);
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
}

/// "A wrong answer last Tuesday", two weeks after the data ends, at 80x24: `on:tuesday` finds
/// nothing, the offer names Tuesday 2026-11-10 and Enter shows it; `a:refund` then narrows to
/// the answer that promised a refund, and Enter opens it.
#[test]
fn last_tuesday_two_weeks_later_and_the_refund_answer_at_80x24() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let tmux = Tmux::start(
        "tuesday",
        Trawl::new(home)
            .now("2026-11-29T09:00:00Z")
            .arg("--store")
            .arg(&store)
            .arg(fixture(SUPPORT_BOT)),
        80,
        24,
    );
    tmux.wait_for("/40");
    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", "on:tuesday"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("Enter shows Tue 2026-11-10");
    assert!(
        screen.contains("no traces on Tue 2026-11-24; the store ends Sun 2026-11-15"),
        "{screen}"
    );
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1/4");
    assert!(screen.contains("filter: on:2026-11-10"), "{screen}");
    assert!(screen.contains("Tue 11-10"), "{screen}");

    tmux.keys(&["f"]);
    tmux.wait_for("filter>");
    tmux.keys(&["-l", " a:refund"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("1/1");
    assert!(screen.contains("I bought a tent"), "{screen}");
    tmux.keys(&["Enter"]);
    tmux.wait_for("traces › trace");
    tmux.keys(&["q", "q", "q"]);
    tmux.wait_for("TRAWL_EXITED");
}

/// At 80x24 with no API key anywhere: `J` opens the judge set-up form instead of failing;
/// pointing its base URL at a local server (which needs no key) leads on to the rule picker,
/// and the run puts a badge on the row. The footer keeps `? help` throughout.
#[test]
fn judging_without_a_key_goes_through_the_set_up_form() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let server = TestServer::instant().unwrap();
    let tmux = Tmux::start(
        "setup",
        Trawl::new(home)
            .now("2026-11-16T12:00:00Z")
            .arg("--store")
            .arg(&store)
            .arg(fixture(SUPPORT_BOT)),
        80,
        24,
    );
    let screen = tmux.wait_for("/40");
    assert!(screen.contains("? help"), "{screen}");
    tmux.keys(&["Space", "J"]);
    tmux.wait_for("Judge set-up");
    tmux.wait_for("OPENAI_API_KEY is not set");
    // The base URL field has the focus: replace it.
    let backspaces = vec!["BSpace"; 40];
    tmux.keys(&backspaces);
    tmux.keys(&["-l", &server.base_url()]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("[ ] 1 answered");
    tmux.keys(&["1", "Enter"]);
    tmux.wait_for("Judge: confirm");
    tmux.wait_for(&server.base_url());
    tmux.keys(&["y"]);
    tmux.wait_for("answered✓");
    assert!(server.request_count() >= 1);
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
}

/// Issue 13: quitting `trawl --listen` answers and commits what the receiver accepted, and
/// records the receiver's source as complete (before, the process ended under the receiver and
/// the source stayed incomplete).
#[test]
fn quitting_while_listening_finishes_the_receiver() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("live.db");
    let tmux = Tmux::start(
        "listen-quit",
        Trawl::new(home)
            .arg("--store")
            .arg(&store)
            .arg("--listen-http")
            .arg("127.0.0.1:0")
            .arg("--listen-grpc")
            .arg("off"),
        100,
        30,
    );
    let screen = tmux.wait_for("OTLP 127.0.0.1:");
    let port: u16 = screen
        .split("OTLP 127.0.0.1:")
        .nth(1)
        .and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .unwrap_or_else(|| panic!("no port on the screen:\n{screen}"));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let body = serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "name": "live question about refunds", "kind": 1,
        "startTimeUnixNano": (now - 2_000_000).to_string(), "endTimeUnixNano": now.to_string()
    }]}]}]})
    .to_string();
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        conn,
        "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tmux.wait_for("live question about refunds");

    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
    let db = rusqlite::Connection::open(&store).unwrap();
    let (complete, spans_new): (i64, i64) = db
        .query_row(
            "SELECT complete, spans_new FROM sources WHERE format = 'otlp-listen'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((complete, spans_new), (1, 1));
    let spans: i64 = db
        .query_row("SELECT count(*) FROM spans", [], |r| r.get(0))
        .unwrap();
    assert_eq!(spans, 1);
}

/// Issue 13: `trawl listen` (or an import) in another process writes to the store the TUI has
/// open; the TUI notices the commits on its own (SQLite's `data_version`) and its list grows
/// without a key press.
#[test]
fn another_process_writing_to_the_store_shows_in_the_open_list() {
    let (first_half, second_half) = support_bot_halves();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let first = home.join("first.jsonl");
    let second = home.join("second.jsonl");
    std::fs::write(&first, first_half).unwrap();
    std::fs::write(&second, second_half).unwrap();
    let import = |file: &std::path::Path| {
        let o = Trawl::new(home)
            .arg("import")
            .arg("--store")
            .arg(&store)
            .arg(file)
            .output();
        assert!(o.status.success(), "{}", crate::util::text(&o));
    };
    import(&first);
    let tmux = Tmux::start(
        "other-writer",
        Trawl::new(home)
            .now("2026-11-16T12:00:00Z")
            .arg("--store")
            .arg(&store),
        120,
        40,
    );
    let screen = tmux.wait_for("question / name");
    assert!(
        !screen.contains("1/40"),
        "only half imported yet:\n{screen}"
    );

    import(&second);
    tmux.wait_for("1/40");
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
}
