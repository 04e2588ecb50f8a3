//! Where trawl keeps its files (XDG on Linux, the platform's equivalents elsewhere).

use std::path::PathBuf;

/// The default store: `$XDG_DATA_HOME/trawl/trawl.db`.
pub fn default_store() -> PathBuf {
    data_dir().join("trawl.db")
}

pub fn data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("trawl")
}

/// Where stores built from files opened on the command line are cached.
pub fn cache_dir() -> PathBuf {
    dirs::cache_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("trawl")
}

pub fn config_dir() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("trawl")
}

/// Log file for the TUI (never the terminal it owns).
pub fn log_file() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("trawl")
        .join("trawl.log")
}
