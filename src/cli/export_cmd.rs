//! Placeholder: being written.

use super::StoreArg;
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct ExportArgs {}

pub fn run(_args: &ExportArgs, _store: &StoreArg) -> Result<i32> {
    bail!("not available yet")
}
