//! Exact nearest-rank percentiles computed inside SQLite.
//!
//! The p-th percentile of n sorted values is the value at rank ceil(p/100 · n) (1-based). SQLite
//! numbers the rows of each partition with `ROW_NUMBER() OVER (PARTITION BY bucket, group ORDER
//! BY value)` and counts them with `COUNT(*) OVER (…)`; only the rows whose number is one of the
//! wanted ranks come back, so memory in Rust is a few rows per bucket however many traces there
//! are.

use rusqlite::Connection;
use rusqlite::types::Value as SqlValue;
use std::collections::{BTreeMap, HashMap};

/// Nearest rank (1-based) of percentile `p` (1..=100) among `n` values; 0 when `n` is 0.
pub fn nearest_rank(p: u32, n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    // ceil(p·n/100) in integers, so p=50 on n=2 is rank 1, not a float 1.0000001 → 2.
    ((i64::from(p) * n + 99) / 100).clamp(1, n)
}

/// Nearest-rank percentile of an in-memory slice (reference implementation for tests and
/// small inputs; the store path never loads every value).
pub fn percentile_of(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let r = nearest_rank(p, v.len() as i64);
    v.get((r - 1) as usize).copied()
}

/// The wanted percentiles of one partition and how many values it had.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ranked {
    pub n: i64,
    /// percentile → value (same unit as the source column).
    pub values: BTreeMap<u32, i64>,
}

impl Ranked {
    pub fn get(&self, p: u32) -> Option<i64> {
        self.values.get(&p).copied()
    }
}

/// Runs a window query over `source`, a query with columns `bk` (integer), `grp` (text) and
/// `v` (integer), and returns the percentiles `ps` per (bk, grp).
pub(crate) fn ranked(
    conn: &Connection,
    source: &str,
    params: &[SqlValue],
    ps: &[u32],
) -> rusqlite::Result<HashMap<(i64, String), Ranked>> {
    let mut out: HashMap<(i64, String), Ranked> = HashMap::new();
    if ps.is_empty() {
        return Ok(out);
    }
    let ranks: Vec<String> = ps
        .iter()
        .map(|p| format!("(({p} * n + 99) / 100)"))
        .collect();
    let sql = format!(
        "SELECT bk, grp, v, rn, n FROM (
           SELECT bk, grp, v,
                  ROW_NUMBER() OVER (PARTITION BY bk, grp ORDER BY v) AS rn,
                  COUNT(*) OVER (PARTITION BY bk, grp) AS n
           FROM ({source})
         ) WHERE rn IN ({})",
        ranks.join(", ")
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(params.iter()))?;
    while let Some(r) = rows.next()? {
        let bk: i64 = r.get(0)?;
        let grp: String = r.get(1)?;
        let v: i64 = r.get(2)?;
        let rn: i64 = r.get(3)?;
        let n: i64 = r.get(4)?;
        let e = out.entry((bk, grp)).or_default();
        e.n = n;
        for &p in ps {
            if nearest_rank(p, n) == rn {
                e.values.insert(p, v);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_edges() {
        assert_eq!(nearest_rank(50, 1), 1);
        assert_eq!(nearest_rank(99, 1), 1);
        assert_eq!(nearest_rank(50, 2), 1);
        assert_eq!(nearest_rank(51, 2), 2);
        assert_eq!(nearest_rank(95, 20), 19);
        assert_eq!(nearest_rank(95, 21), 20);
        assert_eq!(nearest_rank(100, 7), 7);
        assert_eq!(nearest_rank(50, 0), 0);
        assert_eq!(percentile_of(&[30, 10, 20, 40], 50), Some(20));
        assert_eq!(percentile_of(&[], 50), None);
    }
}
