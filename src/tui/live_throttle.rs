//! Live progress (an import, a followed file, `--listen`, another process's commits) refreshes
//! the list and an open trace; held back here so that those refreshes cannot starve the writer.

use super::action::Action;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Live progress (an import, a followed file, `--listen`) refreshes the list at most this
/// often...
const LIVE_REFRESH_MIN_GAP: Duration = Duration::from_millis(500);
/// ...and leaves the worker idle at least this many times as long as its last refresh took
/// (the count of a big store's traces grows with it): the reader then takes at most about a
/// twentieth of a core from the writer, however big the store.
const LIVE_REFRESH_IDLE_FACTOR: u32 = 20;
/// The longest wait between two live refreshes. Only a costly refresh reaches it: a free-text
/// filter on a big live store (4 s a refresh at 3.35M spans, the count and the page each
/// mapping ~900k matching spans to traces) or a sort without an index. At 5 s such a list took
/// 44% of a core from the writer; at 30 s, 12%.
const LIVE_REFRESH_MAX_GAP: Duration = Duration::from_secs(30);

/// Holds back live progress so that the refreshes it triggers (the list's page and count, an
/// open trace's new spans) cannot starve the writer: only the latest progress is kept, and it
/// is delivered once the gap after the last refresh has passed (see
/// [`LIVE_REFRESH_IDLE_FACTOR`]).
pub(super) struct LiveThrottle {
    held: Option<Action>,
    next: Instant,
    /// The worker's last refresh (the list's page, an open trace read again), in µs.
    refresh_cost: Arc<AtomicU64>,
}

impl LiveThrottle {
    pub(super) fn new(refresh_cost: Arc<AtomicU64>) -> LiveThrottle {
        LiveThrottle {
            held: None,
            next: Instant::now(),
            refresh_cost,
        }
    }

    /// Keeps progress for later; any other action passes (the end of an import first lets
    /// what is held through, so an open trace gets its last spans).
    pub(super) fn hold(&mut self, action: Action) -> Vec<Action> {
        match action {
            Action::ImportProgress(_) => {
                self.held = Some(action);
                Vec::new()
            }
            // Progress held already refreshes the same views (and carries the status line).
            Action::StoreChanged => {
                if self.held.is_none() {
                    self.held = Some(action);
                }
                Vec::new()
            }
            Action::ImportDone { .. } => self.held.take().into_iter().chain([action]).collect(),
            other => vec![other],
        }
    }

    /// The held progress, when its time has come.
    pub(super) fn due(&mut self, now: Instant) -> Option<Action> {
        if self.held.is_none() || now < self.next {
            return None;
        }
        let cost = Duration::from_micros(self.refresh_cost.load(Ordering::Relaxed));
        let gap = cost
            .saturating_mul(LIVE_REFRESH_IDLE_FACTOR)
            .clamp(LIVE_REFRESH_MIN_GAP, LIVE_REFRESH_MAX_GAP);
        self.next = now + gap;
        self.held.take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::action::ImportStatus;

    fn progress(spans: u64) -> Action {
        Action::ImportProgress(ImportStatus {
            spans,
            ..ImportStatus::default()
        })
    }

    /// The spans of delivered progress.
    fn spans(a: Option<Action>) -> Option<u64> {
        match a {
            Some(Action::ImportProgress(p)) => Some(p.spans),
            _ => None,
        }
    }

    #[test]
    fn live_progress_is_held_to_the_latest_and_spaced_by_the_refresh_cost() {
        let cost = Arc::new(AtomicU64::new(0));
        let mut live = LiveThrottle::new(cost.clone());
        let t0 = live.next;
        assert!(live.hold(progress(1)).is_empty());
        assert!(live.hold(progress(2)).is_empty());
        assert_eq!(spans(live.due(t0)), Some(2));
        assert_eq!(spans(live.due(t0)), None, "nothing held");
        // After a refresh of 100 ms the worker stays idle for 2 s.
        cost.store(100_000, Ordering::Relaxed);
        live.hold(progress(3));
        assert_eq!(spans(live.due(t0 + Duration::from_millis(499))), None);
        assert_eq!(spans(live.due(t0 + Duration::from_millis(500))), Some(3));
        live.hold(progress(4));
        assert_eq!(spans(live.due(t0 + Duration::from_millis(2499))), None);
        // The end of the import lets the held progress through first; other actions pass.
        let done = Action::ImportDone {
            message: "done".into(),
            ok: true,
        };
        let out = live.hold(done);
        assert!(
            matches!(out.as_slice(), [Action::ImportProgress(p), Action::ImportDone { .. }] if p.spans == 4),
            "{out:?}"
        );
        assert_eq!(live.hold(Action::Init).len(), 1);
    }

    /// A refresh of seconds (a search on a big live store) is spaced by the longest gap, not
    /// twenty times its cost, and not by the 5 s that let it take 44% of a core.
    #[test]
    fn a_costly_refresh_waits_the_longest_gap() {
        let cost = Arc::new(AtomicU64::new(4_000_000));
        let mut live = LiveThrottle::new(cost);
        let t0 = live.next;
        live.hold(progress(1));
        assert_eq!(spans(live.due(t0)), Some(1));
        live.hold(progress(2));
        assert_eq!(spans(live.due(t0 + Duration::from_secs(5))), None);
        assert_eq!(spans(live.due(t0 + Duration::from_millis(29_999))), None);
        assert_eq!(spans(live.due(t0 + Duration::from_secs(30))), Some(2));
    }

    /// Another process's commits are held like progress, and never displace progress held
    /// (which refreshes the same views and carries the status line).
    #[test]
    fn a_change_by_another_process_is_held_behind_progress() {
        let mut live = LiveThrottle::new(Arc::new(AtomicU64::new(0)));
        let t0 = live.next;
        assert!(live.hold(Action::StoreChanged).is_empty());
        assert!(matches!(live.due(t0), Some(Action::StoreChanged)));
        let t1 = live.next;
        live.hold(progress(5));
        live.hold(Action::StoreChanged);
        assert_eq!(spans(live.due(t1)), Some(5));
        let t2 = live.next;
        live.hold(Action::StoreChanged);
        live.hold(progress(6));
        assert_eq!(spans(live.due(t2)), Some(6));
    }
}
