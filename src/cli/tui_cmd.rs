//! Opening the TUI (placeholder: being written).

use super::Cli;
use anyhow::{Result, bail};

pub fn run(_cli: &Cli) -> Result<i32> {
    bail!("the TUI is not built yet; use the subcommands (trawl --help)")
}
