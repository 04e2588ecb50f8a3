//! Shared helpers for the judge tests: a store built from the support-bot fixture and a judge
//! request pointed at a local test server.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;
use trawl::judge::{JudgeRequest, ProviderConfig, ProviderKind, RetryPolicy, Rule};
use trawl::store::{Store, TraceFilter};

pub const FIXTURE: &str = "tests/fixtures/openinference_support_bot_40.otlp.jsonl";

/// A temp dir with `trawl.db` holding the 40 support-bot traces.
pub fn store() -> (tempfile::TempDir, PathBuf, Store, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trawl.db");
    let mut st = Store::open(&path).unwrap();
    let rep = trawl::import::import_file(&mut st, Path::new(FIXTURE), Default::default()).unwrap();
    assert!(rep.fatal.is_none(), "{:?}", rep.fatal);
    let mut ids = st.trace_ids(&TraceFilter::default(), None).unwrap();
    ids.sort();
    (dir, path, st, ids)
}

pub fn rule(id: &str) -> Rule {
    trawl::judge::load_rules_from(None, None)
        .unwrap()
        .into_iter()
        .find(|r| r.id == id)
        .unwrap()
}

/// An OpenAI-compatible request against `base_url`, fast retries, no API key variable set.
pub fn openai_request(base_url: &str, rules: Vec<Rule>, traces: Vec<String>) -> JudgeRequest {
    let mut p = ProviderConfig::new(ProviderKind::OpenAi);
    p.base_url = base_url.to_string();
    p.model = "judge-model".into();
    p.api_key_env = "TRAWL_TEST_NO_SUCH_KEY".into();
    p.timeout = Duration::from_secs(5);
    let mut r = JudgeRequest::new(rules, traces, p);
    r.retry = RetryPolicy {
        tries: 5,
        base: Duration::from_millis(5),
        cap: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    r
}
