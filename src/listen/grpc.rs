//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`, the service
//! generated from the published definitions (`opentelemetry-proto`, tonic), served by hyper
//! over HTTP/2. Refusals map to gRPC codes: `UNAUTHENTICATED` without the token,
//! `INVALID_ARGUMENT` for an unreadable request, `UNAVAILABLE` with `RetryInfo` when the
//! writer's queue is full; tonic itself answers `RESOURCE_EXHAUSTED` above the body limit.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::service::TowerToHyperService;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::service::interceptor::InterceptedService;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

use super::decode;
use super::{RETRY_AFTER_SECS, Refusal, Shared};

pub type GrpcService =
    TowerToHyperService<InterceptedService<TraceServiceServer<GrpcReceiver>, BearerCheck>>;

pub fn service(shared: Arc<Shared>) -> GrpcService {
    let server = TraceServiceServer::new(GrpcReceiver {
        shared: shared.clone(),
    })
    .max_decoding_message_size(shared.body_limit)
    .accept_compressed(CompressionEncoding::Gzip);
    TowerToHyperService::new(InterceptedService::new(server, BearerCheck { shared }))
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

pub struct GrpcReceiver {
    shared: Arc<Shared>,
}

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, Status> {
        let request = request.into_inner();
        let received = match decode::from_request(request) {
            Ok(r) => r,
            Err(e) => {
                self.shared.count_failure();
                return Err(Status::invalid_argument(e.to_string()));
            }
        };
        match self.shared.accept(received, "grpc").await {
            Ok(accepted) => Ok(tonic::Response::new(ExportTraceServiceResponse {
                partial_success: accepted.partial_success(),
            })),
            Err(refusal) => Err(refused(&refusal)),
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
