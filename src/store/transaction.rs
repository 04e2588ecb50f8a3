//! Transactions for work that is not a span import (that batches its own, see
//! [`super::SpanWriter`]): several writes that land together or not at all.

use super::{Store, StoreError};
use rusqlite::{Transaction, TransactionBehavior};

impl Store {
    /// Runs `work` in one immediate transaction: committed when it returns `Ok`, rolled back
    /// when it returns `Err` or panics. Immediate, so the write lock is taken up front and a
    /// concurrent writer waits on the busy timeout instead of failing halfway through.
    ///
    /// `work` gets the store by shared reference, so it cannot start a span import or another
    /// transaction inside this one (SQLite has no nested `BEGIN`).
    pub fn transaction<T, E>(&mut self, work: impl FnOnce(&Store) -> Result<T, E>) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        // `new_unchecked` takes `&Connection`; the `&mut self` above is what guarantees no
        // other transaction is open on this connection. Dropping the guard rolls back.
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)
            .map_err(StoreError::from)?;
        let out = work(self)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::store::{Store, StoreError};

    fn rows(store: &Store) -> Result<Vec<String>, StoreError> {
        let mut stmt = store.conn.prepare("SELECT x FROM t ORDER BY rowid")?;
        let out = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(out)
    }

    fn insert(store: &Store, x: &str) -> Result<(), StoreError> {
        store.conn.execute("INSERT INTO t(x) VALUES (?1)", [x])?;
        Ok(())
    }

    #[test]
    fn commits_on_ok_and_rolls_back_on_err() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory()?;
        store.conn.execute_batch("CREATE TABLE t(x TEXT)")?;
        store.transaction(|s| insert(s, "kept"))?;
        let failed: Result<(), StoreError> = store.transaction(|s| {
            insert(s, "dropped")?;
            Err(StoreError::Other("stop".into()))
        });
        assert!(failed.is_err());
        assert_eq!(rows(&store)?, vec!["kept".to_string()]);
        // The connection takes a new transaction after a rollback.
        store.transaction(|s| insert(s, "again"))?;
        assert_eq!(rows(&store)?, vec!["kept".to_string(), "again".to_string()]);
        Ok(())
    }

    #[test]
    fn rolls_back_when_the_work_panics() -> Result<(), StoreError> {
        let mut store = Store::open_in_memory()?;
        store.conn.execute_batch("CREATE TABLE t(x TEXT)")?;
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), StoreError> = store.transaction(|s| {
                insert(s, "lost")?;
                panic!("work failed");
            });
        }));
        assert!(caught.is_err());
        assert!(rows(&store)?.is_empty());
        store.transaction(|s| insert(s, "after"))?;
        assert_eq!(rows(&store)?, vec!["after".to_string()]);
        Ok(())
    }
}
