//! Short trace ids that stay unique, as git shortens hashes: the shortest prefix of an id (at
//! least a minimum length) that no other stored trace id starts with, so a short id a list
//! prints is one `trawl show` resolves. Time-ordered ids (ULID, UUIDv7) make this matter: two
//! responses logged in the same millisecond share their first ten characters.

use super::{Result, Store};

/// The length of a short id when no other id shares its start.
pub const SHORT_ID_MIN: usize = 8;

impl Store {
    /// The shortest prefix of trace id `id` that is at least `min` chars long and that no other
    /// stored trace id starts with (the whole id when it is shorter, or when another id extends
    /// it: an exact id resolves before a prefix does). Ids sharing a prefix are neighbours in the
    /// `trace_id` unique index, so two index seeks per id decide it at any store size.
    pub fn short_trace_id(&self, id: &str, min: usize) -> Result<String> {
        let before: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT trace_id FROM traces WHERE trace_id < ?1 ORDER BY trace_id DESC LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .map(Some)
            .or_else(no_row)?;
        let after: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT trace_id FROM traces WHERE trace_id > ?1 ORDER BY trace_id LIMIT 1",
            )?
            .query_row([id], |r| r.get(0))
            .map(Some)
            .or_else(no_row)?;
        let shared = [before, after]
            .iter()
            .flatten()
            .map(|other| shared_chars(id, other))
            .max()
            .unwrap_or(0);
        Ok(char_prefix(id, min.max(shared + 1)).to_string())
    }

    /// [`Store::short_trace_id`] of each id, in order.
    pub fn short_trace_ids<S: AsRef<str>>(&self, ids: &[S], min: usize) -> Result<Vec<String>> {
        ids.iter()
            .map(|id| self.short_trace_id(id.as_ref(), min))
            .collect()
    }
}

fn no_row(e: rusqlite::Error) -> rusqlite::Result<Option<String>> {
    match e {
        rusqlite::Error::QueryReturnedNoRows => Ok(None),
        other => Err(other),
    }
}

/// How many leading chars `a` and `b` share.
fn shared_chars(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The first `n` chars of `s` (all of it when shorter).
fn char_prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Span;
    use crate::store::{SourceOutcome, SourceRecord, SpanWriter};

    fn store_with(ids: &[&str]) -> Store {
        let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
        let mut w = SpanWriter::begin(&mut store, &SourceRecord::default())
            .unwrap_or_else(|e| panic!("{e}"));
        for id in ids {
            let span = Span {
                trace_id: id.to_string(),
                span_id: "root".into(),
                ..Default::default()
            };
            w.write(&span).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finish(&SourceOutcome::default())
            .unwrap_or_else(|e| panic!("{e}"));
        store
    }

    #[test]
    fn short_ids_grow_until_show_resolves_them() {
        // Two ULIDs from the same millisecond (llm 0.27.1's fixture), a lone id, a short id, an
        // id that is another's prefix, and non-ASCII ids sharing a start.
        let ids = [
            "01m6dz9gkk1qs4bt79bmgzrbet",
            "01m6dz9gx4rh4grc8272f5mjrv",
            "4bf92f3577b34da6a3ce929d0e0e4736",
            "abc",
            "run-0001",
            "run-0001-retry",
            "ééééééééé1",
            "ééééééééé2",
        ];
        let store = store_with(&ids);
        let short = store
            .short_trace_ids(&ids, SHORT_ID_MIN)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            short,
            [
                "01m6dz9gk",
                "01m6dz9gx",
                "4bf92f35",
                "abc",
                "run-0001",
                "run-0001-",
                "ééééééééé1",
                "ééééééééé2",
            ]
        );
        for (id, s) in ids.iter().zip(&short) {
            let found = store.resolve_trace_id(s).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(found.as_deref(), Some(*id), "{s}");
        }
        // The old fixed cut is ambiguous for the ULIDs.
        assert!(store.resolve_trace_id("01m6dz9g").is_err());
        // An id not in the store is shortened against its would-be neighbours.
        let absent = store
            .short_trace_id("01m6dz9gkz", SHORT_ID_MIN)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(absent, "01m6dz9gkz");
    }
}
