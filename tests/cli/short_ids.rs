//! Short trace ids in lists are ones `show` resolves: time-ordered ids (UUIDv7, ULID) from the
//! same millisecond share more than the usual 8 characters, and the list then prints as many as
//! it takes to tell them apart, as git does with short hashes.

use crate::util::{Trawl, streams};

#[test]
fn every_listed_short_id_opens_its_trace() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("t.db");
    let store = store.to_str().unwrap();
    // Two UUIDv7 traces started in the same millisecond, and one from another day.
    let src = dir.path().join("obs.jsonl");
    let line = |trace: &str, q: &str, at: &str| {
        format!(
            r#"{{"id":"obs-{q}","traceId":"{trace}","parentObservationId":null,"type":"SPAN","name":"pipeline","startTime":"{at}","endTime":"{at}","input":"question {q}","output":"answer {q}"}}"#
        )
    };
    let lines = [
        line(
            "0190f7a2-8b00-7c00-8000-00000000000a",
            "a",
            "2025-02-01T09:00:00.000Z",
        ),
        line(
            "0190f7a2-8b00-7c00-8000-00000000000b",
            "b",
            "2025-02-01T09:00:00.000Z",
        ),
        line(
            "0190e000-0000-7000-8000-000000000000",
            "c",
            "2025-01-01T09:00:00.000Z",
        ),
    ];
    std::fs::write(&src, lines.join("\n") + "\n").unwrap();
    let run = |args: &[&str]| {
        let o = Trawl::new(dir.path())
            .args(args)
            .env("COLUMNS", "200")
            .output();
        let (out, err) = streams(&o);
        (o.status.code(), out, err)
    };
    let (code, _, err) = run(&["import", "--store", store, src.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(&["traces", "--store", store]);
    assert_eq!(code, Some(0), "{err}");
    let shown: Vec<(String, String)> = out
        .lines()
        .skip(1)
        .filter_map(|l| {
            // "Sat 2025-02-01 09:00", then the id and the question.
            let mut cols = l.split_whitespace().skip(3);
            let id = cols.next()?.to_string();
            let q = cols.nth(1)?.to_string();
            Some((id, q))
        })
        .collect();
    let mut ids: Vec<&str> = shown.iter().map(|(id, _)| id.as_str()).collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "0190e000",
            "0190f7a2-8b00-7c00-8000-00000000000a",
            "0190f7a2-8b00-7c00-8000-00000000000b"
        ],
        "{out}"
    );
    for (id, q) in &shown {
        let (code, out, err) = run(&["show", "--store", store, id]);
        assert_eq!(code, Some(0), "show {id}: {err}");
        assert!(out.contains(&format!("question {q}")), "show {id}: {out}");
    }
    // The old 8-character cut is ambiguous.
    let (code, _, err) = run(&["show", "--store", store, "0190f7a2"]);
    assert_ne!(code, Some(0));
    assert!(err.contains("ambiguous"), "{err}");
}
