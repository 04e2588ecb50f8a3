//! The payload dictionary an import compresses with: the store's own, or one trained on the
//! first spans of this file when the store has none yet and the file is big enough for the
//! dictionary to pay for itself.
//!
//! Training runs on a worker beside the import (issue 17: waiting for it before the first
//! commit delayed the first traces on screen by a quarter of a second). The reader hands the
//! parsers the file's first [`HOLD_AFTER_BYTES`] at once, compressed without a dictionary (the
//! payload's codec tag says so), and holds the rest back until the training is done, so every
//! later payload gets the dictionary: the parsers would otherwise run megabytes ahead and those
//! payloads would miss it (a fifth of a 100 MB file on a busy machine).
//!
//! A payload never names a dictionary its store lacks: the writer saves a trained dictionary
//! ([`ImportDictionary::save_if_trained`]) before each commit, and a parser can only have used
//! it once it was trained.

use crate::ingest::lines::{Line, LineReader};
use crate::ingest::otlp;
use crate::pricing::PriceBook;
use crate::store::{Dictionary, SpanWriter, Store, StoreError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Smaller files are not worth training for (they compress without a dictionary).
const MIN_FILE_BYTES: u64 = 8 << 20;
/// JSON sampled for training: enough for the shapes of a source's spans, quick to train on
/// (a receiver samples as much of what it receives).
pub(crate) const SAMPLE_BYTES: usize = 2 << 20;
/// Lines longer than this are not sampled (one huge line is no sample of the rest).
const SAMPLE_LINE_MAX: usize = 16 << 20;
/// What the reader hands out before waiting for the training: more than the first batch
/// commits (500 spans, ~2.3 MB of realistic LLM spans), so the first traces show at once.
pub(super) const HOLD_AFTER_BYTES: usize = 4 << 20;
/// The reader never waits longer than this for a dictionary (a slow machine only costs ratio).
const HOLD_AT_MOST: Duration = Duration::from_secs(10);

/// The outcome of training, set once: `Some` dictionary to compress with, or `None` when there
/// is none (file too small, too few samples, training failed). Unset while training.
pub(crate) type TrainedSlot = Arc<OnceLock<Option<Arc<Dictionary>>>>;

/// The dictionary a parser compresses with now, if any.
pub(crate) fn current(slot: &TrainedSlot) -> Option<&Arc<Dictionary>> {
    slot.get().and_then(Option::as_ref)
}

/// Waits (bounded) until the training has an outcome; called by the reader once it has handed
/// out the file's first megabytes.
pub(crate) fn wait_trained(slot: &TrainedSlot) {
    let started = Instant::now();
    while slot.get().is_none() && started.elapsed() < HOLD_AT_MOST {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// This import's dictionary: the store's, being trained, or none.
pub(super) struct ImportDictionary {
    slot: TrainedSlot,
    /// The store holds the slot's dictionary (or there is none to hold).
    saved: bool,
    training: Option<JoinHandle<()>>,
}

impl ImportDictionary {
    /// The store's dictionary, or a worker training one when the store has none and the file
    /// is big enough. Failures only cost compression ratio: logged, and the import goes on.
    pub fn for_import(store: &Store, path: &Path, size: u64) -> ImportDictionary {
        let slot = TrainedSlot::default();
        let mut training = None;
        let mut saved = true;
        match store.payload_dictionary() {
            Ok(Some(d)) => {
                let _ = slot.set(Some(d));
            }
            Ok(None) if size >= MIN_FILE_BYTES && store.access().is_writable() => {
                let path: PathBuf = path.to_path_buf();
                let out = slot.clone();
                training = std::thread::Builder::new()
                    .name("trawl-dictionary".into())
                    .spawn(move || {
                        let _ = out.set(Dictionary::train(&sample_payloads(&path)));
                    })
                    .map_err(|e| tracing::warn!("payload dictionary not trained: {e}"))
                    .ok();
                saved = training.is_none();
            }
            Ok(None) => {}
            Err(e) => tracing::warn!("payload dictionary unreadable: {e}"),
        }
        if training.is_none() {
            let _ = slot.set(None);
        }
        ImportDictionary {
            slot,
            saved,
            training,
        }
    }

    /// What the parsers (and the reader) watch for the dictionary.
    pub fn slot(&self) -> TrainedSlot {
        self.slot.clone()
    }

    /// Saves a trained dictionary with the store, once; the writer calls it before every
    /// commit, so the payloads compressed with it never commit without it. With `wait`, waits
    /// for the training first (at the end of the import, so the store keeps its dictionary for
    /// the next imports). A failure to save fails the import: parsers may already have used it.
    pub fn save_if_trained(
        &mut self,
        writer: &SpanWriter<'_>,
        wait: bool,
    ) -> Result<(), StoreError> {
        if self.saved {
            return Ok(());
        }
        if wait && let Some(handle) = self.training.take() {
            let _ = handle.join();
        }
        match self.slot.get() {
            Some(Some(d)) => {
                writer.save_payload_dictionary(d)?;
                self.saved = true;
            }
            Some(None) => self.saved = true,
            None => {}
        }
        Ok(())
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
    fn a_dictionary_trained_beside_the_import_is_saved_before_the_store_commits_with_it() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = d.path().join("spans.jsonl");
        std::fs::write(&file, lines(1500)).unwrap_or_else(|e| panic!("{e}"));
        let mut store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        // A file too small trains nothing, and says so at once.
        let small = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES - 1);
        assert!(small.training.is_none());
        assert!(matches!(small.slot().get(), Some(None)));
        let mut dict = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES);
        let slot = dict.slot();
        let writer = store
            .begin_import(&SourceRecord::default())
            .unwrap_or_else(|e| panic!("{e}"));
        dict.save_if_trained(&writer, true)
            .unwrap_or_else(|e| panic!("{e}"));
        let trained = current(&slot)
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
        span.name = "retrieve".into();
        let original = span.clone();
        let payload = enc
            .encode(&serde_json::to_vec(&span).unwrap_or_else(|e| panic!("{e}")))
            .unwrap_or_else(|e| panic!("{e}"));
        let back = crate::store::decode_span(&payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, original);
        // A span's payload leaves its ids to its row; the dictionary still names it.
        let lean = enc.encode_span(&mut span).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lean.data[0], b'R');
        assert_eq!(&lean.data[1..9], &trained.id.to_le_bytes());
        // The next import uses the store's dictionary at once.
        let next = ImportDictionary::for_import(&store, &file, MIN_FILE_BYTES);
        assert!(next.training.is_none());
        assert_eq!(current(&next.slot()).map(|d| d.id), Some(trained.id));
    }

    #[test]
    fn only_the_first_megabytes_of_a_big_import_miss_the_dictionary() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let file = d.path().join("spans.jsonl");
        let n = 30_000;
        let text = lines(n);
        assert!(text.len() as u64 > MIN_FILE_BYTES, "{}", text.len());
        std::fs::write(&file, &text).unwrap_or_else(|e| panic!("{e}"));
        let db = d.path().join("t.db");
        let mut store = Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let report = crate::import::import_file(&mut store, &file, Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        // Line 1's all-zero trace id is no trace id: that span is refused, the rest stored.
        assert_eq!(report.spans_new, n as u64 - 1, "{report:?}");
        let dict = store
            .payload_dictionary()
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("the import trained and saved a dictionary"));
        drop(store);
        // Payloads are `R` and the dictionary id (u64 LE), or `P` (none): count both kinds.
        let conn = rusqlite::Connection::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let mut stmt = conn
            .prepare("SELECT data FROM span_data")
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<u64> = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap_or_else(|e| panic!("{e}"))
            .map(|r| {
                let data = r.unwrap_or_else(|e| panic!("{e}"));
                match data.first() {
                    Some(b'P') => 0,
                    Some(b'R') => {
                        let id: [u8; 8] = data[1..9].try_into().unwrap_or_else(|e| panic!("{e}"));
                        u64::from_le_bytes(id)
                    }
                    other => panic!("payload tag {other:?}"),
                }
            })
            .collect();
        assert_eq!(ids.len(), n - 1);
        let without = ids.iter().filter(|&&id| id == 0).count();
        // Every payload with a dictionary names the one saved with the store.
        assert!(ids.iter().all(|&id| id == 0 || id == dict.id));
        // The reader held back everything after the first megabytes (and the chunk that
        // crossed them) until the dictionary was trained.
        let per_line = text.len() / n;
        assert!(
            without * per_line <= HOLD_AFTER_BYTES + (1 << 20),
            "{without} of {n} payloads without the dictionary"
        );
        assert!(without < n / 2, "{without} of {n}");
    }
}
