//! End to end: the real binary in tmux. Opens the fixture, filters, enters a trace, opens an
//! LLM span, goes back and quits, then checks the shell got its screen back.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    socket: String,
}

impl Tmux {
    fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
    fn capture(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "trawl"])
    }
    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "trawl"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }
    fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            if start.elapsed() > Duration::from_secs(30) {
                panic!("timed out waiting for {what:?}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

#[test]
fn filter_enter_trace_open_llm_span_and_quit() {
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("tmux is not installed; skipping the end-to-end TUI test");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("tests/fixtures/openinference_support_bot_40.otlp.jsonl");
    if !fixture.exists() {
        std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
        std::fs::copy(
            "/work/shared/fixtures/openinference_support_bot_40.otlp.jsonl",
            &fixture,
        )
        .unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let script = format!(
        "HOME='{h}' XDG_CACHE_HOME='{h}/cache' XDG_DATA_HOME='{h}/data' XDG_STATE_HOME='{h}/state' \
         TERM=xterm-256color TRAWL_NOW=2026-11-16T12:00:00Z '{bin}' --store '{db}' '{fx}'; echo TRAWL_EXITED; sleep 5",
        h = home.display(),
        bin = env!("CARGO_BIN_EXE_trawl"),
        db = store.display(),
        fx = fixture.display()
    );
    let tmux = Tmux {
        socket: format!("trawl-test-{}", std::process::id()),
    };
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "trawl",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
        "-c",
        &script,
    ]);

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
    if Command::new("tmux").arg("-V").output().is_err() {
        println!("tmux is not installed; skipping the end-to-end TUI test");
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixture = root.join("tests/fixtures/openinference_support_bot_40.otlp.jsonl");
    if !fixture.exists() {
        std::fs::create_dir_all(fixture.parent().unwrap()).unwrap();
        std::fs::copy(
            "/work/shared/fixtures/openinference_support_bot_40.otlp.jsonl",
            &fixture,
        )
        .unwrap();
    }
    let text = std::fs::read_to_string(&fixture).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let half = lines.len() / 2;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let store = home.join("store.db");
    let dump = home.join("dump.jsonl");
    std::fs::write(&dump, format!("{}\n", lines[..half].join("\n"))).unwrap();
    let server = trawl::judge::testserver::TestServer::instant().unwrap();
    let script = format!(
        "HOME='{h}' XDG_CACHE_HOME='{h}/cache' XDG_DATA_HOME='{h}/data' XDG_STATE_HOME='{h}/state' \
         TERM=xterm-256color TRAWL_NOW=2026-11-16T12:00:00Z TRAWL_JUDGE_BASE_URL='{url}' \
         '{bin}' --follow --store '{db}' '{fx}'; echo TRAWL_EXITED; sleep 5",
        h = home.display(),
        url = server.base_url(),
        bin = env!("CARGO_BIN_EXE_trawl"),
        db = store.display(),
        fx = dump.display()
    );
    let tmux = Tmux {
        socket: format!("trawl-follow-{}", std::process::id()),
    };
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "trawl",
        "-x",
        "120",
        "-y",
        "40",
        "sh",
        "-c",
        &script,
    ]);
    let screen = tmux.wait_for("following");
    assert!(!screen.contains("1/40"), "only half written yet:\n{screen}");

    // Append the rest, one line split across two writes.
    use std::io::Write;
    let rest = format!("{}\n", lines[half..].join("\n"));
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
