//! One recorded call replayed from an interactive front end (the TUI's replay form): the same
//! steps `trawl replay` takes for each item — rebuild the request, apply the overrides, build
//! the wire body and the estimate, send with the judge's client, store the replay linked to
//! its original — for a single span, split at the confirmation so the estimate is shown first.

pub use super::record::Outgoing;
use super::record::{self, ReplayCall};
use super::request::{RecordedRequest, from_span};
use super::run::{self, Estimate};
use super::select;
use super::wire::{self, Overrides};
use crate::judge::{ProviderConfig, ProviderKind, RetryPolicy};
use crate::model::{Span, SpanKind};
use crate::store::{ReplayLink, Store};
use serde_json::Value;
use std::time::Duration;

/// What the form sets; `None` keeps the recorded value (or the provider's default).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    pub provider: Option<ProviderKind>,
    pub model: Option<String>,
    pub base_url: Option<String>,
    /// Replaces the system message.
    pub system: Option<String>,
    /// `KEY=VALUE` overrides, as `--set` takes them.
    pub set: Vec<String>,
}

/// A replay ready to send: the request as it will go out and what it should cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    pub trace_id: String,
    pub spans: Vec<Span>,
    pub span: Span,
    pub target: ProviderConfig,
    pub overrides: Overrides,
    /// The request with the overrides applied.
    pub sent: RecordedRequest,
    pub body: Value,
    pub estimate: Estimate,
    /// The recorded system prompt (what the editor starts from).
    pub recorded_system: Option<String>,
    /// The model the call goes to.
    pub model: String,
}

/// The wire format a recorded request came from: Anthropic when its provider or model says
/// so, else OpenAI-compatible (as `trawl replay` decides without `--provider`).
pub fn recorded_kind(req: &RecordedRequest) -> ProviderKind {
    match req.provider.as_deref().or(req.model.as_deref()) {
        Some(p) if p.to_ascii_lowercase().contains("anthropic") || p.starts_with("claude") => {
            ProviderKind::Anthropic
        }
        _ => ProviderKind::OpenAi,
    }
}

/// The recorded system message's text, if any.
fn system_text(req: &RecordedRequest) -> Option<String> {
    let m = req
        .messages
        .iter()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("system"))?;
    match m.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// Rebuilds span `span_id` of trace `trace_id` with `settings` applied, or says why it cannot
/// be replayed (an incomplete recording, a bad `KEY=VALUE`, a missing span).
pub fn prepare(
    store: &Store,
    trace_id: &str,
    span_id: &str,
    settings: &Settings,
) -> Result<Prepared, String> {
    let spans = store.trace_spans(trace_id).map_err(|e| e.to_string())?;
    let span = spans
        .iter()
        .find(|s| s.span_id == span_id)
        .cloned()
        .ok_or_else(|| format!("no span {span_id} in trace {trace_id}"))?;
    if span.kind != SpanKind::Llm {
        return Err("only an LLM call can be replayed".into());
    }
    let req = from_span(&span).map_err(|e| e.0)?;
    let mut overrides = Overrides {
        model: settings.model.clone().filter(|m| !m.trim().is_empty()),
        system: settings.system.clone(),
        ..Overrides::default()
    };
    for s in settings.set.iter().filter(|s| !s.trim().is_empty()) {
        let (k, v) = Overrides::parse_set(s)?;
        overrides.set.insert(k, v);
    }
    let kind = settings.provider.unwrap_or_else(|| recorded_kind(&req));
    let mut target = ProviderConfig::new(kind);
    if let Some(u) = settings
        .base_url
        .as_deref()
        .filter(|u| !u.trim().is_empty())
    {
        target.base_url = u.trim().trim_end_matches('/').to_string();
    }
    target.timeout = Duration::from_secs(60);
    let WireCall {
        sent,
        body,
        model,
        estimate,
    } = wire_call(&req, &span, &overrides, &target);
    Ok(Prepared {
        trace_id: trace_id.to_string(),
        recorded_system: system_text(&req),
        spans,
        span,
        target,
        overrides,
        sent,
        body,
        estimate,
        model,
    })
}

/// Sends the prepared call and stores the replay like `trawl replay` does; returns the replay's
/// trace id.
pub fn send_and_store(
    store: &mut Store,
    p: &Prepared,
    retry: &RetryPolicy,
) -> Result<String, String> {
    let results =
        run::send_all(&p.target, vec![p.body.clone()], 1, retry).map_err(|e| e.to_string())?;
    let sent = match results.into_iter().next() {
        Some(Ok(s)) => s,
        Some(Err(e)) => return Err(format!("replay failed: {e}")),
        None => return Err("replay failed: nothing was sent".into()),
    };
    let outgoing = Outgoing {
        trace_id: &p.trace_id,
        spans: &p.spans,
        span: &p.span,
        sent: &p.sent,
        body: &p.body,
        overrides: &p.overrides,
        target: &p.target,
    };
    let (spans, link) = stored_replay(&outgoing, &sent)?;
    let trace_id = link.trace_id.clone();
    store
        .record_replays(&[(spans, link)])
        .map_err(|e| e.to_string())?;
    Ok(trace_id)
}

/// A recorded request made ready for the wire: overrides applied, body built, cost estimated.
pub struct WireCall {
    /// The request with the overrides applied.
    pub sent: RecordedRequest,
    pub body: Value,
    /// The model the call goes to.
    pub model: String,
    pub estimate: Estimate,
}

/// The request `req` recorded by `span`, with `overrides`, as it will go to `target`: the same
/// for a replay from the TUI and each item of `trawl replay`.
pub fn wire_call(
    req: &RecordedRequest,
    span: &Span,
    overrides: &Overrides,
    target: &ProviderConfig,
) -> WireCall {
    let sent = wire::apply(req, overrides);
    let model = sent.model.clone().unwrap_or_else(|| target.model.clone());
    let body = wire::body(&sent, target.kind, &target.model);
    let recorded_out = span.usage.as_ref().and_then(|u| u.output);
    let estimate = run::estimate_one(target, &model, &body, recorded_out);
    WireCall {
        sent,
        body,
        model,
        estimate,
    }
}

/// The answered call as a replay trace of its own (a new trace id) and its link to the
/// original, ready for [`Store::record_replays`].
pub fn stored_replay(
    out: &Outgoing,
    answered: &run::Sent,
) -> Result<(Vec<Span>, ReplayLink), String> {
    let kind = out.target.kind;
    let cost = run::answer_cost(
        out.target,
        answered.answer.model.as_deref(),
        &answered.answer.usage,
    );
    let trace_id = record::new_trace_id();
    let call = ReplayCall {
        out,
        answer: &answered.answer,
        cost,
        start_ns: answered.start_ns,
        end_ns: answered.end_ns,
    };
    let spans = record::replay_spans(&trace_id, &call);
    let link = ReplayLink {
        trace_id,
        replay_of_trace: out.trace_id.to_string(),
        replay_of_span: out.span.span_id.clone(),
        created_at_ns: answered.start_ns,
        provider: Some(kind.as_str().into()),
        model: out.sent.model.clone(),
        overrides: serde_json::to_value(out.overrides).map_err(|e| e.to_string())?,
    };
    Ok((spans, link))
}

/// The recorded answer of the call a replay re-sent, for the side-by-side view.
pub fn original_answer(span: &Span) -> Option<String> {
    select::answer_text(span)
}
