//! The mutator: seeded, deterministic damage to JSON documents and raw bytes.
//!
//! Tree mutations work on a `serde_json::Value` and then on its text, because some of the
//! damage worth testing cannot be held in a `Value` (duplicate keys, lone surrogates, numbers
//! beyond f64, raw escape sequences): such nodes are written as placeholder strings and replaced
//! in the serialised text by [`render`].

use fastrand::Rng;
use serde_json::{Map, Value, json};

/// Text spliced into strings: terminal escapes, bidi and zero-width characters, NUL, a BOM,
/// combining marks, wide characters and JSON escapes.
const NASTY_TEXT: &[&str] = &[
    "\u{1b}]0;PWNED\u{7}",
    "\u{1b}]52;c;aGk=\u{7}",
    "\u{1b}[2J\u{1b}[H",
    "\u{9b}31m",
    "\u{202e}evil\u{202c}",
    "\u{2066}",
    "\u{200b}",
    "\u{200d}",
    "\u{feff}",
    "\0",
    "\r\n",
    "e\u{301}\u{301}\u{301}",
    "表情🦀",
    "aaaaaaaé-multibyte",
    "\\",
    "\"",
];

/// Raw JSON text that a `Value` cannot hold, keyed by placeholder.
const RAW_TOKENS: &[&str] = &[
    "1e400",
    "-1e400",
    "1e-400",
    "18446744073709551616",
    "-9223372036854775809",
    "-9223372036854775808",
    "9223372036854775807",
    "123456789012345678901234567890123456789",
    "0.000000000000000000000000000001",
    "-0",
    "\"\\ud800\"",
    "\"\\udc00x\"",
    "\"\\ud83d\\ude00\"",
    "\"\\u0000\\u001b]0;x\\u0007\"",
    "\"\\uD800\\uD800\"",
    "\"\\u202e\\u200b\"",
];

/// Byte sequences inserted into raw text: escapes (valid or not), surrogates, invalid UTF-8,
/// structural characters and whitespace.
const RAW_BYTES: &[&[u8]] = &[
    b"\\ud800",
    b"\\u",
    b"\\x",
    b"\\",
    b"\"",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\n",
    b"\xff",
    b"\xc3",
    b"\xef\xbb\xbf",
    b"\xe2\x80\xae",
    b"null",
    b"1e999",
    b"\x1b]0;x\x07",
];

const PLACEHOLDER: &str = "@@FUZZRAW";
const DUP_PREFIX: &str = "@@FUZZDUP@@";

/// Applies one to three tree mutations at random nodes of `doc`.
pub fn mutate_tree(rng: &mut Rng, doc: &mut Value) {
    for _ in 0..rng.usize(1..=3) {
        let node = pick_node(rng, doc);
        mutate_node(rng, node);
    }
}

/// A node reached by a random walk from the root.
fn pick_node<'a>(rng: &mut Rng, mut node: &'a mut Value) -> &'a mut Value {
    loop {
        let len = match node {
            Value::Object(o) => o.len(),
            Value::Array(a) => a.len(),
            _ => 0,
        };
        if len == 0 || rng.u8(0..10) < 2 {
            return node;
        }
        let i = rng.usize(0..len);
        node = match node {
            Value::Object(o) => {
                let key = o.keys().nth(i).cloned().unwrap_or_default();
                o.entry(key).or_insert(Value::Null)
            }
            Value::Array(a) => &mut a[i],
            other => return other,
        };
    }
}

fn mutate_node(rng: &mut Rng, node: &mut Value) {
    match rng.u8(0..9) {
        // Delete a key or an element.
        0 => match node {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(rng.usize(0..o.len())).cloned();
                if let Some(k) = k {
                    o.remove(&k);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                a.remove(rng.usize(0..a.len()));
            }
            _ => *node = Value::Null,
        },
        // Duplicate a key (with a value of another type) or an element.
        1 => match node {
            Value::Object(o) if !o.is_empty() => {
                let k = o.keys().nth(rng.usize(0..o.len())).cloned();
                if let Some(k) = k {
                    o.insert(format!("{DUP_PREFIX}{k}"), random_scalar(rng));
                }
            }
            Value::Array(a) if !a.is_empty() => {
                let v = a[rng.usize(0..a.len())].clone();
                a.push(v);
            }
            _ => *node = random_scalar(rng),
        },
        // Swap the value's type.
        2 | 3 => *node = random_value(rng),
        // Damage text.
        4 | 5 => match node {
            Value::String(s) => *s = nasty_string(rng, s),
            Value::Object(o) => {
                o.insert(
                    nasty_string(rng, "key"),
                    Value::String(nasty_string(rng, "v")),
                );
            }
            _ => *node = Value::String(nasty_string(rng, "")),
        },
        // Raw text a Value cannot hold: huge numbers, lone surrogates, raw escapes.
        6 => *node = Value::String(format!("{PLACEHOLDER}{}@@", rng.usize(0..RAW_TOKENS.len()))),
        // Deep nesting, at, around and beyond serde_json's recursion limit of 128.
        7 => {
            let depth = [8, 60, 120, 126, 127, 128, 129, 200][rng.usize(0..8)];
            let inner = std::mem::take(node);
            *node = nest(rng, inner, depth);
        }
        // Emptied containers.
        _ => {
            *node = match node {
                Value::Object(_) => json!({}),
                Value::Array(_) => json!([]),
                _ => json!(""),
            }
        }
    }
}

