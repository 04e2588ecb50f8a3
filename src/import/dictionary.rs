//! The payload dictionary an import compresses with: the store's own, or one trained on the
//! first spans of this file when the store has none yet and the file is big enough for the
//! dictionary to pay for itself.

use crate::ingest::lines::{Line, LineReader};
use crate::ingest::otlp;
use crate::pricing::PriceBook;
use crate::store::{Dictionary, Store};
use std::path::Path;
use std::sync::Arc;

/// Smaller files are not worth training for (they compress without a dictionary).
const MIN_FILE_BYTES: u64 = 8 << 20;
/// JSON sampled for training: enough for the shapes of a source's spans, quick to train on.
const SAMPLE_BYTES: usize = 2 << 20;
/// Lines longer than this are not sampled (one huge line is no sample of the rest).
const SAMPLE_LINE_MAX: usize = 16 << 20;

/// The dictionary for this import, training (and saving) one when the store has none.
/// Failures only cost compression ratio: they are logged and the import goes on without.
pub(super) fn for_import(store: &Store, path: &Path, size: u64) -> Option<Arc<Dictionary>> {
    match store.payload_dictionary() {
        Ok(Some(d)) => return Some(d),
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("payload dictionary unreadable: {e}");
            return None;
        }
    }
    if size < MIN_FILE_BYTES {
        return None;
    }
    let samples = sample_payloads(path);
    match store.train_payload_dictionary(&samples) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!("payload dictionary not saved: {e}");
            None
        }
    }
}

/// Payload JSON of the file's first spans, as the store would hold it.
fn sample_payloads(path: &Path) -> Vec<Vec<u8>> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let book = PriceBook::active();
    let mut reader = LineReader::with_limit(file, SAMPLE_LINE_MAX);
    let (mut samples, mut bytes) = (Vec::new(), 0usize);
    while bytes < SAMPLE_BYTES {
        let line = match reader.next_line() {
            Ok(Some(Line::Data { bytes, .. })) => bytes,
            Ok(Some(Line::TooLong { .. })) => continue,
            Ok(None) | Err(_) => break,
        };
        let Ok(read) = otlp::read_line(line) else {
            continue;
        };
        for mut span in read.spans {
            super::pipeline::finish_otlp_span(book, &mut span);
            let mut json = Vec::new();
            if crate::store::span_json(&mut span, &mut json).is_ok() {
                bytes += json.len();
                samples.push(json);
            }
        }
    }
    samples
}
