//! `trawl listen`: receive OTLP traces over HTTP and gRPC straight into the store, until
//! SIGINT/SIGTERM (exit 0 once everything accepted is committed).

use crate::config::Config;
use crate::listen::{Counters, ListenConfig, Listener, RequestEvent};
use anyhow::{Context, Result};
use clap::Args;
use std::io::IsTerminal;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const EXAMPLES: &str = "Examples:
  trawl listen                                   OTLP/HTTP on 127.0.0.1:4318, gRPC on 127.0.0.1:4317
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 python app.py
  trawl listen --http 0.0.0.0:4318 --grpc off --token-env TRAWL_TOKEN
  trawl listen --json | jq .spans

Spans are committed to the store before each request is answered. Binding an address other
than loopback needs --token-env (clients send Authorization: Bearer <token>) or --insecure.
Exit status: 0 after SIGINT/SIGTERM once every accepted request is committed, 1 when an
address cannot be bound or the store fails, 2 for usage errors.";

/// Exit code for usage errors.
const USAGE: i32 = 2;

#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct ListenArgs {
    /// OTLP/HTTP address (POST /v1/traces), or "off".
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4318")]
    pub http: String,
    /// OTLP/gRPC address (TraceService/Export), or "off".
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:4317")]
    pub grpc: String,
    /// Require `Authorization: Bearer <token>`, the token read from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub token_env: Option<String>,
    /// Allow a non-loopback address without a token.
    #[arg(long)]
    pub insecure: bool,
    /// Largest request body accepted, after decompression (e.g. 16MiB, 512KiB, 1000000).
    #[arg(long, value_name = "SIZE", default_value = "16MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// Most spans waiting to be committed before senders are told to retry (429 / UNAVAILABLE).
    #[arg(long, value_name = "SPANS", default_value_t = crate::listen::DEFAULT_QUEUE_SPANS)]
    pub queue_spans: usize,
    /// Print one JSON line per accepted request (time, protocol, spans, traces, rejected).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &ListenArgs, cfg: &Config) -> Result<i32> {
    let http = match parse_addr("--http", &args.http) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    let grpc = match parse_addr("--grpc", &args.grpc) {
        Ok(a) => a,
        Err(msg) => return usage(&msg),
    };
    if http.is_none() && grpc.is_none() {
        return usage("--http and --grpc are both off: nothing to listen on");
    }
    let token = match &args.token_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Some(v.trim().to_string()),
            _ => {
                return usage(&format!(
                    "--token-env {var}: the variable is not set or empty"
                ));
            }
        },
    };
    let exposed: Vec<SocketAddr> = [http, grpc]
        .into_iter()
        .flatten()
        .filter(|a| !a.ip().is_loopback())
        .collect();
    if let Some(addr) = exposed.first()
        && token.is_none()
        && !args.insecure
    {
        return usage(&format!(
            "{addr} is reachable from other machines: pass --token-env VAR (clients send \
             Authorization: Bearer <token>) or --insecure"
        ));
    }
    let store = super::open_store(cfg)?;
    let store_path = cfg.store.display().to_string();
    let json = args.json;
    let on_request: Option<crate::listen::RequestSink> = json.then(|| {
        Arc::new(|event: &RequestEvent| {
            use std::io::Write as _;
            if let Ok(line) = serde_json::to_string(event) {
                // A closed stdout must not stop the receiver: the spans are stored either way.
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }) as crate::listen::RequestSink
    });
    let config = ListenConfig {
        http,
        grpc,
        token,
        body_limit: args.max_body,
        queue_spans: args.queue_spans,
        on_request,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .on_thread_start(crate::listen::priority::request_thread_started)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(store, config, &store_path, json))
}

