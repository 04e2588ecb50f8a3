//! Placeholder: being written.

use super::StoreArg;
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct LabelArgs {}

pub fn run(_args: &LabelArgs, _store: &StoreArg) -> Result<i32> {
    bail!("not available yet")
}
