//! Drives the real binary in a detached tmux session: send keys, wait for text on the screen.
//! Each session has its own tmux server (socket), killed when the driver is dropped.

use std::process::Command;
use std::time::{Duration, Instant};

use super::Trawl;

/// How long [`Tmux::wait_for`] waits before failing the test.
const PATIENCE: Duration = Duration::from_secs(30);

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `trawl` (as prepared by `cmd`, so in its sandbox) in a `width`x`height` session
    /// with `TERM=xterm-256color`. When trawl exits the pane prints `TRAWL_EXITED` and stays
    /// open a few seconds, so a test can check what the shell got back.
    ///
    /// Panics if tmux is not installed: `.ci/run` installs it, and a skipped end-to-end test
    /// would pass without testing anything.
    pub fn start(name: &str, cmd: &mut Trawl, width: u16, height: u16) -> Tmux {
        if let Err(e) = Command::new("tmux").arg("-V").output() {
            panic!("tmux is required for the end-to-end TUI tests (apt-get install tmux): {e}");
        }
        cmd.env("TERM", "xterm-256color");
        let script = format!("{}; echo TRAWL_EXITED; sleep 5", cmd.shell_line());
        let tmux = Tmux {
            socket: format!("trawl-{name}-{}", std::process::id()),
        };
        let (w, h) = (width.to_string(), height.to_string());
        tmux.cmd(&[
            "new-session",
            "-d",
            "-s",
            "trawl",
            "-x",
            &w,
            "-y",
            &h,
            "sh",
            "-c",
            &script,
        ]);
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("tmux {args:?}: {e}"));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The visible screen as text.
    pub fn capture(&self) -> String {
        self.cmd(&["capture-pane", "-p", "-t", "trawl"])
    }

    /// `tmux send-keys`: key names (`Enter`, `Space`, `q`) or `-l` followed by literal text.
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "trawl"];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Waits until `what` is on the screen and returns the screen; fails the test after 30 s.
    pub fn wait_for(&self, what: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            if start.elapsed() > PATIENCE {
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
