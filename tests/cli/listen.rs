//! `trawl listen` through the binary: the startup line, one `--json` line per request, exit 0
//! after SIGTERM/SIGINT with every answered request in the store, answered requests surviving
//! kill -9, and the usage errors (exit 2) that keep a receiver off the network by accident.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

use crate::util::{Trawl, fixture, text};
use trawl::store::Store;

/// A running `trawl listen` and the HTTP address it printed.
struct Running {
    child: Child,
    http: String,
    stderr: BufReader<std::process::ChildStderr>,
}

fn spawn(home: &std::path::Path, extra: &[&str]) -> Running {
    let db = home.join("live.db");
    let mut cmd = Trawl::new(home)
        .args(["listen", "--http", "127.0.0.1:0", "--grpc", "127.0.0.1:0"])
        .arg("--store")
        .arg(&db)
        .args(extra)
        .command();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let http = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .and_then(|w| w.strip_suffix("/v1/traces"))
        .unwrap_or_else(|| panic!("no HTTP address in {first:?}"))
        .to_string();
    assert!(first.contains("OTLP/gRPC on 127.0.0.1:"), "{first}");
    Running {
        child,
        http,
        stderr,
    }
}

/// One HTTP/1.1 request; returns the status code and body.
fn post(addr: &str, content_type: &str, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

fn dump_lines() -> Vec<String> {
    std::fs::read_to_string(fixture("openinference_support_bot_40.otlp.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn signal(child: &Child, sig: i32) {
    // SAFETY: kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(child.id() as i32, sig) };
    assert_eq!(rc, 0);
}

#[test]
fn json_lines_per_request_and_a_clean_exit_on_sigterm() {
    let home = tempfile::tempdir().unwrap();
    let mut run = spawn(home.path(), &["--json"]);
    let lines = dump_lines();
    let (status, body) = post(&run.http, "application/json", lines[0].as_bytes());
    assert_eq!((status, body.as_str()), (200, "{}"));
    let (status, _) = post(&run.http, "application/json", lines[1].as_bytes());
    assert_eq!(status, 200);
    let (status, _) = post(&run.http, "text/plain", b"hello");
    assert_eq!(status, 415);
    signal(&run.child, libc::SIGTERM);
    let mut out = String::new();
    run.child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    let mut err = String::new();
    run.stderr.read_to_string(&mut err).unwrap();
    let exit = run.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0), "{err}");
    let events: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 2, "{out}");
    for e in &events {
        for field in ["time", "protocol", "spans", "traces", "rejected"] {
            assert!(e.get(field).is_some(), "{field} missing in {e}");
        }
        assert_eq!(e["protocol"], "http/json");
        assert_eq!(e["rejected"], 0);
    }
    let spans: u64 = events.iter().map(|e| e["spans"].as_u64().unwrap()).sum();
    let (traces, stored) = Store::open(&home.path().join("live.db"))
        .unwrap()
        .totals()
        .unwrap();
    assert_eq!(stored as u64, spans);
    assert!(traces > 0);
    assert!(err.contains("stopping"), "{err}");
}

#[test]
fn answered_requests_survive_kill_9() {
    let home = tempfile::tempdir().unwrap();
    let mut run = spawn(home.path(), &[]);
    let lines = dump_lines();
    let (status, _) = post(&run.http, "application/json", lines[2].as_bytes());
    assert_eq!(status, 200);
    run.child.kill().unwrap();
    run.child.wait().unwrap();
    let (_, stored) = Store::open(&home.path().join("live.db"))
        .unwrap()
        .totals()
        .unwrap();
    let expected = trawl::ingest::otlp::parse_line(lines[2].as_bytes())
        .unwrap()
        .len();
    assert_eq!(stored as usize, expected);
}

#[test]
fn sigint_also_stops_it_with_exit_0() {
    let home = tempfile::tempdir().unwrap();
    let mut run = spawn(home.path(), &[]);
    signal(&run.child, libc::SIGINT);
    let exit = run.child.wait().unwrap();
    assert_eq!(exit.code(), Some(0));
}

#[test]
fn other_addresses_need_a_token_or_insecure() {
    let home = tempfile::tempdir().unwrap();
    let o = Trawl::new(home.path())
        .args(["listen", "--http", "0.0.0.0:0", "--grpc", "off"])
        .output();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--token-env"));
    let o = Trawl::new(home.path())
        .args([
            "listen",
            "--http",
            "127.0.0.1:0",
            "--token-env",
            "TRAWL_TEST_UNSET",
        ])
        .output();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = Trawl::new(home.path())
        .args(["listen", "--http", "nonsense", "--grpc", "off"])
        .output();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let o = Trawl::new(home.path())
        .args(["listen", "--http", "off", "--grpc", "off"])
        .output();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
}

/// The TUI's receiver (`--listen-http`, `--listen-grpc`) takes loopback addresses only: it has
/// no token option, so another address is a usage error before any terminal is touched.
#[test]
fn the_tui_receives_on_loopback_only() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        ["--listen-http", "0.0.0.0:4318", "--listen-grpc", "off"],
        ["--listen-http", "off", "--listen-grpc", "off"],
        ["--listen-http", "nonsense", "--listen-grpc", "off"],
    ] {
        let o = Trawl::new(home.path()).args(args).output();
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("--listen") || err.contains("0.0.0.0"), "{err}");
    }
    let o = Trawl::new(home.path())
        .args(["--listen-http", "0.0.0.0:4318", "--listen-grpc", "off"])
        .output();
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("trawl listen --token-env"),
        "{}",
        text(&o)
    );
}

#[test]
fn a_taken_port_is_an_error_not_a_hang() {
    let home = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let o = Trawl::new(home.path())
        .args(["listen", "--http", &addr, "--grpc", "off"])
        .arg("--store")
        .arg(home.path().join("s.db"))
        .output();
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(&addr),
        "{}",
        text(&o)
    );
}
