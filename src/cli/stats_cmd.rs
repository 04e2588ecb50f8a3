//! `trawl stats` and `trawl check` (placeholder: being written).

use super::{FilterArgs, StoreArg};
use anyhow::{Result, bail};
use clap::Args;

#[derive(Debug, Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub filter: FilterArgs,
}

pub fn run_stats(_args: &StatsArgs, _store: &StoreArg) -> Result<i32> {
    bail!("trawl stats is not available yet")
}

pub fn run_check(_args: &CheckArgs, _store: &StoreArg) -> Result<i32> {
    bail!("trawl check is not available yet")
}
