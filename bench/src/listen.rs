//! `trawl listen` under sustained load: the release `trawl` binary (a sibling of this one)
//! receives OTLP/HTTP protobuf requests of 512 realistic LLM spans (the SDK's batch size) from
//! keep-alive connections for a fixed time. Reports spans/s committed, 429s, request latency,
//! and the receiver's resident memory over time (flat memory is the goal) and at its peak.
//!
//!   cargo build --release -p trawl -p trawl-bench
//!   target/release/trawl-bench listen [SECONDS] [CONNECTIONS] [PAYLOAD_WORDS]
//!
//! `TRAWL_BENCH_TUI=1` measures `trawl --listen` instead: the TUI open in a tmux session,
//! receiving on its default 127.0.0.1:4318 and refreshing its list as spans arrive.
//!
//! `TRAWL_BENCH_SPANS=N` stops once N spans are committed (or at SECONDS, if sooner): the
//! writer's cost per span grows with the store, so runs to compare should end at one size.
//!
//! Every request's traces start within the last two seconds and open new sessions, as a live
//! app's do. `TRAWL_BENCH_FIXED_TIMES=1` sends the templates' own times and sessions instead
//! (the bench's shape before 2026-11-30): 680 start times and 227 sessions repeated in every
//! request, so each commit inserts at the same few thousand places of every index on time or
//! session, a page each once the store is large — a harder load than any live app sends.
//!
//! `TRAWL_BENCH_RANDOM_IDS=1` sends random-looking trace ids (a hash of the counter), as real
//! SDKs do, instead of consecutive ones: every new trace then lands on a random page of each
//! index keyed by trace id, which consecutive ids hide.
//!
//! Also reports the receiver's CPU time per 1,000 spans by thread (the writer, the WAL
//! checkpointer, everything else), which a busy machine disturbs far less than spans/s.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::dump::{Rng, trace_spans};

/// Traces per request: 85 six-span traces, 510 spans (the SDK batches up to 512).
const TRACES_PER_REQUEST: u64 = 85;
/// Distinct request templates (distinct text); trace ids are fresh in every request.
const TEMPLATES: u64 = 8;

