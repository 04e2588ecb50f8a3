//! How span payloads are stored: JSON, zstd-compressed with the store's dictionary when it has
//! one (older payloads are LZ4; every payload starts with its codec's tag), with the big
//! strings that a source repeats stored once. An OpenInference LLM span carries each message in its raw attributes
//! *and* in the parsed fields; keeping both copies would double what is serialised,
//! compressed and written. So an attribute whose (long) string equals a parsed field is stored
//! as a reference to that field and restored on read: the round trip is exact.

use crate::model::Span;
use serde_json::{Map, Value};

use super::dictionary::{self, Dictionary};
use super::row_fields::{self, RowFields};
use std::sync::Arc;

const LZ4: u8 = b'L';
/// `Z`, the dictionary id (u64 LE, 0 = none), the JSON's length (u32 LE), a zstd frame
/// (written until the lean frames below; still read).
const ZSTD: u8 = b'Z';
const ZSTD_HEADER: usize = 1 + 8 + 4;
/// `D`, the dictionary id (u64 LE), the JSON's length (LEB128), a lean zstd frame: no magic
/// number, dictionary id or content size (the header holds what the frame would repeat; 10 of
/// the 27 bytes the `Z` framing took per payload).
const LEAN_DICT: u8 = b'D';
/// `N`, the JSON's length (LEB128), a lean zstd frame compressed without a dictionary.
const LEAN_PLAIN: u8 = b'N';
/// `R` and `P`: as `D` and `N`, of JSON without the fields the span's row holds (ids and
/// times, see [`row_fields`]); decoded with the row's fields by [`decode_in_row`].
const ROW_DICT: u8 = b'R';
const ROW_PLAIN: u8 = b'P';
/// The fastest level, for big payloads: with a dictionary, level 3 kept only 1% more off
/// realistic LLM spans and cost the parser threads more time than the whole LZ4 step it
/// replaced.
const ZSTD_LEVEL: i32 = 1;
/// Small payloads (most of a store of small spans) are mostly what the dictionary holds, and
/// there level 3 keeps 10% more than level 1 for a few microseconds a span.
const SMALL_LEVEL: i32 = 3;
/// JSON up to this long is compressed at [`SMALL_LEVEL`].
const SMALL_JSON: usize = 4 << 10;
/// A stored length above this is corruption, not a span (lines are capped well below).
const MAX_JSON_BYTES: usize = 1 << 31;
/// Strings shorter than this are cheaper to keep than to reference.
const MIN_SHARED: usize = 128;
const REF_KEY: &str = "$trawl_ref";

/// A stored payload and the hash of its content.
pub struct Encoded {
    pub data: Vec<u8>,
    /// Of the JSON, not the compressed bytes: the same span hashes the same whichever
    /// dictionary (or none) compressed it, so re-importing it changes nothing.
    pub hash: i64,
}

fn content_hash(json: &[u8]) -> i64 {
    use std::hash::{Hash, Hasher};
    // DefaultHasher::new() uses fixed keys, so the value is stable across runs of one build;
    // a change of hash function between builds only causes one harmless rewrite.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    json.hash(&mut h);
    h.finish() as i64
}

/// Compresses payloads on one thread, with one dictionary (or none).
pub struct SpanEncoder {
    dict_id: u64,
    /// At [`ZSTD_LEVEL`]; `small` at [`SMALL_LEVEL`] (one context each: changing a context's
    /// level makes zstd digest the dictionary again).
    zstd: zstd::bulk::Compressor<'static>,
    small: zstd::bulk::Compressor<'static>,
    json: Vec<u8>,
    scratch: Vec<u8>,
}

impl SpanEncoder {
    pub fn new(dict: Option<&Arc<Dictionary>>) -> Result<SpanEncoder, String> {
        Ok(SpanEncoder {
            dict_id: dict.map_or(0, |d| d.id),
            zstd: lean_compressor(ZSTD_LEVEL, dict)?,
            small: lean_compressor(SMALL_LEVEL, dict)?,
            json: Vec::new(),
            scratch: Vec::new(),
        })
    }

    /// Serialises and compresses a span (see [`span_json`]) without the fields its row
    /// holds (see [`row_fields`]); the hash is of the whole JSON.
    pub fn encode_span(&mut self, span: &mut Span) -> Result<Encoded, String> {
        let mut json = std::mem::take(&mut self.json);
        json.clear();
        let r = span_json(span, &mut json).and_then(|()| {
            let hash = content_hash(&json);
            let data = match row_fields::strip(span, &json, &mut self.scratch) {
                Some(lean) => self.compress(&lean, true)?,
                None => self.compress(&json, false)?,
            };
            Ok(Encoded { data, hash })
        });
        self.json = json;
        r
    }

