use super::*;
use std::collections::HashMap;

/// A private HOME with an XDG config dir; `env` is the whole environment the resolver sees.
struct Sandbox {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let mut env = HashMap::new();
        env.insert("HOME".into(), dir.path().join("home").display().to_string());
        env.insert(
            "XDG_CONFIG_HOME".into(),
            dir.path().join("xdg").display().to_string(),
        );
        Sandbox { dir, env }
    }

    fn set(&mut self, k: &str, v: &str) -> &mut Sandbox {
        self.env.insert(k.into(), v.into());
        self
    }

    fn config_path(&self) -> PathBuf {
        PathBuf::from(&self.env["XDG_CONFIG_HOME"])
            .join("trawl")
            .join(FILE_NAME)
    }

    fn write_config(&self, text: &str) -> PathBuf {
        let p = self.config_path();
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    fn resolve(&self, flags: &Overrides) -> Result<Config, ConfigError> {
        let env = |k: &str| self.env.get(k).cloned();
        Config::resolve(flags, &env)
    }
}

#[test]
fn flag_beats_env_beats_file_beats_default() {
    let mut sb = Sandbox::new();
    let cfg_path = sb.write_config("store = \"/file.db\"\n[judge]\nmodel = \"file-model\"\n");
    let flags = Overrides {
        store: Some("/flag.db".into()),
        judge_model: Some("flag-model".into()),
        ..Default::default()
    };
    sb.set("TRAWL_STORE", "/env.db")
        .set("TRAWL_JUDGE_MODEL", "env-model");

    let c = sb.resolve(&flags).unwrap();
    assert_eq!(c.store, PathBuf::from("/flag.db"));
    assert_eq!(c.source("store"), &Source::Flag("--store"));
    assert_eq!(c.judge.model, "flag-model");

    let c = sb.resolve(&Overrides::default()).unwrap();
    assert!(c.store_named());
    assert_eq!(c.store, PathBuf::from("/env.db"));
    assert_eq!(c.source("store"), &Source::Env("TRAWL_STORE"));
    assert_eq!(c.judge.model, "env-model");
    assert_eq!(c.source("judge.model"), &Source::Env("TRAWL_JUDGE_MODEL"));

    sb.env.remove("TRAWL_STORE");
    sb.env.remove("TRAWL_JUDGE_MODEL");
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.store, PathBuf::from("/file.db"));
    assert_eq!(
        c.source("store"),
        &Source::File {
            path: cfg_path.clone(),
            line: 1
        }
    );
    assert_eq!(c.judge.model, "file-model");
    assert_eq!(
        c.source("judge.model").to_string(),
        format!("file {}:3", cfg_path.display())
    );
    assert!(c.file_found);
    // The file's store is a default, not a store named for this run.
    assert!(!c.store_named());

    std::fs::remove_file(&cfg_path).unwrap();
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.judge.model, "gpt-4o-mini");
    assert_eq!(c.source("judge.model"), &Source::Default);
    assert_eq!(c.source("store"), &Source::Default);
    assert!(!c.store_named() && !c.file_found);
    assert_eq!(c.judge.concurrency, 4);
    assert_eq!(c.judge.timeout, Duration::from_secs(60));
    assert_eq!(c.theme, ThemeName::Dark);
}

#[test]
fn without_xdg_config_home_the_file_is_under_home_dot_config() {
    let mut sb = Sandbox::new();
    sb.env.remove("XDG_CONFIG_HOME");
    let p = PathBuf::from(&sb.env["HOME"]).join(".config/trawl/config.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, "author = \"ana\"\n").unwrap();
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.file.as_deref(), Some(p.as_path()));
    assert_eq!(c.author, "ana");
    // A relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
    sb.set("XDG_CONFIG_HOME", "relative/dir");
    assert_eq!(sb.resolve(&Overrides::default()).unwrap().author, "ana");
}

#[test]
fn provider_defaults_follow_the_resolved_provider() {
    let sb = Sandbox::new();
    sb.write_config("[judge]\nprovider = \"anthropic\"\ntimeout = 2.5\nconcurrency = 8\n");
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.judge.provider, ProviderKind::Anthropic);
    assert_eq!(c.judge.model, "claude-haiku-4-5");
    assert_eq!(c.judge.base_url, "https://api.anthropic.com");
    assert_eq!(c.judge.api_key_env, "ANTHROPIC_API_KEY");
    assert_eq!(c.judge.timeout, Duration::from_millis(2500));
    assert_eq!(c.judge.concurrency, 8);
    let p = c.judge.provider_config();
    assert_eq!(
        (p.kind, p.model.as_str()),
        (ProviderKind::Anthropic, "claude-haiku-4-5")
    );
    // The flag still wins over the file for the provider, and the model follows it.
    let flags = Overrides {
        judge_provider: Some("openai".into()),
        ..Default::default()
    };
    assert_eq!(sb.resolve(&flags).unwrap().judge.model, "gpt-4o-mini");
}

