//! Payload dictionaries: a zstd dictionary trained once per store on the JSON of its first
//! big import. Small spans share most of their JSON (keys, attribute names, models, prompts),
//! which per-span compression cannot see; a dictionary holds those shared parts once.
//!
//! A dictionary is named by a hash of its bytes, so one process can hold the dictionaries of
//! several stores in one registry without clashes. A payload names the dictionary it needs;
//! stores register theirs when opened, and a payload whose dictionary is not registered yet
//! (another process trained it after this one opened the store) makes the registry look in
//! the stores this process opened before giving up.

use super::Result;
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, RwLock};

/// Largest dictionary trained: big enough for the shared JSON of a few span shapes.
pub const MAX_DICTIONARY_BYTES: usize = 64 * 1024;
/// Fewer samples than this train a dictionary worth less than its own size.
pub const MIN_SAMPLES: usize = 256;

/// A trained dictionary and its id (a hash of its bytes, never 0: 0 means "no dictionary").
#[derive(Debug)]
pub struct Dictionary {
    pub id: u64,
    pub bytes: Vec<u8>,
}

impl Dictionary {
    /// [`train`]: a dictionary from sample payloads, not saved anywhere yet (any thread).
    pub fn train(samples: &[Vec<u8>]) -> Option<Arc<Dictionary>> {
        train(samples)
    }

    pub fn new(bytes: Vec<u8>) -> Arc<Dictionary> {
        Arc::new(Dictionary {
            id: id_of(&bytes),
            bytes,
        })
    }
}

fn id_of(bytes: &[u8]) -> u64 {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // Stored in an INTEGER column: keep it positive, and never 0.
    (u64::from_le_bytes(first) >> 1).max(1)
}

static REGISTRY: LazyLock<RwLock<HashMap<u64, Arc<Dictionary>>>> =
    LazyLock::new(|| RwLock::new(HashMap::new()));
/// Stores this process opened, searched when a payload names an unknown dictionary.
static STORES: LazyLock<Mutex<Vec<PathBuf>>> = LazyLock::new(|| Mutex::new(Vec::new()));

pub fn register(d: Arc<Dictionary>) {
    if let Ok(mut r) = REGISTRY.write() {
        r.entry(d.id).or_insert(d);
    }
}

/// The dictionary with this id, looking in the stores opened so far if it is not known yet.
pub fn lookup(id: u64) -> Option<Arc<Dictionary>> {
    if let Some(d) = REGISTRY.read().ok().and_then(|r| r.get(&id).cloned()) {
        return Some(d);
    }
    let stores: Vec<PathBuf> = STORES.lock().map(|s| s.clone()).unwrap_or_default();
    for path in stores {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match Connection::open_with_flags(&path, flags) {
            Ok(c) => {
                if let Err(e) = load_all(&c) {
                    tracing::debug!("{}: payload dictionaries: {e}", path.display());
                }
            }
            Err(e) => tracing::debug!("{}: payload dictionaries: {e}", path.display()),
        }
    }
    REGISTRY.read().ok().and_then(|r| r.get(&id).cloned())
}

/// Registers every dictionary of a store, and remembers the store for later lookups.
pub fn load_store(conn: &Connection, path: Option<&Path>) -> Result<()> {
    if let Some(p) = path
        && let Ok(mut s) = STORES.lock()
        && !s.iter().any(|x| x == p)
    {
        s.push(p.to_path_buf());
    }
    load_all(conn)
}

fn load_all(conn: &Connection) -> Result<()> {
    if !crate::sqlite_file::has_table(conn, "payload_dicts") {
        return Ok(());
    }
    let mut st = conn.prepare("SELECT dict FROM payload_dicts")?;
    let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
    for bytes in rows {
        register(Dictionary::new(bytes?));
    }
    Ok(())
}

/// The store's dictionary for new payloads (the newest one), if it has one.
pub fn current(conn: &Connection) -> Result<Option<Arc<Dictionary>>> {
    if !crate::sqlite_file::has_table(conn, "payload_dicts") {
        return Ok(None);
    }
    let bytes: Option<Vec<u8>> = conn
        .query_row(
            "SELECT dict FROM payload_dicts ORDER BY created_at_ns DESC, rowid DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    Ok(bytes.map(|b| {
        let d = Dictionary::new(b);
        register(d.clone());
        d
    }))
}

