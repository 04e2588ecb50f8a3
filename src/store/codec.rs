//! How span payloads are stored: JSON, LZ4-compressed. Trace payloads are repetitive text (the
//! same messages appear in attributes and in the parsed fields), so compression cuts the bytes
//! SQLite writes (twice, through the WAL) by several times for little CPU.

use crate::model::Span;

const LZ4: u8 = b'L';

pub fn encode(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() / 3 + 16);
    out.push(LZ4);
    out.extend_from_slice(&lz4_flex::compress_prepend_size(json));
    out
}

/// Decodes a stored payload (compressed, or plain JSON from a hand-edited store).
pub fn decode_span(data: &[u8]) -> Result<Span, String> {
    match data.first() {
        Some(&LZ4) => {
            let json =
                lz4_flex::decompress_size_prepended(&data[1..]).map_err(|e| e.to_string())?;
            serde_json::from_slice(&json).map_err(|e| e.to_string())
        }
        _ => serde_json::from_slice(data).map_err(|e| e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage() {
        let s = Span {
            trace_id: "t".into(),
            span_id: "s".into(),
            name: "x".repeat(1000),
            ..Default::default()
        };
        let json = serde_json::to_vec(&s).unwrap();
        let enc = encode(&json);
        assert!(enc.len() < json.len() / 2, "{} vs {}", enc.len(), json.len());
        assert_eq!(decode_span(&enc).unwrap(), s);
        assert!(decode_span(b"L\x05\x00\x00\x00garbage").is_err());
        assert!(decode_span(b"").is_err());
    }
}