#[test]
fn theme_no_color_and_author() {
    let mut sb = Sandbox::new();
    sb.write_config("theme = \"light\"\n");
    assert_eq!(
        sb.resolve(&Overrides::default()).unwrap().theme,
        ThemeName::Light
    );
    sb.set("NO_COLOR", "1").set("USER", "sam");
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.theme, ThemeName::Mono);
    assert_eq!(c.source("theme"), &Source::Env("NO_COLOR"));
    assert_eq!(c.author, "sam");
    assert_eq!(c.source("author").to_string(), "default ($USER)");
    let flags = Overrides {
        theme: Some("dark".into()),
        author: Some("kim".into()),
        ..Default::default()
    };
    let c = sb.resolve(&flags).unwrap();
    assert_eq!((c.theme, c.author.as_str()), (ThemeName::Dark, "kim"));
    // The file's author beats $USER, which is only the default.
    sb.write_config("author = \"ana\"\n");
    assert_eq!(sb.resolve(&Overrides::default()).unwrap().author, "ana");
}

#[test]
fn file_paths_expand_home_and_are_relative_to_the_file() {
    let sb = Sandbox::new();
    let cfg = sb.write_config("store = \"~/traces/t.db\"\nprices = \"my-prices.toml\"\n");
    std::fs::write(cfg.with_file_name("my-prices.toml"), "").unwrap();
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.store, PathBuf::from(&sb.env["HOME"]).join("traces/t.db"));
    assert_eq!(c.prices, Some(cfg.with_file_name("my-prices.toml")));
    // Without the key, prices.toml beside config.toml is the default.
    sb.write_config("");
    std::fs::write(cfg.with_file_name("prices.toml"), "").unwrap();
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert_eq!(c.prices, Some(cfg.with_file_name("prices.toml")));
    assert_eq!(c.source("prices"), &Source::Default);
    assert!(sb.dir.path().exists());
}

#[test]
fn invalid_values_name_the_file_line_and_key() {
    let mut sb = Sandbox::new();
    let p = sb.write_config("theme = \"dark\"\n\n[judge]\nconcurrency = 0\n");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:4: judge.concurrency: expected a whole number of at least 1",
            p.display()
        )
    );
    sb.write_config("[judge]\ntimeout = \"soon\"\n");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert!(
        e.ends_with(":2: judge.timeout: expected a number, found a string"),
        "{e}"
    );
    sb.write_config("theme = \"purple\"\n");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert!(
        e.ends_with(":1: theme: expected dark, light or mono"),
        "{e}"
    );
    sb.write_config("prices = \"missing.toml\"\n");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert!(e.ends_with(":1: prices: no such file"), "{e}");
    sb.write_config("");
    sb.set("TRAWL_JUDGE_PROVIDER", "bedrock");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert_eq!(
        e,
        "environment variable TRAWL_JUDGE_PROVIDER: judge.provider: expected openai or anthropic"
    );
}

#[test]
fn a_key_where_its_variable_name_belongs_is_rejected_without_echoing_it() {
    let sb = Sandbox::new();
    sb.write_config("[judge]\napi_key_env = \"sk-proj-abc123\"\n");
    let e = sb.resolve(&Overrides::default()).unwrap_err().to_string();
    assert!(e.contains("judge.api_key_env: must be the NAME"), "{e}");
    assert!(!e.contains("sk-proj"), "{e}");
}

#[test]
fn only_whether_the_key_variable_is_set_is_recorded() {
    let mut sb = Sandbox::new();
    assert!(!sb.resolve(&Overrides::default()).unwrap().judge.api_key_set);
    sb.set("OPENAI_API_KEY", "sk-test-secret");
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert!(c.judge.api_key_set);
    assert!(!format!("{c:?}").contains("sk-test-secret"));
}

#[test]
fn the_example_file_is_valid_and_documents_every_key() {
    let example = include_str!("../../assets/config.example.toml");
    // Every key is shown, commented out, in the example.
    for s in SETTINGS {
        let leaf = s.key.rsplit('.').next().unwrap_or(s.key);
        assert!(
            example
                .lines()
                .any(|l| l.trim_start_matches("# ").starts_with(&format!("{leaf} ="))),
            "{} is not in assets/config.example.toml",
            s.key
        );
        assert!(example.contains(s.env), "{} is not in the example", s.env);
    }
    // Uncommented, it is a valid config.
    let uncommented: String = example
        .lines()
        .map(|l| {
            let t = l.trim_start_matches("# ");
            if t.contains(" = ") || t.starts_with('[') {
                t
            } else {
                ""
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let sb = Sandbox::new();
    let cfg = sb.write_config(&uncommented);
    std::fs::write(cfg.with_file_name("prices.toml"), "").unwrap();
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert!(c.file_found);
    assert!(matches!(c.source("judge.model"), Source::File { .. }));
}

#[test]
fn urls_are_printed_without_credentials() {
    assert_eq!(
        redact_url("https://api.openai.com/v1"),
        "https://api.openai.com/v1"
    );
    assert_eq!(
        redact_url("https://user:pw@proxy.local:8080/v1?key=abc"),
        "https://…@proxy.local:8080/v1?…"
    );
}

#[test]
fn the_readme_example_is_valid() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```toml\n")
        .expect("a toml block in the README")
        + 8;
    let len = readme[start..].find("```").expect("the block ends");
    let sb = Sandbox::new();
    sb.write_config(&readme[start..start + len]);
    let c = sb.resolve(&Overrides::default()).unwrap();
    assert!(matches!(c.source("judge.concurrency"), Source::File { .. }));
    assert_eq!(c.judge.api_key_env, "LOCAL_JUDGE_KEY");
}
