//! One configuration, resolved once in `main` and passed down: for every setting the first of
//! command-line flag > environment variable > `config.toml` > default wins, and where it came
//! from is kept so `trawl config` can say so.
//!
//! The file is `$XDG_CONFIG_HOME/trawl/config.toml`, else `~/.config/trawl/config.toml`
//! (`assets/config.example.toml` documents every key). An unknown key, a value of the wrong
//! type or an invalid value is an error naming the file, the line and the key. Every layer's
//! text goes through the same parser per setting, so `timeout = 30` in the file and
//! `TRAWL_JUDGE_TIMEOUT=30` mean the same thing.
//!
//! Secrets never pass through here: the judge's API key is named by a variable
//! (`api_key_env`), and only whether that variable is set is recorded.

mod file;
mod settings;

pub use settings::*;

use crate::judge::{ProviderConfig, ProviderKind};
use file::{ConfigFile, FileValue};
use settings::Kind;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The config file's name inside the config directory.
pub const FILE_NAME: &str = "config.toml";

/// The environment as a lookup, so tests can resolve against their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Values given on the command line (only those the user typed; clap defaults are not flags).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub store: Option<PathBuf>,
    pub theme: Option<String>,
    pub author: Option<String>,
    pub judge_provider: Option<String>,
    pub judge_model: Option<String>,
    pub judge_base_url: Option<String>,
    pub judge_api_key_env: Option<String>,
    pub judge_concurrency: Option<usize>,
    pub judge_timeout_secs: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThemeName {
    Dark,
    Light,
    Mono,
}

impl ThemeName {
    pub fn parse(s: &str) -> Option<ThemeName> {
        match s.trim().to_ascii_lowercase().as_str() {
            "dark" => Some(ThemeName::Dark),
            "light" => Some(ThemeName::Light),
            "mono" => Some(ThemeName::Mono),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ThemeName::Dark => "dark",
            ThemeName::Light => "light",
            ThemeName::Mono => "mono",
        }
    }
}

/// The judge's defaults for `trawl judge` and the TUI's `J`.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeDefaults {
    pub provider: ProviderKind,
    pub model: String,
    /// Without a trailing slash.
    pub base_url: String,
    /// The name of the variable holding the API key.
    pub api_key_env: String,
    /// Whether that variable is set (to something non-blank). The key itself is not kept.
    pub api_key_set: bool,
    pub concurrency: usize,
    pub timeout: Duration,
}

