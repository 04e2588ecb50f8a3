//! The WAL checkpointer the span writer runs beside a bulk write.

/// A second connection that checkpoints the WAL every few hundred milliseconds, so the
/// importing thread never stops to copy pages itself (PASSIVE checkpoints never block it).
///
/// PASSIVE alone never lets the WAL start over: the writer commits again before a checkpoint
/// catches up, so the log only grows (`trawl listen` left a 4.9 GB WAL beside a 1 GB store
/// after 24 s, and every commit then paid the file system for fresh blocks: a fifth of the
/// writer's time, growing with the store). Once the log passes [`RESTART_WAL_BYTES`], the
/// checkpointer asks the writer, which runs a RESTART checkpoint right after its next commit:
/// it copies the few frames PASSIVE has not, and the next transaction writes from the start of
/// the log again. The checkpointer cannot do it itself: the writer holds its lock almost all the
/// time, and SQLite's busy waiting would rarely catch the gap between two transactions.
pub(super) struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub(super) restart_wanted: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

/// The WAL size past which the checkpointer makes the log start over (see [`Checkpointer`]).
const RESTART_WAL_BYTES: i64 = 64 << 20;

impl Checkpointer {
    pub(super) fn start(path: &std::path::Path) -> Option<Checkpointer> {
        let conn = rusqlite::Connection::open(path).ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).ok()?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let restart_wanted = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let want_restart = restart_wanted.clone();
        let handle = std::thread::Builder::new()
            .name("trawl-checkpoint".into())
            .spawn(move || {
                let page_size: i64 = conn
                    .query_row("PRAGMA page_size", [], |r| r.get(0))
                    .unwrap_or(4096);
                let restart_frames = RESTART_WAL_BYTES / page_size.max(512);
                // (busy, frames in the log, frames checkpointed)
                let checkpoint = |mode: &str| {
                    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                        r.get::<_, i64>(1)
                    })
                    .ok()
                };
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(std::time::Duration::from_millis(250));
                    if checkpoint("PASSIVE").is_some_and(|frames| frames > restart_frames) {
                        want_restart.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                checkpoint("PASSIVE");
            })
            .ok()?;
        Some(Checkpointer {
            stop,
            restart_wanted,
            handle: Some(handle),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
