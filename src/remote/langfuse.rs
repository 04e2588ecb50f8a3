//! Langfuse v3's ClickHouse tables (`traces`, `observations`, `scores`) pulled into the store.
//! Not implemented yet: asking for it says so.

use super::client::Client;
use super::pull::{PullOptions, PullProgress};
use super::RemoteError;
use crate::ingest::IngestReport;
use crate::store::Store;

pub fn pull(
    _store: &mut Store,
    _client: &Client,
    _opts: &PullOptions,
    _on_progress: &mut dyn FnMut(&PullProgress),
) -> Result<IngestReport, RemoteError> {
    Err(RemoteError::Unsupported(
        "schema=langfuse is not implemented yet".into(),
    ))
}
