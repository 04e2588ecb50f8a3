//! `trawl config` and the configuration's precedence through the real binary, plus the filter
//! flags added with the one filter language. Every run is sandboxed (`util::Trawl`): nothing
//! from the machine leaks in.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{SUPPORT_BOT, Trawl, fixture_arg, text};

struct Sandbox {
    dir: tempfile::TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn home(&self) -> &Path {
        self.dir.path()
    }

    /// `$XDG_CONFIG_HOME/trawl/config.toml` of the sandbox.
    fn config_file(&self) -> PathBuf {
        self.home().join("config/trawl/config.toml")
    }

    fn write_config(&self, text: &str) -> PathBuf {
        let p = self.config_file();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    /// `trawl ARGS` in the sandbox with the given variables added.
    fn run(&self, vars: &[(&str, &str)], args: &[&str]) -> Output {
        let mut cmd = Trawl::new(self.home());
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.args(args).output()
    }

    fn json(&self, vars: &[(&str, &str)], args: &[&str]) -> Value {
        let o = self.run(vars, args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&o)))
    }
}

const KEYS: &[&str] = &[
    "store",
    "theme",
    "author",
    "prices",
    "judge.provider",
    "judge.model",
    "judge.base_url",
    "judge.api_key_env",
    "judge.concurrency",
    "judge.timeout",
];

#[test]
fn config_json_lists_every_setting_with_value_and_source() {
    let sb = Sandbox::new();
    let j = sb.json(&[], &["config", "--json"]);
    assert_eq!(
        j["config_file"].as_str().map(PathBuf::from),
        Some(sb.config_file())
    );
    assert_eq!(j["config_file_found"], false);
    let settings = j["settings"].as_object().unwrap();
    let mut keys: Vec<&str> = settings.keys().map(String::as_str).collect();
    keys.sort();
    let mut want = KEYS.to_vec();
    want.sort();
    assert_eq!(keys, want);
    for (k, s) in settings {
        for field in ["value", "source", "from", "env", "help"] {
            assert!(s.get(field).is_some(), "{k} has no {field}: {s}");
        }
        assert_eq!(s["source"], "default", "{k}: {s}");
    }
    assert_eq!(settings["judge.model"]["value"], "gpt-4o-mini");
    assert_eq!(settings["judge.concurrency"]["value"], 4);
    assert_eq!(settings["judge.timeout"]["value"], 60.0);
    assert_eq!(settings["judge.api_key_env"]["value"], "OPENAI_API_KEY");
    assert_eq!(settings["judge.api_key_env"]["is_set"], false);
    assert_eq!(settings["author"]["value"], "unknown");
    assert_eq!(settings["prices"]["value"], Value::Null);
    let default_store = sb.home().join("data/trawl/trawl.db");
    assert_eq!(
        settings["store"]["value"].as_str().map(PathBuf::from),
        Some(default_store)
    );
}