    /// Compresses JSON as it is (a payload that decodes without its row).
    pub fn encode(&mut self, json: &[u8]) -> Result<Vec<u8>, String> {
        self.compress(json, false)
    }

    /// `row_less`: the JSON lacks its row's fields (tagged so a read puts them back).
    fn compress(&mut self, json: &[u8], row_less: bool) -> Result<Vec<u8>, String> {
        if json.len() > MAX_JSON_BYTES {
            return Err("span payload over 2 GB".into());
        }
        let mut out = Vec::with_capacity(1 + 8 + 5 + zstd::zstd_safe::compress_bound(json.len()));
        match (self.dict_id, row_less) {
            (0, false) => out.push(LEAN_PLAIN),
            (0, true) => out.push(ROW_PLAIN),
            (id, row_less) => {
                out.push(if row_less { ROW_DICT } else { LEAN_DICT });
                out.extend_from_slice(&id.to_le_bytes());
            }
        }
        write_varint(&mut out, json.len() as u64);
        let header = out.len();
        out.resize(out.capacity(), 0);
        let zstd = if json.len() <= SMALL_JSON {
            &mut self.small
        } else {
            &mut self.zstd
        };
        // Into the slice after the header: a Vec as the target would be written from its start.
        let n = zstd
            .compress_to_buffer(json, &mut out[header..])
            .map_err(|e| format!("zstd: {e}"))?;
        out.truncate(header + n);
        Ok(out)
    }
}

/// A compressor writing lean frames (see [`LEAN_DICT`]).
fn lean_compressor(
    level: i32,
    dict: Option<&Arc<Dictionary>>,
) -> Result<zstd::bulk::Compressor<'static>, String> {
    use zstd::zstd_safe::{CParameter, FrameFormat};
    let mut zstd = match dict {
        Some(d) => zstd::bulk::Compressor::with_dictionary(level, &d.bytes),
        None => zstd::bulk::Compressor::new(level),
    }
    .map_err(|e| format!("zstd: {e}"))?;
    for p in [
        CParameter::Format(FrameFormat::Magicless),
        CParameter::DictIdFlag(false),
        CParameter::ContentSizeFlag(false),
        CParameter::ChecksumFlag(false),
    ] {
        zstd.set_parameter(p).map_err(|e| format!("zstd: {e}"))?;
    }
    Ok(zstd)
}

/// LEB128: seven bits a byte, low first; the high bit says another byte follows.
fn write_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The value and the bytes it took; `None` when truncated or longer than a u64.
fn read_varint(data: &[u8]) -> Option<(u64, usize)> {
    let mut v = 0u64;
    for (i, &b) in data.iter().enumerate().take(10) {
        v |= u64::from(b & 0x7f).checked_shl(7 * i as u32)?;
        if b & 0x80 == 0 {
            return Some((v, i + 1));
        }
    }
    None
}