pub fn run(seconds: Option<&str>, connections: Option<&str>, words: Option<&str>) -> i32 {
    let seconds: u64 = seconds.and_then(|s| s.parse().ok()).unwrap_or(20);
    let connections: usize = connections.and_then(|s| s.parse().ok()).unwrap_or(4);
    let words: usize = words.and_then(|s| s.parse().ok()).unwrap_or(60);
    let Some(trawl) = sibling_binary("trawl") else {
        eprintln!(
            "no trawl binary next to this one: cargo build --release -p trawl -p trawl-bench"
        );
        return 2;
    };
    let templates = templates(words);
    let bytes_per_span =
        templates[0].encode_to_vec().len() as f64 / (TRACES_PER_REQUEST * 6) as f64;
    let tmp = std::env::temp_dir().join(format!("trawl-bench-listen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    if let Err(e) = std::fs::create_dir_all(&tmp) {
        eprintln!("{}: {e}", tmp.display());
        return 1;
    }
    let db = tmp.join("listen.db");
    let with_tui = std::env::var_os("TRAWL_BENCH_TUI").is_some_and(|v| v == "1");
    let started = if with_tui {
        start_tui(&trawl, &db, &tmp)
    } else {
        start(&trawl, &db)
    };
    let (mut child, addr) = match started {
        Ok(x) => x,
        Err(e) => {
            eprintln!("cannot start {}: {e}", trawl.display());
            return 1;
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    let counts = Arc::new(Counts::default());
    let next_trace = Arc::new(AtomicU64::new(1));
    let templates = Arc::new(templates);
    let t0 = Instant::now();
    let clients: Vec<_> = (0..connections)
        .map(|c| {
            let (stop, counts, next_trace, templates, addr) = (
                stop.clone(),
                counts.clone(),
                next_trace.clone(),
                templates.clone(),
                addr.clone(),
            );
            std::thread::spawn(move || client(c, &addr, &templates, &next_trace, &counts, &stop))
        })
        .collect();
    let writer_states = WriterStates::watch(child.id(), stop.clone());
    // `TRAWL_BENCH_SPANS=N` ends the run once N spans are committed (or at SECONDS), so that
    // runs compare at the same store size: the writer's cost per span grows with the store.
    let span_goal: Option<u64> = std::env::var("TRAWL_BENCH_SPANS")
        .ok()
        .and_then(|v| v.parse().ok());
    let mut samples: Vec<Sample> = Vec::new();
    let mut last = (Instant::now(), 0u64, 0.0f64);
    while t0.elapsed() < Duration::from_secs(seconds) && span_goal.is_none_or(|goal| last.1 < goal)
    {
        std::thread::sleep(Duration::from_secs(1));
        let spans = counts.spans.load(Ordering::Relaxed);
        let writer_ms = thread_cpu(child.id()).writer_ms;
        let now = Instant::now();
        let rate = (spans - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
        let new_spans = spans - last.1;
        samples.push(Sample {
            t: t0.elapsed().as_secs(),
            rate,
            rss_mb: proc_kb(child.id(), "VmRSS") / 1024.0,
            wal_mb: wal_mb(&db),
            writer_ms_per_k: (new_spans > 0)
                .then(|| (writer_ms - last.2) / (new_spans as f64 / 1000.0)),
            stored: spans,
        });
        last = (now, spans, writer_ms);
    }
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        let _ = c.join();
    }
    let secs = t0.elapsed().as_secs_f64();
    let states = writer_states.join().unwrap_or_default();
    let peak = proc_kb(child.id(), "VmHWM") / 1024.0;
    let cpu = thread_cpu(child.id());
    let t_stop = Instant::now();
    let exit = child.stop();
    let stop_secs = t_stop.elapsed().as_secs_f64();
    let spans = counts.spans.load(Ordering::Relaxed);
    let stored = rusqlite::Connection::open(&db)
        .and_then(|c| c.query_row("SELECT count(*) FROM spans", [], |r| r.get::<_, i64>(0)))
        .unwrap_or(-1);
    let mut lat = counts
        .latencies_ms
        .lock()
        .map(|l| l.clone())
        .unwrap_or_default();
    lat.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "per second: (t, spans/s, receiver RSS MB, WAL MB, writer CPU ms per 1,000 spans, spans stored)"
    );
    for x in &samples {
        let writer = x
            .writer_ms_per_k
            .map(|ms| format!("{ms:.0}"))
            .unwrap_or_else(|| "-".into());
        println!(
            "  {:>3}s {:>9.0} {:>7.0} {:>7.0} {writer:>7} {:>9}",
            x.t, x.rate, x.rss_mb, x.wal_mb, x.stored
        );
    }
    let rss_at = [10, 30, 60, 120]
        .iter()
        .filter_map(|&at| {
            let x = samples.iter().find(|x| x.t == at)?;
            Some(format!("{at}s {:.0} MB", x.rss_mb))
        })
        .collect::<Vec<_>>();
    if !rss_at.is_empty() {
        println!("receiver RSS at {}", rss_at.join(", "));
    }
    // CPU per span is steadier than spans/s on a shared machine: it does not count the time
    // the receiver waited for a core.
    let per_k = |ms: f64| ms / (counts.spans.load(Ordering::Relaxed).max(1) as f64 / 1000.0);
    println!(
        "receiver CPU per 1,000 spans: writer thread {:.1} ms, checkpointer {:.1} ms, \
         decoding and the rest {:.1} ms",
        per_k(cpu.writer_ms),
        per_k(cpu.checkpoint_ms),
        per_k(cpu.other_ms),
    );
    println!("{}", states.summary());
    if with_tui {
        println!(
            "of which the TUI: main thread {:.1} ms, reader thread {:.1} ms",
            per_k(cpu.tui_main_ms),
            per_k(cpu.tui_reader_ms),
        );
    }
    println!(
        "{}, HTTP protobuf, {connections} connections, {} spans/request, {bytes_per_span:.0} B/span: \
         {spans} spans in {secs:.1}s = {:.0} spans/s committed; {} requests, {} answered 429; \
         latency p50 {:.0} ms p99 {:.0} ms; receiver peak RSS {peak:.0} MB; {} to exit {stop_secs:.2}s (code {exit:?}); store holds {stored} spans",
        if with_tui {
            "trawl --listen (TUI open in tmux)"
        } else {
            "trawl listen"
        },
        TRACES_PER_REQUEST * 6,
        spans as f64 / secs,
        counts.requests.load(Ordering::Relaxed),
        counts.busy.load(Ordering::Relaxed),
        pct(0.5),
        pct(0.99),
        if with_tui { "q" } else { "SIGTERM" },
    );
    // TRAWL_BENCH_KEEP=1 leaves the store for a look at what the run wrote (its segments,
    // its indexes) or for timing reads on it.
    if std::env::var_os("TRAWL_BENCH_KEEP").is_some_and(|v| v == "1") {
        println!("store kept: {}", tmp.join("listen.db").display());
    } else {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    i32::from(stored != spans as i64 || exit != Some(0))
}

/// One second of a run, as the bench saw it.
struct Sample {
    t: u64,
    rate: f64,
    rss_mb: f64,
    wal_mb: f64,
    /// The writer thread's CPU in this second per 1,000 spans committed in it.
    writer_ms_per_k: Option<f64>,
    /// Spans committed so far (the store's size).
    stored: u64,
}

#[derive(Default)]
struct Counts {
    spans: AtomicU64,
    requests: AtomicU64,
    busy: AtomicU64,
    latencies_ms: std::sync::Mutex<Vec<f64>>,
}

fn sibling_binary(name: &str) -> Option<PathBuf> {
    let p = std::env::current_exe().ok()?.parent()?.join(name);
    p.exists().then_some(p)
}

/// The receiver under test: `trawl listen` as a child, or the TUI receiving in tmux.
enum Receiver {
    Child(Child),
    Tmux {
        session: String,
        pid: u32,
        exit_file: PathBuf,
    },
}

impl Receiver {
    fn id(&self) -> u32 {
        match self {
            Receiver::Child(c) => c.id(),
            Receiver::Tmux { pid, .. } => *pid,
        }
    }

    /// SIGTERM for `trawl listen`, `q` for the TUI; waits for the exit and returns its code.
    fn stop(&mut self) -> Option<i32> {
        match self {
            Receiver::Child(c) => {
                // SAFETY: kill(2) on our own child.
                unsafe {
                    libc::kill(c.id() as i32, libc::SIGTERM);
                }
                c.wait().map(|s| s.code()).unwrap_or(None)
            }
            Receiver::Tmux {
                session,
                pid,
                exit_file,
            } => {
                let _ = Command::new("tmux")
                    .args(["send-keys", "-t", session, "q"])
                    .status();
                let t = Instant::now();
                while Path::new(&format!("/proc/{pid}")).exists()
                    && t.elapsed() < Duration::from_secs(60)
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                // The pane's shell writes the code just after trawl exits.
                let code = (0..100).find_map(|_| {
                    let code = std::fs::read_to_string(&*exit_file)
                        .ok()
                        .and_then(|text| text.trim().parse().ok());
                    if code.is_none() {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    code
                });
                let _ = Command::new("tmux")
                    .args(["kill-session", "-t", session])
                    .status();
                code
            }
        }
    }
}

/// Starts `trawl --listen` (the TUI, receiving on its default 127.0.0.1:4318) in a detached
/// 120x40 tmux session; returns it and the HTTP address once that accepts connections.
fn start_tui(trawl: &Path, db: &Path, tmp: &Path) -> std::io::Result<(Receiver, String)> {
    let addr = "127.0.0.1:4318".to_string();
    if TcpStream::connect(&addr).is_ok() {
        return Err(std::io::Error::other(format!(
            "{addr} is taken; trawl --listen needs it"
        )));
    }
    let session = format!("trawl-bench-listen-{}", std::process::id());
    let exit_file = tmp.join("exit-code");
    let script = format!(
        "'{}' --listen --store '{}'; echo $? > '{}'",
        trawl.display(),
        db.display(),
        exit_file.display()
    );
    let status = Command::new("tmux")
        .args([
            "new-session",
            "-d",
            "-s",
            &session,
            "-x",
            "120",
            "-y",
            "40",
            &script,
        ])
        .env("TERM", "xterm-256color")
        .status()?;
    if !status.success() {
        return Err(std::io::Error::other("tmux new-session failed"));
    }
    let t = Instant::now();
    while TcpStream::connect(&addr).is_err() {
        if t.elapsed() > Duration::from_secs(20) {
            let _ = Command::new("tmux")
                .args(["kill-session", "-t", &session])
                .status();
            return Err(std::io::Error::other(
                "trawl --listen did not start listening",
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let pid =
        tui_pid(&session).ok_or_else(|| std::io::Error::other("no trawl in the tmux pane"))?;
    Ok((
        Receiver::Tmux {
            session,
            pid,
            exit_file,
        },
        addr,
    ))
}

/// The `trawl` process in the session's pane: the pane's shell or one of its descendants, so
/// that a wrapper around it (`heaptrack`, `perf record`) still leaves a receiver to measure.
fn tui_pid(session: &str) -> Option<u32> {
    let out = Command::new("tmux")
        .args(["list-panes", "-t", session, "-F", "#{pane_pid}"])
        .output()
        .ok()?;
    let shell: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().ok()?;
    let comm = |pid: u32| std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let children = |pid: u32| -> Vec<u32> {
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    // Breadth first, a few levels deep: the shell, the wrapper, its shell, the program.
    let mut level = vec![shell];
    for _ in 0..4 {
        if let Some(&p) = level.iter().find(|&&p| comm(p).trim() == "trawl") {
            return Some(p);
        }
        level = level.into_iter().flat_map(children).collect();
    }
    None
}

/// Starts `trawl listen` on a free port; returns it and its HTTP address.
fn start(trawl: &Path, db: &Path) -> std::io::Result<(Receiver, String)> {
    let mut child = Command::new(trawl)
        .args([
            "listen",
            "--http",
            "127.0.0.1:0",
            "--grpc",
            "off",
            "--store",
        ])
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    if let Some(err) = child.stderr.take() {
        BufReader::new(err).read_line(&mut line)?;
    }
    let addr = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .and_then(|w| w.strip_suffix("/v1/traces"))
        .map(str::to_string)
        .ok_or_else(|| std::io::Error::other(format!("unexpected startup line {line:?}")))?;
    Ok((Receiver::Child(child), addr))
}

/// Requests of realistic support-bot traces (the `gen` dumps' shape), as the SDK sends them.
fn templates(words: usize) -> Vec<ExportTraceServiceRequest> {
    let mut rng = Rng(42);
    (0..TEMPLATES)
        .map(|i| {
            let spans: Vec<serde_json::Value> = (0..TRACES_PER_REQUEST)
                .flat_map(|t| trace_spans(&mut rng, i * TRACES_PER_REQUEST + t, words))
                .collect();
            let line = serde_json::json!({"resourceSpans": [{
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "support-bot"}}]},
                "scopeSpans": [{"scope": {"name": "openinference.instrumentation.openai"}, "spans": spans}],
            }]});
            serde_json::from_value(line).expect("the generated request is valid OTLP/JSON")
        })
        .collect()
}

/// One keep-alive connection sending requests until stopped; every trace id is new.
fn client(
    n: usize,
    addr: &str,
    templates: &[ExportTraceServiceRequest],
    next_trace: &AtomicU64,
    counts: &Counts,
    stop: &AtomicBool,
) {
    let mut stream: Option<BufReader<TcpStream>> = None;
    let random_ids = std::env::var_os("TRAWL_BENCH_RANDOM_IDS").is_some_and(|v| v == "1");
    let fixed_times = std::env::var_os("TRAWL_BENCH_FIXED_TIMES").is_some_and(|v| v == "1");
    let mut k = n;
    while !stop.load(Ordering::Relaxed) {
        let mut req = templates[k % templates.len()].clone();
        k += 1;
        let first = next_trace.fetch_add(TRACES_PER_REQUEST, Ordering::Relaxed);
        let mut spans = 0u64;
        for rs in &mut req.resource_spans {
            for ss in &mut rs.scope_spans {
                let now = unix_now_ns();
                let mut shift = 0i128;
                for (i, s) in ss.spans.iter_mut().enumerate() {
                    let n = first + i as u64 / 6;
                    let id = if random_ids {
                        (u128::from(mix(n)) << 64) | u128::from(mix(!n))
                    } else {
                        (0xbe_u128 << 120) | u128::from(n)
                    };
                    s.trace_id = id.to_be_bytes().to_vec();
                    if !fixed_times {
                        if i % 6 == 0 {
                            // The trace's root: it started within the last two seconds.
                            let j = (i / 6) as i128;
                            shift = now - 2_000_000_000 + j * 1_000_000
                                - i128::from(s.start_time_unix_nano);
                        }
                        live_span(s, shift, n);
                    }
                    spans += 1;
                }
            }
        }
        let body = req.encode_to_vec();
        let t = Instant::now();
        let status = match stream.as_mut().map(|s| post(s, addr, &body)) {
            Some(Ok(code)) => code,
            _ => {
                stream = TcpStream::connect(addr).ok().map(BufReader::new);
                match stream.as_mut().map(|s| post(s, addr, &body)) {
                    Some(Ok(code)) => code,
                    _ => {
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                }
            }
        };
        counts.requests.fetch_add(1, Ordering::Relaxed);
        match status {
            200 => {
                counts.spans.fetch_add(spans, Ordering::Relaxed);
                if let Ok(mut l) = counts.latencies_ms.lock() {
                    l.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }
            429 => {
                counts.busy.fetch_add(1, Ordering::Relaxed);
                // The exporter backs off; these trace ids are simply not sent again.
                std::thread::sleep(Duration::from_millis(100));
            }
            other => {
                eprintln!("unexpected status {other}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

fn unix_now_ns() -> i128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i128)
}

/// Makes a template span look like one an app sends now: its times moved by `shift` (so every
/// trace started in the last two seconds, as a live exporter's do) and its session one of the
/// new trace `n`'s (three traces a session). Users stay the template's: they come back.
fn live_span(s: &mut opentelemetry_proto::tonic::trace::v1::Span, shift: i128, n: u64) {
    use opentelemetry_proto::tonic::common::v1::any_value::Value;
    let moved = |t: u64| (i128::from(t) + shift).clamp(0, i128::from(u64::MAX)) as u64;
    s.start_time_unix_nano = moved(s.start_time_unix_nano);
    s.end_time_unix_nano = moved(s.end_time_unix_nano);
    for e in &mut s.events {
        e.time_unix_nano = moved(e.time_unix_nano);
    }
    for kv in &mut s.attributes {
        if kv.key == "session.id"
            && let Some(v) = kv.value.as_mut()
        {
            v.value = Some(Value::StringValue(format!("sess_{:08x}", n / 3)));
        }
    }
}

/// One HTTP/1.1 keep-alive POST; returns the status code.
fn post(s: &mut BufReader<TcpStream>, addr: &str, body: &[u8]) -> std::io::Result<u16> {
    let head = format!(
        "POST /v1/traces HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let w = s.get_mut();
    w.write_all(head.as_bytes())?;
    w.write_all(body)?;
    let mut line = String::new();
    s.read_line(&mut line)?;
    let code: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = 0usize;
    loop {
        line.clear();
        s.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut sink = vec![0; length];
    s.read_exact(&mut sink)?;
    Ok(code)
}

/// CPU time the receiver's threads used so far, split by role (from `/proc/PID/task/*/stat`).
#[derive(Default)]
struct ThreadCpu {
    writer_ms: f64,
    checkpoint_ms: f64,
    /// Everything but the writer and the checkpointer (the TUI's threads included).
    other_ms: f64,
    /// The TUI's event loop (the process's main thread) and its store reader.
    tui_main_ms: f64,
    tui_reader_ms: f64,
}

fn thread_cpu(pid: u32) -> ThreadCpu {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut cpu = ThreadCpu::default();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return cpu;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ...`: the name may hold spaces, the fields after it do not.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // utime and stime are fields 14 and 15 of stat; 11 and 12 after `state`.
        let used = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let ms = (used(11) + used(12)) / ticks * 1000.0;
        if comm.starts_with("trawl-listen-wr") {
            cpu.writer_ms += ms;
        } else if comm.starts_with("trawl-checkpoin") {
            cpu.checkpoint_ms += ms;
        } else {
            cpu.other_ms += ms;
            // The TUI's reader is named; older builds left it (and the thread that runs the
            // receiver's loop, which mostly sleeps) with the process's name.
            let main = task.file_name().to_str() == Some(&pid.to_string());
            if main {
                cpu.tui_main_ms += ms;
            } else if comm.starts_with("trawl-tui-read") || comm == "trawl" {
                cpu.tui_reader_ms += ms;
            }
        }
    }
    cpu
}

/// The size of the store's write-ahead log, in MB (0 when there is none).
fn wal_mb(db: &Path) -> f64 {
    let mut wal = db.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(&wal)
        .map(|m| m.len() as f64 / 1e6)
        .unwrap_or(0.0)
}

/// A `/proc/PID/status` figure in kB (VmRSS, VmHWM).
fn proc_kb(pid: u32, key: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse().ok())
        .unwrap_or(0.0)
}

/// splitmix64's finaliser: distinct counters give distinct, evenly spread ids.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Where the receiver's writer thread spent the run, sampled every 2 ms from /proc: running
/// (or waiting for a core), waiting for work (a futex: the queue is empty), sleeping
/// (`nanosleep`: SQLite's busy handler waiting for a lock), syncing (fsync, or disk wait).
#[derive(Default)]
struct WriterStates {
    running: u64,
    waiting_for_work: u64,
    busy_sleep: u64,
    syncing: u64,
    other: u64,
}

impl WriterStates {
    fn watch(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<WriterStates> {
        std::thread::spawn(move || {
            let mut states = WriterStates::default();
            let Some(tid) = writer_tid(pid) else {
                return states;
            };
            let dir = format!("/proc/{pid}/task/{tid}");
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(2));
                let Ok(stat) = std::fs::read_to_string(format!("{dir}/stat")) else {
                    break;
                };
                let state = stat
                    .rfind(')')
                    .and_then(|close| stat[close + 1..].split_whitespace().next())
                    .unwrap_or("?");
                let syscall: Option<i64> = std::fs::read_to_string(format!("{dir}/syscall"))
                    .ok()
                    .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()));
                match (state, syscall) {
                    ("R", _) => states.running += 1,
                    ("D", _) | (_, Some(74 | 75)) => states.syncing += 1,
                    (_, Some(202)) => states.waiting_for_work += 1,
                    (_, Some(35 | 230)) => states.busy_sleep += 1,
                    _ => states.other += 1,
                }
            }
            states
        })
    }

    fn summary(&self) -> String {
        let n = (self.running + self.waiting_for_work + self.busy_sleep + self.syncing + self.other)
            .max(1) as f64;
        let pct = |k: u64| k as f64 * 100.0 / n;
        format!(
            "writer thread: running {:.0}%, waiting for work {:.0}%, sleeping on a lock {:.0}%, \
             syncing {:.0}%, other {:.0}% ({n} samples)",
            pct(self.running),
            pct(self.waiting_for_work),
            pct(self.busy_sleep),
            pct(self.syncing),
            pct(self.other),
        )
    }
}

/// The receiver's writer thread (`trawl-listen-writer`), once it has started.
fn writer_tid(pid: u32) -> Option<u32> {
    for _ in 0..500 {
        if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
            for task in tasks.flatten() {
                let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
                if comm.starts_with("trawl-listen-wr") {
                    return task.file_name().to_str()?.parse().ok();
                }
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}
