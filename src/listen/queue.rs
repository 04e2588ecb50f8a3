//! The one writer: a thread that owns the store and commits received spans, fed through a queue
//! bounded in spans. A request is answered only after the transaction holding its spans has
//! committed, so a success response means the spans are in the store. Requests that arrive
//! while the queue is full are refused at once (429 / `UNAVAILABLE`): the queue never grows
//! without bound, and the sender retries.
//!
//! Requests waiting together are committed in one transaction (group commit): under load the
//! per-commit cost (roll-up refresh, WAL sync) is shared by many requests.
//!
//! When no request has arrived for [`IDLE`], the writer brings the statistics cells its commits
//! made stale up to date (on a second connection, between transactions). Left for shutdown,
//! that work grows with everything received since the start (30 s to stop after 287k spans),
//! and until then statistics read the spans instead of the cells. Not under sustained load:
//! the cell being filled would be recomputed over and over.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use super::dictionary::ListenDictionary;
use crate::store::{PreparedSpan, SourceOutcome, SourceRecord, Store, StoreError, WriteStats};

/// Spans committed together at most, when many requests are waiting.
const GROUP_SPANS: usize = 20_000;
/// How long without a request before the writer refreshes the statistics cells.
const IDLE: Duration = Duration::from_secs(2);
/// The page cache of the writer's connections, in KiB. A commit here usually holds a few
/// requests, whose pages fit many times over; the store's default (64 MB, for imports' big transactions)
/// only grew the receiver's memory as the store grew (the TUI receiving 1.5M spans: 163 → 302
/// MB, peak 320, against 100 → 160 MB, peak 166, with this), for no gain in speed.
const CACHE_KIB: i64 = 16 * 1024;

/// Why a request's spans were not committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The queue is full: try again shortly (429 / `UNAVAILABLE` with a retry delay).
    Busy,
    /// The receiver is shutting down.
    Closed,
    /// The store failed; the spans were rolled back.
    Store(String),
}

/// One request's spans on their way to the writer.
struct Job {
    spans: Vec<PreparedSpan>,
    /// Returned to the queue's budget once the spans are committed (dropped with the job).
    _permit: Option<OwnedSemaphorePermit>,
    reply: oneshot::Sender<Result<(), Refusal>>,
}

/// The sending side, shared by every connection.
pub struct Queue {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    budget: Arc<Semaphore>,
    capacity: usize,
}

/// The writer thread, joined at shutdown for the source's final counts.
pub struct WriterThread {
    handle: std::thread::JoinHandle<Result<WriteStats, StoreError>>,
}

impl WriterThread {
    pub fn join(self) -> Result<WriteStats, StoreError> {
        self.handle
            .join()
            .unwrap_or_else(|_| Err(StoreError::Other("the listen writer panicked".into())))
    }
}

/// Starts the writer on `store`, recording received spans under `source`; `capacity` is the
/// most spans waiting to be committed at once.
pub(super) fn start(
    store: Store,
    source: SourceRecord,
    capacity: usize,
    dictionary: Arc<ListenDictionary>,
) -> std::io::Result<(Queue, WriterThread)> {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::Builder::new()
        .name("trawl-listen-writer".into())
        .spawn(move || run_writer(store, &source, &rx, &dictionary))?;
    let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
    Ok((
        Queue {
            tx: Mutex::new(Some(tx)),
            budget: Arc::new(Semaphore::new(capacity)),
            capacity,
        },
        WriterThread { handle },
    ))
}

/// Room in the queue for one request's spans, held from admission until its commit.
pub struct Reservation<'q> {
    queue: &'q Queue,
    permit: Option<OwnedSemaphorePermit>,
}

impl Reservation<'_> {
    /// Queues the spans and waits for their commit; the room is given back once committed.
    pub async fn commit(self, spans: Vec<PreparedSpan>) -> Result<(), Refusal> {
        if spans.is_empty() {
            return Ok(());
        }
        let (reply, answer) = oneshot::channel();
        let job = Job {
            spans,
            _permit: self.permit,
            reply,
        };
        {
            let guard = self.queue.tx.lock().map_err(|_| Refusal::Closed)?;
            let tx = guard.as_ref().ok_or(Refusal::Closed)?;
            tx.send(job).map_err(|_| Refusal::Closed)?;
        }
        answer.await.unwrap_or(Err(Refusal::Closed))
    }
}