thread_local! {
    /// For spans written one at a time (`SpanWriter::write`): no dictionary.
    static PLAIN: std::cell::RefCell<Option<SpanEncoder>> = const { std::cell::RefCell::new(None) };
    /// For spans prepared on threads the store does not own (the receiver's): the encoder of
    /// the dictionary last asked for, made again only when that changes (once per store).
    static WITH_DICT: std::cell::RefCell<Option<SpanEncoder>> = const { std::cell::RefCell::new(None) };
    /// Decompressors with their dictionary loaded, by dictionary id and lean frames or not.
    static DECODERS: std::cell::RefCell<std::collections::HashMap<(u64, bool), zstd::bulk::Decompressor<'static>>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Serialises and compresses a span without a dictionary, whole: the payload decodes alone
/// ([`decode_span`]), as tools and tests read one.
pub fn encode_span(span: &mut Span) -> Result<Encoded, String> {
    with_plain(|enc| {
        let mut json = Vec::new();
        span_json(span, &mut json)?;
        Ok(Encoded {
            data: enc.encode(&json)?,
            hash: content_hash(&json),
        })
    })
}

/// [`encode_span`] as the store writes a span: without the fields its row holds (see
/// [`SpanEncoder::encode_span`]).
pub(super) fn encode_span_for_row(span: &mut Span) -> Result<Encoded, String> {
    with_plain(|enc| enc.encode_span(span))
}

/// [`encode_span_for_row`] with a dictionary (or none), on this thread's encoder for it.
pub(super) fn encode_span_for_row_with(
    span: &mut Span,
    dict: Option<&Arc<Dictionary>>,
) -> Result<Encoded, String> {
    let Some(d) = dict else {
        return encode_span_for_row(span);
    };
    WITH_DICT.with(|slot| {
        let mut slot = slot.borrow_mut();
        let enc = match slot.as_mut() {
            Some(enc) if enc.dict_id == d.id => enc,
            _ => slot.insert(SpanEncoder::new(Some(d))?),
        };
        enc.encode_span(span)
    })
}

fn with_plain<T>(f: impl FnOnce(&mut SpanEncoder) -> Result<T, String>) -> Result<T, String> {
    PLAIN.with(|p| {
        let mut p = p.borrow_mut();
        if p.is_none() {
            *p = Some(SpanEncoder::new(None)?);
        }
        match p.as_mut() {
            Some(enc) => f(enc),
            None => Err("no encoder".into()),
        }
    })
}

/// The JSON a payload holds: the span with its attributes taken apart to share long strings
/// with the parsed fields. Leaves the span as it was.
pub fn span_json(span: &mut Span, out: &mut Vec<u8>) -> Result<(), String> {
    let attrs = std::mem::take(&mut span.attributes);
    let mut stored = Map::with_capacity(attrs.len());
    {
        let shared = shared_fields(span);
        for (k, v) in attrs {
            match v {
                Value::String(s) if s.len() >= MIN_SHARED => {
                    match shared.iter().find(|(_, t)| t.len() == s.len() && *t == s) {
                        Some((path, _)) => {
                            let mut m = Map::new();
                            m.insert(REF_KEY.into(), Value::String(path.clone()));
                            stored.insert(k, Value::Object(m));
                        }
                        None => {
                            stored.insert(k, Value::String(s));
                        }
                    }
                }
                other => {
                    stored.insert(k, other);
                }
            }
        }
    }
    span.attributes = stored;
    let r = serde_json::to_writer(&mut *out, &*span).map_err(|e| e.to_string());
    restore_refs(span);
    r
}

/// The LZ4 payload of earlier stores (kept so tests can write one).
#[cfg(test)]
pub fn encode_lz4(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() / 3 + 16);
    out.push(LZ4);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(json));
    out
}

/// The `Z` payload written before lean frames (kept so tests can write one).
#[cfg(test)]
pub fn encode_z(json: &[u8], dict: Option<&Arc<Dictionary>>) -> Vec<u8> {
    let frame = match dict {
        Some(d) => zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, &d.bytes)
            .and_then(|mut c| c.compress(json)),
        None => zstd::bulk::compress(json, ZSTD_LEVEL),
    }
    .unwrap_or_else(|e| panic!("{e}"));
    let mut out = vec![ZSTD];
    out.extend_from_slice(&dict.map_or(0, |d| d.id).to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&frame);
    out
}

