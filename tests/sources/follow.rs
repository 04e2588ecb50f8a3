//! Live tail: `follow_file` over a file that another "process" (this test) appends to, splits a
//! line across two writes, rotates and truncates.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use trawl::import::{Progress, follow_file};
use trawl::store::{SortKey, Store, TraceFilter};

fn line(n: u32) -> String {
    let trace = format!("{n:032x}");
    let span = format!("{:016x}", n + 1000);
    let start = 1_735_732_800_000_000_000u64 + n as u64 * 1_000_000_000;
    format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"tail"}}}}]}},"scopeSpans":[{{"scope":{{"name":"t"}},"spans":[{{"traceId":"{trace}","spanId":"{span}","name":"step {n}","kind":1,"startTimeUnixNano":"{start}","endTimeUnixNano":"{}","attributes":[{{"key":"openinference.span.kind","value":{{"stringValue":"CHAIN"}}}}]}}]}}]}}]}}"#,
        start + 500_000_000
    ) + "\n"
}

fn trace_id(n: u32) -> String {
    format!("{n:032x}")
}

fn append(path: &Path, text: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .unwrap();
    f.write_all(text.as_bytes()).unwrap();
    f.flush().unwrap();
}

/// Waits until `id` was reported by a commit, returning how long that took from `since`.
fn wait_for(seen: &Mutex<HashMap<String, Instant>>, id: &str, since: Instant) -> Duration {
    let deadline = since + Duration::from_secs(5);
    loop {
        if let Some(t) = seen.lock().unwrap().get(id) {
            return t.saturating_duration_since(since);
        }
        assert!(Instant::now() < deadline, "trace {id} never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn follows_appends_split_lines_rotation_and_truncation() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let dump = dir.join("dump.jsonl");
    let store_path = dir.join("store.db");
    append(&dump, &(line(1) + &line(2)));

    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let worker = {
        let stop = stop.clone();
        let seen = seen.clone();
        let dump = dump.clone();
        let store_path = store_path.clone();
        std::thread::spawn(move || {
            let mut store = Store::open(&store_path).unwrap();
            let mut on_progress = |p: &Progress| {
                let now = Instant::now();
                let mut s = seen.lock().unwrap();
                for t in &p.touched {
                    s.entry(t.clone()).or_insert(now);
                }
            };
            follow_file(&mut store, &dump, &stop, &mut on_progress).unwrap()
        })
    };
    let t0 = Instant::now();
    wait_for(&seen, &trace_id(2), t0);

    // A plain append shows up within a second.
    let t = Instant::now();
    append(&dump, &line(3));
    assert!(wait_for(&seen, &trace_id(3), t) < Duration::from_secs(1));

    // A line written in two pieces: the first half must wait, not be reported as bad.
    let l4 = line(4);
    let (a, b) = l4.split_at(l4.len() / 2);
    append(&dump, a);
    std::thread::sleep(Duration::from_millis(700));
    assert!(!seen.lock().unwrap().contains_key(&trace_id(4)));
    let t = Instant::now();
    append(&dump, b);
    assert!(wait_for(&seen, &trace_id(4), t) < Duration::from_secs(1));

    // Rotation: the file is renamed away and a new one takes its name.
    std::fs::rename(&dump, dir.join("dump.jsonl.1")).unwrap();
    append(&dump, &line(5));
    wait_for(&seen, &trace_id(5), Instant::now());

    // Truncation in place, then new content.
    std::fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(&dump)
        .unwrap();
    std::thread::sleep(Duration::from_millis(600));
    append(&dump, &line(6));
    wait_for(&seen, &trace_id(6), Instant::now());

    stop.store(true, Ordering::Relaxed);
    let report = worker.join().unwrap();
    assert!(report.fatal.is_none(), "{:?}", report.fatal);
    assert_eq!(report.bad_lines_total, 0, "{:?}", report.bad_lines);
    assert_eq!(report.duplicates, 0);
    assert_eq!(report.spans_new, 6);

    let store = Store::open(&store_path).unwrap();
    let traces = store
        .list_traces(&TraceFilter::default(), SortKey::Start, false, 100, 0)
        .unwrap();
    let ids: Vec<String> = traces.iter().map(|t| t.trace_id.clone()).collect();
    assert_eq!(ids, (1..=6).map(trace_id).collect::<Vec<_>>());
    assert!(traces.iter().all(|t| t.span_count == 1));
}

#[test]
fn stops_promptly_on_a_missing_file_and_a_partial_line_is_not_bad() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let dump = dir.join("later.jsonl");
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let stop = stop.clone();
        let dump = dump.clone();
        std::thread::spawn(move || {
            let mut store = Store::open_in_memory().unwrap();
            follow_file(&mut store, &dump, &stop, &mut |_| {}).unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    // The file appears after the tail started, and its writer is mid-line when we stop.
    let l = line(9);
    append(&dump, &(line(8) + &l[..l.len() / 2]));
    std::thread::sleep(Duration::from_millis(600));
    stop.store(true, Ordering::Relaxed);
    let t = Instant::now();
    let report = worker.join().unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(report.spans_new, 1);
    assert_eq!(report.bad_lines_total, 0);
}
