//! The ClickHouse stand-in for tests: `tests/clickhouse/chdb_http.py` (the real ClickHouse
//! engine from the `chdb-core` wheel behind ClickHouse's HTTP interface) started once per test
//! binary on 127.0.0.1 and a random port, with its tables filled from the fixtures.
//!
//! The Python comes from `TRAWL_CHDB_PYTHON`, else the cached virtualenv
//! `~/.cache/trawl/chdb-venv` that `.ci/run` installs. When neither has chDB, the tests say so
//! loudly on stderr and return — unless `TRAWL_REQUIRE_CHDB=1` (set by `.ci/run` once the
//! install worked), where that is a failure.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

pub const USER: &str = "trawl_reader";
pub const PASSWORD: &str = "s3cret-pw";

/// Which database holds which fixtures (each an exporter-shaped `otel_traces`).
pub const DATABASES: &[(&str, &[&str], bool)] = &[
    ("otel", &[super::SUPPORT_BOT], false),
    (
        "oll",
        &[
            "openllmetry_support_bot_dev.otlp.jsonl",
            "openllmetry_legacy.synthetic.otlp.jsonl",
        ],
        // The exporter's older spelling of status codes: STATUS_CODE_ERROR.
        true,
    ),
    (
        "gen",
        &[
            "genai_current.synthetic.otlp.jsonl",
            "genai_events.synthetic.otlp.jsonl",
            "js_exporter_crosscheck.otlp.jsonl",
        ],
        false,
    ),
    ("lf", &["langfuse_support_bot_dev.otlp.jsonl"], false),
    // Where remote figures once differed from the store's: nested LLM calls, long-context
    // prices, an LLM call in the bucket after its trace's.
    ("edge", &["remote_edge_cases.synthetic.otlp.jsonl"], false),
];

/// Langfuse v3's tables, in database `langfuse`.
pub const LANGFUSE_ROWS: &str = "langfuse_clickhouse.synthetic.jsonl";

pub struct ChdbFront {
    pub port: u16,
    /// Held open for the life of the test process: the front exits when it closes.
    _stdin: Mutex<ChildStdin>,
}

impl ChdbFront {
    /// `clickhouse://USER@127.0.0.1:PORT/DB?table=otel_traces` (no password: tests pass it in
    /// `TRAWL_CLICKHOUSE_PASSWORD`).
    pub fn url(&self, db: &str) -> String {
        format!(
            "clickhouse://{USER}@127.0.0.1:{}/{db}?table=otel_traces",
            self.port
        )
    }
}

impl ChdbFront {
    /// `clickhouse://USER@127.0.0.1:PORT/langfuse?schema=langfuse`.
    pub fn langfuse_url(&self) -> String {
        format!(
            "clickhouse://{USER}@127.0.0.1:{}/langfuse?schema=langfuse",
            self.port
        )
    }
}

fn python() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TRAWL_CHDB_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".cache/trawl/chdb-venv/bin/python");
    p.is_file().then_some(p)
}

fn unavailable(why: &str) -> Option<&'static ChdbFront> {
    if std::env::var("TRAWL_REQUIRE_CHDB").is_ok_and(|v| v == "1") {
        panic!("chDB is required (TRAWL_REQUIRE_CHDB=1) but {why}");
    }
    eprintln!(
        "\n=== SKIPPED: ClickHouse tests: {why}.\n=== Install it with `.ci/run` or: python3 -m venv ~/.cache/trawl/chdb-venv && \
         ~/.cache/trawl/chdb-venv/bin/pip install chdb-core ===\n"
    );
    None
}

/// The shared front, started on first use; `None` (after a loud message) when chDB is not
/// installed.
pub fn front() -> Option<&'static ChdbFront> {
    static FRONT: OnceLock<Result<ChdbFront, String>> = OnceLock::new();
    match FRONT.get_or_init(start) {
        Ok(f) => Some(f),
        Err(why) => unavailable(why),
    }
}

fn start() -> Result<ChdbFront, String> {
    let py =
        python().ok_or("no chDB virtualenv (~/.cache/trawl/chdb-venv) and no TRAWL_CHDB_PYTHON")?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clickhouse/chdb_http.py");
    let mut cmd = Command::new(&py);
    cmd.arg(&script)
        .args(["--user", USER, "--password", PASSWORD]);
    for (db, files, legacy) in DATABASES {
        let paths: Vec<String> = files.iter().map(|f| super::fixture_arg(f)).collect();
        let mut spec = format!("{db}={}", paths.join(","));
        if *legacy {
            spec.push_str(":legacy");
        }
        cmd.args(["--otlp", &spec]);
    }
    cmd.args([
        "--langfuse",
        &format!("langfuse={}", super::fixture_arg(LANGFUSE_ROWS)),
    ]);
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", py.display()))?;
    let stdin = child.stdin.take().ok_or("no stdin pipe")?;
    let stdout = child.stdout.take().ok_or("no stdout pipe")?;
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .map_err(|e| format!("reading the front's port: {e}"))?;
    let Some(port) = line
        .strip_prefix("LISTENING ")
        .and_then(|p| p.trim().parse::<u16>().ok())
    else {
        let status = child.wait().ok().and_then(|s| s.code());
        return Err(match status {
            Some(3) => format!("{} has no chdb module", py.display()),
            s => panic!("the chDB front did not start (exit {s:?}, said {line:?})"),
        });
    };
    Ok(ChdbFront {
        port,
        _stdin: Mutex::new(stdin),
    })
}