/// A payload as `decode` needs it: one without its row's fields (`R`, `P`) decompressed and
/// made whole with `row`'s (as plain JSON), any other as it is stored.
pub fn decode_in_row<T>(
    data: &[u8],
    row: &RowFields<'_>,
    decode: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Result<T, String> {
    match data.first() {
        Some(&(ROW_DICT | ROW_PLAIN)) => {
            // One buffer per thread, reused: the row fields are written first and the frame
            // is decompressed right behind them, so the whole JSON is built without a copy.
            let mut json = WHOLE_JSON.with(|b| std::mem::take(&mut *b.borrow_mut()));
            let out = restore_decompressed(data, row, &mut json).and_then(|()| decode(&json));
            if json.capacity() <= MAX_KEPT_BUFFER {
                WHOLE_JSON.with(|b| *b.borrow_mut() = json);
            }
            out
        }
        _ => decode(data),
    }
}

/// A decode buffer bigger than this is dropped after use rather than kept for the thread.
const MAX_KEPT_BUFFER: usize = 1 << 20;

thread_local! {
    /// The whole JSON of the last `R`/`P` payload [`decode_in_row`] decoded on this thread.
    static WHOLE_JSON: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// `out` = the row's fields as a JSON object's opening, then the payload's frame decompressed
/// in place behind them with its `{` turned into the separating `,` (what
/// [`row_fields::restore`] builds from the decompressed payload, without the copy).
fn restore_decompressed(data: &[u8], row: &RowFields<'_>, out: &mut Vec<u8>) -> Result<(), String> {
    let (id, len, lean, at) = zstd_header(data)?;
    let frame = data.get(at..).unwrap_or(&[]);
    row_fields::write_opening(row, out)?;
    let start = out.len();
    out.resize(start + len, 0);
    let n = with_decompressor(id, lean, |dec| {
        dec.decompress_to_buffer(frame, &mut out[start..])
            .map_err(|e| format!("zstd: {e}"))
    })?;
    if n != len {
        return Err("corrupt payload (length differs)".into());
    }
    match out.get_mut(start) {
        Some(b) if *b == b'{' => *b = b',',
        _ => return Err("payload is not a JSON object".into()),
    }
    Ok(())
}

/// A payload without its row's fields cannot be decoded alone.
fn needs_row(data: &[u8]) -> Result<(), String> {
    match data.first() {
        Some(&(ROW_DICT | ROW_PLAIN)) => {
            Err("the payload needs its span row's ids and times (decode_in_row)".into())
        }
        _ => Ok(()),
    }
}

/// Decodes a stored payload (compressed, or plain JSON from a hand-edited store); one stored
/// without its row's fields goes through [`decode_in_row`] first.
pub fn decode_span(data: &[u8]) -> Result<Span, String> {
    needs_row(data)?;
    let mut span: Span = match data.first() {
        Some(&(ZSTD | LEAN_DICT | LEAN_PLAIN)) => {
            let json = decompress_zstd(data)?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())?
        }
        Some(&LZ4) => {
            let json =
                lz4_flex::decompress_size_prepended(&data[1..]).map_err(|e| e.to_string())?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())?
        }
        _ => serde_json::from_slice(data).map_err(|e| e.to_string())?,
    };
    restore_refs(&mut span);
    Ok(span)
}

/// A zstd payload's dictionary id (0 = none), JSON length, whether its frame is lean, and
/// where the frame starts.
fn zstd_header(data: &[u8]) -> Result<(u64, usize, bool, usize), String> {
    let truncated = || "truncated payload".to_string();
    let id_at = |at: usize| -> Result<u64, String> {
        let mut id = [0u8; 8];
        id.copy_from_slice(data.get(at..at + 8).ok_or_else(truncated)?);
        Ok(u64::from_le_bytes(id))
    };
    let (id, len, lean, frame) = match data.first() {
        Some(&ZSTD) => {
            let mut len = [0u8; 4];
            len.copy_from_slice(data.get(9..ZSTD_HEADER).ok_or_else(truncated)?);
            (
                id_at(1)?,
                u64::from(u32::from_le_bytes(len)),
                false,
                ZSTD_HEADER,
            )
        }
        Some(&(LEAN_DICT | ROW_DICT)) => {
            let (len, n) = read_varint(data.get(9..).unwrap_or(&[])).ok_or_else(truncated)?;
            (id_at(1)?, len, true, 9 + n)
        }
        Some(&(LEAN_PLAIN | ROW_PLAIN)) => {
            let (len, n) = read_varint(data.get(1..).unwrap_or(&[])).ok_or_else(truncated)?;
            (0, len, true, 1 + n)
        }
        _ => return Err("not a zstd payload".into()),
    };
    match usize::try_from(len) {
        Ok(len) if len <= MAX_JSON_BYTES => Ok((id, len, lean, frame)),
        _ => Err("corrupt payload length".into()),
    }
}

pub(super) fn decompress_zstd(data: &[u8]) -> Result<Vec<u8>, String> {
    let (id, len, lean, at) = zstd_header(data)?;
    let frame = data.get(at..).unwrap_or(&[]);
    let json = with_decompressor(id, lean, |dec| {
        dec.decompress(frame, len).map_err(|e| format!("zstd: {e}"))
    })?;
    if json.len() != len {
        return Err("corrupt payload (length differs)".into());
    }
    Ok(json)
}

/// Runs `f` with this thread's decompression context for dictionary `id` (made once).
fn with_decompressor<T>(
    id: u64,
    lean: bool,
    f: impl FnOnce(&mut zstd::bulk::Decompressor<'static>) -> Result<T, String>,
) -> Result<T, String> {
    DECODERS.with(|d| {
        let mut d = d.borrow_mut();
        let dec = match d.entry((id, lean)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(new_decompressor(id, lean)?),
        };
        f(dec)
    })
}

fn new_decompressor(id: u64, lean: bool) -> Result<zstd::bulk::Decompressor<'static>, String> {
    let mut dec = if id == 0 {
        zstd::bulk::Decompressor::new()
    } else {
        let dict = dictionary::lookup(id).ok_or_else(|| {
            format!("payload needs dictionary {id:016x}, which the store does not hold")
        })?;
        zstd::bulk::Decompressor::with_dictionary(&dict.bytes)
    }
    .map_err(|e| format!("zstd: {e}"))?;
    if lean {
        use zstd::zstd_safe::{DParameter, FrameFormat};
        dec.set_parameter(DParameter::Format(FrameFormat::Magicless))
            .map_err(|e| format!("zstd: {e}"))?;
    }
    Ok(dec)
}

