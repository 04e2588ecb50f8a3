//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, served by hyper
//! over HTTP/2 with tonic's gRPC framing. Refusals map to gRPC codes: `UNAUTHENTICATED` without
//! the token, `INVALID_ARGUMENT` for an unreadable request, `UNAVAILABLE` with `RetryInfo` when
//! the writer's queue is full; tonic itself answers `RESOURCE_EXHAUSTED` above the body limit.
//!
//! The method is routed here rather than by the generated `TraceServiceServer`, whose codec
//! refuses a whole request for one invalid UTF-8 string: the message reaches
//! [`decode::decode_body`] as bytes, the same path as OTLP/HTTP protobuf, so a bad string or a
//! value nested too deep costs that value (reported in `partial_success`), not the request.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Buf, Bytes};
use hyper_util::service::TowerToHyperService;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{BoxFuture, Service, StdError};
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::decode::{self, Encoding};
use super::{RETRY_AFTER_SECS, Refusal, Shared};

/// The one method served.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

pub type GrpcService = TowerToHyperService<InterceptedService<ExportServer, BearerCheck>>;

pub fn service(shared: Arc<Shared>) -> GrpcService {
    let server = ExportServer {
        shared: shared.clone(),
    };
    TowerToHyperService::new(InterceptedService::new(server, BearerCheck { shared }))
}

/// Routes `TraceService/Export` through tonic's framing (gzip, size limit, status trailers).
#[derive(Clone)]
pub struct ExportServer {
    shared: Arc<Shared>,
}

impl<B> Service<http::Request<B>> for ExportServer
where
    B: tonic::codegen::Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            if req.uri().path() != EXPORT {
                return Ok(Status::unimplemented("only TraceService/Export is served").into_http());
            }
            let limit = shared.body_limit;
            let mut grpc = tonic::server::Grpc::new(RawRequest)
                .accept_compressed(CompressionEncoding::Gzip)
                .max_decoding_message_size(limit);
            Ok(grpc.unary(Export { shared }, req).await)
        })
    }
}

/// Hands the request message over undecoded; encodes the response with prost.
struct RawRequest;

impl Codec for RawRequest {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = RawRequest;
    type Decoder = RawRequest;

    fn encoder(&mut self) -> RawRequest {
        RawRequest
    }

    fn decoder(&mut self) -> RawRequest {
        RawRequest
    }
}

impl Encoder for RawRequest {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn encode(&mut self, item: Self::Item, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|e| Status::internal(format!("cannot encode the response: {e}")))
    }
}

impl Decoder for RawRequest {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

/// One `Export` call: decoded like an OTLP/HTTP protobuf body, then stored.
struct Export {
    shared: Arc<Shared>,
}

impl Service<tonic::Request<Bytes>> for Export {
    type Response = tonic::Response<ExportTraceServiceResponse>;
    type Error = Status;
    type Future = BoxFuture<Self::Response, Status>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Status>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: tonic::Request<Bytes>) -> Self::Future {
        let shared = self.shared.clone();
        Box::pin(async move {
            let body = request.into_inner();
            let received = match decode::decode_body(&body, Encoding::Protobuf) {
                Ok(r) => r,
                Err(e) => {
                    shared.count_failure();
                    return Err(Status::invalid_argument(e.to_string()));
                }
            };
            drop(body);
            match shared.accept(received, "grpc").await {
                Ok(accepted) => Ok(tonic::Response::new(ExportTraceServiceResponse {
                    partial_success: accepted.partial_success(),
                })),
                Err(refusal) => Err(refused(&refusal)),
            }
        })
    }
}

/// Checks the bearer token from the request's metadata before its body is decoded.
#[derive(Clone)]
pub struct BearerCheck {
    shared: Arc<Shared>,
}

impl tonic::service::Interceptor for BearerCheck {
    fn call(&mut self, request: tonic::Request<()>) -> Result<tonic::Request<()>, Status> {
        let auth = request
            .metadata()
            .get("authorization")
            .map(|v| v.as_bytes());
        if self.shared.authorized(auth) {
            Ok(request)
        } else {
            self.shared.count_failure();
            Err(Status::unauthenticated(
                "unauthorized: send authorization: Bearer <token>",
            ))
        }
    }
}

/// `UNAVAILABLE` with a retry delay: every refusal here is worth retrying.
fn refused(refusal: &Refusal) -> Status {
    let msg = match refusal {
        Refusal::Busy => "busy: the store writer's queue is full; retry later".to_string(),
        Refusal::Closed => "shutting down; retry later".to_string(),
        Refusal::Store(e) => format!("the store could not commit the spans: {e}"),
    };
    Status::with_error_details(
        Code::Unavailable,
        msg,
        ErrorDetails::with_retry_info(Some(Duration::from_secs(RETRY_AFTER_SECS))),
    )
}