#[test]
fn flag_beats_environment_beats_config_file_beats_default() {
    let sb = Sandbox::new();
    let file = sb.write_config(
        "store = \"/from/file.db\"\ntheme = \"light\"\nauthor = \"ana\"\n\n[judge]\nmodel = \"file-model\"\nconcurrency = 8\n",
    );
    let env = [
        ("TRAWL_STORE", "/from/env.db"),
        ("TRAWL_JUDGE_MODEL", "env-model"),
        ("USER", "sam"),
    ];
    let j = sb.json(&env, &["--store", "/from/flag.db", "config", "--json"]);
    let s = &j["settings"];
    let at = |line: usize| format!("{}:{line}", file.display());
    assert_eq!(
        (
            &s["store"]["value"],
            &s["store"]["source"],
            &s["store"]["from"]
        ),
        (&"/from/flag.db".into(), &"flag".into(), &"--store".into())
    );
    assert_eq!(s["judge.model"]["value"], "env-model");
    assert_eq!(s["judge.model"]["from"], "TRAWL_JUDGE_MODEL");
    assert_eq!(s["theme"]["value"], "light");
    assert_eq!(s["theme"]["from"], at(2));
    assert_eq!(s["author"]["value"], "ana", "the file beats $USER");
    assert_eq!(s["judge.concurrency"]["value"], 8);
    assert_eq!(s["judge.concurrency"]["from"], at(7));
    assert_eq!(s["judge.provider"]["source"], "default");

    // Without the flag, the environment; without that, the file.
    let j = sb.json(&env, &["config", "--json"]);
    assert_eq!(j["settings"]["store"]["value"], "/from/env.db");
    assert_eq!(j["settings"]["store"]["source"], "env");
    let j = sb.json(&[], &["config", "--json"]);
    assert_eq!(j["settings"]["store"]["value"], "/from/file.db");
    assert_eq!(j["settings"]["judge.model"]["value"], "file-model");
    // The text form says the same.
    let o = sb.run(&[], &["config"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .any(|l| l.starts_with("judge.model") && l.ends_with(&format!("file {}", at(6)))),
        "{out}"
    );
}

#[test]
fn config_never_prints_a_secret() {
    let sb = Sandbox::new();
    let env = [
        ("OPENAI_API_KEY", "sk-live-SECRET-0123456789"),
        ("ANTHROPIC_API_KEY", "sk-ant-SECRET-9876543210"),
        (
            "TRAWL_JUDGE_BASE_URL",
            "https://bob:PASSWORD-SECRET@proxy.example/v1?api-key=QUERY-SECRET",
        ),
    ];
    for args in [&["config"][..], &["config", "--json"]] {
        let o = sb.run(&env, args);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
        let all = text(&o);
        for secret in ["sk-live", "sk-ant", "SECRET"] {
            assert!(!all.contains(secret), "{args:?} printed {secret}:\n{all}");
        }
        assert!(all.contains("OPENAI_API_KEY"), "{all}");
        assert!(all.contains("proxy.example/v1"), "{all}");
    }
    let j = sb.json(&env, &["config", "--json"]);
    assert_eq!(j["settings"]["judge.api_key_env"]["is_set"], true);
    // A key pasted where its variable's name belongs is refused, and not echoed either.
    sb.write_config("[judge]\napi_key_env = \"sk-live-SECRET-0123456789\"\n");
    let o = sb.run(&[], &["config"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains("SECRET"), "{}", text(&o));
}

#[test]
fn an_invalid_config_names_the_file_and_key_and_is_a_usage_error() {
    let sb = Sandbox::new();
    let file = sb.write_config("theme = \"dark\"\n[judge]\ntimeout = -3\n");
    let o = sb.run(&[], &["traces"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{}:3: judge.timeout:", file.display())),
        "{err}"
    );
    sb.write_config("colour = \"dark\"\n");
    let o = sb.run(&[], &["config"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(":1: unknown key `colour`"),
        "{}",
        text(&o)
    );
    // --help still works, so a broken config never locks the user out of the docs.
    assert_eq!(sb.run(&[], &["config", "--help"]).status.code(), Some(0));
}

#[test]
fn filter_flags_service_and_status_err() {
    let sb = Sandbox::new();
    let db = sb.dir.path().join("t.db").display().to_string();
    let o = sb.run(&[], &["import", "--store", &db, &fixture_arg(SUPPORT_BOT)]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let count = |args: &[&str]| {
        let mut a = vec!["traces", "--store", &db, "--json", "--limit", "100"];
        a.extend_from_slice(args);
        sb.json(&[], &a).as_array().map(Vec::len).unwrap_or(0)
    };
    assert_eq!(count(&["--service", "fernhill-support-bot"]), 40);
    assert_eq!(count(&["--service", "someone-else"]), 0);
    let errors = count(&["--status", "error"]);
    assert!(errors > 0 && errors < 40, "{errors}");
    assert_eq!(count(&["--status", "err"]), errors);
    assert_eq!(count(&["--status", "ok"]), 40 - errors);
    // A bad term is named as typed, and is a usage error.
    let o = sb.run(&[], &["traces", "--store", &db, "--since", "7x"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--since 7x: expected RFC 3339"),
        "{}",
        text(&o)
    );
    assert!(Path::new(&db).exists());
}

/// One OTLP/JSON line: a GenAI chat span on a model no public price table knows.
fn private_model_line(model: &str) -> String {
    serde_json::json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "private-bot"}}]},
      "scopeSpans": [{"scope": {"name": "test"}, "spans": [{
        "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
        "name": format!("chat {model}"), "kind": 3,
        "startTimeUnixNano": "1793000000000000000", "endTimeUnixNano": "1793000001000000000",
        "attributes": [
          {"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
          {"key": "gen_ai.request.model", "value": {"stringValue": model}},
          {"key": "gen_ai.usage.input_tokens", "value": {"intValue": "1000"}},
          {"key": "gen_ai.usage.output_tokens", "value": {"intValue": "500"}}],
        "status": {}}]}]}]})
    .to_string()
}

#[test]
fn the_configured_price_file_prices_imported_spans() {
    let sb = Sandbox::new();
    let dump = sb.home().join("private.otlp.jsonl");
    std::fs::write(&dump, private_model_line("acme-private-7b") + "\n").unwrap();
    let dump = dump.to_string_lossy().into_owned();
    let store = |name: &str| sb.home().join(name).to_string_lossy().into_owned();
    let (bare_db, priced_db) = (store("bare.db"), store("priced.db"));
    let import = |db: &str| {
        let o = sb.run(&[], &["--store", db, "import", &dump]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    };

    // Without a price file the model is unknown: no cost rather than a guess.
    import(&bare_db);
    let t = sb.json(&[], &["--store", &bare_db, "traces", "--json"]);
    assert!(t[0]["cost_usd"].is_null(), "{t}");

    // `prices = "my-prices.toml"` beside config.toml prices it: 1000 × 2e-6 + 500 × 8e-6.
    let cfg = sb.write_config("prices = \"my-prices.toml\"\n");
    std::fs::write(
        cfg.with_file_name("my-prices.toml"),
        "[\"acme-private-7b\"]\ninput_cost_per_token = 2e-6\noutput_cost_per_token = 8e-6\n",
    )
    .unwrap();
    import(&priced_db);
    let t = sb.json(&[], &["--store", &priced_db, "traces", "--json"]);
    let cost = t[0]["cost_usd"].as_f64().unwrap_or_else(|| panic!("{t}"));
    assert!((cost - 0.006).abs() < 1e-12, "{cost}");
    // Re-importing the same dump into the store imported without prices re-prices it.
    import(&bare_db);
    let t = sb.json(&[], &["--store", &bare_db, "traces", "--json"]);
    assert_eq!(t[0]["cost_usd"].as_f64(), Some(cost), "{t}");

    // A broken price file is a usage error naming the file, not a silently unpriced import.
    std::fs::write(
        cfg.with_file_name("my-prices.toml"),
        "[\"x\"]\ninput_cost_per_token = \"a\"\n",
    )
    .unwrap();
    let o = sb.run(&[], &["--store", &priced_db, "traces"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("my-prices.toml"), "{}", text(&o));
}
