//! `trawl listen`: an OTLP receiver, so applications can send spans straight to trawl.
//!
//! - `decode`: request bodies (protobuf, OTLP/JSON, gzip) to spans; OTLP/JSON through the adapter
//!   that reads trace dumps, protobuf through `convert`, which builds spans with the same reader;
//! - `lossy`: a second reading of a protobuf body prost refused (invalid UTF-8, nesting beyond
//!   its limit), so those cost a repaired value rather than the request; `json_depth` does
//!   the same for an OTLP/JSON body nested past serde_json's limit;
//! - `queue`: the single writer thread and its span-bounded queue (backpressure, group commit,
//!   a response only after the commit);
//! - `http`: OTLP/HTTP `POST /v1/traces`; `grpc`: OTLP/gRPC `TraceService/Export`;
//! - `serve`: accept loops with graceful shutdown;
//! - `live`: the receiver inside the TUI (`trawl --listen`).
//!
//! The library never prints: each accepted request is reported through [`ListenConfig::on_request`]
//! and running totals are kept in [`Counters`], for the command line and the TUI to show.

mod convert;
pub mod decode;
mod dictionary;
mod grpc;
mod http;
mod json_depth;
pub mod live;
mod lossy;
pub mod priority;
mod queue;
mod serve;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::import::finish_otlp_span;
use crate::pricing::PriceBook;
use crate::store::{PreparedSpan, SourceRecord, Store, StoreError, WriteStats};
pub use decode::{DecodeError, Encoding, Received};
pub use queue::Refusal;

