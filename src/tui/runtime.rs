//! The event loop: terminal events become actions through the keymap; effects go to a worker
//! thread that owns its own store connection; an import thread (its own connection too) writes
//! while the list refreshes as batches commit.

use super::action::{Action, Cmd, Effect, ImportStatus};
use super::app::App;
use super::compare::{CompareAction, CompareEffect};
use super::keymap;
use super::live_throttle::LiveThrottle;
use super::terminal::{self, TerminalGuard};
use super::theme::Theme;
use crate::import::{ImportOptions, import_file};
use crate::judge::JudgeHandle;
use crate::store::Store;
use crossterm::event::{self, Event, KeyEventKind, MouseEventKind};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

/// The page cache (KiB) of the TUI's read connection. While a writer commits (an import,
/// `--listen`), SQLite drops a reader's whole cache at its next read, so a big cache holds
/// nothing useful: it only grows the process (the store's default is 64 MB) and costs its
/// truncation at every refresh.
const READ_CACHE_KIB: i64 = 8 * 1024;

/// How often an idle reader asks whether another connection committed (`trawl listen` or an
/// import in another process), so their traces appear without a key press.
const STORE_POLL: Duration = Duration::from_secs(1);

pub struct TuiOptions {
    pub store_path: PathBuf,
    /// Files to import into the store in the background.
    pub imports: Vec<PathBuf>,
    pub theme: Theme,
    pub mouse: bool,
    pub label: String,
    /// Keep tailing the imported files as they grow (`trawl --follow FILE`).
    pub follow: bool,
    /// Receive OTLP traces into the store while open (`trawl --listen`).
    pub listen: Option<crate::listen::ListenConfig>,
    /// The judge `J` runs, and the author of labels (both from the resolved config).
    pub judge_provider: crate::judge::ProviderConfig,
    pub author: String,
    /// A slice to pull from ClickHouse into the store in the background.
    pub remote: Option<RemotePull>,
}

/// `trawl 'clickhouse://…' --since …`: where to pull from and what.
pub struct RemotePull {
    pub client: crate::remote::Client,
    pub opts: crate::remote::PullOptions,
}

/// Where effects go: queries to the worker, judge runs to their own threads.
struct Outbox {
    effects: Sender<Effect>,
    actions: Sender<Action>,
    store_path: PathBuf,
    judges: HashMap<u64, JudgeHandle>,
    mouse: bool,
    /// The terminal was handed to an editor: redraw everything.
    redraw: bool,
}

