//! Opening the TUI: decide which store to browse (a store given directly, a cache store for
//! trace files, or the default store) and which files to import in the background.

use super::Cli;
use crate::ingest::{Format, detect_format};
use crate::tui::{Theme, TuiOptions};
use anyhow::{Result, bail};
use sha2::{Digest, Sha256};
use std::path::PathBuf;

pub fn run(cli: &Cli) -> Result<i32> {
    let theme = Theme::detect(cli.theme.as_deref());
    for s in &cli.sources {
        if !s.exists() {
            bail!("{}: no such file", s.display());
        }
    }
    let (store_path, imports, label) = choose_store(cli)?;
    crate::tui::run(TuiOptions {
        store_path,
        imports,
        theme,
        mouse: cli.mouse,
        label,
        follow: cli.follow,
    })
}

fn choose_store(cli: &Cli) -> Result<(PathBuf, Vec<PathBuf>, String)> {
    let name = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| p.display().to_string())
    };
    if let [only] = cli.sources.as_slice()
        && cli.store.store.is_none()
        && matches!(detect_format(only), Ok(Format::TrawlStore))
    {
        return Ok((only.clone(), Vec::new(), name(only)));
    }
    if cli.sources.is_empty() {
        let p = cli.store.path();
        return Ok((p.clone(), Vec::new(), name(&p)));
    }
    let label = cli.sources.iter().map(name).collect::<Vec<_>>().join(", ");
    if let Some(p) = &cli.store.store {
        return Ok((p.clone(), cli.sources.clone(), label));
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
