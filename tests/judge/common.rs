//! Shared by the judge tests: the support-bot store, built-in rules, and a judge request
//! pointed at a local test server.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use trawl::judge::{JudgeRequest, ProviderConfig, ProviderKind, RetryPolicy, Rule};
use trawl::store::Store;

use crate::util::{FixtureStore, Trawl, fixture_store};

/// A private copy of the support-bot store (40 traces): the fixture (its dir is the sandbox
/// home), the store path, the open store and the sorted trace ids.
pub fn store() -> (FixtureStore, PathBuf, Store, Vec<String>) {
    let fx = fixture_store();
    let st = fx.open();
    let (path, ids) = (fx.path.clone(), fx.ids.clone());
    (fx, path, st, ids)
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

/// A key that must never show up in any output.
pub const DUMMY_KEY: &str = "sk-dummy-never-printed";

/// The sandboxed binary with `OPENAI_API_KEY` set to [`DUMMY_KEY`].
pub fn trawl(home: &Path, args: &[&str]) -> Output {
    trawl_with_key(home, DUMMY_KEY, args)
}

/// The sandboxed binary with `key` in `OPENAI_API_KEY`.
pub fn trawl_with_key(home: &Path, key: &str, args: &[&str]) -> Output {
    Trawl::new(home)
        .env("OPENAI_API_KEY", key)
        .args(args)
        .output()
}
