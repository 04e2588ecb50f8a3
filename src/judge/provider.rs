//! Judge model clients: OpenAI-compatible chat completions (OpenAI, Ollama, vLLM, llama.cpp,
//! LiteLLM) and Anthropic Messages. One call = one verdict attempt; retry policy lives in the
//! runner, which needs the classification returned here.

use super::limits::{self, read_body_capped};
use super::parse::{self, Parsed};
use super::prompt::{Prompt, VERDICT_LINE_INSTRUCTIONS};
use super::redact::Redactor;
use serde::Serialize;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

pub const OPENAI_BASE: &str = "https://api.openai.com/v1";
pub const ANTHROPIC_BASE: &str = "https://api.anthropic.com";

pub use super::limits::{DEFAULT_MAX_RESPONSE_BYTES, parse_retry_after};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
}

impl ProviderKind {
    pub fn parse(s: &str) -> Option<ProviderKind> {
        match s.trim().to_ascii_lowercase().as_str() {
            "openai" | "openai-compatible" | "ollama" | "vllm" | "litellm" => {
                Some(ProviderKind::OpenAi)
            }
            "anthropic" | "claude" => Some(ProviderKind::Anthropic),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "openai",
            ProviderKind::Anthropic => "anthropic",
        }
    }
    pub fn default_base(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => OPENAI_BASE,
            ProviderKind::Anthropic => ANTHROPIC_BASE,
        }
    }
    pub fn default_model(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "gpt-4o-mini",
            ProviderKind::Anthropic => "claude-haiku-4-5",
        }
    }
    pub fn default_key_env(self) -> &'static str {
        match self {
            ProviderKind::OpenAi => "OPENAI_API_KEY",
            ProviderKind::Anthropic => "ANTHROPIC_API_KEY",
        }
    }
}

/// Which judge model to call and how. Holds the *name* of the key variable, never the key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub model: String,
    /// Without a trailing slash.
    pub base_url: String,
    pub api_key_env: String,
    pub temperature: f64,
    pub max_tokens: u32,
    /// Per-request timeout.
    #[serde(skip)]
    pub timeout: Duration,
    /// Largest answer body read; a larger one is an error verdict, never buffered whole.
    #[serde(skip)]
    pub max_response_bytes: usize,
    /// Send the key over plain `http://` to a host that is not this machine. Off by default:
    /// the front end asks first (see [`ProviderConfig::insecure_key_host`]).
    #[serde(skip)]
    pub allow_plain_http_key: bool,
}

