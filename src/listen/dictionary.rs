//! The payload dictionary the receiver compresses with: the store's own, or one trained on the
//! first spans received when the store has none yet.
//!
//! Received spans are small and alike (the same keys, attribute names, models and prompts), and
//! compressed one by one they keep all of that: a live store without a dictionary held 731
//! bytes of payload per span of the listen benchmark, and 322 with one trained on those spans.
//! Every byte saved is written twice (the WAL, then the database at checkpoint).
//!
//! Spans are compressed without a dictionary until one is trained (on a worker, from the JSON
//! of the first [`SAMPLE_BYTES`] received). A payload never names a dictionary its store lacks:
//! the writer saves the dictionary in the same transaction as the first spans compressed with
//! it ([`ListenDictionary::to_save`]), and a request can only have used it once it was trained.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::import::dictionary::{SAMPLE_BYTES, TrainedSlot};
use crate::model::Span;
use crate::store::{Dictionary, Store, span_json};

/// What the receiver compresses payloads with.
pub(crate) struct ListenDictionary {
    /// Set once: the dictionary to compress with, or `None` when there will be none.
    slot: TrainedSlot,
    /// The store already holds the slot's dictionary.
    from_store: bool,
    /// Still collecting samples (no dictionary, and no training started).
    sampling: AtomicBool,
    samples: Mutex<Samples>,
}

#[derive(Default)]
struct Samples {
    json: Vec<Vec<u8>>,
    bytes: usize,
}

impl ListenDictionary {
    /// The store's dictionary, or sampling towards training one when it has none. A store
    /// whose dictionaries cannot be read only costs compression ratio: logged.
    pub fn for_store(store: &Store) -> ListenDictionary {
        let existing = store.payload_dictionary().unwrap_or_else(|e| {
            tracing::warn!(error = %e, "listen: payload dictionary unreadable; none used");
            None
        });
        let slot = TrainedSlot::default();
        let from_store = existing.is_some();
        if let Some(d) = existing {
            let _ = slot.set(Some(d));
        }
        ListenDictionary {
            slot,
            from_store,
            sampling: AtomicBool::new(!from_store),
            samples: Mutex::new(Samples::default()),
        }
    }

    /// The dictionary to compress with now, if any.
    pub fn current(&self) -> Option<&std::sync::Arc<Dictionary>> {
        crate::import::dictionary::current(&self.slot)
    }

    /// The dictionary the writer must save before committing spans compressed with it: a
    /// trained one (the store's own is there already).
    pub fn to_save(&self) -> Option<&std::sync::Arc<Dictionary>> {
        if self.from_store {
            return None;
        }
        self.current()
    }

    /// Takes a received span's JSON as a training sample while samples are wanted; once there
    /// are enough, starts the training on a worker.
    pub fn sample(&self, span: &mut Span) {
        if !self.sampling.load(Ordering::Relaxed) {
            return;
        }
        let mut json = Vec::new();
        if span_json(span, &mut json).is_err() {
            return;
        }
        let full = {
            let Ok(mut s) = self.samples.lock() else {
                return;
            };
            if !self.sampling.load(Ordering::Relaxed) {
                return;
            }
            s.bytes += json.len();
            s.json.push(json);
            if s.bytes < SAMPLE_BYTES {
                return;
            }
            self.sampling.store(false, Ordering::Relaxed);
            std::mem::take(&mut s.json)
        };
        let slot = self.slot.clone();
        let started = std::thread::Builder::new()
            .name("trawl-dictionary".into())
            .spawn(move || {
                let trained = Dictionary::train(&full);
                tracing::debug!(
                    trained = trained.is_some(),
                    samples = full.len(),
                    "listen: payload dictionary"
                );
                let _ = slot.set(trained);
            });
        if let Err(e) = started {
            tracing::warn!(error = %e, "listen: payload dictionary not trained");
            let _ = self.slot.set(None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(i: usize) -> Span {
        Span {
            trace_id: format!("{i:032x}"),
            span_id: format!("{i:016x}"),
            name: format!("step {}", i % 7),
            model: Some(format!("model-{}", i % 3)),
            ..Span::default()
        }
    }

    #[test]
    fn the_stores_own_dictionary_is_used_and_not_saved_again() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        let fresh = ListenDictionary::for_store(&store);
        assert!(fresh.current().is_none() && fresh.to_save().is_none());

        let samples: Vec<Vec<u8>> = (0..2_000)
            .map(|i| {
                let mut json = Vec::new();
                span_json(&mut span(i), &mut json).unwrap_or_else(|e| panic!("{e}"));
                json
            })
            .collect();
        let saved = store
            .train_payload_dictionary(&samples)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a dictionary from 2,000 spans"));
        let reopened = ListenDictionary::for_store(&store);
        assert_eq!(reopened.current().map(|d| d.id), Some(saved.id));
        assert!(reopened.to_save().is_none());
        // No sampling: the store has its dictionary.
        reopened.sample(&mut span(1));
        assert!(reopened.samples.lock().is_ok_and(|s| s.json.is_empty()));
    }

    #[test]
    fn enough_samples_train_a_dictionary_to_save() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = Store::open(&d.path().join("t.db")).unwrap_or_else(|e| panic!("{e}"));
        let dict = ListenDictionary::for_store(&store);
        let mut i = 0;
        while dict.sampling.load(Ordering::Relaxed) {
            dict.sample(&mut span(i));
            i += 1;
        }
        crate::import::dictionary::wait_trained(&dict.slot);
        assert!(dict.current().is_some(), "trained from {i} spans");
        assert_eq!(dict.to_save().map(|d| d.id), dict.current().map(|d| d.id));
    }
}