/// Saves a dictionary with the store (committed at once: payloads written later name it,
/// and a payload must never name a dictionary its store lacks) and registers it.
pub fn save(conn: &Connection, d: &Arc<Dictionary>) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO payload_dicts(id, dict, created_at_ns) VALUES (?1, ?2, ?3)",
        rusqlite::params![d.id as i64, d.bytes, super::write::now_ns()],
    )?;
    register(d.clone());
    Ok(())
}

/// Trains a dictionary from sample payloads (plain JSON), or `None` when there are too few
/// samples or zstd finds nothing worth keeping.
pub fn train(samples: &[Vec<u8>]) -> Option<Arc<Dictionary>> {
    if samples.len() < MIN_SAMPLES {
        return None;
    }
    match zstd::dict::from_samples(samples, MAX_DICTIONARY_BYTES) {
        Ok(bytes) if !bytes.is_empty() => Some(Dictionary::new(bytes)),
        Ok(_) => None,
        Err(e) => {
            tracing::debug!("payload dictionary not trained: {e}");
            None
        }
    }
}

impl super::Store {
    /// The dictionary new payloads are compressed with, if the store has one.
    pub fn payload_dictionary(&self) -> Result<Option<Arc<Dictionary>>> {
        current(&self.conn)
    }

    /// Saves a dictionary trained elsewhere with the store (committed at once).
    pub fn save_payload_dictionary(&self, d: &Arc<Dictionary>) -> Result<()> {
        self.ensure_writable()?;
        save(&self.conn, d)
    }

    /// Trains a dictionary from sample payloads and saves it with the store; `None` when the
    /// samples are too few to be worth one.
    pub fn train_payload_dictionary(&self, samples: &[Vec<u8>]) -> Result<Option<Arc<Dictionary>>> {
        self.ensure_writable()?;
        let Some(d) = train(samples) else {
            return Ok(None);
        };
        save(&self.conn, &d)?;
        Ok(Some(d))
    }
}

#[cfg(test)]
mod tests {
    use crate::model::Span;

    fn sample(i: usize) -> Vec<u8> {
        let mut span = Span {
            trace_id: format!("{i:032x}"),
            span_id: format!("{i:016x}"),
            name: format!("retrieve step {}", i % 7),
            model: Some("gpt-4o-mini".into()),
            ..Span::default()
        };
        let mut json = Vec::new();
        super::super::codec::span_json(&mut span, &mut json).unwrap_or_else(|e| panic!("{e}"));
        json
    }

    #[test]
    fn a_store_keeps_its_dictionary_and_payloads_decode_after_reopening() {
        let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let db = d.path().join("t.db");
        let too_few: Vec<Vec<u8>> = (0..10).map(sample).collect();
        let samples: Vec<Vec<u8>> = (0..1000).map(sample).collect();
        let payload;
        let id;
        {
            let store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
            assert!(store.payload_dictionary().ok().flatten().is_none());
            assert!(
                store
                    .train_payload_dictionary(&too_few)
                    .ok()
                    .flatten()
                    .is_none()
            );
            let dict = store
                .train_payload_dictionary(&samples)
                .ok()
                .flatten()
                .unwrap_or_else(|| panic!("a dictionary from 1000 samples"));
            id = dict.id;
            let mut enc =
                super::super::SpanEncoder::new(Some(&dict)).unwrap_or_else(|e| panic!("{e}"));
            payload = enc.encode(&sample(5000)).unwrap_or_else(|e| panic!("{e}"));
        }
        let store = super::super::Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        let again = store.payload_dictionary().ok().flatten();
        assert_eq!(
            again.map(|d| d.id),
            Some(id),
            "the store's dictionary, reloaded"
        );
        let span = super::super::decode_span(&payload).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(span.span_id, format!("{:016x}", 5000));
    }
}