impl ProviderConfig {
    pub fn new(kind: ProviderKind) -> ProviderConfig {
        ProviderConfig {
            kind,
            model: kind.default_model().into(),
            base_url: kind.default_base().into(),
            api_key_env: kind.default_key_env().into(),
            temperature: 0.0,
            max_tokens: 400,
            timeout: Duration::from_secs(60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_plain_http_key: false,
        }
    }

    /// The key from the environment variable named by `api_key_env`, if set and not blank.
    fn key_from_env(&self) -> Option<String> {
        std::env::var(&self.api_key_env)
            .ok()
            .filter(|k| !k.trim().is_empty())
    }

    /// The host a key would be sent to in clear text: `Some` when a key is set and the base URL
    /// is plain `http://` to a host other than this machine (loopback is exempt).
    pub fn insecure_key_host(&self) -> Option<String> {
        self.key_from_env()?;
        limits::plain_http_remote_host(&self.base_url)
    }

    /// The vendor's own endpoint (where a key is mandatory).
    pub fn is_official(&self) -> bool {
        let b = self.base_url.to_ascii_lowercase();
        b.contains("://api.openai.com") || b.contains("://api.anthropic.com")
    }

    fn endpoint(&self) -> String {
        let b = self.base_url.trim_end_matches('/');
        match self.kind {
            ProviderKind::OpenAi => format!("{b}/chat/completions"),
            ProviderKind::Anthropic if b.ends_with("/v1") => format!("{b}/messages"),
            ProviderKind::Anthropic => format!("{b}/v1/messages"),
        }
    }
}

/// How one attempt failed, as far as the runner's retry policy is concerned.
#[derive(Debug, Clone, PartialEq)]
pub enum CallError {
    /// Worth retrying (429, 5xx, 529, timeouts, connection errors), maybe after `retry_after`.
    Retryable {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Stop the whole run: every further call would fail the same way (auth, quota, model).
    Pause(String),
    /// This item failed for good (a 400 about the prompt, an unreadable body).
    Fatal(String),
}

/// A successful judge answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub parsed: Parsed,
    /// The model the server says answered.
    pub model: Option<String>,
    pub usage: crate::model::Usage,
}

/// OpenAI structured-output ladder; the mode only ever moves down, shared by all calls of a run
/// so one 400 teaches every later call.
const MODE_SCHEMA: u8 = 0;
const MODE_JSON: u8 = 1;
const MODE_LINE: u8 = 2;

pub struct Client {
    cfg: ProviderConfig,
    http: reqwest::Client,
    /// Read from the environment once; never logged, printed or stored.
    key: Option<String>,
    /// Removes echoes of the key from everything a call returns.
    redactor: Redactor,
    mode: AtomicU8,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("cfg", &self.cfg)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Client {
    pub fn new(cfg: ProviderConfig) -> Result<Client, super::JudgeError> {
        let key = cfg.key_from_env();
        if key.is_none() && cfg.is_official() {
            return Err(super::JudgeError::MissingKey {
                var: cfg.api_key_env.clone(),
                base_url: cfg.base_url.clone(),
            });
        }
        if !cfg.allow_plain_http_key
            && let Some(host) = cfg.insecure_key_host()
        {
            return Err(super::JudgeError::InsecureKey {
                var: cfg.api_key_env.clone(),
                host,
            });
        }
        let http = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout.min(Duration::from_secs(10)))
            .pool_max_idle_per_host(64)
            // A redirect could carry the key (x-api-key is not stripped) to another host.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| super::JudgeError::Http(e.to_string()))?;
        Ok(Client {
            cfg,
            http,
            redactor: Redactor::new(key.as_deref()),
            key,
            mode: AtomicU8::new(MODE_SCHEMA),
        })
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.cfg
    }

    /// One attempt. A 400 about structured output downgrades the mode and tries again at once
    /// (not counted as a retry: the server told us what it can't do). Everything returned has
    /// echoes of the key removed: this is the one place server text enters trawl.
    pub async fn call(&self, prompt: &Prompt, sample: u32) -> Result<Reply, CallError> {
        let r = &self.redactor;
        match self.call_unredacted(prompt, sample).await {
            Ok(mut reply) => {
                reply.parsed.reasoning = r.redact(&reply.parsed.reasoning);
                reply.model = reply.model.map(|m| r.redact(&m));
                Ok(reply)
            }
            Err(CallError::Retryable {
                reason,
                retry_after,
            }) => Err(CallError::Retryable {
                reason: r.redact(&reason),
                retry_after,
            }),
            Err(CallError::Pause(m)) => Err(CallError::Pause(r.redact(&m))),
            Err(CallError::Fatal(m)) => Err(CallError::Fatal(r.redact(&m))),
        }
    }

