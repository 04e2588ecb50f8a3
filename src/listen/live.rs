//! Receiving while the TUI is open (`trawl --listen`): the receiver on its own runtime, its
//! running totals turned into a status twice a second, and a stop flag the TUI sets on quit.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::{Counters, ListenConfig, Listener};
use crate::store::Store;

/// How often the totals are reported (each report refreshes the TUI's list).
const TICK: Duration = Duration::from_millis(500);

/// What the TUI's status line shows about the receiver.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveStatus {
    /// Where it listens, e.g. `OTLP 127.0.0.1:4318`.
    pub place: String,
    pub spans: u64,
    pub spans_per_sec: f64,
    pub rejected: u64,
    pub refused: u64,
}

impl LiveStatus {
    /// One line for the status bar: where, rate, rejected and refused counts.
    pub fn summary(&self) -> String {
        let mut s = format!("{} · {:.0} spans/s", self.place, self.spans_per_sec);
        if self.rejected > 0 {
            s.push_str(&format!(" · {} rejected", self.rejected));
        }
        if self.refused > 0 {
            s.push_str(&format!(" · {} busy", self.refused));
        }
        s
    }
}

/// Receives into the store at `store_path` until `stop` is set, calling `on_update` whenever
/// new spans were committed. Blocks; run it on its own thread. `Ok` carries a closing message.
pub fn run_until(
    store_path: &Path,
    config: ListenConfig,
    stop: &AtomicBool,
    on_update: &mut dyn FnMut(&LiveStatus),
) -> Result<String, String> {
    let store = Store::open(store_path).map_err(|e| e.to_string())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("trawl-listen")
        .on_thread_start(crate::listen::priority::request_thread_started)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the receiver: {e}"))?;
    runtime.block_on(async {
        let listener = Listener::start(store, config)
            .await
            .map_err(|e| e.to_string())?;
        let place = match (listener.http_addr, listener.grpc_addr) {
            (Some(h), Some(g)) => format!("OTLP {h} + gRPC :{}", g.port()),
            (Some(h), None) => format!("OTLP {h}"),
            (None, Some(g)) => format!("OTLP gRPC {g}"),
            (None, None) => "OTLP".to_string(),
        };
        let counters: Arc<Counters> = listener.counters.clone();
        // (when, spans, rejected + refused, rate) at the last tick.
        let mut last = (Instant::now(), 0u64, 0u64, 0.0f64);
        on_update(&status(&place, &counters, 0.0));
        while !stop.load(Ordering::Relaxed) {
            tokio::time::sleep(TICK).await;
            let spans = Counters::get(&counters.spans);
            let bad = Counters::get(&counters.rejected_spans) + Counters::get(&counters.refused);
            let now = Instant::now();
            let rate = (spans - last.1) as f64 / now.duration_since(last.0).as_secs_f64();
            // Only changes are reported (each one refreshes the list); a rate falling to zero
            // is a change.
            if spans != last.1 || bad != last.2 || (rate == 0.0 && last.3 > 0.0) {
                on_update(&status(&place, &counters, rate));
            }
            last = (now, spans, bad, rate);
        }
        let stats = listener.shutdown().await.map_err(|e| e.to_string())?;
        Ok(format!(
            "stopped listening: {} spans received, {} new",
            Counters::get(&counters.spans),
            stats.spans_new
        ))
    })
}

fn status(place: &str, counters: &Counters, rate: f64) -> LiveStatus {
    LiveStatus {
        place: place.to_string(),
        spans: Counters::get(&counters.spans),
        spans_per_sec: rate,
        rejected: Counters::get(&counters.rejected_spans),
        refused: Counters::get(&counters.refused),
    }
}