fn nest(rng: &mut Rng, inner: Value, depth: usize) -> Value {
    let mut v = inner;
    let as_object = rng.bool();
    for _ in 0..depth {
        v = if as_object {
            json!({ "values": [v] })
        } else {
            json!([v])
        };
    }
    v
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.u8(0..7) {
        0 => Value::Null,
        1 => Value::Bool(rng.bool()),
        2 => json!(rng.i64(..)),
        3 => json!(rng.u64(..)),
        4 => json!(f64::from_bits(rng.u64(..)).clamp(-1e300, 1e300)),
        5 => Value::String(String::new()),
        _ => Value::String(nasty_string(rng, "x")),
    }
}

fn random_value(rng: &mut Rng) -> Value {
    match rng.u8(0..10) {
        0..=5 => random_scalar(rng),
        6 => json!([random_scalar(rng), random_scalar(rng)]),
        7 => json!({ "stringValue": random_scalar(rng) }),
        8 => json!({ rng_key(rng): random_scalar(rng) }),
        _ => Value::Object(Map::new()),
    }
}

/// A key a trace format gives meaning to, so type swaps land where readers look.
fn rng_key(rng: &mut Rng) -> &'static str {
    const KEYS: &[&str] = &[
        "boolValue",
        "intValue",
        "doubleValue",
        "arrayValue",
        "kvlistValue",
        "bytesValue",
        "values",
        "traceId",
        "spanId",
        "name",
        "id",
        "startTime",
        "start_time",
        "context",
        "usage",
        "input",
        "output",
        "metadata",
    ];
    KEYS[rng.usize(0..KEYS.len())]
}

fn nasty_string(rng: &mut Rng, base: &str) -> String {
    let nasty = NASTY_TEXT[rng.usize(0..NASTY_TEXT.len())];
    let mut s = base.to_string();
    let mut at = rng.usize(0..=s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    s.insert_str(at, nasty);
    if rng.u8(0..8) == 0 {
        s = s.repeat(rng.usize(2..2000));
    }
    s
}

/// The document's JSON text, with placeholders replaced by the raw text they stand for.
pub fn render(rng: &mut Rng, doc: &Value) -> String {
    let text = if rng.u8(0..4) == 0 {
        serde_json::to_string_pretty(doc)
    } else {
        serde_json::to_string(doc)
    }
    .unwrap_or_default();
    resolve_placeholders(&text)
}

/// Replaces the placeholders of [`mutate_tree`] in serialised text.
pub fn resolve_placeholders(text: &str) -> String {
    if !text.contains("@@FUZZ") {
        return text.to_string();
    }
    let mut out = text.replace(&format!("\"{DUP_PREFIX}"), "\"");
    for (i, raw) in RAW_TOKENS.iter().enumerate() {
        out = out.replace(&format!("\"{PLACEHOLDER}{i}@@\""), raw);
    }
    out
}

/// One to four byte-level mutations: flips, truncation, insertions, deletions, duplications.
pub fn mutate_bytes(rng: &mut Rng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.usize(1..=4) {
        if bytes.is_empty() {
            bytes.extend_from_slice(RAW_BYTES[rng.usize(0..RAW_BYTES.len())]);
            continue;
        }
        let at = rng.usize(0..bytes.len());
        match rng.u8(0..6) {
            0 => bytes[at] = rng.u8(..),
            1 => bytes[at] ^= 1 << rng.u8(0..8),
            2 => bytes.truncate(at),
            3 => {
                let ins = RAW_BYTES[rng.usize(0..RAW_BYTES.len())];
                bytes.splice(at..at, ins.iter().copied());
            }
            4 => {
                let end = (at + rng.usize(1..64)).min(bytes.len());
                bytes.drain(at..end);
            }
            _ => {
                let end = (at + rng.usize(1..64)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                bytes.splice(at..at, copy);
            }
        }
    }
}

/// Mutates a JSON input (one document, JSON Lines or concatenated documents) either in its tree
/// (one record) or in its bytes.
pub fn mutate_json_input(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    if rng.u8(0..3) == 0 {
        let mut bytes = input.to_vec();
        mutate_bytes(rng, &mut bytes);
        return bytes;
    }
    let mut records: Vec<Value> = serde_json::Deserializer::from_slice(input)
        .into_iter::<Value>()
        .map_while(Result::ok)
        .collect();
    if records.is_empty() {
        let mut bytes = input.to_vec();
        mutate_bytes(rng, &mut bytes);
        return bytes;
    }
    let i = rng.usize(0..records.len());
    mutate_tree(rng, &mut records[i]);
    let pretty = rng.u8(0..4) == 0;
    let mut out = String::new();
    for r in &records {
        let text = if pretty {
            serde_json::to_string_pretty(r)
        } else {
            serde_json::to_string(r)
        };
        out.push_str(&resolve_placeholders(&text.unwrap_or_default()));
        out.push('\n');
    }
    out.into_bytes()
}
