//! A tiny scripted HTTP/1.1 server on 127.0.0.1 for judge tests and the benchmark: it records
//! requests, tracks the peak number in flight, and answers with whatever the handler returns.
//! Runs on its own thread and runtime so sync tests, async tests and child processes can use it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// One received request.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        let n = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// Wait this long before answering (timeouts, concurrency tests).
    pub delay: Duration,
    /// Send the headers (announcing the whole body) and only this many bytes of the body, then
    /// close the connection: a connection dropped mid-answer.
    pub cut_after: Option<usize>,
    /// Send no `content-length`: the body runs until the connection closes, so the client
    /// cannot know its size in advance.
    pub until_close: bool,
}

impl Response {
    pub fn json(status: u16, body: serde_json::Value) -> Response {
        Response {
            status,
            headers: vec![],
            body: body.to_string(),
            delay: Duration::ZERO,
            cut_after: None,
            until_close: false,
        }
    }

    /// This response without a `content-length`, delimited by closing the connection.
    pub fn until_close(mut self) -> Response {
        self.until_close = true;
        self
    }

    /// A server that accepted the request and never answers (well, in an hour).
    pub fn hang() -> Response {
        Response::json(200, serde_json::json!({})).with_delay(Duration::from_secs(3600))
    }

    /// This response cut off after `bytes` bytes of its body, then the connection closed.
    pub fn cut_after(mut self, bytes: usize) -> Response {
        self.cut_after = Some(bytes);
        self
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Response {
        self.headers.push((k.into(), v.into()));
        self
    }
    pub fn with_delay(mut self, d: Duration) -> Response {
        self.delay = d;
        self
    }

    /// An OpenAI chat completion whose message content is `content`.
    pub fn openai_content(content: &str) -> Response {
        Response::json(
            200,
            serde_json::json!({
                "id": "chatcmpl-test", "object": "chat.completion", "model": "judge-model-2025-01-01",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content, "refusal": null}}],
                "usage": {"prompt_tokens": 812, "completion_tokens": 64, "total_tokens": 876,
                          "prompt_tokens_details": {"cached_tokens": 0},
                          "completion_tokens_details": {"reasoning_tokens": 0}}
            }),
        )
    }

    /// An OpenAI structured answer `{reasoning, verdict}`.
    pub fn openai_verdict(verdict: &str, reasoning: &str) -> Response {
        let content = serde_json::json!({"reasoning": reasoning, "verdict": verdict}).to_string();
        Response::openai_content(&content)
    }

    /// An Anthropic forced `record_verdict` tool call.
    pub fn anthropic_verdict(verdict: &str, reasoning: &str) -> Response {
        Response::json(
            200,
            serde_json::json!({
                "id": "msg_test", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
                "stop_reason": "tool_use",
                "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_verdict",
                             "input": {"reasoning": reasoning, "verdict": verdict}}],
                "usage": {"input_tokens": 790, "output_tokens": 58,
                          "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
            }),
        )
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Response + Send + Sync;

/// A running server; stops when dropped.
pub struct TestServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    max_in_flight: Arc<AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestServer {
    /// Starts a server; `handler(request, n)` gets the 0-based request number.
    pub fn start(
        handler: impl Fn(&Recorded, usize) -> Response + Send + Sync + 'static,
    ) -> std::io::Result<TestServer> {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let handler: Arc<Handler> = Arc::new(handler);
        let (reqs, peak) = (requests.clone(), max_in_flight.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("trawl-testserver".into())
            .spawn(move || {
                rt.block_on(async move {
                    let Ok(listener) = tokio::net::TcpListener::from_std(std_listener) else {
                        return;
                    };
                    let counter = Arc::new(AtomicUsize::new(0));
                    let in_flight = Arc::new(AtomicUsize::new(0));
                    let accept = async {
                        loop {
                            let Ok((sock, _)) = listener.accept().await else {
                                continue;
                            };
                            let _ = sock.set_nodelay(true);
                            let ctx = Conn {
                                handler: handler.clone(),
                                requests: reqs.clone(),
                                counter: counter.clone(),
                                in_flight: in_flight.clone(),
                                peak: peak.clone(),
                            };
                            tokio::spawn(ctx.serve(sock));
                        }
                    };
                    tokio::select! {
                        _ = accept => {}
                        _ = rx => {}
                    }
                });
            })?;
        Ok(TestServer {
            addr,
            requests,
            max_in_flight,
            shutdown: Some(tx),
        })
    }

    /// A server that answers every OpenAI request at once with a TRUE verdict (benchmarks).
    pub fn instant() -> std::io::Result<TestServer> {
        let r = Response::openai_verdict("TRUE", "Every claim is supported by kb-ship-01.");
        TestServer::start(move |_, _| r.clone())
    }

    /// `http://127.0.0.1:PORT/v1` (OpenAI-style base URL).
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }
    /// `http://127.0.0.1:PORT` (Anthropic-style base URL).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
    pub fn request_count(&self) -> usize {
        self.requests.lock().map(|r| r.len()).unwrap_or(0)
    }
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

struct Conn {
    handler: Arc<Handler>,
    requests: Arc<Mutex<Vec<Recorded>>>,
    counter: Arc<AtomicUsize>,
    in_flight: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Conn {
    /// Keep-alive loop: many requests per connection, like a real server.
    async fn serve(self, mut sock: tokio::net::TcpStream) {
        let mut buf: Vec<u8> = Vec::with_capacity(8192);
        loop {
            let Some(req) = read_request(&mut sock, &mut buf).await else {
                return;
            };
            let n = self.counter.fetch_add(1, Ordering::SeqCst);
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.peak.fetch_max(now, Ordering::SeqCst);
            if let Ok(mut r) = self.requests.lock() {
                r.push(req.clone());
            }
            let resp = (self.handler)(&req, n);
            if !resp.delay.is_zero() {
                tokio::time::sleep(resp.delay).await;
            }
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            let length = if resp.until_close {
                "connection: close".to_string()
            } else {
                format!("content-length: {}", resp.body.len())
            };
            let mut head = format!(
                "HTTP/1.1 {} {}\r\ncontent-type: application/json\r\n{length}\r\n",
                resp.status,
                reason(resp.status),
            );
            for (k, v) in &resp.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let body = match resp.cut_after {
                Some(n) => &resp.body.as_bytes()[..n.min(resp.body.len())],
                None => resp.body.as_bytes(),
            };
            if sock.write_all(head.as_bytes()).await.is_err() || sock.write_all(body).await.is_err()
            {
                return;
            }
            if resp.cut_after.is_some() || resp.until_close {
                let _ = sock.flush().await;
                let _ = sock.shutdown().await;
                return;
            }
            if req
                .header("connection")
                .is_some_and(|c| c.eq_ignore_ascii_case("close"))
            {
                return;
            }
        }
    }
}

async fn read_request(sock: &mut tokio::net::TcpStream, buf: &mut Vec<u8>) -> Option<Recorded> {
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split_whitespace();
    let method = first.next()?.to_string();
    let path = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buf.len() < body_start + len {
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let body = String::from_utf8_lossy(&buf[body_start..body_start + len]).to_string();
    buf.drain(..body_start + len);
    Some(Recorded {
        method,
        path,
        headers,
        body,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        529 => "Overloaded",
        _ => "Status",
    }
}
