//! The payload dictionary an import compresses with: the store's own, or one trained on the
//! first spans of this file when the store has none yet and the file is big enough for the
//! dictionary to pay for itself.
//!
//! Training runs on a worker beside the import (issue 17: waiting for it delayed the first
//! traces on screen by a quarter of a second). Until it is ready the parsers compress without
//! a dictionary (the payload's codec tag says so); the writer saves the dictionary with the
//! store and only then hands it to the parsers, so no payload names a dictionary its store
//! lacks. But the parsers run ahead of the writer by megabytes, so a fifth of a 100 MB file
//! missed the dictionary on a busy machine (0.87× the input instead of 0.82×), waiting after
//! the first batch included: until the early payloads are recompressed (or the parsers wait),
//! the import waits for the training before it starts ([`ImportDictionary::wait`]).

use crate::ingest::lines::{Line, LineReader};
use crate::ingest::otlp;
use crate::pricing::PriceBook;
use crate::store::{Dictionary, SpanWriter, Store};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

/// Smaller files are not worth training for (they compress without a dictionary).
const MIN_FILE_BYTES: u64 = 8 << 20;
/// JSON sampled for training: enough for the shapes of a source's spans, quick to train on.
const SAMPLE_BYTES: usize = 2 << 20;
/// Lines longer than this are not sampled (one huge line is no sample of the rest).
const SAMPLE_LINE_MAX: usize = 16 << 20;

/// The dictionary the parsers compress with once it is saved with the store.
pub(super) type ReadySlot = Arc<OnceLock<Arc<Dictionary>>>;

/// This import's dictionary: ready from the start, being trained, or none.
pub(super) struct ImportDictionary {
    ready: ReadySlot,
    training: Option<JoinHandle<Option<Arc<Dictionary>>>>,
}

impl ImportDictionary {
    /// The store's dictionary, or a worker training one when the store has none and the file
    /// is big enough. Failures only cost compression ratio: logged, and the import goes on.
    pub fn for_import(store: &Store, path: &Path, size: u64) -> ImportDictionary {
        let ready = ReadySlot::default();
        let mut training = None;
        match store.payload_dictionary() {
            Ok(Some(d)) => {
                let _ = ready.set(d);
            }
            Ok(None) if size >= MIN_FILE_BYTES && store.access().is_writable() => {
                let path: PathBuf = path.to_path_buf();
                training = std::thread::Builder::new()
                    .name("trawl-dictionary".into())
                    .spawn(move || Dictionary::train(&sample_payloads(&path)))
                    .map_err(|e| tracing::warn!("payload dictionary not trained: {e}"))
                    .ok();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("payload dictionary unreadable: {e}"),
        }
        ImportDictionary { ready, training }
    }

    /// Waits for the training and saves the dictionary before the import starts.
    pub fn wait(&mut self, store: &Store) {
        let Some(handle) = self.training.take() else {
            return;
        };
        let Ok(Some(d)) = handle.join() else {
            return;
        };
        match store.save_payload_dictionary(&d) {
            Ok(()) => {
                let _ = self.ready.set(d);
            }
            Err(e) => tracing::warn!("payload dictionary not saved: {e}"),
        }
    }

    /// What the parsers watch for the dictionary.
    pub fn slot(&self) -> ReadySlot {
        self.ready.clone()
    }

    /// Saves the trained dictionary and hands it to the parsers once training is done;
    /// called by the writer between chunks. With `wait`, waits for the training (at the end
    /// of the import, so the store keeps its dictionary for the next imports).
    pub fn poll(&mut self, writer: &SpanWriter<'_>, wait: bool) {
        if !wait && !self.training.as_ref().is_some_and(JoinHandle::is_finished) {
            return;
        }
        let Some(handle) = self.training.take() else {
            return;
        };
        let Ok(Some(d)) = handle.join() else {
            return;
        };
        match writer.save_payload_dictionary(&d) {
            Ok(()) => {
                let _ = self.ready.set(d);
            }
            Err(e) => tracing::warn!("payload dictionary not saved: {e}"),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SourceRecord, SpanEncoder};

    /// `n` one-span OTLP lines with varied names and models.
    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"resourceSpans\":[{{\"resource\":{{\"attributes\":[]}},\"scopeSpans\":[{{\"scope\":{{\"name\":\"t\"}},\"spans\":[{{\"traceId\":\"{i:032x}\",\"spanId\":\"{i:016x}\",\"name\":\"step {}\",\"kind\":1,\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":[{{\"key\":\"llm.model_name\",\"value\":{{\"stringValue\":\"model-{}\"}}}}],\"status\":{{}}}}]}}]}}]}}\n",
                    i % 13,
                    1_700_000_000_000_000_000i64 + i as i64,
                    1_700_000_000_000_000_100i64 + i as i64,
                    i % 5
                )
            })
            .collect()
    }

    #[test]
    fn a_dictionary_trained_beside_the_import_is_saved_before_the_parsers_get_it() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = d.path().join("spans.jsonl");
        std::fs::write(&file, lines(1500)).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        // A file too small trains nothing.
        let small = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES - 1);
        assert!(small.training.is_none() && small.slot().get().is_none());
        let mut dict = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES);
        let slot = dict.slot();
        let writer = store
            .begin_import(&SourceRecord::default())
            .unwrap_or_else(|e| panic!("{e}"));
        // Not handed out before the writer saved it.
        assert!(slot.get().is_none());
        dict.poll(&writer, true);
        let trained = slot
            .get()
            .cloned()
            .unwrap_or_else(|| panic!("a dictionary from 1500 spans"));
        drop(writer);
        let saved = store.payload_dictionary().ok().flatten().map(|d| d.id);
        assert_eq!(saved, Some(trained.id), "saved with the store");
        let mut enc = SpanEncoder::new(Some(&trained)).unwrap_or_else(|e| panic!("{e}"));
        let mut span = crate::model::Span {
            span_id: "ab".into(),
            ..Default::default()
        };
        let payload = enc.encode_span(&mut span).unwrap_or_else(|e| panic!("{e}"));
        let back = crate::store::decode_span(&payload.data).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.span_id, "ab");
        // The next import uses the store's dictionary at once.
        let next = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES);
        assert!(next.training.is_none());
        assert_eq!(next.slot().get().map(|d| d.id), Some(trained.id));
    }

    #[test]
    fn waiting_saves_the_dictionary_before_anything_is_parsed() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = d.path().join("spans.jsonl");
        std::fs::write(&file, lines(1500)).unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        let mut dict = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES);
        dict.wait(&store);
        let ready = dict.slot().get().map(|d| d.id);
        assert!(ready.is_some());
        assert_eq!(
            store.payload_dictionary().ok().flatten().map(|d| d.id),
            ready
        );
    }
}
