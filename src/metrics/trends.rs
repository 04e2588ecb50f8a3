//! FALSE rate per judge rule over the last few buckets: the trace list's sparklines.

use super::buckets::Bucket;
use crate::store::{Result, Store, TraceFilter};
use chrono::FixedOffset;
use std::collections::BTreeMap;

/// One rule's FALSE rate per bucket, oldest first; `None` where no trace of the bucket has a
/// TRUE or FALSE verdict for it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleTrend {
    pub rule: String,
    pub rates: Vec<Option<f64>>,
    /// Judged traces over all the buckets.
    pub n: i64,
}

/// The FALSE rate of every judged rule over the `count` buckets of size `by` ending with the
/// newest bucket that has a verdict (data can be old: the trend ends where the data does).
/// Rules sorted by name; empty when nothing is judged.
pub fn rule_trends(
    store: &Store,
    filter: &TraceFilter,
    by: Bucket,
    count: usize,
    tz: FixedOffset,
) -> Result<Vec<RuleTrend>> {
    let counts = store.verdict_counts(filter, by.store_buckets(tz))?;
    Ok(trends_of(&counts, by.len_ns(), count))
}

fn trends_of(
    counts: &BTreeMap<(i64, String), (i64, i64)>,
    len: i64,
    count: usize,
) -> Vec<RuleTrend> {
    let Some(last) = counts
        .iter()
        .filter(|(_, (_, n))| *n > 0)
        .map(|((b, _), _)| *b)
        .max()
    else {
        return Vec::new();
    };
    let count = count.max(1);
    let first = last - len * (count as i64 - 1);
    let mut by_rule: BTreeMap<&str, RuleTrend> = BTreeMap::new();
    for ((b, rule), (f, n)) in counts {
        if *b < first || *b > last || *n == 0 {
            continue;
        }
        let t = by_rule.entry(rule.as_str()).or_insert_with(|| RuleTrend {
            rule: rule.clone(),
            rates: vec![None; count],
            n: 0,
        });
        let i = usize::try_from((b - first) / len)
            .unwrap_or(0)
            .min(count - 1);
        t.rates[i] = Some(*f as f64 / *n as f64);
        t.n += n;
    }
    by_rule.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trends_end_at_the_newest_judged_bucket_and_mark_gaps() {
        let mut c = BTreeMap::new();
        c.insert((0, "grounded".to_string()), (1, 2));
        c.insert((30, "grounded".to_string()), (0, 3));
        c.insert((20, "answered".to_string()), (0, 0));
        c.insert((-100, "grounded".to_string()), (5, 5));
        let t = trends_of(&c, 10, 4);
        assert_eq!(t.len(), 1, "answered has no TRUE/FALSE verdict: {t:?}");
        assert_eq!(t[0].rates, vec![Some(0.5), None, None, Some(0.0)]);
        assert_eq!(t[0].n, 5);
        assert!(trends_of(&BTreeMap::new(), 10, 4).is_empty());
    }
}
