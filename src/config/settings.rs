//! Every setting defined once: its key in `config.toml`, its environment variable, its flag
//! and its help. `trawl config`, the example file's test and the resolver all read this table.

/// One setting: its key in the file, its environment variable and flag, and its help — kept
/// together (as ripgrep keeps a flag's names and docs) so `trawl config`, the README and the
/// resolver cannot disagree.
#[derive(Debug)]
pub struct SettingDef {
    /// The key in `config.toml` (dotted for tables: `judge.model`).
    pub key: &'static str,
    pub env: &'static str,
    /// The flag that overrides it, if any (`--store`; judge flags belong to `trawl judge`).
    pub flag: Option<&'static str>,
    pub(super) kind: Kind,
    pub help: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Text,
    Number,
    /// Text; in the file `~/` is the home directory and a relative path is relative to the file.
    Path,
}

macro_rules! setting {
    ($name:ident, $key:literal, $env:literal, $flag:expr, $kind:ident, $help:literal) => {
        pub const $name: SettingDef = SettingDef {
            key: $key,
            env: $env,
            flag: $flag,
            kind: Kind::$kind,
            help: $help,
        };
    };
}

setting!(
    STORE,
    "store",
    "TRAWL_STORE",
    Some("--store"),
    Path,
    "the store commands and the TUI use when none is named"
);
setting!(
    THEME,
    "theme",
    "TRAWL_THEME",
    Some("--theme"),
    Text,
    "TUI colours: dark, light or mono (NO_COLOR selects mono)"
);
setting!(
    AUTHOR,
    "author",
    "TRAWL_AUTHOR",
    Some("--author"),
    Text,
    "who human labels are recorded as (default: $USER)"
);
setting!(
    PRICES,
    "prices",
    "TRAWL_PRICES",
    None,
    Path,
    "price overrides file (default: prices.toml or prices.json next to config.toml)"
);
setting!(
    JUDGE_PROVIDER,
    "judge.provider",
    "TRAWL_JUDGE_PROVIDER",
    Some("--provider"),
    Text,
    "judge API: openai (any OpenAI-compatible server) or anthropic"
);
setting!(
    JUDGE_MODEL,
    "judge.model",
    "TRAWL_JUDGE_MODEL",
    Some("--model"),
    Text,
    "judge model (default: gpt-4o-mini / claude-haiku-4-5)"
);
setting!(
    JUDGE_BASE_URL,
    "judge.base_url",
    "TRAWL_JUDGE_BASE_URL",
    Some("--base-url"),
    Text,
    "judge API base URL (default: the provider's)"
);
setting!(
    JUDGE_API_KEY_ENV,
    "judge.api_key_env",
    "TRAWL_JUDGE_API_KEY_ENV",
    Some("--api-key-env"),
    Text,
    "the NAME of the variable holding the judge API key (never the key)"
);
setting!(
    JUDGE_CONCURRENCY,
    "judge.concurrency",
    "TRAWL_JUDGE_CONCURRENCY",
    Some("--concurrency"),
    Number,
    "parallel judge requests"
);
setting!(
    JUDGE_TIMEOUT,
    "judge.timeout",
    "TRAWL_JUDGE_TIMEOUT",
    Some("--timeout"),
    Number,
    "seconds per judge request"
);

/// Every setting, in the order `trawl config` prints them.
pub const SETTINGS: &[&SettingDef] = &[
    &STORE,
    &THEME,
    &AUTHOR,
    &PRICES,
    &JUDGE_PROVIDER,
    &JUDGE_MODEL,
    &JUDGE_BASE_URL,
    &JUDGE_API_KEY_ENV,
    &JUDGE_CONCURRENCY,
    &JUDGE_TIMEOUT,
];