pub fn run(mut opts: TuiOptions) -> anyhow::Result<i32> {
    // Create the schema before any reader opens the file; an existing read-only store is
    // browsed (the note says why judging and labelling are refused).
    let (store, access) = open_for_browsing(&opts.store_path)?;
    drop(store);
    let (action_tx, action_rx) = mpsc::channel::<Action>();
    let (effect_tx, effect_rx) = mpsc::channel::<Effect>();
    let refresh_cost = Arc::new(AtomicU64::new(0));
    let worker = spawn_worker(
        opts.store_path.clone(),
        effect_rx,
        action_tx.clone(),
        refresh_cost.clone(),
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    // Threads that must finish their end-of-run steps (commit what they accepted, mark their
    // source complete) before the process exits.
    let mut finishing: Vec<(&'static str, std::thread::JoinHandle<()>)> = Vec::new();
    if !opts.imports.is_empty() {
        if opts.follow {
            for f in &opts.imports {
                let h = spawn_follow(
                    opts.store_path.clone(),
                    f.clone(),
                    stop.clone(),
                    action_tx.clone(),
                );
                finishing.push(("following files", h));
            }
        } else {
            spawn_import(
                opts.store_path.clone(),
                opts.imports.clone(),
                action_tx.clone(),
            );
        }
    }
    let pulling = opts.remote.is_some();
    if let Some(r) = opts.remote.take() {
        spawn_pull(opts.store_path.clone(), r, action_tx.clone());
    }
    if let Some(config) = opts.listen.clone() {
        let h = spawn_listen(
            opts.store_path.clone(),
            config,
            stop.clone(),
            action_tx.clone(),
        );
        finishing.push(("receiving traces", h));
    }
    let mut app = App::new(opts.theme, crate::timefilter::now(), opts.label.clone());
    app.judge_provider = opts.judge_provider.clone();
    app.author = opts.author.clone();
    if let Some(note) = access.note(&opts.store_path) {
        app.status = Some(crate::tui::status::Status {
            text: crate::sanitize::clean_line(&note),
            error: false,
        });
    }
    if !opts.imports.is_empty() || pulling {
        app.set_import(Some(ImportStatus::default()));
    }
    let mut out = Outbox {
        effects: effect_tx,
        actions: action_tx,
        store_path: opts.store_path.clone(),
        judges: HashMap::new(),
        mouse: opts.mouse,
        redraw: false,
    };
    let guard = TerminalGuard::enter(opts.mouse)?;
    let mut live = LiveThrottle::new(refresh_cost);
    let result = event_loop(&mut app, &action_rx, &mut out, &mut live);
    drop(guard);
    stop.store(true, Ordering::SeqCst);
    for h in out.judges.values() {
        h.cancel();
    }
    // Labels typed just before quitting are still queued for the worker: let it finish them
    // (closing the channel ends its loop) rather than lose them with the process.
    drop(out);
    drop(action_rx);
    let _ = worker.join();
    finish(finishing);
    result.map(|()| 0)
}

/// Waits for the receiver and followers to stop (they were told to): the receiver answers and
/// commits the requests it accepted, and each marks its source complete. Said on stderr when it
/// takes more than a moment, so a quit that waits is not taken for a hang.
fn finish(threads: Vec<(&'static str, std::thread::JoinHandle<()>)>) {
    let started = std::time::Instant::now();
    let mut said = false;
    for (what, h) in threads {
        while !h.is_finished() {
            if !said && started.elapsed() > std::time::Duration::from_millis(500) {
                use std::io::Write as _;
                let _ = writeln!(
                    std::io::stderr().lock(),
                    "trawl: finishing {what} before exit…"
                );
                said = true;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let _ = h.join();
    }
}

fn event_loop(
    app: &mut App,
    actions: &Receiver<Action>,
    effects: &mut Outbox,
    live: &mut LiveThrottle,
) -> anyhow::Result<()> {
    let mut term = Terminal::new(CrosstermBackend::new(std::io::stdout()))?;
    term.clear()?;
    let size = term.size()?;
    run_effects(app.update(Action::Resize(size.width, size.height)), effects);
    run_effects(app.update(Action::Init), effects);
    let mut dirty = true;
    while !app.quit {
        if effects.redraw {
            effects.redraw = false;
            term.clear()?;
            dirty = true;
        }
        if dirty {
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::BeginSynchronizedUpdate
            );
            term.draw(|f| super::views::draw(f, app))?;
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::terminal::EndSynchronizedUpdate
            );
            dirty = false;
        }
        if event::poll(Duration::from_millis(30))? {
            // Drain everything pending before the next frame.
            loop {
                if let Some(a) = to_action(app, event::read()?) {
                    run_effects(app.update(a), effects);
                    dirty = true;
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        while let Ok(a) = actions.try_recv() {
            for a in live.hold(a) {
                run_effects(app.update(a), effects);
                dirty = true;
            }
        }
        if let Some(a) = live.due(Instant::now()) {
            run_effects(app.update(a), effects);
            dirty = true;
        }
    }
    Ok(())
}

fn to_action(app: &App, ev: Event) -> Option<Action> {
    // While the "terminal too small" notice is all there is to see, a key must not act on
    // screens the user cannot see: only leaving (`q` goes back, Ctrl-C quits) still works.
    let (w, h) = app.size;
    if w < super::views::MIN_WIDTH || h < super::views::MIN_HEIGHT {
        return match ev {
            Event::Resize(w, h) => Some(Action::Resize(w, h)),
            Event::Key(k) if k.kind == KeyEventKind::Press => keymap::resolve(app.mode(), &k)
                .filter(|a| matches!(a, Action::Cmd(Cmd::Quit | Cmd::Back))),
            _ => None,
        };
    }
    match ev {
        Event::Key(k) if k.kind == KeyEventKind::Press => keymap::resolve(app.mode(), &k),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        Event::Mouse(m) => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Cmd(Cmd::Down)),
            MouseEventKind::ScrollUp => Some(Action::Cmd(Cmd::Up)),
            _ => None,
        },
        Event::Paste(text) if app.input.is_some() => text.chars().next().map(Action::InputChar),
        _ => None,
    }
}

fn run_effects(list: Vec<Effect>, out: &mut Outbox) {
    for e in list {
        match e {
            Effect::Copy { text } => {
                if let Err(err) = terminal::copy(&text) {
                    tracing::warn!("copy failed: {err}");
                }
            }
            Effect::StartJudge { run, job } => {
                out.judges.retain(|_, h| !h.is_finished());
                let (tx, rx) = mpsc::channel();
                let handle = crate::judge::spawn_run(out.store_path.clone(), job.0, tx);
                let actions = out.actions.clone();
                // Forward the run's events as actions tagged with its id.
                std::thread::spawn(move || {
                    for event in rx {
                        if actions.send(Action::Judge { run, event }).is_err() {
                            return;
                        }
                    }
                });
                out.judges.insert(run, handle);
            }
            Effect::Compare(CompareEffect::Run { run, prepared }) => {
                let (actions, path) = (out.actions.clone(), out.store_path.clone());
                std::thread::spawn(move || {
                    let result = Store::open(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|mut s| {
                            let retry = crate::judge::RetryPolicy::default();
                            crate::replay::single::send_and_store(&mut s, &prepared, &retry)
                        });
                    let _ = actions.send(Action::Compare(CompareAction::Ran { run, result }));
                });
            }
            Effect::Compare(CompareEffect::Edit { req, text }) => {
                // The editor gets the terminal; the TUI takes it back after.
                terminal::restore(out.mouse);
                let result = super::compare_data::edit_in_editor(&text);
                if let Err(e) = terminal::resume(out.mouse) {
                    tracing::warn!("cannot take the terminal back: {e}");
                }
                out.redraw = true;
                let _ = out
                    .actions
                    .send(Action::Compare(CompareAction::Edited { req, result }));
            }
            Effect::CancelJudge { run } => {
                if let Some(h) = out.judges.get(&run) {
                    h.cancel();
                }
            }
            other => {
                let _ = out.effects.send(other);
            }
        }
    }
}

fn spawn_worker(
    path: PathBuf,
    rx: Receiver<Effect>,
    tx: Sender<Action>,
    refresh_cost: Arc<AtomicU64>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    // Named, so a profile (and the listen bench) can tell the TUI's reads from the rest.
    std::thread::Builder::new()
        .name("trawl-tui-reader".into())
        .spawn(move || {
            let store = match open_for_browsing(&path) {
                Ok((s, _)) => {
                    if let Err(e) = s.limit_page_cache(READ_CACHE_KIB) {
                        tracing::warn!("cannot bound the read connection's page cache: {e}");
                    }
                    s
                }
                Err(e) => {
                    let _ = tx.send(Action::RequestFailed {
                        req: 0,
                        message: e.to_string(),
                    });
                    return;
                }
            };
            // What `data_version` said at the last poll. Only the poll moves it: a batch that
            // opens a trace must not count as the list having seen a commit. So a commit the
            // views read anyway (this process's own import) costs one more refresh at most.
            let mut seen = store.data_version().ok();
            loop {
                let first = match rx.recv_timeout(STORE_POLL) {
                    Ok(e) => e,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        let now = store.data_version().ok();
                        if now != seen {
                            seen = now;
                            // As below: with the UI gone, queued writes must still land.
                            let _ = tx.send(Action::StoreChanged);
                        }
                        continue;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                };
                // Only the newest page request matters; older ones would be dropped as stale.
                let mut batch = vec![first];
                batch.extend(rx.try_iter());
                let last_page = batch
                    .iter()
                    .rposition(|e| matches!(e, Effect::FetchPage { .. }));
                // What a live refresh costs: the list's page and an open trace read again.
                let mut refresh = Duration::ZERO;
                for (i, e) in batch.iter().enumerate() {
                    if matches!(e, Effect::FetchPage { .. }) && Some(i) != last_page {
                        continue;
                    }
                    // Keep executing after the UI has gone: queued writes (labels) must land.
                    let started = Instant::now();
                    let result = super::data::execute(&store, e);
                    if matches!(e, Effect::FetchPage { .. })
                        || matches!(e, Effect::OpenTrace { shown, .. } if *shown > 0)
                    {
                        refresh += started.elapsed();
                    }
                    if let Some(a) = result {
                        let _ = tx.send(a);
                    }
                }
                if !refresh.is_zero() {
                    // A live list refreshes every second: without this the reader's cache kept
                    // pages beyond its bound and the TUI's memory rose with the store.
                    if let Err(e) = store.release_page_cache() {
                        tracing::debug!("releasing the read connection's pages: {e}");
                    }
                    let took = u64::try_from(refresh.as_micros()).unwrap_or(u64::MAX);
                    refresh_cost.store(took, Ordering::Relaxed);
                    tracing::debug!("refresh in {took} µs");
                }
            }
        })
}

fn spawn_import(path: PathBuf, files: Vec<PathBuf>, tx: Sender<Action>) {
    std::thread::spawn(move || {
        let Some(mut store) = open_or_report(&path, "import", &tx) else {
            return;
        };
        let mut spans = 0u64;
        let mut problems: Vec<String> = Vec::new();
        for f in &files {
            if crate::import::is_current(&store, f) {
                tracing::info!("{} unchanged since last import", f.display());
                continue;
            }
            let mut on_progress = progress_to_actions(tx.clone(), f, false);
            let opts = ImportOptions {
                on_progress: Some(&mut on_progress),
                ..Default::default()
            };
            match import_file(&mut store, f, opts) {
                Ok(report) => {
                    if let Some(fatal) = &report.fatal {
                        problems.push(format!("{}: {fatal}", f.display()));
                    }
                    spans += report.spans_new;
                }
                Err(e) => problems.push(format!("{}: {e}", f.display())),
            }
        }
        let (message, ok) = if problems.is_empty() {
            (format!("import done: {spans} new spans"), true)
        } else {
            (problems.join("; "), false)
        };
        tracing::info!("{message}");
        let _ = tx.send(Action::ImportDone { message, ok });
    });
}

/// Pulls a ClickHouse slice into the store; the list refreshes as pages commit, like a file
/// being imported.
fn spawn_pull(path: PathBuf, pull: RemotePull, tx: Sender<Action>) {
    std::thread::spawn(move || {
        let Some(mut store) = open_or_report(&path, "pull", &tx) else {
            return;
        };
        let name = pull.client.source().display();
        let progress_tx = tx.clone();
        let mut on_progress = |p: &crate::remote::PullProgress| {
            let _ = progress_tx.send(Action::ImportProgress(ImportStatus {
                file: name.clone(),
                spans: p.spans,
                ..Default::default()
            }));
        };
        let (message, ok) =
            match crate::remote::pull(&mut store, &pull.client, &pull.opts, &mut on_progress) {
                // New work first; on a re-pull the spans already stored say why nothing is new.
                Ok(r) => {
                    let mut message = format!(
                        "pull done: {} new traces, {} new spans",
                        r.traces_new, r.spans_new
                    );
                    if r.duplicates > 0 {
                        message.push_str(&format!(", {} already stored", r.duplicates));
                    }
                    (message, true)
                }
                Err(e) => (format!("pull {name}: {e}"), false),
            };
        tracing::info!("{message}");
        let _ = tx.send(Action::ImportDone { message, ok });
    });
}

/// The store the TUI reads: created when missing, else opened as writable as the file and its
/// folder allow (a read-only store is browsed, never refused).
fn open_for_browsing(
    path: &std::path::Path,
) -> crate::store::Result<(Store, crate::store::Access)> {
    if path.exists() {
        Store::open_for_reading(path)
    } else {
        Store::open(path).map(|s| (s, crate::store::Access::ReadWrite))
    }
}

/// The store for a background writer; a failure ends the job with a message in the status line.
fn open_or_report(path: &std::path::Path, job: &str, tx: &Sender<Action>) -> Option<Store> {
    match Store::open(path) {
        Ok(s) => Some(s),
        Err(e) => {
            let _ = tx.send(Action::ImportDone {
                message: format!("{job}: {e}"),
                ok: false,
            });
            None
        }
    }
}

/// Forwards an import's progress to the app as actions (the status line and list refresh).
fn progress_to_actions(
    tx: Sender<Action>,
    file: &std::path::Path,
    following: bool,
) -> impl FnMut(&crate::import::Progress) {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    move |p: &crate::import::Progress| {
        let _ = tx.send(Action::ImportProgress(ImportStatus {
            file: name.clone(),
            bytes_read: p.bytes_read,
            bytes_total: p.bytes_total,
            spans: p.spans,
            following,
        }));
    }
}

/// Tails one growing file until the app quits; every commit refreshes the list.
fn spawn_follow(
    path: PathBuf,
    file: PathBuf,
    stop: Arc<AtomicBool>,
    tx: Sender<Action>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let Some(mut store) = open_or_report(&path, "follow", &tx) else {
            return;
        };
        let mut on_progress = progress_to_actions(tx.clone(), &file, true);
        let (message, ok) =
            match crate::import::follow_file(&mut store, &file, &stop, &mut on_progress) {
                Ok(r) => match &r.fatal {
                    Some(f) => (format!("follow {}: {f}", file.display()), false),
                    None => (format!("stopped following {}", file.display()), true),
                },
                Err(e) => (format!("follow {}: {e}", file.display()), false),
            };
        tracing::info!("{message}");
        let _ = tx.send(Action::ImportDone { message, ok });
    })
}

/// Receives OTLP traces until the app quits; new spans refresh the list like a followed file,
/// with the receiver's address, rate and rejected counts in the status line.
fn spawn_listen(
    path: PathBuf,
    config: crate::listen::ListenConfig,
    stop: Arc<AtomicBool>,
    tx: Sender<Action>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let progress = tx.clone();
        let mut on_update = move |s: &crate::listen::live::LiveStatus| {
            let _ = progress.send(Action::ImportProgress(ImportStatus {
                file: s.summary(),
                spans: s.spans,
                following: true,
                ..ImportStatus::default()
            }));
        };
        let (message, ok) =
            match crate::listen::live::run_until(&path, config, &stop, &mut on_update) {
                Ok(m) => (m, true),
                Err(e) => (format!("listen: {e}"), false),
            };
        tracing::info!("{message}");
        let _ = tx.send(Action::ImportDone { message, ok });
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(c: char) -> Event {
        Event::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
    }

    #[test]
    fn a_too_small_terminal_takes_only_leaving_and_resizes() {
        let now = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 16, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let mut app = App::new(Theme::mono(), now, "test".into());
        app.update(Action::Resize(40, 10));
        assert!(to_action(&app, press('j')).is_none());
        assert!(matches!(
            to_action(&app, press('q')),
            Some(Action::Cmd(Cmd::Back))
        ));
        assert!(matches!(
            to_action(&app, Event::Resize(80, 24)),
            Some(Action::Resize(80, 24))
        ));
        app.update(Action::Resize(80, 24));
        assert!(matches!(
            to_action(&app, press('j')),
            Some(Action::Cmd(Cmd::Down))
        ));
    }
}