    /// Posts `body` (already in this provider's wire format) and returns the answer's text
    /// with its status: the key, headers, body cap and transport errors of every call.
    async fn send(&self, body: &Value) -> Result<(u16, String, Option<Duration>), CallError> {
        let mut req = self.http.post(self.cfg.endpoint()).json(body);
        match (self.cfg.kind, &self.key) {
            (ProviderKind::OpenAi, Some(k)) => req = req.bearer_auth(k),
            (ProviderKind::Anthropic, Some(k)) => req = req.header("x-api-key", k),
            _ => {}
        }
        if self.cfg.kind == ProviderKind::Anthropic {
            req = req.header("anthropic-version", "2023-06-01");
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Err(transport_error(&e)),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        // Only errors of `send()` are transport errors; a failure while reading the body
        // is a dropped connection (retryable), whatever reqwest calls it.
        let text = read_body_capped(resp, self.cfg.max_response_bytes).await?;
        Ok((status, text, retry_after))
    }

    /// One attempt with a caller-built body (`trawl replay` re-sends recorded requests): the
    /// same key handling, body cap, error classification and key redaction as a verdict call.
    /// Returns the answer body as JSON.
    pub async fn post_json(&self, body: &Value) -> Result<Value, CallError> {
        let r = &self.redactor;
        let redact_err = |e: CallError| match e {
            CallError::Retryable {
                reason,
                retry_after,
            } => CallError::Retryable {
                reason: r.redact(&reason),
                retry_after,
            },
            CallError::Pause(m) => CallError::Pause(r.redact(&m)),
            CallError::Fatal(m) => CallError::Fatal(r.redact(&m)),
        };
        let (status, text, retry_after) = self.send(body).await.map_err(redact_err)?;
        if !(200..300).contains(&status) {
            let lower = text.to_ascii_lowercase();
            let msg = error_message(&text);
            return Err(redact_err(classify(
                status,
                &lower,
                msg,
                retry_after,
                &self.cfg,
            )));
        }
        let text = r.redact(&text);
        serde_json::from_str(&text)
            .map_err(|e| CallError::Fatal(format!("the server sent a body that is not JSON ({e})")))
    }

    async fn call_unredacted(&self, prompt: &Prompt, sample: u32) -> Result<Reply, CallError> {
        loop {
            let mode = self.mode.load(Ordering::Relaxed);
            let body = match self.cfg.kind {
                ProviderKind::OpenAi => self.openai_body(prompt, sample, mode),
                ProviderKind::Anthropic => self.anthropic_body(prompt),
            };
            let (status, text, retry_after) = self.send(&body).await?;
            if (200..300).contains(&status) {
                return self.read_success(&text, mode);
            }
            let msg = error_message(&text);
            let lower = text.to_ascii_lowercase();
            if status == 400
                && self.cfg.kind == ProviderKind::OpenAi
                && mode < MODE_LINE
                && (lower.contains("response_format")
                    || lower.contains("json_schema")
                    || lower.contains("json_object")
                    || lower.contains("unsupported")
                    || lower.contains("not supported"))
            {
                self.mode.store(mode + 1, Ordering::Relaxed);
                tracing::info!(
                    mode = mode + 1,
                    "judge server rejected structured output; falling back"
                );
                continue;
            }
            return Err(classify(status, &lower, msg, retry_after, &self.cfg));
        }
    }

    fn openai_body(&self, prompt: &Prompt, sample: u32, mode: u8) -> Value {
        let mut messages = vec![
            json!({"role": "system", "content": prompt.system}),
            json!({"role": "user", "content": prompt.user}),
        ];
        if mode == MODE_LINE {
            messages.push(json!({"role": "user", "content": VERDICT_LINE_INSTRUCTIONS}));
        }
        let mut body = json!({
            "model": self.cfg.model,
            "messages": messages,
            "temperature": self.cfg.temperature,
            // A different seed per sample so `--samples` draws are independent where seeds work.
            "seed": 7 + u64::from(sample),
        });
        // OpenAI's reasoning models need max_completion_tokens; local servers know max_tokens.
        let tokens_key = if self.cfg.is_official() {
            "max_completion_tokens"
        } else {
            "max_tokens"
        };
        body[tokens_key] = json!(self.cfg.max_tokens);
        match mode {
            MODE_SCHEMA => {
                body["response_format"] = json!({
                    "type": "json_schema",
                    "json_schema": {"name": "verdict", "strict": true, "schema": verdict_schema(true)}
                })
            }
            MODE_JSON => body["response_format"] = json!({"type": "json_object"}),
            _ => {}
        }
        body
    }

    fn anthropic_body(&self, prompt: &Prompt) -> Value {
        json!({
            "model": self.cfg.model,
            "max_tokens": self.cfg.max_tokens,
            "temperature": self.cfg.temperature.clamp(0.0, 1.0),
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
            "tools": [{
                "name": "record_verdict",
                "description": "Record the verdict for the rule, with the reasoning first.",
                "input_schema": verdict_schema(false)
            }],
            "tool_choice": {"type": "tool", "name": "record_verdict"}
        })
    }

    fn read_success(&self, text: &str, mode: u8) -> Result<Reply, CallError> {
        let v: Value = serde_json::from_str(text).map_err(|e| {
            CallError::Fatal(format!("judge server sent a body that is not JSON ({e})"))
        })?;
        let model = v.get("model").and_then(Value::as_str).map(str::to_string);
        match self.cfg.kind {
            ProviderKind::OpenAi => {
                let u = v.get("usage");
                let input = u
                    .and_then(|u| u.get("prompt_tokens"))
                    .and_then(Value::as_i64);
                let output = u
                    .and_then(|u| u.get("completion_tokens"))
                    .and_then(Value::as_i64);
                let usage = crate::model::Usage {
                    input,
                    output,
                    total: u
                        .and_then(|u| u.get("total_tokens"))
                        .and_then(Value::as_i64),
                    cache_read: u
                        .and_then(|u| u.pointer("/prompt_tokens_details/cached_tokens"))
                        .and_then(Value::as_i64),
                    reasoning: u
                        .and_then(|u| u.pointer("/completion_tokens_details/reasoning_tokens"))
                        .and_then(Value::as_i64),
                    ..Default::default()
                };
                let choice = v.pointer("/choices/0");
                let msg = choice.and_then(|c| c.get("message"));
                let content = msg
                    .and_then(|m| m.get("content"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let refusal = msg.and_then(|m| m.get("refusal")).and_then(Value::as_str);
                let finish = choice
                    .and_then(|c| c.get("finish_reason"))
                    .and_then(Value::as_str);
                let parsed = if content.trim().is_empty() {
                    let why = match (refusal, finish) {
                        (Some(r), _) => format!("the judge refused: {}", crate::sanitize::truncate_chars(r, 200)),
                        (None, Some("length")) => {
                            "the judge ran out of output tokens before answering (raise --max-tokens)".into()
                        }
                        _ => "the judge answer was empty".into(),
                    };
                    Parsed {
                        reasoning: format!("unparseable judge answer: {why}"),
                        ..parse::unparseable("")
                    }
                } else {
                    let mut p = parse::parse_text(content);
                    if mode == MODE_SCHEMA && p.by == parse::ParsedBy::Json {
                        p.by = parse::ParsedBy::Structured;
                    }
                    p
                };
                Ok(Reply {
                    parsed,
                    model,
                    usage,
                })
            }
            ProviderKind::Anthropic => {
                let u = v.get("usage");
                let get = |k: &str| u.and_then(|u| u.get(k)).and_then(Value::as_i64);
                let (inp, cr, cw) = (
                    get("input_tokens"),
                    get("cache_read_input_tokens"),
                    get("cache_creation_input_tokens"),
                );
                // Anthropic's input_tokens exclude cache reads/writes; trawl's Usage is inclusive.
                let input = inp.map(|i| i + cr.unwrap_or(0) + cw.unwrap_or(0));
                let usage = crate::model::Usage {
                    input,
                    output: get("output_tokens"),
                    cache_read: cr,
                    cache_write: cw,
                    ..Default::default()
                };
                let content = v
                    .get("content")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let tool = content
                    .iter()
                    .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                    .and_then(|b| b.get("input"))
                    .and_then(parse::from_value);
                let parsed = match tool {
                    Some(p) => p,
                    None => {
                        let text: String = content
                            .iter()
                            .filter_map(|b| b.get("text").and_then(Value::as_str))
                            .collect::<Vec<_>>()
                            .join("\n");
                        parse::parse_text(&text)
                    }
                };
                Ok(Reply {
                    parsed,
                    model,
                    usage,
                })
            }
        }
    }
}

/// `{reasoning, verdict}` with reasoning first (reasoning before the label improves verdicts).
fn verdict_schema(strict: bool) -> Value {
    let mut s = json!({
        "type": "object",
        "required": ["reasoning", "verdict"],
        "properties": {
            "reasoning": {"type": "string", "description": "Step-by-step reasoning, before the verdict."},
            "verdict": {"type": "string", "enum": ["TRUE", "FALSE", "NA"]}
        }
    });
    if strict {
        s["additionalProperties"] = json!(false);
    }
    s
}

fn transport_error(e: &reqwest::Error) -> CallError {
    // reqwest's Display can include the URL, never headers, so the key can't leak here.
    if e.is_timeout() {
        CallError::Retryable {
            reason: "the judge request timed out".into(),
            retry_after: None,
        }
    } else if e.is_connect() || e.is_request() || e.is_body() || e.is_decode() {
        // `is_decode` covers a body cut off by a reset connection.
        CallError::Retryable {
            reason: format!(
                "connection to the judge server failed: {}",
                limits::error_chain(e)
            ),
            retry_after: None,
        }
    } else {
        CallError::Fatal(format!("judge request failed: {}", limits::error_chain(e)))
    }
}

/// The provider's error message (`error.message`), else the start of the body.
fn error_message(text: &str) -> String {
    let m = serde_json::from_str::<Value>(text).ok().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("message"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    crate::sanitize::clean_line(&crate::sanitize::truncate_chars(
        m.as_deref().unwrap_or(text.trim()),
        300,
    ))
}

fn classify(
    status: u16,
    lower_body: &str,
    msg: String,
    retry_after: Option<Duration>,
    cfg: &ProviderConfig,
) -> CallError {
    let quota = lower_body.contains("insufficient_quota")
        || lower_body.contains("enforced_spend_limit")
        || lower_body.contains("billing");
    match status {
        401 => CallError::Pause(format!(
            "authentication failed (HTTP 401): check the key in ${} for {}: {msg}",
            cfg.api_key_env, cfg.base_url
        )),
        403 => CallError::Pause(format!(
            "permission denied (HTTP 403) by {}: {msg}",
            cfg.base_url
        )),
        402 => CallError::Pause(format!(
            "payment required (HTTP 402) by {}: {msg}",
            cfg.base_url
        )),
        404 => CallError::Pause(format!(
            "not found (HTTP 404): check --model {} and --base-url {}: {msg}",
            cfg.model, cfg.base_url
        )),
        300..=399 => CallError::Fatal(format!(
            "the judge server redirected the request (HTTP {status}); trawl does not follow redirects with your key: set --base-url to the final address"
        )),
        429 if quota => CallError::Pause(format!("quota or spend limit reached (HTTP 429): {msg}")),
        408 | 409 | 425 | 429 | 500..=599 => CallError::Retryable {
            reason: format!("HTTP {status}: {msg}"),
            retry_after,
        },
        _ => CallError::Fatal(format!("judge server answered HTTP {status}: {msg}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_for_official_api_is_an_error() {
        let mut cfg = ProviderConfig::new(ProviderKind::OpenAi);
        cfg.api_key_env = "TRAWL_TEST_SURELY_UNSET_KEY".into();
        assert!(Client::new(cfg.clone()).is_err());
        cfg.base_url = "http://127.0.0.1:1/v1".into();
        assert!(Client::new(cfg).is_ok());
    }
}
