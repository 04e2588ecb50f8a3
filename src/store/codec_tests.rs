use super::*;
use crate::model::{Message, RawValue};

/// A payload decoded as a store reads it: with its row's fields (those of `like`).
fn decode_whole(data: &[u8], like: &Span) -> Result<Span, String> {
    decode_in_row(data, &RowFields::of(like), decode_span)
}

#[test]
fn round_trips_exactly_and_shares_long_strings() {
    let long = "the refund policy says ".repeat(20);
    let mut s = Span {
        trace_id: "t".into(),
        span_id: "s".into(),
        input_messages: vec![Message {
            role: "user".into(),
            content: long.clone(),
            ..Default::default()
        }],
        input: Some(RawValue {
            value: format!("{{\"q\": \"{long}\"}}"),
            mime: Some("application/json".into()),
        }),
        ..Default::default()
    };
    s.attributes.insert(
        "llm.input_messages.0.message.content".into(),
        Value::String(long.clone()),
    );
    s.attributes.insert(
        "input.value".into(),
        Value::String(s.input.as_ref().unwrap().value.clone()),
    );
    s.attributes
        .insert("short".into(), Value::String("x".into()));
    let original = s.clone();
    let enc = encode_span(&mut s).unwrap().data;
    assert_eq!(s, original, "encoding must leave the span as it was");
    let json = decompress_zstd(&enc).unwrap();
    let text = String::from_utf8(json).unwrap();
    assert_eq!(text.matches(long.as_str()).count(), 2, "{text}");
    assert!(text.contains("$trawl_ref"));
    assert_eq!(decode_whole(&enc, &original).unwrap(), original);
}

#[test]
fn rejects_garbage() {
    assert!(decode_span(b"L\x05\x00\x00\x00garbage").is_err());
    assert!(decode_span(b"").is_err());
    assert!(decode_span(b"Z\x00\x00").is_err());
    let mut bad = vec![ZSTD];
    bad.extend_from_slice(&0u64.to_le_bytes());
    bad.extend_from_slice(&100u32.to_le_bytes());
    bad.extend_from_slice(b"not a zstd frame");
    assert!(decode_span(&bad).is_err());
}

fn sample_span(i: usize) -> Span {
    let mut s = Span {
        trace_id: format!("{i:032x}"),
        span_id: format!("{i:016x}"),
        name: "ChatCompletion".into(),
        model: Some("gpt-4o-mini-2024-07-18".into()),
        input_messages: vec![Message {
            role: "user".into(),
            content: format!("question number {i} about the refund policy"),
            ..Default::default()
        }],
        ..Default::default()
    };
    s.attributes.insert(
        "llm.model_name".into(),
        Value::String("gpt-4o-mini-2024-07-18".into()),
    );
    s.attributes
        .insert("llm.token_count.prompt".into(), Value::from(i as i64));
    s
}

#[test]
fn payloads_of_earlier_stores_still_decode() {
    let original = sample_span(7);
    let mut json = Vec::new();
    span_json(&mut original.clone(), &mut json).unwrap();
    assert_eq!(decode_span(&encode_lz4(&json)).unwrap(), original);
    assert_eq!(decode_span(&encode_z(&json, None)).unwrap(), original);
    assert_eq!(decode_span(&json).unwrap(), original, "plain JSON");
}

#[test]
fn lengths_round_trip_through_varints_and_truncation_is_an_error() {
    for v in [
        0u64,
        1,
        127,
        128,
        300,
        16_383,
        16_384,
        u32::MAX as u64,
        u64::MAX,
    ] {
        let mut buf = Vec::new();
        write_varint(&mut buf, v);
        assert_eq!(read_varint(&buf), Some((v, buf.len())), "{v}");
        assert_eq!(read_varint(&buf[..buf.len() - 1]), None, "{v}");
    }
    assert_eq!(read_varint(&[0xff; 11]), None);
    let mut enc = SpanEncoder::new(None).unwrap();
    let data = enc.encode_span(&mut sample_span(3)).unwrap().data;
    assert_eq!(data[0], ROW_PLAIN);
    let like = sample_span(3);
    assert_eq!(decode_whole(&data, &like).unwrap(), sample_span(3));
    for cut in [1, 2, data.len() / 2, data.len() - 1] {
        assert!(decode_whole(&data[..cut], &like).is_err(), "{cut}");
    }
    // A length the frame does not have.
    let mut wrong = data.clone();
    wrong[1] ^= 1;
    assert!(decode_whole(&wrong, &like).is_err());
    assert!(decode_span(&[LEAN_DICT, 1, 2, 3]).is_err());
}

