//! Stopping a run: why it stopped, and the signal that stops it from any thread.

use serde::Serialize;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// Why a run ended early.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "lowercase")]
pub enum StopReason {
    Cancelled,
    /// Auth, quota, missing model: every further call would fail.
    Paused(String),
    /// `--max-cost` reached or estimate above it.
    Budget(String),
}

impl StopReason {
    pub fn message(&self) -> String {
        match self {
            StopReason::Cancelled => "cancelled".into(),
            StopReason::Paused(m) => format!("paused: {m}"),
            StopReason::Budget(m) => format!("stopped: {m}"),
        }
    }
}

/// Cancels a run from any thread; also how the runner pauses itself on auth errors.
#[derive(Debug, Clone)]
pub struct StopSignal {
    tx: Arc<watch::Sender<bool>>,
    reason: Arc<Mutex<Option<StopReason>>>,
}

impl Default for StopSignal {
    fn default() -> Self {
        StopSignal {
            tx: Arc::new(watch::channel(false).0),
            reason: Arc::new(Mutex::new(None)),
        }
    }
}

impl StopSignal {
    pub fn new() -> StopSignal {
        StopSignal::default()
    }
    /// The first reason wins (a cancel after a pause stays a pause).
    pub fn stop(&self, why: StopReason) {
        if let Ok(mut r) = self.reason.lock()
            && r.is_none()
        {
            *r = Some(why);
        }
        self.tx.send_replace(true);
    }
    pub fn cancel(&self) {
        self.stop(StopReason::Cancelled);
    }
    pub fn is_stopped(&self) -> bool {
        *self.tx.borrow()
    }
    pub fn reason(&self) -> Option<StopReason> {
        self.reason.lock().ok().and_then(|r| r.clone())
    }
    pub(super) async fn stopped(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}
