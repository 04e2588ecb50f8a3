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

/// trawl's config directory: `$XDG_CONFIG_HOME/trawl`, else `~/.config/trawl` (on every
/// platform, so the documented path is the real one).
pub fn config_dir() -> PathBuf {
    config_dir_in(&|k| std::env::var(k).ok()).unwrap_or_else(|| {
        dirs::config_dir()
            .unwrap_or_else(|| PathBuf::from("."))
            .join("trawl")
    })
}

/// [`config_dir`] for a given environment (tests pass their own); `None` without a home.
pub fn config_dir_in(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let xdg = env("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = xdg.or_else(|| {
        env("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(".config"))
    })?;
    Some(base.join("trawl"))
}

/// Log file for the TUI (never the terminal it owns).
pub fn log_file() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::cache_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("trawl")
        .join("trawl.log")
}
