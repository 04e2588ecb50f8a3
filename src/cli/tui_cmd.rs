//! Opening the TUI: decide which store to browse (a store given directly, a cache store for
//! trace files, or the configured store) and which files to import in the background. The
//! TUI gets its theme, judge defaults and label author from the resolved config.

use super::Cli;
use crate::config::{Config, ThemeName};
use crate::ingest::{Format, detect_format};
use crate::tui::{Theme, TuiOptions};
use anyhow::{Result, bail};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub fn run(cli: &Cli, cfg: &Config) -> Result<i32> {
    let theme = match cfg.theme {
        ThemeName::Mono => Theme::mono(),
        ThemeName::Light => Theme::light(),
        ThemeName::Dark => Theme::dark(),
    };
    let remote = remote_pull(cli)?;
    for s in &cli.sources {
        if remote.is_none() && !s.exists() {
            bail!("{}: no such file", s.display());
        }
    }
    let listen = match listen_config(cli) {
        Ok(l) => l,
        Err(msg) => return super::listen_cmd::usage(&msg),
    };
    let (store_path, imports, label) = match &remote {
        Some(r) => remote_store(cli, r),
        None => choose_store(cli, cfg)?,
    };
    crate::tui::run(TuiOptions {
        store_path,
        imports,
        remote,
        theme,
        mouse: cli.mouse,
        label,
        follow: cli.follow,
        listen,
        judge_provider: cfg.judge.provider_config(),
        author: cfg.author.clone(),
    })
}

/// What `--listen`, `--listen-http` and `--listen-grpc` ask the TUI to receive on. Loopback
/// only: receiving from other machines needs a token, which `trawl listen --token-env` takes.
fn listen_config(cli: &Cli) -> std::result::Result<Option<crate::listen::ListenConfig>, String> {
    if !cli.listen && cli.listen_http.is_none() && cli.listen_grpc.is_none() {
        return Ok(None);
    }
    let mut config = crate::listen::ListenConfig::default();
    if let Some(a) = &cli.listen_http {
        config.http = super::listen_cmd::parse_addr("--listen-http", a)?;
    }
    if let Some(a) = &cli.listen_grpc {
        config.grpc = super::listen_cmd::parse_addr("--listen-grpc", a)?;
    }
    if config.http.is_none() && config.grpc.is_none() {
        return Err("--listen-http and --listen-grpc are both off: nothing to listen on".into());
    }
    if let Some(a) = [config.http, config.grpc]
        .into_iter()
        .flatten()
        .find(|a| !a.ip().is_loopback())
    {
        return Err(format!(
            "{a} is reachable from other machines: the TUI receives on loopback only; run \
             `trawl listen --token-env VAR` to receive from other machines"
        ));
    }
    Ok(Some(config))
}

/// `trawl 'clickhouse://…' --since …`: the slice to pull in the background, if that is what
/// SOURCES names.
fn remote_pull(cli: &Cli) -> Result<Option<crate::tui::RemotePull>> {
    let urls: Vec<&str> = cli
        .sources
        .iter()
        .filter_map(|p| p.to_str())
        .filter(|s| crate::remote::is_clickhouse_url(s))
        .collect();
    let [url] = urls.as_slice() else {
        if urls.len() > 1 {
            bail!("open one clickhouse:// source at a time");
        }
        if !cli.pull.terms().is_empty() {
            bail!(
                "the filter flags select what to pull from a clickhouse:// source; files open whole"
            );
        }
        return Ok(None);
    };
    if cli.sources.len() > 1 {
        bail!("a clickhouse:// source opens on its own, without files");
    }
    let filter = cli.pull.to_filter(crate::timefilter::now())?;
    let client = super::remote_src::connect(url, cli.password_env.as_deref())?;
    Ok(Some(crate::tui::RemotePull {
        client,
        opts: crate::remote::PullOptions {
            filter,
            limit_traces: None,
        },
    }))
}

/// One cache store per remote source (its display form, never the password): pulling a slice
/// again adds only what is new.
fn remote_store(cli: &Cli, r: &crate::tui::RemotePull) -> (PathBuf, Vec<PathBuf>, String) {
    let label = r.client.source().display();
    if let Some(s) = &cli.store.store {
        return (s.clone(), Vec::new(), label);
    }
    let digest = Sha256::digest(label.as_bytes());
    let path = crate::paths::cache_dir().join(format!("{}.db", hex::encode(&digest[..8])));
    (path, Vec::new(), label)
}

fn choose_store(cli: &Cli, cfg: &Config) -> Result<(PathBuf, Vec<PathBuf>, String)> {
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    if let [only] = cli.sources.as_slice()
        && !cfg.store_named()
        && matches!(detect_format(only), Ok(Format::TrawlStore))
    {
        return Ok((only.clone(), Vec::new(), name(only)));
    }
    if cli.sources.is_empty() {
        let p = cfg.store.clone();
        return Ok((p.clone(), Vec::new(), name(&p)));
    }
    let label = cli.sources.iter().map(name).collect::<Vec<_>>().join(", ");
    if cfg.store_named() {
        return Ok((cfg.store.clone(), cli.sources.clone(), label));
    }
    // One cache store per set of files; each file is re-imported only when its size or
    // modification time changed (checked against the store's sources table).
    let mut canon: Vec<String> = cli
        .sources
        .iter()
        .map(|p| {
            std::fs::canonicalize(p)
                .unwrap_or_else(|_| p.clone())
                .display()
                .to_string()
        })
        .collect();
    canon.sort();
    let digest = Sha256::digest(canon.join("\n").as_bytes());
    let key = hex::encode(&digest[..8]);
    let path = crate::paths::cache_dir().join(format!("{key}.db"));
    Ok((path, cli.sources.clone(), label))
}
