//! `trawl judge` (placeholder: being written).

use super::{FilterArgs, StoreArg};
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct JudgeArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run(_args: &JudgeArgs, _store: &StoreArg) -> Result<i32> {
    bail!("trawl judge is not available yet")
}
