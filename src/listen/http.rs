//! OTLP/HTTP: `POST /v1/traces` with a protobuf or OTLP/JSON body, optionally gzip-compressed.
//! Answers as the OTLP specification asks: `ExportTraceServiceResponse` (with `partial_success`
//! when spans were left out) in the request's encoding; 400 for an undecodable body, 401 without
//! the bearer token, 413 above the body limit, 415 for an unknown content type or encoding,
//! 429 with `Retry-After` when the writer's queue is full.

use std::borrow::Cow;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    ALLOW, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER,
    WWW_AUTHENTICATE,
};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use super::decode::{self, DecodeError, Encoding};
use super::{RETRY_AFTER_SECS, Refusal, Shared};

/// The only path served.
pub const TRACES_PATH: &str = "/v1/traces";

type HttpResponse = Response<Full<Bytes>>;

/// The OTLP/HTTP request handler.
#[derive(Clone)]
pub struct HttpService {
    shared: Arc<Shared>,
}

pub fn service(shared: Arc<Shared>) -> HttpService {
    HttpService { shared }
}

impl hyper::service::Service<Request<Incoming>> for HttpService {
    type Response = HttpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            let response = handle(&shared, req).await;
            if response.status().is_client_error()
                && response.status() != StatusCode::TOO_MANY_REQUESTS
            {
                shared.count_failure();
            }
            Ok(response)
        })
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> HttpResponse {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let encoding = Encoding::from_content_type(content_type);
    // Errors are written in the request's encoding when it has a known one.
    let reply_as = encoding.unwrap_or(Encoding::Json);
    if req.uri().path() != TRACES_PATH {
        let msg = format!("not found: OTLP traces go to POST {TRACES_PATH}");
        return status(StatusCode::NOT_FOUND, reply_as, &msg);
    }
    if req.method() != Method::POST {
        let mut r = status(
            StatusCode::METHOD_NOT_ALLOWED,
            reply_as,
            "method not allowed: use POST",
        );
        r.headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    let auth = req.headers().get(AUTHORIZATION).map(HeaderValue::as_bytes);
    if !shared.authorized(auth) {
        let mut r = status(
            StatusCode::UNAUTHORIZED,
            reply_as,
            "unauthorized: send Authorization: Bearer <token>",
        );
        r.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    let Some(encoding) = encoding else {
        let msg = format!(
            "unsupported content type {:?}: send application/x-protobuf or application/json",
            crate::sanitize::clean_line(content_type)
        );
        return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, reply_as, &msg);
    };
    let gzip = match req
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("") | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            let msg = format!(
                "unsupported content encoding {:?}: send gzip or none",
                crate::sanitize::clean_line(other)
            );
            return status(StatusCode::UNSUPPORTED_MEDIA_TYPE, encoding, &msg);
        }
    };
    let limit = shared.body_limit;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(encoding, limit);
    }
    let body = match Limited::new(req.into_body(), limit).collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => return too_large(encoding, limit),
        Err(e) => {
            let msg = format!("could not read the request body: {e}");
            return status(StatusCode::BAD_REQUEST, encoding, &msg);
        }
    };
    let raw: Cow<[u8]> = if gzip {
        match decode::gunzip(&body, limit) {
            Ok(v) => Cow::Owned(v),
            Err(e) => return decode_error(&e, encoding),
        }
    } else {
        Cow::Borrowed(&body)
    };
    let received = match decode::decode_body(&raw, encoding) {
        Ok(r) => r,
        Err(e) => return decode_error(&e, encoding),
    };
    drop(raw);
    match shared.accept(received, encoding.protocol()).await {
        Ok(accepted) => {
            let response = ExportTraceServiceResponse {
                partial_success: accepted.partial_success(),
            };
            let body = match encoding {
                Encoding::Protobuf => response.encode_to_vec(),
                // A full success is `{}` (proto3 JSON leaves unset fields out; the crate's
                // serde mapping would write `"partialSuccess": null`).
                Encoding::Json if response.partial_success.is_none() => b"{}".to_vec(),
                Encoding::Json => serde_json::to_vec(&response).unwrap_or_else(|_| b"{}".to_vec()),
            };
            respond(StatusCode::OK, encoding, body)
        }
        Err(refusal) => refused(&refusal, encoding),
    }
}

fn decode_error(e: &DecodeError, encoding: Encoding) -> HttpResponse {
    match e {
        DecodeError::TooLarge { limit } => too_large(encoding, *limit),
        DecodeError::Invalid(reason) => status(StatusCode::BAD_REQUEST, encoding, reason),
    }
}

fn too_large(encoding: Encoding, limit: usize) -> HttpResponse {
    let msg = format!("request body larger than the {limit}-byte limit (see --max-body)");
    status(StatusCode::PAYLOAD_TOO_LARGE, encoding, &msg)
}

/// 429 when the queue is full, 503 when shutting down or the store failed; both retryable.
fn refused(refusal: &Refusal, encoding: Encoding) -> HttpResponse {
    let (code, msg) = match refusal {
        Refusal::Busy => (
            StatusCode::TOO_MANY_REQUESTS,
            "busy: the store writer's queue is full; retry later".to_string(),
        ),
        Refusal::Closed => (
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down; retry later".to_string(),
        ),
        Refusal::Store(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the store could not commit the spans: {e}"),
        ),
    };
    let mut r = status(code, encoding, &msg);
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
    r
}

/// An error response: a `google.rpc.Status` in the request's encoding, as OTLP/HTTP asks.
fn status(code: StatusCode, encoding: Encoding, message: &str) -> HttpResponse {
    tracing::debug!(status = code.as_u16(), message, "listen: request refused");
    let status = tonic_types::Status {
        code: grpc_code(code) as i32,
        message: message.to_string(),
        details: Vec::new(),
    };
    let body = match encoding {
        Encoding::Protobuf => status.encode_to_vec(),
        Encoding::Json => serde_json::to_vec(&serde_json::json!({
            "code": status.code,
            "message": status.message,
        }))
        .unwrap_or_default(),
    };
    respond(code, encoding, body)
}

/// The gRPC code matching an HTTP status, for the `Status` body.
fn grpc_code(code: StatusCode) -> tonic::Code {
    match code {
        StatusCode::BAD_REQUEST | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            tonic::Code::InvalidArgument
        }
        StatusCode::UNAUTHORIZED => tonic::Code::Unauthenticated,
        StatusCode::NOT_FOUND => tonic::Code::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => tonic::Code::Unimplemented,
        StatusCode::PAYLOAD_TOO_LARGE => tonic::Code::ResourceExhausted,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => tonic::Code::Unavailable,
        _ => tonic::Code::Unknown,
    }
}

fn respond(code: StatusCode, encoding: Encoding, body: Vec<u8>) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = code;
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(encoding.content_type()),
    );
    r
}