/// Largest request body accepted (after decompression), as the issue asks: 16 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 16 << 20;
/// Most spans waiting for the writer before requests are refused with 429 / `UNAVAILABLE`.
pub const DEFAULT_QUEUE_SPANS: usize = 100_000;
/// The retry delay suggested to a refused sender, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the store writer: {0}")]
    Writer(std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One accepted request, as `trawl listen --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RequestEvent {
    /// When the request's spans were committed (RFC 3339, UTC).
    pub time: String,
    /// `http/protobuf`, `http/json` or `grpc`.
    pub protocol: &'static str,
    /// Spans stored.
    pub spans: u64,
    /// Distinct traces among them.
    pub traces: u64,
    /// Spans in the request that could not be read (reported back in `partial_success`).
    pub rejected: u64,
}

/// Called once per accepted request, after its commit (from a server task: keep it short).
pub type RequestSink = Arc<dyn Fn(&RequestEvent) + Send + Sync>;

/// Running totals since the receiver started.
#[derive(Debug, Default)]
pub struct Counters {
    /// Requests whose spans were committed.
    pub requests: AtomicU64,
    pub spans: AtomicU64,
    /// Spans left out of accepted requests (unreadable).
    pub rejected_spans: AtomicU64,
    /// Requests refused because the queue was full (429 / `UNAVAILABLE`).
    pub refused: AtomicU64,
    /// Requests answered with a client error (400, 401, 413, 415, …) or a store failure.
    pub failed: AtomicU64,
}

impl Counters {
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// How to run the receiver.
#[derive(Clone)]
pub struct ListenConfig {
    /// OTLP/HTTP address (`None`: off).
    pub http: Option<SocketAddr>,
    /// OTLP/gRPC address (`None`: off).
    pub grpc: Option<SocketAddr>,
    /// Bearer token every request must carry. Never logged or stored.
    pub token: Option<String>,
    pub body_limit: usize,
    pub queue_spans: usize,
    pub on_request: Option<RequestSink>,
}

impl std::fmt::Debug for ListenConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of every debug log.
        f.debug_struct("ListenConfig")
            .field("http", &self.http)
            .field("grpc", &self.grpc)
            .field("token", &self.token.as_ref().map(|_| "<set>"))
            .field("body_limit", &self.body_limit)
            .field("queue_spans", &self.queue_spans)
            .finish_non_exhaustive()
    }
}

impl Default for ListenConfig {
    fn default() -> Self {
        ListenConfig {
            http: Some(SocketAddr::from(([127, 0, 0, 1], 4318))),
            grpc: Some(SocketAddr::from(([127, 0, 0, 1], 4317))),
            token: None,
            body_limit: DEFAULT_BODY_LIMIT,
            queue_spans: DEFAULT_QUEUE_SPANS,
            on_request: None,
        }
    }
}

/// What every connection shares: the queue, the limits, the token and the counters.
pub(crate) struct Shared {
    queue: queue::Queue,
    token: Option<String>,
    body_limit: usize,
    counters: Arc<Counters>,
    on_request: Option<RequestSink>,
    book: &'static PriceBook,
    dictionary: Arc<dictionary::ListenDictionary>,
}

/// What an accepted request is answered with.
pub(crate) struct Accepted {
    pub rejected: u64,
    pub message: String,
}

impl Accepted {
    /// The OTLP `partial_success`: set when spans were left out or repaired (a warning).
    pub fn partial_success(
        self,
    ) -> Option<opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess> {
        let set = self.rejected > 0 || !self.message.is_empty();
        set.then_some(
            opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess {
                rejected_spans: i64::try_from(self.rejected).unwrap_or(i64::MAX),
                error_message: self.message,
            },
        )
    }
}

impl Shared {
    /// Whether a request's `Authorization` header value lets it in.
    fn authorized(&self, header: Option<&[u8]>) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let Some(value) = header else {
            return false;
        };
        let Some(presented) = value
            .strip_prefix(b"Bearer ")
            .or_else(|| value.strip_prefix(b"bearer "))
        else {
            return false;
        };
        constant_time_eq(presented, token.as_bytes())
    }

    /// Stores a decoded request's spans; `Ok` once they are committed.
    async fn accept(
        &self,
        received: Received,
        protocol: &'static str,
    ) -> Result<Accepted, Refusal> {
        let Received {
            spans,
            rejected,
            traces,
            message,
        } = received;
        let count = spans.len() as u64;
        let committed = match self.queue.reserve(spans.len()) {
            Ok(room) => match prepare(self.book, &self.dictionary, spans) {
                Ok(prepared) => room.commit(prepared).await,
                Err(e) => Err(e),
            },
            Err(refusal) => Err(refusal),
        };
        match &committed {
            Ok(()) => {
                self.counters.requests.fetch_add(1, Ordering::Relaxed);
                self.counters.spans.fetch_add(count, Ordering::Relaxed);
                self.counters
                    .rejected_spans
                    .fetch_add(rejected, Ordering::Relaxed);
                if let Some(sink) = &self.on_request {
                    sink(&RequestEvent {
                        time: chrono::Utc::now()
                            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        protocol,
                        spans: count,
                        traces,
                        rejected,
                    });
                }
            }
            Err(Refusal::Busy) => {
                self.counters.refused.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.counters.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        committed.map(|()| Accepted { rejected, message })
    }

    fn count_failure(&self) {
        self.counters.failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Langfuse post-pass and cost, then serialised and compressed for the writer: the same
/// finishing steps as an imported OTLP/JSON line.
fn prepare(
    book: &PriceBook,
    dictionary: &dictionary::ListenDictionary,
    spans: Vec<crate::model::Span>,
) -> Result<Vec<PreparedSpan>, Refusal> {
    spans
        .into_iter()
        .map(|mut span| {
            finish_otlp_span(book, &mut span);
            dictionary.sample(&mut span);
            PreparedSpan::with_dictionary(span, dictionary.current())
                .map_err(|e| Refusal::Store(e.to_string()))
        })
        .collect()
}

/// Compares without an early exit, so response timing does not reveal the token.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A running receiver. Dropping it without [`Listener::shutdown`] abandons uncommitted requests.
pub struct Listener {
    /// Where OTLP/HTTP is served (the bound address, so port 0 resolves).
    pub http_addr: Option<SocketAddr>,
    /// Where OTLP/gRPC is served.
    pub grpc_addr: Option<SocketAddr>,
    pub counters: Arc<Counters>,
    shared: Arc<Shared>,
    servers: Vec<serve::Server>,
    writer: queue::WriterThread,
}

impl Listener {
    /// Binds the configured addresses and starts serving into `store`. Must be called inside
    /// a tokio runtime.
    pub async fn start(store: Store, config: ListenConfig) -> Result<Listener, ListenError> {
        let http = match config.http {
            Some(addr) => Some(serve::bind(addr).await?),
            None => None,
        };
        let grpc = match config.grpc {
            Some(addr) => Some(serve::bind(addr).await?),
            None => None,
        };
        let http_addr = http.as_ref().and_then(|l| l.local_addr().ok());
        let grpc_addr = grpc.as_ref().and_then(|l| l.local_addr().ok());
        let source = SourceRecord {
            path: source_label(http_addr, grpc_addr),
            format: "otlp-listen".into(),
            size: None,
            mtime_ns: None,
        };
        let dictionary = Arc::new(dictionary::ListenDictionary::for_store(&store));
        let (queue, writer) = queue::start(store, source, config.queue_spans, dictionary.clone())
            .map_err(ListenError::Writer)?;
        let counters = Arc::new(Counters::default());
        let shared = Arc::new(Shared {
            queue,
            token: config.token,
            body_limit: config.body_limit,
            counters: counters.clone(),
            on_request: config.on_request,
            book: PriceBook::active(),
            dictionary,
        });
        let mut servers = Vec::new();
        if let Some(l) = http {
            servers.push(serve::spawn(l, http::service(shared.clone()), false));
        }
        if let Some(l) = grpc {
            servers.push(serve::spawn(l, grpc::service(shared.clone()), true));
        }
        tracing::info!(?http_addr, ?grpc_addr, "listening for OTLP");
        Ok(Listener {
            http_addr,
            grpc_addr,
            counters,
            shared,
            servers,
            writer,
        })
    }

    /// Stops accepting connections, lets every request already received finish (and commit),
    /// then closes the store's source record. Returns what was written.
    pub async fn shutdown(self) -> Result<WriteStats, ListenError> {
        for server in self.servers {
            server.stop().await;
        }
        self.shared.queue.close();
        let writer = self.writer;
        let stats = tokio::task::spawn_blocking(move || writer.join())
            .await
            .unwrap_or_else(|_| Err(StoreError::Other("the listen writer panicked".into())))?;
        Ok(stats)
    }
}

/// How the store's `sources` table names this receiver.
fn source_label(http: Option<SocketAddr>, grpc: Option<SocketAddr>) -> String {
    let mut parts = Vec::new();
    if let Some(a) = http {
        parts.push(format!("http://{a}"));
    }
    if let Some(a) = grpc {
        parts.push(format!("grpc://{a}"));
    }
    format!("otlp-listen:{}", parts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_must_match_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn the_token_never_shows_in_debug_output() {
        let config = ListenConfig {
            token: Some("s3cret-value".into()),
            ..ListenConfig::default()
        };
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