impl Queue {
    /// Makes room for `spans` spans, or refuses at once when the queue is full. Called before
    /// the spans are prepared, so an overloaded receiver spends no work on requests it refuses.
    pub fn reserve(&self, spans: usize) -> Result<Reservation<'_>, Refusal> {
        if spans == 0 {
            return Ok(Reservation {
                queue: self,
                permit: None,
            });
        }
        // A request bigger than the whole budget waits for an empty queue rather than never fitting.
        let wanted = spans.min(self.capacity) as u32;
        match self.budget.clone().try_acquire_many_owned(wanted) {
            Ok(p) => Ok(Reservation {
                queue: self,
                permit: Some(p),
            }),
            Err(tokio::sync::TryAcquireError::NoPermits) => Err(Refusal::Busy),
            Err(tokio::sync::TryAcquireError::Closed) => Err(Refusal::Closed),
        }
    }

    /// Stops taking requests; the writer finishes what is queued and ends.
    pub fn close(&self) {
        self.budget.close();
        if let Ok(mut guard) = self.tx.lock() {
            guard.take();
        }
    }
}

fn run_writer(
    mut store: Store,
    source: &SourceRecord,
    rx: &mpsc::Receiver<Job>,
    dictionary: &ListenDictionary,
) -> Result<WriteStats, StoreError> {
    // The trained dictionary is in the store (committed). Until then, once it is trained,
    // every commit saves it with its spans: any of them may have been compressed with it.
    let mut dictionary_saved = false;
    let mut requests = 0u64;
    let mut failed = 0u64;
    let mut total = WriteStats::default();
    // A second connection for the idle-time statistics refresh (the writer's own is borrowed
    // by the import writer). None for an in-memory store: the refresh waits for shutdown.
    let stats_conn = store.path().and_then(|p| Store::open(p).ok());
    for conn in std::iter::once(&store).chain(stats_conn.as_ref()) {
        if let Err(e) = conn.limit_page_cache(CACHE_KIB) {
            tracing::warn!(error = %e, "listen: page cache left at its default");
        }
    }
    let mut stale = false;
    loop {
        let mut writer = store.begin_import(source)?;
        let stats = loop {
            let next = match rx.recv_timeout(IDLE) {
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if std::mem::take(&mut stale) {
                        refresh_stats(stats_conn.as_ref());
                    }
                    rx.recv().ok()
                }
                r => r.ok(),
            };
            let Some(first) = next else {
                let outcome = SourceOutcome {
                    lines: requests + failed,
                    lines_ok: requests,
                    lines_bad: failed,
                    errors_json: "[]".into(),
                };
                let stats = writer.finish(&outcome)?;
                return Ok(add(total, &stats));
            };
            let mut group = gather(first, rx);
            // Read after the group is gathered: a job compressed with the dictionary was
            // queued after it was trained, so this sees it.
            let save_dictionary = match dictionary.to_save() {
                Some(d) if !dictionary_saved => Some(d.clone()),
                _ => None,
            };
            let written = group
                .iter_mut()
                .try_for_each(|job| writer.write_all(std::mem::take(&mut job.spans)))
                .and_then(|()| {
                    save_dictionary
                        .as_ref()
                        .map_or(Ok(()), |d| writer.save_payload_dictionary(d))
                })
                .and_then(|()| writer.commit_batch().map(drop));
            match written {
                Ok(()) => {
                    stale = true;
                    dictionary_saved |= save_dictionary.is_some();
                    requests += group.len() as u64;
                    for job in group {
                        let _ = job.reply.send(Ok(()));
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "listen: commit failed; requests refused");
                    failed += group.len() as u64;
                    let reason = e.to_string();
                    for job in group {
                        let _ = job.reply.send(Err(Refusal::Store(reason.clone())));
                    }
                    // Roll the failed batch back and carry on under a fresh source record.
                    break writer.stats.clone();
                }
            }
        };
        total = add(total, &stats);
    }
}

/// Recomputes the cells the commits so far made stale; a failure only leaves them for later
/// (shutdown, or a reader), as after an import.
fn refresh_stats(conn: Option<&Store>) {
    let Some(store) = conn else { return };
    match store.refresh_stats_cells() {
        Ok(cells) => tracing::debug!(cells, "listen: statistics cells refreshed while idle"),
        Err(e) => tracing::warn!(error = %e, "listen: statistics cells not refreshed"),
    }
}

/// The first waiting job and whichever others are already queued, up to [`GROUP_SPANS`].
fn gather(first: Job, rx: &mpsc::Receiver<Job>) -> Vec<Job> {
    let mut n = first.spans.len();
    let mut group = vec![first];
    while n < GROUP_SPANS {
        match rx.try_recv() {
            Ok(job) => {
                n += job.spans.len();
                group.push(job);
            }
            Err(_) => break,
        }
    }
    group
}

fn add(a: WriteStats, b: &WriteStats) -> WriteStats {
    WriteStats {
        spans_new: a.spans_new + b.spans_new,
        duplicates: a.duplicates + b.duplicates,
        traces_touched: a.traces_touched + b.traces_touched,
        traces_new: a.traces_new + b.traces_new,
    }
}