impl JudgeDefaults {
    /// The provider settings these defaults describe (temperature and token limit at theirs).
    pub fn provider_config(&self) -> ProviderConfig {
        let mut p = ProviderConfig::new(self.provider);
        p.model = self.model.clone();
        p.base_url = self.base_url.clone();
        p.api_key_env = self.api_key_env.clone();
        p.timeout = self.timeout;
        p
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Flag(&'static str),
    Env(&'static str),
    File {
        path: PathBuf,
        line: usize,
    },
    Default,
    /// A default taken from the environment (`$USER` for the author).
    DefaultFrom(&'static str),
}

impl Source {
    /// `flag`, `env`, `file` or `default`.
    pub fn kind(&self) -> &'static str {
        match self {
            Source::Flag(_) => "flag",
            Source::Env(_) => "env",
            Source::File { .. } => "file",
            Source::Default | Source::DefaultFrom(_) => "default",
        }
    }

    /// The flag, variable or file:line; `None` for a plain default.
    pub fn detail(&self) -> Option<String> {
        match self {
            Source::Flag(f) => Some((*f).to_string()),
            Source::Env(v) => Some((*v).to_string()),
            Source::File { path, line } => Some(format!("{}:{line}", path.display())),
            Source::Default => None,
            Source::DefaultFrom(v) => Some(format!("${v}")),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.detail()) {
            (Source::DefaultFrom(_), Some(d)) => write!(f, "default ({d})"),
            (_, Some(d)) => write!(f, "{} {d}", self.kind()),
            (_, None) => f.write_str(self.kind()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the config file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: not valid TOML: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: unknown key `{key}` (known: {known})", path.display())]
    UnknownKey {
        path: PathBuf,
        line: usize,
        key: String,
        known: String,
    },
    /// `place` is `config.toml:LINE`, `environment variable X` or `--flag`.
    #[error("{place}: {key}: {reason}")]
    Invalid {
        place: String,
        key: &'static str,
        reason: String,
    },
}

/// Everything resolved. Read the fields; [`Config::source`] says where each came from.
#[derive(Debug, Clone)]
pub struct Config {
    pub store: PathBuf,
    pub theme: ThemeName,
    pub author: String,
    /// Price overrides file, when there is one.
    pub prices: Option<PathBuf>,
    pub judge: JudgeDefaults,
    /// The config file consulted (whether or not it exists); `None` without a home directory.
    pub file: Option<PathBuf>,
    pub file_found: bool,
    sources: Vec<(&'static str, Source)>,
}

impl Config {
    /// Resolves against the process environment.
    pub fn from_process(flags: &Overrides) -> Result<Config, ConfigError> {
        Config::resolve(flags, &process_env)
    }

    /// Resolves every setting: flag > environment > config file > default.
    pub fn resolve(flags: &Overrides, env: Env<'_>) -> Result<Config, ConfigError> {
        let file_path = crate::paths::config_dir_in(env).map(|d| d.join(FILE_NAME));
        let known: Vec<&str> = SETTINGS.iter().map(|s| s.key).collect();
        let file = match &file_path {
            Some(p) => ConfigFile::load(p, &known)?,
            None => None,
        };
        let mut r = Resolver {
            env,
            file: file.as_ref(),
            home: env("HOME").filter(|h| !h.is_empty()).map(PathBuf::from),
            sources: Vec::new(),
        };

        let store = r.get(
            &STORE,
            flags.store.as_ref().map(|p| p.display().to_string()),
            Ok,
        )?;
        let store = r.or_default(
            &STORE,
            store.map(PathBuf::from),
            crate::paths::default_store,
        );

        // NO_COLOR sits between the flag and TRAWL_THEME: an explicit --theme still wins.
        let no_color = env("NO_COLOR").is_some_and(|v| !v.is_empty());
        let theme = match (&flags.theme, no_color) {
            (None, true) => {
                r.sources.push((THEME.key, Source::Env("NO_COLOR")));
                ThemeName::Mono
            }
            _ => {
                let t = r.get(&THEME, flags.theme.clone(), |s| {
                    ThemeName::parse(&s).ok_or_else(|| "expected dark, light or mono".to_string())
                })?;
                r.or_default(&THEME, t, || ThemeName::Dark)
            }
        };

        let author = r.get(&AUTHOR, flags.author.clone(), non_blank)?;
        let author = match author {
            Some(a) => a,
            None => r.author_default(),
        };

        let prices = r.get(&PRICES, None, Ok)?.map(PathBuf::from);
        let prices = match prices {
            Some(p) if !p.is_file() => {
                return Err(r.invalid(&PRICES, "no such file".into()));
            }
            Some(p) => Some(p),
            None => {
                let beside = |name: &str| {
                    file_path
                        .as_ref()
                        .and_then(|f| f.parent())
                        .map(|d| d.join(name))
                        .filter(|p| p.is_file())
                };
                r.sources.push((PRICES.key, Source::Default));
                beside("prices.toml").or_else(|| beside("prices.json"))
            }
        };

        let judge = r.judge(flags)?;
        Ok(Config {
            store,
            theme,
            author,
            prices,
            judge,
            file_found: file.is_some(),
            file: file_path,
            sources: r.sources,
        })
    }

    /// Where `key` (a [`SettingDef::key`]) came from.
    pub fn source(&self, key: &str) -> &Source {
        self.sources
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| s)
            .unwrap_or(&Source::Default)
    }

    /// The store was named for this run (`--store` or `TRAWL_STORE`). A named store that does
    /// not exist is an error for commands that only read, and `trawl FILE` imports into a named
    /// store rather than a cache store. The config file's `store` only replaces the built-in
    /// default, and behaves like it.
    pub fn store_named(&self) -> bool {
        matches!(self.source(STORE.key), Source::Flag(_) | Source::Env(_))
    }
}

/// Walks the layers for one setting at a time and records where each value came from.
struct Resolver<'a> {
    env: Env<'a>,
    file: Option<&'a ConfigFile>,
    home: Option<PathBuf>,
    sources: Vec<(&'static str, Source)>,
}

impl Resolver<'_> {
    /// The first layer that has `def`, parsed; `None` when only the default is left.
    fn get<T>(
        &mut self,
        def: &'static SettingDef,
        flag: Option<String>,
        parse: impl Fn(String) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let Some((text, source)) = self.raw(def, flag)? else {
            return Ok(None);
        };
        let value = parse(text).map_err(|reason| invalid_at(def, &source, reason))?;
        self.sources.push((def.key, source));
        Ok(Some(value))
    }

    fn or_default<T>(
        &mut self,
        def: &'static SettingDef,
        value: Option<T>,
        default: impl FnOnce() -> T,
    ) -> T {
        value.unwrap_or_else(|| {
            self.sources.push((def.key, Source::Default));
            default()
        })
    }

    fn raw(
        &self,
        def: &'static SettingDef,
        flag: Option<String>,
    ) -> Result<Option<(String, Source)>, ConfigError> {
        if let (Some(v), Some(name)) = (flag, def.flag) {
            return Ok(Some((v, Source::Flag(name))));
        }
        if let Some(v) = (self.env)(def.env).filter(|v| !v.trim().is_empty()) {
            return Ok(Some((v, Source::Env(def.env))));
        }
        let Some(file) = self.file else {
            return Ok(None);
        };
        let Some(entry) = file.get(def.key) else {
            return Ok(None);
        };
        let source = Source::File {
            path: file.path.clone(),
            line: entry.line,
        };
        let text = match (&entry.value, def.kind) {
            (FileValue::Text(t), Kind::Text) => t.clone(),
            (FileValue::Text(t), Kind::Path) => self.file_path(&file.path, t),
            (FileValue::Number(n), Kind::Number) => n.clone(),
            (v, want) => {
                let got = match v {
                    FileValue::Text(_) => "a string",
                    FileValue::Number(_) => "a number",
                    FileValue::Other(what) => what,
                };
                let want = if want == Kind::Number {
                    "a number"
                } else {
                    "a string"
                };
                return Err(invalid_at(
                    def,
                    &source,
                    format!("expected {want}, found {got}"),
                ));
            }
        };
        Ok(Some((text, source)))
    }

    /// A path written in the config file: `~/` is the home directory, relative is beside the file.
    fn file_path(&self, config: &Path, text: &str) -> String {
        let p = match (text.strip_prefix("~/"), &self.home) {
            (Some(rest), Some(home)) => home.join(rest),
            _ => PathBuf::from(text),
        };
        let p = if p.is_relative() {
            config.parent().map(|d| d.join(&p)).unwrap_or(p)
        } else {
            p
        };
        p.display().to_string()
    }

    fn invalid(&self, def: &'static SettingDef, reason: String) -> ConfigError {
        let source = self
            .sources
            .iter()
            .rev()
            .find(|(k, _)| *k == def.key)
            .map(|(_, s)| s.clone())
            .unwrap_or(Source::Default);
        invalid_at(def, &source, reason)
    }

    fn author_default(&mut self) -> String {
        for var in ["USER", "USERNAME"] {
            if let Some(u) = (self.env)(var).filter(|u| !u.trim().is_empty()) {
                self.sources.push((AUTHOR.key, Source::DefaultFrom(var)));
                return u.trim().to_string();
            }
        }
        self.sources.push((AUTHOR.key, Source::Default));
        "unknown".into()
    }

    fn judge(&mut self, flags: &Overrides) -> Result<JudgeDefaults, ConfigError> {
        let provider = self.get(&JUDGE_PROVIDER, flags.judge_provider.clone(), |s| {
            ProviderKind::parse(&s).ok_or_else(|| "expected openai or anthropic".to_string())
        })?;
        let provider = self.or_default(&JUDGE_PROVIDER, provider, || ProviderKind::OpenAi);
        let model = self.get(&JUDGE_MODEL, flags.judge_model.clone(), non_blank)?;
        let model = self.or_default(&JUDGE_MODEL, model, || provider.default_model().into());
        let base_url = self.get(&JUDGE_BASE_URL, flags.judge_base_url.clone(), |s| {
            let s = s.trim().trim_end_matches('/').to_string();
            if s.starts_with("http://") || s.starts_with("https://") {
                Ok(s)
            } else {
                Err("expected an http:// or https:// URL".into())
            }
        })?;
        let base_url =
            self.or_default(&JUDGE_BASE_URL, base_url, || provider.default_base().into());
        let key_env = self.get(&JUDGE_API_KEY_ENV, flags.judge_api_key_env.clone(), |s| {
            let s = s.trim().to_string();
            if is_variable_name(&s) {
                Ok(s)
            } else {
                // Not echoed: a value that is not a variable name may well be the key itself.
                Err(
                    "must be the NAME of an environment variable (like OPENAI_API_KEY); \
                     put the key itself in that variable"
                        .into(),
                )
            }
        })?;
        let api_key_env = self.or_default(&JUDGE_API_KEY_ENV, key_env, || {
            provider.default_key_env().into()
        });
        let api_key_set = (self.env)(&api_key_env).is_some_and(|k| !k.trim().is_empty());
        let concurrency = self.get(
            &JUDGE_CONCURRENCY,
            flags.judge_concurrency.map(|n| n.to_string()),
            |s| match s.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n),
                _ => Err("expected a whole number of at least 1".into()),
            },
        )?;
        let concurrency = self.or_default(&JUDGE_CONCURRENCY, concurrency, || 4);
        let timeout = self.get(
            &JUDGE_TIMEOUT,
            flags.judge_timeout_secs.map(|n| n.to_string()),
            |s| match s.trim().parse::<f64>() {
                Ok(t) if t.is_finite() && t > 0.0 && t < 1e9 => Ok(Duration::from_secs_f64(t)),
                _ => Err("expected a positive number of seconds".into()),
            },
        )?;
        let timeout = self.or_default(&JUDGE_TIMEOUT, timeout, || Duration::from_secs(60));
        Ok(JudgeDefaults {
            provider,
            model,
            base_url,
            api_key_env,
            api_key_set,
            concurrency,
            timeout,
        })
    }
}

fn invalid_at(def: &'static SettingDef, source: &Source, reason: String) -> ConfigError {
    let place = match source {
        Source::Env(v) => format!("environment variable {v}"),
        other => other.detail().unwrap_or_else(|| "default".into()),
    };
    ConfigError::Invalid {
        place,
        key: def.key,
        reason,
    }
}

fn non_blank(s: String) -> Result<String, String> {
    let t = s.trim();
    if t.is_empty() {
        Err("must not be empty".into())
    } else {
        Ok(t.to_string())
    }
}

fn is_variable_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A URL safe to print: credentials (`user:pass@`) and the query string are hidden.
pub fn redact_url(url: &str) -> String {
    let (head, query) = match url.split_once('?') {
        Some((h, _)) => (h, "?…"),
        None => (url, ""),
    };
    let Some((scheme, rest)) = head.split_once("://") else {
        return format!("{head}{query}");
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let authority = match authority.rsplit_once('@') {
        Some((_, host)) => format!("…@{host}"),
        None => authority.to_string(),
    };
    format!("{scheme}://{authority}{path}{query}")
}

#[cfg(test)]
mod tests;