#[test]
fn a_trained_dictionary_round_trips_and_shrinks_small_spans() {
    let samples: Vec<Vec<u8>> = (0..2000)
        .map(|i| {
            let mut json = Vec::new();
            span_json(&mut sample_span(i), &mut json).unwrap();
            json
        })
        .collect();
    let dict = dictionary::train(&samples).expect("enough samples to train");
    dictionary::register(dict.clone());
    let mut with = SpanEncoder::new(Some(&dict)).unwrap();
    let mut without = SpanEncoder::new(None).unwrap();
    let (mut a, mut b, mut z) = (0, 0, 0);
    for i in 5000..5100 {
        let original = sample_span(i);
        let enc = with.encode_span(&mut original.clone()).unwrap().data;
        assert_eq!(enc[0], ROW_DICT);
        assert_eq!(&enc[1..9], &dict.id.to_le_bytes(), "names its dictionary");
        assert_eq!(decode_whole(&enc, &original).unwrap(), original);
        a += enc.len();
        b += without
            .encode_span(&mut original.clone())
            .unwrap()
            .data
            .len();
        // The framing of earlier stores: still read, and 10 bytes longer.
        let mut json = Vec::new();
        span_json(&mut original.clone(), &mut json).unwrap();
        let old = encode_z(&json, Some(&dict));
        assert_eq!(decode_span(&old).unwrap(), original);
        z += old.len();
    }
    assert!(a * 2 < b, "dictionary {a} B vs none {b} B");
    assert!(a + 100 * 9 <= z, "lean {a} B vs Z {z} B");
    // A payload naming a dictionary nobody has is an error, not a panic.
    let mut orphan = with.encode_span(&mut sample_span(1)).unwrap().data;
    orphan[1..9].copy_from_slice(&42u64.to_le_bytes());
    assert!(
        decode_whole(&orphan, &sample_span(1))
            .unwrap_err()
            .contains("dictionary")
    );
}

/// Spans whose row fields take every shape serde can write: no parent or end, an OTel kind,
/// ids that need escaping.
fn awkward_spans() -> Vec<Span> {
    let mut out = vec![sample_span(1)];
    let mut s = sample_span(2);
    s.parent_id = Some("p\"q\\r\u{1}é".into());
    s.trace_id = "trace \"quoted\" ✓".into();
    s.span_id = String::new();
    s.otel_kind = Some(3);
    s.end_ns = Some(-5);
    s.start_ns = i64::MIN;
    s.status_message = Some("boom".into());
    out.push(s);
    let mut s = sample_span(3);
    s.end_ns = None;
    s.kind = crate::model::SpanKind::Llm;
    s.name = "{\"name\":\"x\"}".into();
    out.push(s);
    out
}

#[test]
fn payloads_leave_row_fields_to_the_row_and_get_them_back() {
    let mut enc = SpanEncoder::new(None).unwrap();
    for original in awkward_spans() {
        let mut whole = Vec::new();
        span_json(&mut original.clone(), &mut whole).unwrap();
        let e = enc.encode_span(&mut original.clone()).unwrap();
        assert_eq!(e.data[0], ROW_PLAIN, "{original:?}");
        assert_eq!(
            e.hash,
            content_hash(&whole),
            "hashed whole: a re-import changes nothing"
        );
        let lean = String::from_utf8(decompress_zstd(&e.data).unwrap()).unwrap();
        for gone in [
            "\"trace_id\"",
            "\"span_id\"",
            "\"parent_id\"",
            "\"start_ns\"",
            "\"end_ns\"",
        ] {
            assert!(!lean.contains(gone), "{gone} in {lean}");
        }
        assert!(lean.len() < whole.len(), "{lean}");
        assert_eq!(decode_whole(&e.data, &original).unwrap(), original);
        // Alone, such a payload is refused rather than read with empty ids.
        assert!(decode_span(&e.data).unwrap_err().contains("row"));
        assert!(decode_fields::<serde_json::Value>(&e.data).is_err());
        // The free functions: whole (decodes alone), and as the writer stores a span.
        let free = encode_span(&mut original.clone()).unwrap();
        assert_eq!(decode_span(&free.data).unwrap(), original);
        let for_row = encode_span_for_row(&mut original.clone()).unwrap();
        assert_eq!((for_row.data[0], for_row.hash), (ROW_PLAIN, e.hash));
        assert_eq!(free.hash, e.hash);
        // Payloads stored whole read the same through the row path.
        let old = enc.encode(&whole).unwrap();
        assert_eq!(old[0], LEAN_PLAIN);
        assert_eq!(decode_whole(&old, &original).unwrap(), original);
        assert_eq!(decode_span(&old).unwrap(), original);
    }
}

#[test]
fn json_not_shaped_as_serde_writes_a_span_is_stored_whole() {
    let span = sample_span(4);
    let mut scratch = Vec::new();
    let mut whole = Vec::new();
    span_json(&mut span.clone(), &mut whole).unwrap();
    assert!(row_fields::strip(&span, &whole, &mut scratch).is_some());
    // Another span's JSON (other ids), or other bytes for the same span: not cut.
    let mut other = Vec::new();
    span_json(&mut sample_span(5), &mut other).unwrap();
    assert!(row_fields::strip(&span, &other, &mut scratch).is_none());
    let pretty = serde_json::to_vec_pretty(&span).unwrap();
    assert!(row_fields::strip(&span, &pretty, &mut scratch).is_none());
}