async fn serve(
    store: crate::store::Store,
    config: ListenConfig,
    store_path: &str,
    json: bool,
) -> Result<i32> {
    // Handlers first: a signal that arrives just after the startup line must stop us cleanly.
    let stop = stop_signal()?;
    let listener = Listener::start(store, config).await?;
    let mut places = Vec::new();
    if let Some(a) = listener.http_addr {
        places.push(format!("OTLP/HTTP on http://{a}/v1/traces"));
    }
    if let Some(a) = listener.grpc_addr {
        places.push(format!("OTLP/gRPC on {a}"));
    }
    errln!(
        "trawl: listening for {} into {} (Ctrl-C to stop)",
        places.join(" and "),
        crate::sanitize::clean_line(store_path)
    );
    let counters = listener.counters.clone();
    let live = !json && std::io::stderr().is_terminal();
    let ticker = live.then(|| tokio::spawn(live_counter(counters.clone())));
    stop.await;
    if let Some(t) = ticker {
        t.abort();
        errln!();
    }
    errln!("trawl: stopping; finishing the requests already received");
    let stats = listener.shutdown().await?;
    errln!(
        "trawl: {} requests, {} spans stored ({} new, {} duplicates), {} spans rejected, {} requests refused as busy",
        Counters::get(&counters.requests),
        Counters::get(&counters.spans),
        stats.spans_new,
        stats.duplicates,
        Counters::get(&counters.rejected_spans),
        Counters::get(&counters.refused),
    );
    Ok(0)
}

/// A one-line counter on stderr, rewritten every second.
async fn live_counter(counters: Arc<Counters>) {
    let started = Instant::now();
    let mut last = (Instant::now(), 0u64);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tick.tick().await;
        let spans = Counters::get(&counters.spans);
        let now = Instant::now();
        let rate = (spans - last.1) as f64 / now.duration_since(last.0).as_secs_f64().max(1e-3);
        last = (now, spans);
        use std::io::Write as _;
        let _ = write!(
            std::io::stderr().lock(),
            "\r\x1b[2K{} requests · {} spans · {:.0} spans/s · {} rejected · {} busy · {} errors · up {}s",
            Counters::get(&counters.requests),
            spans,
            rate,
            Counters::get(&counters.rejected_spans),
            Counters::get(&counters.refused),
            Counters::get(&counters.failed),
            started.elapsed().as_secs()
        );
    }
}

/// Installs the SIGINT and SIGTERM handlers now; the future resolves on either.
fn stop_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
        let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

pub(super) fn usage(msg: &str) -> Result<i32> {
    errln!("error: {msg}");
    Ok(USAGE)
}

/// `HOST:PORT`, `:PORT` (loopback), or `off`.
pub(super) fn parse_addr(
    flag: &str,
    value: &str,
) -> std::result::Result<Option<SocketAddr>, String> {
    let v = value.trim();
    if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let v = match v.strip_prefix(':') {
        Some(port) => format!("127.0.0.1:{port}"),
        None => v.replace("localhost:", "127.0.0.1:"),
    };
    v.parse::<SocketAddr>().map(Some).map_err(|_| {
        format!("{flag} {value}: expected HOST:PORT (e.g. 127.0.0.1:4318, [::1]:4318) or off")
    })
}

/// `16MiB`, `512KiB`, `2MB`, or a plain byte count.
fn parse_size(value: &str) -> std::result::Result<usize, String> {
    let v = value.trim();
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let (digits, unit) = v.split_at(split);
    let n: usize = digits
        .parse()
        .map_err(|_| format!("{value}: expected a size such as 16MiB or 1000000"))?;
    let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("{value}: unknown unit (use KiB, MiB or GiB)")),
    };
    match n.checked_mul(scale) {
        Some(0) | None => Err(format!(
            "{value}: must be between 1 byte and the address space"
        )),
        Some(b) => Ok(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_sizes_parse() {
        assert_eq!(
            parse_addr("--http", ":4318").unwrap(),
            Some(SocketAddr::from(([127, 0, 0, 1], 4318)))
        );
        assert_eq!(parse_addr("--grpc", "off").unwrap(), None);
        assert!(parse_addr("--http", "nonsense").is_err());
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("512kib").unwrap(), 512 << 10);
        assert_eq!(parse_size("1000").unwrap(), 1000);
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
    }
}
