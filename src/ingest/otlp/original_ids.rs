//! Ids that `trawl export --otlp` replaced by hashes ([`super::ids`]) mapped back:
//! a trace from llm's logs, LangSmith or Langfuse that went out as OTLP comes back under the ids
//! it was first imported with, so a round trip shows the same ids and a re-import into the first
//! store deduplicates instead of adding a copy.
//!
//! An original is only taken when the OTLP id is exactly its hash: an attribute copied onto an
//! unrelated span, or edited, changes nothing. Span ids are mapped only when the span also says
//! what its parent was (`trawl.original_parent_span_id`, written since span ids are mapped back):
//! without it a child's parent (whose original is on another span) would stay hashed while the
//! parent's own id was mapped, and the tree would break. Such older exports keep hashed span ids,
//! which are consistent among themselves.

use super::ids::{
    ORIGINAL_PARENT_SPAN_ID, ORIGINAL_SPAN_ID, ORIGINAL_TRACE_ID, span_id as hashed_span_id,
    trace_id as hashed_trace_id,
};
use serde_json::{Map, Value};

/// A span's ids as read from OTLP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) trace: String,
    pub(crate) span: String,
    pub(crate) parent: Option<String>,
}

/// `ids` with every original the attributes vouch for put back.
pub(crate) fn restore(ids: Ids, attributes: &Map<String, Value>) -> Ids {
    let original = |key: &str| {
        attributes
            .get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let trace = original(ORIGINAL_TRACE_ID)
        .filter(|o| hashed_trace_id(o).eq_ignore_ascii_case(&ids.trace))
        .map(str::to_string);
    // Span ids were hashed with the trace id the source wrote.
    let source_trace = trace.as_deref().unwrap_or(&ids.trace);
    let matches = |original: &str, otlp: &str| {
        hashed_span_id(source_trace, original).eq_ignore_ascii_case(otlp)
    };
    let parent = match (
        attributes
            .get(ORIGINAL_PARENT_SPAN_ID)
            .and_then(Value::as_str),
        ids.parent.as_deref(),
    ) {
        (Some(""), None) => Some(None),
        (Some(o), Some(p)) if !o.is_empty() && matches(o, p) => Some(Some(o.to_string())),
        _ => None,
    };
    let span = original(ORIGINAL_SPAN_ID).filter(|o| matches(o, &ids.span));
    match parent {
        // The parent's original is known (or there is none): both ids map back together.
        Some(parent) => Ids {
            span: span.map_or(ids.span, str::to_string),
            parent,
            trace: trace.unwrap_or(ids.trace),
        },
        None => Ids {
            trace: trace.unwrap_or(ids.trace),
            ..ids
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attrs(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn hashed_ids_map_back_only_when_they_are_the_originals_hashes() {
        let (t, root, child) = ("01m6dz9gkk1qs4bt79bmgzrbet", "run-1", "run-2");
        let otlp = |s: &str| hashed_span_id(t, s);
        let hashed = Ids {
            trace: hashed_trace_id(t),
            span: otlp(child),
            parent: Some(otlp(root)),
        };
        let full = attrs(json!({
            ORIGINAL_TRACE_ID: t, ORIGINAL_SPAN_ID: child, ORIGINAL_PARENT_SPAN_ID: root,
        }));
        let back = restore(hashed.clone(), &full);
        assert_eq!(
            back,
            Ids {
                trace: t.into(),
                span: child.into(),
                parent: Some(root.into())
            }
        );
        // A root says it has no parent.
        let root_ids = Ids {
            parent: None,
            span: otlp(root),
            ..hashed.clone()
        };
        let root_attrs = attrs(json!({
            ORIGINAL_TRACE_ID: t, ORIGINAL_SPAN_ID: root, ORIGINAL_PARENT_SPAN_ID: "",
        }));
        assert_eq!(restore(root_ids, &root_attrs).span, root);
        // An export from before the parent attribute: only the trace id maps back.
        let old = attrs(json!({ORIGINAL_TRACE_ID: t, ORIGINAL_SPAN_ID: child}));
        let back = restore(hashed.clone(), &old);
        assert_eq!(back.trace, t);
        assert_eq!(back.span, hashed.span);
        assert_eq!(back.parent, hashed.parent);
        // Attributes that do not hash to the span's ids change nothing.
        let forged = attrs(json!({
            ORIGINAL_TRACE_ID: "someone-else", ORIGINAL_SPAN_ID: "x", ORIGINAL_PARENT_SPAN_ID: "y",
        }));
        assert_eq!(restore(hashed.clone(), &forged), hashed);
        // Non-string values are ignored.
        let odd =
            attrs(json!({ORIGINAL_TRACE_ID: 7, ORIGINAL_SPAN_ID: [], ORIGINAL_PARENT_SPAN_ID: {}}));
        assert_eq!(restore(hashed.clone(), &odd), hashed);
    }
}