/// Reads a payload into a type that takes some of a span's fields (the rest are skipped
/// unbuilt, which is most of the cost for a big attribute map). References need no restoring:
/// they point from attributes to parsed fields, never the other way.
pub fn decode_fields<T: serde::de::DeserializeOwned>(data: &[u8]) -> Result<T, String> {
    needs_row(data)?;
    match data.first() {
        Some(&(ZSTD | LEAN_DICT | LEAN_PLAIN)) => {
            let json = decompress_zstd(data)?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())
        }
        Some(&LZ4) => {
            let json =
                lz4_flex::decompress_size_prepended(&data[1..]).map_err(|e| e.to_string())?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())
        }
        _ => serde_json::from_slice(data).map_err(|e| e.to_string()),
    }
}

/// Long texts held in parsed fields, with a path naming where each lives.
fn shared_fields<'a>(span: &'a Span) -> Vec<(String, &'a str)> {
    let mut out: Vec<(String, &'a str)> = Vec::new();
    let mut add = |path: String, s: &'a str| {
        if s.len() >= MIN_SHARED {
            out.push((path, s));
        }
    };
    if let Some(r) = &span.input {
        add("input".into(), &r.value);
    }
    if let Some(r) = &span.output {
        add("output".into(), &r.value);
    }
    for (i, m) in span.input_messages.iter().enumerate() {
        add(format!("input_messages.{i}"), &m.content);
    }
    for (i, m) in span.output_messages.iter().enumerate() {
        add(format!("output_messages.{i}"), &m.content);
    }
    for (i, d) in span.documents.iter().enumerate() {
        if let Some(c) = &d.content {
            add(format!("documents.{i}"), c);
        }
    }
    if let Some(r) = &span.reranker {
        for (i, d) in r.input_documents.iter().enumerate() {
            if let Some(c) = &d.content {
                add(format!("reranker_in.{i}"), c);
            }
        }
        for (i, d) in r.output_documents.iter().enumerate() {
            if let Some(c) = &d.content {
                add(format!("reranker_out.{i}"), c);
            }
        }
    }
    if let Some(t) = &span.tool {
        if let Some(a) = &t.arguments {
            add("tool_arguments".into(), a);
        }
        if let Some(r) = &t.result {
            add("tool_result".into(), r);
        }
    }
    out
}

fn resolve<'a>(span: &'a Span, path: &str) -> Option<&'a str> {
    let (field, idx) = match path.split_once('.') {
        Some((f, i)) => (f, i.parse::<usize>().ok()),
        None => (path, None),
    };
    let doc = |v: &'a [crate::model::Document]| {
        idx.and_then(|i| v.get(i))
            .and_then(|d| d.content.as_deref())
    };
    match field {
        "input" => span.input.as_ref().map(|r| r.value.as_str()),
        "output" => span.output.as_ref().map(|r| r.value.as_str()),
        "input_messages" => idx
            .and_then(|i| span.input_messages.get(i))
            .map(|m| m.content.as_str()),
        "output_messages" => idx
            .and_then(|i| span.output_messages.get(i))
            .map(|m| m.content.as_str()),
        "documents" => doc(&span.documents),
        "reranker_in" => span.reranker.as_ref().and_then(|r| doc(&r.input_documents)),
        "reranker_out" => span
            .reranker
            .as_ref()
            .and_then(|r| doc(&r.output_documents)),
        "tool_arguments" => span.tool.as_ref().and_then(|t| t.arguments.as_deref()),
        "tool_result" => span.tool.as_ref().and_then(|t| t.result.as_deref()),
        _ => None,
    }
}

fn restore_refs(span: &mut Span) {
    let mut fixes: Vec<(String, String)> = Vec::new();
    for (k, v) in &span.attributes {
        if let Value::Object(m) = v
            && m.len() == 1
            && let Some(Value::String(path)) = m.get(REF_KEY)
            && let Some(text) = resolve(span, path)
        {
            fixes.push((k.clone(), text.to_string()));
        }
    }
    for (k, text) in fixes {
        span.attributes.insert(k, Value::String(text));
    }
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
