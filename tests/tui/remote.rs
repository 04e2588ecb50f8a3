//! Issue 14's TUI on a remote slice, end to end: `trawl 'clickhouse://…' --since …` in tmux
//! against the real ClickHouse engine (chDB behind `tests/clickhouse/chdb_http.py`). The list
//! opens at once, fills as the background pull commits its pages, and the pulled traces open
//! like imported ones; a second run pulls nothing new into the same store.

use crate::util::clickhouse::{self, PASSWORD};
use crate::util::tmux::Tmux;
use crate::util::{Trawl, streams};

#[test]
fn a_remote_slice_opens_in_the_list_and_its_traces_open() {
    let Some(front) = clickhouse::front() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("remote.db");
    let url = front.url("otel");
    let open = |name: &str| {
        Tmux::start(
            name,
            Trawl::new(home)
                .now("2026-11-16T12:00:00Z")
                .env("TRAWL_CLICKHOUSE_PASSWORD", PASSWORD)
                .arg("--store")
                .arg(&store)
                .arg(&url)
                .args(["--since", "2026-11-01"]),
            120,
            40,
        )
    };

    let tmux = open("remote");
    let screen = tmux.wait_for("pull done: 21 new traces");
    assert!(screen.contains("question / name"), "{screen}");
    let screen = tmux.wait_for("/21");
    // The password never reaches the screen.
    assert!(!screen.contains(PASSWORD), "{screen}");

    // A pulled trace opens with its spans, and an LLM span with its messages.
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("timeline");
    assert!(screen.contains("traces › trace"), "{screen}");
    tmux.keys(&["m"]);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("[Messages]");
    assert!(screen.contains("LLM "), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("timeline");
    tmux.keys(&["q"]);
    tmux.wait_for("question / name");
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
    drop(tmux);

    // Pulling the same slice again stores nothing twice.
    let tmux = open("remote-again");
    let screen = tmux.wait_for(", 0 new spans");
    assert!(screen.contains("/21"), "{screen}");
    assert!(screen.contains("pull done: 0 new traces"), "{screen}");
    assert!(screen.contains("already stored"), "{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("TRAWL_EXITED");
    drop(tmux);

    // The store holds the slice: the 21 traces since 11-01, as the CLI lists them.
    let o = Trawl::new(home)
        .args(["traces", "--json", "--store"])
        .arg(&store)
        .output();
    let (out, err) = streams(&o);
    assert!(o.status.success(), "{err}");
    // One JSON array, or one object a line.
    let n = match serde_json::from_str::<serde_json::Value>(&out) {
        Ok(serde_json::Value::Array(a)) => a.len(),
        _ => out.lines().filter(|l| !l.trim().is_empty()).count(),
    };
    assert_eq!(n, 21, "{out}");
}
