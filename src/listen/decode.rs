//! Request bodies to spans: content type and encoding, then protobuf or OTLP/JSON.
//!
//! An OTLP/JSON body is read by the file adapter ([`crate::ingest::otlp::read_line`]) exactly as
//! a line of a Collector `file` exporter dump. A protobuf request is decoded with the published
//! OTLP definitions (`opentelemetry-proto`, prost) and converted straight to spans by
//! [`super::convert`], which maps each value as the reader maps its JSON form and builds the
//! span with the reader's own code: a span received live and the same span read from a dump are
//! identical in the store, without the cost of writing and re-reading JSON.

use std::collections::HashSet;
use std::io::Read;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;

use crate::ingest::otlp;
use crate::model::Span;

/// How a request body is encoded, from its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// `None` for a content type OTLP/HTTP does not define (answered with 415).
    pub fn from_content_type(value: &str) -> Option<Encoding> {
        let mime = value.split(';').next().unwrap_or("").trim();
        if mime.eq_ignore_ascii_case("application/x-protobuf")
            || mime.eq_ignore_ascii_case("application/protobuf")
        {
            Some(Encoding::Protobuf)
        } else if mime.eq_ignore_ascii_case("application/json") {
            Some(Encoding::Json)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }

    /// The protocol name reported per request (`--json`'s `protocol`).
    pub fn protocol(self) -> &'static str {
        match self {
            Encoding::Protobuf => "http/protobuf",
            Encoding::Json => "http/json",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// The body (after decompression) is larger than the configured limit (413).
    #[error("request body larger than the {limit}-byte limit")]
    TooLarge { limit: usize },
    /// Not a decodable OTLP traces request (400).
    #[error("{0}")]
    Invalid(String),
}

/// What one request yielded: the spans to store, how many were left out, and why.
#[derive(Debug, Default)]
pub struct Received {
    pub spans: Vec<Span>,
    /// Spans in the request that could not be read (the OTLP `rejected_spans`).
    pub rejected: u64,
    /// Distinct trace ids among `spans`.
    pub traces: u64,
    /// What was left out or repaired, for `partial_success.error_message`; empty when nothing.
    pub message: String,
}

/// Inflates a gzip body, refusing to produce more than `limit` bytes (a small compressed body
/// must not expand into gigabytes).
pub fn gunzip(body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(body.len().saturating_mul(4).min(limit));
    let decoder = flate2::read::MultiGzDecoder::new(body);
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Invalid(format!("invalid gzip body: {e}")))?;
    if out.len() > limit {
        return Err(DecodeError::TooLarge { limit });
    }
    Ok(out)
}

/// Decodes an uncompressed body.
pub fn decode_body(body: &[u8], encoding: Encoding) -> Result<Received, DecodeError> {
    match encoding {
        Encoding::Protobuf => match ExportTraceServiceRequest::decode(body) {
            Ok(request) => from_request(request),
            Err(refused) => from_refused_protobuf(body, &refused),
        },
        Encoding::Json => from_json(body),
    }
}

/// Reads a decoded protobuf request (HTTP protobuf and gRPC).
pub fn from_request(request: ExportTraceServiceRequest) -> Result<Received, DecodeError> {
    Ok(super::convert::from_request(request))
}

/// A body prost refused: read again with bytes for strings and nesting counted by hand
/// ([`super::lossy`]), so invalid UTF-8 or a value nested too deep costs that value (repaired
/// and reported), not the request. Still 400 when it is not an OTLP request either way.
pub fn from_refused_protobuf(
    body: &[u8],
    refused: &prost::DecodeError,
) -> Result<Received, DecodeError> {
    let Some((request, repairs)) = super::lossy::decode(body) else {
        return Err(DecodeError::Invalid(format!(
            "not an OTLP ExportTraceServiceRequest: {refused}"
        )));
    };
    let mut received = from_request(request)?;
    received.rejected += repairs.rejected;
    let repaired = repairs.describe();
    if !repaired.is_empty() {
        received.message = if received.message.is_empty() {
            repaired
        } else {
            format!("{repaired}; {}", received.message)
        };
    }
    Ok(received)
}

/// The former route for protobuf: written out as OTLP/JSON and read back by the file adapter.
/// Kept for the tests, as the reference the direct conversion must equal.
#[cfg(test)]
pub(crate) fn from_request_via_json(
    request: &ExportTraceServiceRequest,
) -> Result<Received, DecodeError> {
    if request.resource_spans.is_empty() {
        return Ok(Received::default());
    }
    let json = serde_json::to_vec(request)
        .map_err(|e| DecodeError::Invalid(format!("request cannot be read as OTLP: {e}")))?;
    from_json(&json)
}

/// Reads an OTLP/JSON request body, the encoding of one line of a Collector `file` dump.
pub fn from_json(body: &[u8]) -> Result<Received, DecodeError> {
    // A value nested past serde_json's limit costs its attribute (or, outside the spans'
    // attributes, the request): on that path only, the body is read again with the too-deep
    // values cut (`json_depth`), so they cost only their deepest part, as in protobuf.
    let read_cut = || {
        let cut = super::json_depth::cut_deep_values(body)?;
        Some((otlp::read_line(&cut.body).ok()?, cut.values))
    };
    let (read, cut_values) = match otlp::read_line(body) {
        Ok(read) if read.problems.is_empty() => (read, 0),
        Ok(read) => read_cut().unwrap_or((read, 0)),
        // `{}` is a valid, empty request (every field of a proto3 message is optional).
        Err(_) if is_empty_object(body) => return Ok(Received::default()),
        Err(reason) => read_cut().ok_or(DecodeError::Invalid(reason))?,
    };
    let rejected = read.spans_seen.saturating_sub(read.spans.len()) as u64;
    let traces = read
        .spans
        .iter()
        .map(|s| s.trace_id.as_str())
        .collect::<HashSet<_>>()
        .len() as u64;
    let mut message = summarize(&read.problems);
    if cut_values > 0 {
        let cut = format!(
            "{cut_values} values nested deeper than {} JSON levels stored as {:?}",
            super::json_depth::MAX_DEPTH,
            super::lossy::TOO_DEEP
        );
        message = if message.is_empty() {
            cut
        } else {
            format!("{cut}; {message}")
        };
    }
    Ok(Received {
        rejected,
        traces,
        message,
        spans: read.spans,
    })
}

fn is_empty_object(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(body)
        .is_ok_and(|m| m.is_empty())
}

/// The first few problems on one line, and how many more there were.
pub(crate) fn summarize(problems: &[otlp::SpanProblem]) -> String {
    const SHOWN: usize = 3;
    let mut text = problems
        .iter()
        .take(SHOWN)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if problems.len() > SHOWN {
        text.push_str(&format!("; and {} more", problems.len() - SHOWN));
    }
    text
}

#[cfg(test)]
#[path = "decode_tests.rs"]
mod tests;
