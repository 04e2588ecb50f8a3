//! What every integration test crate shares (each `main.rs` has `#[path = "../util/mod.rs"] mod
//! util;`): the one sandboxed [`Trawl`] command builder, fixture paths, a store with the
//! support-bot fixture imported, and (in [`tmux`]) the driver for end-to-end TUI tests.
//!
//! Not every crate uses every helper.
#![allow(dead_code)]

pub mod clickhouse;
pub mod tmux;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use trawl::store::{Store, TraceFilter};

/// The real support-bot capture: 40 traces, 271 spans (see tests/fixtures/README.md).
pub const SUPPORT_BOT: &str = "openinference_support_bot_40.otlp.jsonl";

/// `tests/fixtures/NAME`. Panics when the file is missing: a test never passes by skipping
/// its input.
pub fn fixture(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    assert!(
        p.is_file(),
        "fixture {} is missing; tests/fixtures/README.md lists every fixture and where it comes from",
        p.display()
    );
    p
}

/// [`fixture`] as a `&str` argument for the binary.
pub fn fixture_arg(name: &str) -> String {
    fixture(name).display().to_string()
}

// ---------------------------------------------------------------------------------------------
// The sandboxed binary.

/// Variables passed through from the test's own environment; everything else is cleared so no
/// user configuration, store, API key or colour setting leaks in.
const INHERITED: &[&str] = &["PATH", "TMPDIR", "RUST_BACKTRACE", "LLVM_PROFILE_FILE"];

/// The `trawl` binary in a private environment rooted at `home`: `HOME` and every XDG
/// directory (data, config, state, cache, runtime) point inside it, the environment is
/// otherwise cleared (no `TRAWL_*`, no `OPENAI_API_KEY`/`ANTHROPIC_API_KEY` or any other
/// provider key, no `NO_COLOR`, no `USER`, no `COLUMNS` — so piped output is never cut to the
/// developer's terminal) and the time zone is UTC. Tests add back exactly what they exercise
/// with [`Trawl::env`] (`.env("COLUMNS", "80")` for a width).
///
/// ```ignore
/// let o = Trawl::new(home).args(["traces", "--json"]).now("2026-11-16T09:00:00Z").output();
/// ```
pub struct Trawl {
    args: Vec<OsString>,
    env: BTreeMap<String, OsString>,
}

