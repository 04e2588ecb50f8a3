//! `trawl config`: every setting in effect and where it came from. Never prints a secret: the
//! judge's key is shown only as the name of its variable and whether that is set.

use crate::config::{self, Config, SETTINGS, SettingDef};
use crate::sanitize::clean_line;
use anyhow::Result;
use clap::Args;
use serde_json::{Map, Value, json};

const EXAMPLES: &str = "Examples:
  trawl config
  trawl config --json | jq '.settings[\"judge.model\"]'
  TRAWL_JUDGE_MODEL=gpt-4o trawl config        see an override take effect
  trawl config --example > ~/.config/trawl/config.toml

Each setting is taken from the first of: a command-line flag, an environment variable,
$XDG_CONFIG_HOME/trawl/config.toml (else ~/.config/trawl/config.toml), the default.
--json prints {config_file, config_file_found, settings}; settings maps each key (store, theme,
author, prices, judge.provider, judge.model, judge.base_url, judge.api_key_env,
judge.concurrency, judge.timeout) to {value, source (flag, env, file or default), from (the
flag, variable or file:line; null for a plain default), env, help}; judge.api_key_env also has
is_set. API keys are never printed.
Exit status: 0, or 2 when the configuration is invalid (the message names the file and key).";

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ConfigArgs {
    /// Print the settings as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print a commented example config file (every key, with its default) and exit.
    #[arg(long, conflicts_with = "json")]
    pub example: bool,
}

const EXAMPLE: &str = include_str!("../../assets/config.example.toml");

pub fn run(args: &ConfigArgs, cfg: &Config) -> Result<i32> {
    if args.example {
        use std::io::Write as _;
        write!(std::io::stdout().lock(), "{EXAMPLE}")?;
        return Ok(0);
    }
    let rows: Vec<Row> = SETTINGS.iter().map(|def| row(cfg, def)).collect();
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&to_json(cfg, &rows))?);
    } else {
        print_table(cfg, &rows)?;
    }
    Ok(0)
}

/// One setting as shown.
struct Row {
    def: &'static SettingDef,
    text: String,
    json: Value,
    /// Only for `judge.api_key_env`: whether the named variable is set.
    is_set: Option<bool>,
}

fn row(cfg: &Config, def: &'static SettingDef) -> Row {
    let path = |p: &std::path::Path| p.display().to_string();
    let (text, json, is_set) = match def.key {
        "store" => (path(&cfg.store), json!(path(&cfg.store)), None),
        "theme" => (cfg.theme.as_str().into(), json!(cfg.theme.as_str()), None),
        "author" => (cfg.author.clone(), json!(cfg.author), None),
        "prices" => match &cfg.prices {
            Some(p) => (path(p), json!(path(p)), None),
            None => ("(none)".into(), Value::Null, None),
        },
        "judge.provider" => {
            let p = cfg.judge.provider.as_str();
            (p.into(), json!(p), None)
        }
        "judge.model" => (cfg.judge.model.clone(), json!(cfg.judge.model), None),
        "judge.base_url" => {
            let u = config::redact_url(&cfg.judge.base_url);
            (u.clone(), json!(u), None)
        }
        "judge.api_key_env" => {
            let set = cfg.judge.api_key_set;
            let shown = format!(
                "{} ({})",
                cfg.judge.api_key_env,
                if set { "set" } else { "not set" }
            );
            (shown, json!(cfg.judge.api_key_env), Some(set))
        }
        "judge.concurrency" => (
            cfg.judge.concurrency.to_string(),
            json!(cfg.judge.concurrency),
            None,
        ),
        "judge.timeout" => {
            let secs = cfg.judge.timeout.as_secs_f64();
            (format!("{secs}s"), json!(secs), None)
        }
        // A setting added to SETTINGS without a row here still shows, as unknown.
        _ => ("?".into(), Value::Null, None),
    };
    Row {
        def,
        text,
        json,
        is_set,
    }
}

fn print_table(cfg: &Config, rows: &[Row]) -> Result<()> {
    match &cfg.file {
        Some(f) => super::out::say(
            &format!(
                "config file: {} ({})",
                clean_line(&f.display().to_string()),
                if cfg.file_found { "found" } else { "not found" }
            ),
            2,
        )?,
        None => outln!("config file: none (no home directory)"),
    }
    outln!();
    let key_w = rows.iter().map(|r| r.def.key.len()).max().unwrap_or(0);
    let val_w = rows
        .iter()
        .map(|r| r.text.chars().count())
        .max()
        .unwrap_or(0)
        .min(60);
    for r in rows {
        // Wider than the output (a long store path), a row wraps under the value column.
        let line = format!(
            "{:<key_w$}  {:<val_w$}  {}",
            r.def.key,
            clean_line(&r.text),
            clean_line(&cfg.source(r.def.key).to_string())
        );
        super::out::say(&line, key_w + 2)?;
    }
    Ok(())
}

fn to_json(cfg: &Config, rows: &[Row]) -> Value {
    let mut settings = Map::new();
    for r in rows {
        let source = cfg.source(r.def.key);
        let mut o = json!({
            "value": r.json,
            "source": source.kind(),
            "from": source.detail(),
            "env": r.def.env,
            "help": r.def.help,
        });
        if let Some(set) = r.is_set {
            o["is_set"] = json!(set);
        }
        settings.insert(r.def.key.to_string(), o);
    }
    json!({
        "config_file": cfg.file.as_ref().map(|f| f.display().to_string()),
        "config_file_found": cfg.file_found,
        "settings": settings,
    })
}
