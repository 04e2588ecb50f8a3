//! Exact nearest-rank percentiles.
//!
//! The p-th percentile of n sorted values is the value at rank ceil(p/100 · n) (1-based,
//! [`nearest_rank`]). The store computes them inside SQLite with window functions so it never
//! loads every value (see [`crate::store::stats`]); [`percentile_of`] is the in-memory
//! reference.

pub use crate::store::stats::{Ranked, nearest_rank};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_of_a_slice() {
        assert_eq!(percentile_of(&[30, 10, 20, 40], 50), Some(20));
        assert_eq!(percentile_of(&[30, 10, 20, 40], 100), Some(40));
        assert_eq!(percentile_of(&[7], 1), Some(7));
        assert_eq!(percentile_of(&[], 50), None);
    }
}
