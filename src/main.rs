//! The `trawl` binary: parse arguments, set up file logging, resolve the configuration once,
//! run a command or the TUI.

use clap::{CommandFactory, FromArgMatches};

/// mimalloc instead of the system allocator: imports allocate on parser threads and free on
/// the writer thread, a pattern glibc's allocator handles poorly (measured ~12% faster imports).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use trawl::cli::{Cli, run};
use trawl::config::Config;

/// Exit code for usage errors, an invalid configuration included.
const USAGE: i32 = 2;

fn main() {
    fix_mmap_threshold();
    // Matches first: they say which flags were typed (rather than defaulted), which the
    // configuration's precedence needs.
    let matches = Cli::command()
        .try_get_matches()
        .unwrap_or_else(|e| exit_on_clap_error(e));
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| exit_on_clap_error(e));
    init_logging(&cli.log_level);
    let config = match Config::from_process(&trawl::cli::overrides(&cli, &matches)) {
        Ok(c) => c,
        Err(e) => {
            report_error(&e.to_string());
            std::process::exit(USAGE);
        }
    };
    tracing::debug!(?config, "configuration");
    // The user's price file applies to every cost this process computes.
    if let Some(path) = &config.prices
        && let Err(e) = trawl::pricing::PriceBook::install_user_overrides(path)
    {
        report_error(&format!("prices ({}): {e}", path.display()));
        std::process::exit(USAGE);
    }
    let code = match cli.command {
        Some(cmd) => run(cmd, &config),
        None => trawl::cli::run_tui(&cli, &config),
    };
    match code {
        Ok(c) => std::process::exit(c),
        // The reader went away (`trawl traces | head -1`): that is how pipes end, not an error.
        Err(e) if trawl::cli::out::is_broken_pipe(&e) => std::process::exit(0),
        Err(e) => {
            report_error(&format!("{e:#}"));
            // A flag value that does not parse (`--since 7x`, `--verdict maybe`) is a usage
            // error, as clap's own are, whichever command found it.
            let usage = e
                .chain()
                .any(|c| c.downcast_ref::<trawl::filter::FilterError>().is_some());
            std::process::exit(if usage { USAGE } else { 1 });
        }
    }
}

/// SQLite (FTS5 merges included) and zstd allocate through the C library's malloc, not
/// mimalloc. glibc raises its mmap threshold each time a large mmapped block is freed (up to
/// 32 MB), after which blocks that size come from the heap, whose freed memory mostly stays with
/// the process. A fixed threshold keeps large transient buffers in mmap, unmapped when freed:
/// `trawl --listen` with the TUI open for 180 s held 10-20 MB less (two alternated pairs,
/// 2026-11-30), at the same rate.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn fix_mmap_threshold() {
    // SAFETY: mallopt only sets a parameter of the C allocator; it runs first in `main`,
    // before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn fix_mmap_threshold() {}

/// Error text can quote file content (paths, ids): keep it terminal-safe. A closed stderr is
/// ignored rather than panicking the way `eprintln!` would.
fn report_error(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr().lock(),
        "trawl: error: {}",
        trawl::sanitize::clean(text)
    );
}

/// Logs go to a file, never to the terminal (the TUI owns it).
fn init_logging(level: &str) {
    let path = trawl::paths::log_file();
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init();
}

/// clap's own exit, except that a usage error quotes the offending argument, which can be
/// untrusted text (a trace id pasted from a trace): its lines are sanitised like every other
/// error (plain text, no colours). Help and version output are clap's, unchanged.
fn exit_on_clap_error(e: clap::Error) -> ! {
    use clap::error::ErrorKind::{
        DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion,
    };
    if matches!(
        e.kind(),
        DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit()
    }
    let text = e.render().to_string();
    let clean: Vec<String> = text.lines().map(trawl::sanitize::clean_line).collect();
    {
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), "{}", clean.join("\n").trim_end());
    }
    std::process::exit(e.exit_code())
}