impl Trawl {
    pub fn new(home: &Path) -> Trawl {
        let runtime = home.join("runtime");
        if let Err(e) = std::fs::create_dir_all(&runtime) {
            panic!("{}: {e}", runtime.display());
        }
        let mut env = BTreeMap::new();
        for k in INHERITED {
            if let Some(v) = std::env::var_os(k) {
                env.insert(k.to_string(), v);
            }
        }
        let mut set = |k: &str, v: OsString| {
            env.insert(k.to_string(), v);
        };
        set("HOME", home.into());
        set("XDG_DATA_HOME", home.join("data").into());
        set("XDG_CONFIG_HOME", home.join("config").into());
        set("XDG_STATE_HOME", home.join("state").into());
        set("XDG_CACHE_HOME", home.join("cache").into());
        set("XDG_RUNTIME_DIR", runtime.into());
        set("TZ", "UTC".into());
        Trawl {
            args: Vec::new(),
            env,
        }
    }

    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Trawl {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, A>(&mut self, args: I) -> &mut Trawl
    where
        I: IntoIterator<Item = A>,
        A: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(&mut self, key: &str, value: impl Into<OsString>) -> &mut Trawl {
        self.env.insert(key.to_string(), value.into());
        self
    }

    /// Fixes "now" (`TRAWL_NOW`, RFC 3339), for relative dates and default windows.
    pub fn now(&mut self, rfc3339: &str) -> &mut Trawl {
        self.env("TRAWL_NOW", rfc3339)
    }

    /// Sets `$USER` (the default label author); without it there is no user name at all.
    pub fn user(&mut self, name: &str) -> &mut Trawl {
        self.env("USER", name)
    }

    /// The prepared `std::process::Command`, for tests that need their own pipes. Stdin is
    /// closed (never a terminal).
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_trawl"));
        cmd.args(&self.args)
            .env_clear()
            .envs(&self.env)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the binary to completion. Never panics on a failing exit code: tests assert on it.
    pub fn output(&mut self) -> Output {
        let mut cmd = self.command();
        cmd.output()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
    }

    /// The same invocation as one `sh` command line (`env -i K='v' … trawl args…`), for tests
    /// that run the binary inside tmux.
    pub fn shell_line(&self) -> String {
        let mut line = String::from("env -i");
        for (k, v) in &self.env {
            line.push_str(&format!(" {k}={}", sh_quote(&v.to_string_lossy())));
        }
        line.push(' ');
        line.push_str(&sh_quote(env!("CARGO_BIN_EXE_trawl")));
        for a in &self.args {
            line.push(' ');
            line.push_str(&sh_quote(&a.to_string_lossy()));
        }
        line
    }
}

fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Shorthand for the common case: `trawl ARGS` in the sandbox at `home`.
pub fn trawl(home: &Path, args: &[&str]) -> Output {
    Trawl::new(home).args(args).output()
}

/// Exit status, stdout and stderr, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// stdout and stderr as text.
pub fn streams(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs trawl at a terminal width of `columns`: exit code, stdout, stderr. Whatever the
/// command, it must not panic.
pub fn run_at_width(home: &Path, args: &[&str], columns: u16) -> (Option<i32>, String, String) {
    let o = Trawl::new(home)
        .args(args)
        .env("COLUMNS", columns.to_string())
        .output();
    let (out, err) = streams(&o);
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    (o.status.code(), out, err)
}

/// An OTLP/JSON string value (`{"stringValue": v}`), for spans written by hand.
pub fn otlp_string(v: &str) -> serde_json::Value {
    serde_json::json!({ "stringValue": v })
}

/// OTLP/JSON attributes from (key, value) pairs.
pub fn otlp_attributes(pairs: &[(&str, serde_json::Value)]) -> serde_json::Value {
    pairs
        .iter()
        .map(|(k, v)| serde_json::json!({"key": k, "value": v}))
        .collect()
}

/// Writes `lines` to `dir/t.jsonl` and imports them into `dir/t.db` at a terminal `columns`
/// wide; the store's path and the import's stdout. The import must exit 0.
pub fn import_lines(dir: &Path, lines: &[String], columns: u16) -> (String, String) {
    let file = dir.join("t.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let db = dir.join("t.db").display().to_string();
    let (code, out, err) = run_at_width(
        dir,
        &["import", "--store", &db, file.to_str().unwrap()],
        columns,
    );
    assert_eq!(code, Some(0), "{out}{err}");
    (db, out)
}

// ---------------------------------------------------------------------------------------------
// A store with the support-bot fixture imported.

/// A private copy of the support-bot store: a temp dir holding `trawl.db`, and the 40 trace
/// ids, sorted. The dir doubles as the sandbox home for [`Trawl`].
pub struct FixtureStore {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub ids: Vec<String>,
}

impl FixtureStore {
    pub fn open(&self) -> Store {
        Store::open(&self.path).unwrap_or_else(|e| panic!("{}: {e}", self.path.display()))
    }

    pub fn home(&self) -> &Path {
        self.dir.path()
    }

    /// The store path as a `--store` argument.
    pub fn arg(&self) -> String {
        self.path.display().to_string()
    }
}

/// The database files of the imported fixture, built once per test crate and copied for every
/// caller (importing 271 spans per test would dominate the run time).
struct Template {
    files: Vec<(String, Vec<u8>)>,
    ids: Vec<String>,
}

fn template() -> &'static Template {
    static TEMPLATE: OnceLock<Template> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
        let path = dir.path().join("trawl.db");
        let ids = {
            let mut st = Store::open(&path).unwrap_or_else(|e| panic!("{e}"));
            let rep =
                trawl::import::import_file(&mut st, &fixture(SUPPORT_BOT), Default::default())
                    .unwrap_or_else(|e| panic!("import {SUPPORT_BOT}: {e}"));
            assert!(rep.fatal.is_none(), "{:?}", rep.fatal);
            let mut ids = st
                .trace_ids(&TraceFilter::default(), None)
                .unwrap_or_else(|e| panic!("{e}"));
            ids.sort();
            assert_eq!(ids.len(), 40);
            ids
        };
        // The store is closed: copy the database and whatever journal files SQLite left.
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir.path()).unwrap_or_else(|e| panic!("{e}")) {
            let entry = entry.unwrap_or_else(|e| panic!("{e}"));
            let name = entry.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(entry.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            files.push((name, bytes));
        }
        Template { files, ids }
    })
}

/// A fresh, private copy of the store with the support-bot fixture imported.
pub fn fixture_store() -> FixtureStore {
    let t = template();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("temp dir: {e}"));
    for (name, bytes) in &t.files {
        std::fs::write(dir.path().join(name), bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    let path = dir.path().join("trawl.db");
    FixtureStore {
        dir,
        path,
        ids: t.ids.clone(),
    }
}
