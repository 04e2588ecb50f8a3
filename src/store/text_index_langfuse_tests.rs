//! The Langfuse support-bot corpus against its ground truth: `build_prompt` (a chain step whose
//! output is the chat for the next call) carries earlier turns' answers in its history, and
//! those are not this trace's passages.

use crate::filter::{TextField, TraceFilter};
use crate::store::Store;

const CORPUS: &str = "tests/fixtures/langfuse_support_bot_dev.otlp.jsonl";

fn field(f: TextField, text: &str) -> TraceFilter {
    TraceFilter {
        scoped: vec![(f, text.into())],
        ..TraceFilter::default()
    }
}

#[test]
fn an_earlier_answer_in_a_built_prompt_is_not_a_doc() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    let mut store = Store::open_in_memory().unwrap_or_else(|e| panic!("{e}"));
    crate::import::import_file(&mut store, &path, Default::default())
        .unwrap_or_else(|e| panic!("{e}"));
    let ids = |f: &TraceFilter| {
        let mut v = store.trace_ids(f, None).unwrap_or_else(|e| panic!("{e}"));
        v.sort();
        v
    };
    // Ground truth, session sess_7c24e7a7a543: turn 2's answer "Order FH-289060 is still being
    // processed and hasn't shipped yet and will definitely arrive by tomorrow at 10 am." is in
    // turn 3's chat history (trace 27e3973b…). No passage or tool result says "definitely".
    let answered = ids(&field(TextField::Answer, "definitely"));
    assert_eq!(answered, ["ef722d22a0492a3838ecc98335cf4576"]);
    assert_eq!(
        ids(&field(TextField::Docs, "definitely")),
        Vec::<String>::new()
    );
    // The passages the next call read are still docs, and the step's system prompt is a
    // system prompt.
    let passages = ids(&field(TextField::Docs, "prepaid return shipping label"));
    assert!(
        passages.iter().any(|t| t.starts_with("27e3973b")),
        "{passages:?}"
    );
    assert!(!ids(&field(TextField::System, "Fernhill Outfitters")).is_empty());
}

#[test]
fn a_schema_10_store_is_reindexed_once() {
    let d = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let db = d.path().join("t.db");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(CORPUS);
    {
        let mut store = Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
        crate::import::import_file(&mut store, &path, Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        // What schema 10 indexed differently: here, an earlier answer as a doc.
        store
            .conn
            .execute_batch(
                "DELETE FROM span_fields_fts;
                 INSERT INTO span_fields_fts(rowid, question, answer, docs, system)
                 VALUES ((SELECT max(id) FROM spans), '', '', 'definitely', '');
                 PRAGMA user_version = 10;",
            )
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let store = Store::open(&db).unwrap_or_else(|e| panic!("{e}"));
    let count = |f: TextField, t: &str| store.count_traces(&field(f, t)).ok();
    assert_eq!(count(TextField::Docs, "definitely"), Some(0));
    assert_eq!(count(TextField::Answer, "definitely"), Some(1));
    assert!(count(TextField::Docs, "prepaid").is_some_and(|n| n > 0));
}
