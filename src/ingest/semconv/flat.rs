//! Lists and nested paths inside flattened attribute maps (formats.md §10.7): a list may be
//! flattened (`prefix.N.rest`, sparse indices), an array, an object keyed by index, or a JSON
//! string of an array; an object may keep dotted keys flat at any level.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::value::parse_json_text;

/// A nested lookup that also accepts dotted keys kept flat at any level
/// (`{"message.role": …}` as well as `{"message": {"role": …}}`).
pub fn get<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let obj = v.as_object()?;
    if let Some(x) = obj.get(path) {
        return Some(x);
    }
    let (head, tail) = path.split_once('.')?;
    get(obj.get(head)?, tail)
}

/// Items of a list written flattened (`prefix.N.rest`, sparse indices, sorted by index), as an
/// array value, as an object keyed by index, or as a JSON string of an array.
pub fn list(attrs: &Map<String, Value>, prefix: &str) -> Vec<Value> {
    let mut items: BTreeMap<u64, Value> = BTreeMap::new();
    let plen = prefix.len();
    for (k, v) in attrs {
        if k.len() <= plen + 1 || !k.starts_with(prefix) || k.as_bytes()[plen] != b'.' {
            continue;
        }
        let rest = &k[plen + 1..];
        let (idx, tail) = match rest.split_once('.') {
            Some((i, t)) => (i, Some(t)),
            None => (rest, None),
        };
        let Ok(i) = idx.parse::<u64>() else {
            continue;
        };
        match tail {
            None => {
                items.entry(i).or_insert_with(|| v.clone());
            }
            Some(t) => {
                let slot = items.entry(i).or_insert_with(|| Value::Object(Map::new()));
                insert_path(slot, t, v.clone());
            }
        }
    }
    if !items.is_empty() {
        return items.into_values().collect();
    }
    attrs.get(prefix).map(as_list).unwrap_or_default()
}

pub fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(o) if !o.is_empty() && o.keys().all(|k| k.parse::<u64>().is_ok()) => {
            let mut pairs: Vec<(u64, &Value)> = o
                .iter()
                .filter_map(|(k, v)| Some((k.parse::<u64>().ok()?, v)))
                .collect();
            pairs.sort_by_key(|p| p.0);
            pairs.into_iter().map(|p| p.1.clone()).collect()
        }
        Value::String(s) => match parse_json_text(s) {
            Some(parsed @ (Value::Array(_) | Value::Object(_))) => as_list(&parsed),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Puts `v` at the dotted `path` inside `target`, creating objects on the way. On a clash with
/// an existing scalar the first value is kept: a flat map cannot hold both meaningfully.
pub(super) fn insert_path(target: &mut Value, path: &str, v: Value) {
    let mut cur = target;
    let mut segs = path.split('.').peekable();
    while let Some(seg) = segs.next() {
        let Value::Object(obj) = cur else {
            return;
        };
        if segs.peek().is_none() {
            obj.entry(seg.to_string()).or_insert(v);
            return;
        }
        cur = obj
            .entry(seg.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::semconv::value::as_string;
    use serde_json::json;

    #[test]
    fn lists_from_every_shape() {
        let Value::Object(a) = json!({
            "x.2.id": "b", "x.0.id": 7,
            "y": "[{\"document\":{\"id\":1,\"score\":0.5}}]",
            "z": {"1": {"id": "second"}, "0": {"id": "first"}},
            "w": "\"[{\\\"id\\\":\\\"twice\\\"}]\""
        }) else {
            panic!("test attrs must be an object");
        };
        let ids = |p: &str| -> Vec<String> {
            list(&a, p)
                .iter()
                .filter_map(|v| {
                    get(v, "id")
                        .or_else(|| get(v, "document.id"))
                        .and_then(as_string)
                })
                .collect()
        };
        assert_eq!(ids("x"), vec!["7", "b"]);
        assert_eq!(ids("y"), vec!["1"]);
        assert_eq!(ids("z"), vec!["first", "second"]);
        assert_eq!(ids("w"), vec!["twice"]);
        assert!(list(&a, "nothing").is_empty());
    }
}
