//! `trawl stats --source` and `trawl check --source`: the store's per-bucket figures
//! ([`BucketFigures`]) computed inside ClickHouse by one query per request, over the exporter's
//! `otel_traces`. What comes back is one row per bucket and group, never spans.
//!
//! The query mirrors what the importer and the store's roll-up do with each span:
//! - a span's kind, model, usage, reported cost and time to first token come from the same
//!   attribute keys as [`crate::ingest::semconv`] reads, in the same order;
//! - a trace is the spans sharing a `TraceId`; it starts at its first span, lasts until its
//!   last span ends, failed when a root span (empty `ParentSpanId`) failed; it is in the window
//!   when a root span starts in it;
//! - usage counts once: an LLM or embedding span with usage is counted unless another such span
//!   is below it, at any depth (the store's rule);
//! - cost: ClickHouse has no price table, so the query returns, per bucket and group and per
//!   set of models a trace used, the summed usage of each (model, request model, provider,
//!   long-context band); the embedded price table prices those sums here. Pricing is linear in
//!   tokens within a tier, and each call's tier depends on its own input, so summing per band
//!   (the highest tier threshold of the table the call's input is above) prices every call at
//!   its own tier;
//! - LLM call latencies and TTFTs are bucketed by the call's own start when ungrouped, with the
//!   trace when grouped (the store's rule), and only in buckets that have traces.
//!
//! Percentiles are exact nearest-rank, as in the store: the p-th percentile of n values is the
//! value at rank ceil(p·n/100). No ClickHouse quantile function has that definition:
//! `quantileExact(l)` (and `quantileExactHigh`) return rank floor(l·n)+1, which is one rank
//! too high whenever l·n is a whole number (p50 of 10, 20, 30, 40 is 30, nearest rank says
//! 20), and `quantileExactLow` agrees only by accident of its median special case. So the query
//! sorts the values (`arraySort(groupArray(v))`, the memory `quantileExact` uses too) and
//! indexes them at `intDiv(p * n + 99, 100)`, the integer form of [`nearest_rank`]; the tests
//! check both that this agrees with [`crate::metrics::percentile_of`] and that `quantileExact`
//! does not.
//!
//! [`nearest_rank`]: crate::store::stats::nearest_rank

use super::RemoteError;
use super::client::{Client, as_f64, as_i64, quote};
use super::otel_sql::{
    MODEL_KEYS, TraceConditions, USER_KEYS, conditions, first_attr, invocation_model, span_failed,
    where_sql, window,
};
use crate::filter::TraceFilter;
use crate::model::Usage;
use crate::pricing::PriceBook;
use crate::store::stats::{BucketFigures, Buckets, GroupBy, NO_GROUP, Ranked, WantedPercentiles};
use serde_json::Value;
use std::collections::BTreeMap;

/// Element `p` (1..=100) of a sorted array by nearest rank, NULL when the array is empty.
pub fn nearest_rank_sql(sorted: &str, p: u32) -> String {
    format!("if(length({sorted}) = 0, NULL, {sorted}[intDiv({p} * length({sorted}) + 99, 100)])")
}

/// Integer attribute: the first of `keys` whose value reads as an integer.
fn int_attr(keys: &[&str]) -> String {
    let parts: Vec<String> = keys
        .iter()
        .map(|k| format!("toInt64OrNull(SpanAttributes[{}])", quote(k)))
        .collect();
    format!("coalesce({}, NULL)", parts.join(", "))
}

fn float_attr(key: &str) -> String {
    format!("toFloat64OrNull(SpanAttributes[{}])", quote(key))
}

/// The span kind as the semantic-convention reader infers it, reduced to what the figures need:
/// 'llm', 'embedding' or 'other'.
fn kind_sql() -> String {
    let a = |k: &str| format!("lower(trim(SpanAttributes[{}]))", quote(k));
    let oi = a("openinference.span.kind");
    let op = a("gen_ai.operation.name");
    let tl = a("traceloop.span.kind");
    let rt = a("llm.request.type");
    let present = |keys: &[&str]| {
        keys.iter()
            .map(|k| format!("SpanAttributes[{}] != ''", quote(k)))
            .collect::<Vec<_>>()
            .join(" OR ")
    };
    let has_model = present(&[
        "llm.model_name",
        "llm.request.model_name",
        "llm.response.model_name",
        "gen_ai.request.model",
        "gen_ai.response.model",
    ]);
    let has_usage = present(&[
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "llm.token_count.total",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.prompt_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.usage.total_tokens",
        "gen_ai.usage.total_tokens",
    ]);
    format!(
        "multiIf(\
         {oi} IN ('llm', 'generation'), 'llm', \
         {oi} IN ('embedding', 'embeddings'), 'embedding', \
         {oi} IN ('chain', 'workflow', 'task', 'retriever', 'retrieval', 'reranker', 'rerank', 'tool', \
                  'agent', 'guardrail', 'evaluator', 'prompt', 'event', 'span', 'unknown'), 'other', \
         {op} IN ('chat', 'text_completion', 'generate_content', 'completion'), 'llm', \
         {op} IN ('embeddings', 'embedding'), 'embedding', \
         {op} IN ('execute_tool', 'invoke_agent', 'create_agent', 'retrieval', 'invoke_workflow', 'rerank'), 'other', \
         arrayExists(k -> startsWith(k, 'db.vector.') OR startsWith(k, 'db.query.embeddings'), mapKeys(SpanAttributes)), 'other', \
         {tl} IN ('workflow', 'task', 'agent', 'tool'), 'other', \
         {rt} IN ('chat', 'completion'), 'llm', \
         {rt} IN ('embedding', 'embeddings'), 'embedding', \
         {rt} = 'rerank', 'other', \
         SpanAttributes['embedding.model_name'] != '', 'embedding', \
         {has_model} OR {has_usage}, 'llm', \
         'other')"
    )
}

/// Per-span columns derived from the attributes, over the raw table rows.
fn span_columns() -> String {
    let input = int_attr(&[
        "llm.token_count.prompt",
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
    ]);
    let output = int_attr(&[
        "llm.token_count.completion",
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
    ]);
    let total = int_attr(&[
        "llm.token_count.total",
        "gen_ai.usage.total_tokens",
        "llm.usage.total_tokens",
    ]);
    let cache_read = int_attr(&[
        "llm.token_count.prompt_details.cache_read",
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
    ]);
    let cache_write = int_attr(&[
        "llm.token_count.prompt_details.cache_write",
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
    ]);
    let reasoning = int_attr(&[
        "llm.token_count.completion_details.reasoning",
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "llm.usage.reasoning_tokens",
    ]);
    let (cp, cc) = (
        float_attr("llm.cost.prompt"),
        float_attr("llm.cost.completion"),
    );
    let reported = format!(
        "coalesce({}, {}, if({cp} IS NULL AND {cc} IS NULL, NULL, ifNull({cp}, 0) + ifNull({cc}, 0)))",
        float_attr("llm.cost.total"),
        float_attr("gen_ai.usage.cost")
    );
    let ttft_attr = float_attr("gen_ai.response.time_to_first_chunk");
    // A first-token event, else the first `*.chunk` event (0 when there is neither).
    let ev_ns = "arrayMap(t -> toInt64(toUnixTimestamp64Nano(t)), `Events.Timestamp`)";
    let first_token = format!(
        "if(arrayFirst((t, n) -> match(lower(n), 'first[ _.-](token|chunk)'), {ev_ns}, `Events.Name`) AS ft != 0, ft, \
         arrayMin(arrayFilter((t, n) -> endsWith(n, '.chunk'), {ev_ns}, `Events.Name`)))"
    );
    // Langfuse's OTel SDK (scope `langfuse*`) says it in its own attributes, which win.
    let lf = "startsWith(ScopeName, 'langfuse')";
    let lf_type = "lower(SpanAttributes['langfuse.observation.type'])";
    let ud = "SpanAttributes['langfuse.observation.usage_details']";
    let ud_int = |keys: &[&str]| {
        let parts: Vec<String> = keys
            .iter()
            .map(|k| format!("JSONExtract({ud}, {}, 'Nullable(Int64)')", quote(k)))
            .collect();
        format!("coalesce({})", parts.join(", "))
    };
    let request_model = format!(
        "if({r} != '', {r}, {inv})",
        r = first_attr(&MODEL_KEYS[4..]),
        inv = invocation_model()
    );
    let lf_cst = "parseDateTime64BestEffortOrNull(trim(BOTH '\"' FROM SpanAttributes['langfuse.observation.completion_start_time']), 9)";
    format!(
        "TraceId, SpanId, ParentSpanId, SpanName, ServiceName, StatusCode, SpanAttributes, \
         toInt64(toUnixTimestamp64Nano(Timestamp)) AS s_start, toInt64(Duration) AS s_dur, \
         ParentSpanId = '' AS s_root, \
         {failed} OR ({lf} AND SpanAttributes['langfuse.observation.level'] = 'ERROR') AS s_failed, \
         multiIf({lf} AND {lf_type} IN ('generation', 'llm'), 'llm', \
                 {lf} AND {lf_type} IN ('embedding', 'embeddings'), 'embedding', \
                 {lf} AND {lf_type} NOT IN ('', 'span'), 'other', {kind}) AS s_kind, \
         if({lf} AND SpanAttributes['langfuse.observation.model.name'] != '', \
            SpanAttributes['langfuse.observation.model.name'], {model}) AS s_model, \
         {req} AS s_req_model, {provider} AS s_provider, \
         {user} AS s_user, \
         multiIf(SpanAttributes['tag.tags'] != '', JSONExtract(SpanAttributes['tag.tags'], 'Array(String)'), \
                 {lf} AND isValidJSON(SpanAttributes['langfuse.trace.tags']), \
                 JSONExtract(SpanAttributes['langfuse.trace.tags'], 'Array(String)'), \
                 {lf} AND trim(SpanAttributes['langfuse.trace.tags']) != '', [SpanAttributes['langfuse.trace.tags']], \
                 []) AS s_tags, \
         if({lf} AND {ud} != '', {lf_in}, {input}) AS s_in, \
         if({lf} AND {ud} != '', {lf_out}, {output}) AS s_out, \
         if({lf} AND {ud} != '', {lf_total}, {total}) AS s_total, \
         if({lf} AND {ud} != '', JSONExtract({ud}, 'prompt_tokens_details', 'cached_tokens', 'Nullable(Int64)'), {cache_read}) AS s_cr, \
         {cache_write} AS s_cw, \
         if({lf} AND {ud} != '', JSONExtract({ud}, 'completion_tokens_details', 'reasoning_tokens', 'Nullable(Int64)'), {reasoning}) AS s_rs, \
         if({lf} AND SpanAttributes['langfuse.observation.cost_details'] != '', \
            JSONExtract(SpanAttributes['langfuse.observation.cost_details'], 'total', 'Nullable(Float64)'), {reported}) AS s_rep, \
         (s_in IS NOT NULL OR s_out IS NOT NULL OR s_total IS NOT NULL) AS s_usage, \
         s_kind IN ('llm', 'embedding') AND (s_usage OR s_rep IS NOT NULL) AS s_cand, \
         multiIf({lf} AND {lf_cst} IS NOT NULL, greatest(toInt64(toUnixTimestamp64Nano(assumeNotNull({lf_cst}))) - s_start, 0), \
                 {ttft_attr} >= 0, toInt64(round({ttft_attr} * 1e9)), \
                 ({first_token}) AS first_ns != 0 AND first_ns >= s_start AND s_start > 0, first_ns - s_start, NULL) AS s_ttft",
        lf_in = ud_int(&["prompt_tokens", "input_tokens", "input"]),
        lf_out = ud_int(&["completion_tokens", "output_tokens", "output"]),
        lf_total = ud_int(&["total_tokens", "total"]),
        failed = span_failed(),
        kind = kind_sql(),
        model = first_attr(&MODEL_KEYS[..4]),
        req = request_model,
        provider = first_attr(&[
            "llm.provider",
            "llm.system",
            "gen_ai.provider.name",
            "gen_ai.system"
        ]),
        user = first_attr(USER_KEYS),
    )
}

/// The group expression over one trace's columns, with the ARRAY JOIN it needs.
fn group_sql(group: Option<GroupBy>) -> (String, String) {
    let none = quote(NO_GROUP);
    match group {
        None => (String::new(), "''".into()),
        Some(GroupBy::Model) => (
            format!("ARRAY JOIN if(empty(t_models), [{none}], t_models) AS g"),
            "g".into(),
        ),
        Some(GroupBy::Tag) => (
            format!("ARRAY JOIN if(empty(t_tags), [{none}], t_tags) AS g"),
            "g".into(),
        ),
        Some(GroupBy::Name) => (String::new(), format!("if(t_name = '', {none}, t_name)")),
        Some(GroupBy::User) => (String::new(), format!("if(t_user = '', {none}, t_user)")),
        Some(GroupBy::Service) => (
            String::new(),
            format!("if(t_service = '', {none}, t_service)"),
        ),
    }
}

fn bucket_sql(b: Buckets, col: &str) -> String {
    match b {
        Buckets::Every { len_ns, shift_ns } => {
            format!("({col} - ((({col} + {shift_ns}) % {len_ns}) + {len_ns}) % {len_ns})")
        }
        Buckets::Whole => "toInt64(0)".into(),
    }
}

fn percentiles_sql(name: &str, ps: &[u32]) -> String {
    let ps: Vec<u32> = if ps.is_empty() { vec![50] } else { ps.to_vec() };
    let items: Vec<String> = ps.iter().map(|&p| nearest_rank_sql(name, p)).collect();
    format!(
        "[{}] AS {name}_p, length({name}) AS {name}_n",
        items.join(", ")
    )
}

/// The spans of a trace with a candidate (an LLM or embedding span with usage) somewhere below
/// them, as SQL over the trace's `cands`, `t_ids` and `t_pids`: the candidates' parents, then
/// their parents, and so on, one level per step of the fold. A candidate in this set is an
/// aggregate and is not counted, as in [`crate::model::rollup::counted`] (a parent cycle ends
/// the climb at a span already marked).
fn below_candidates_sql() -> String {
    "arrayFold((acc, step) -> if(empty(acc.2), acc, \
        (arrayConcat(acc.1, acc.2), \
         arrayFilter(p -> p != '' AND NOT has(acc.1, p) AND NOT has(acc.2, p), \
                     arrayDistinct(arrayMap(x -> t_pids[indexOf(t_ids, x)], acc.2))))), \
      range(length(t_ids)), \
      (CAST([], 'Array(String)'), \
       CAST(arrayDistinct(arrayFilter(p -> p != '', arrayMap(c -> c.2, cands))), 'Array(String)'))).1"
        .to_string()
}

/// The spans of a trace with a candidate somewhere above them (their usage covers a call
/// without usage below them), as SQL: the candidates' children, then theirs, one level per step
/// of the fold. With [`below_candidates_sql`] it finds the LLM calls without usage that
/// [`crate::model::rollup::counted`] counts as calls of unknown cost (`t_bare` not in either);
/// the figures need only whether a trace has one, not which is deepest.
fn above_candidates_sql() -> String {
    "arrayFold((acc, step) -> if(empty(acc.2), acc, \
        (arrayConcat(acc.1, acc.2), \
         arrayFilter(x -> NOT has(acc.1, x) AND NOT has(acc.2, x) \
                          AND has(acc.2, t_pids[indexOf(t_ids, x)]), t_ids))), \
      range(length(t_ids)), \
      (CAST([], 'Array(String)'), \
       CAST(arrayDistinct(arrayFilter(x -> has(arrayMap(c -> c.1, cands), t_pids[indexOf(t_ids, x)]), t_ids)), 'Array(String)'))).1"
        .to_string()
}

/// The long-context thresholds of the price table (tiers apply when a call's input is above
/// one), highest first.
fn tier_thresholds() -> Vec<i64> {
    let mut t: Vec<i64> = PriceBook::active()
        .iter()
        .flat_map(|(_, p)| p.tiers.iter().map(|t| t.above))
        .collect();
    t.sort_unstable_by(|a, b| b.cmp(a));
    t.dedup();
    t
}

/// A call's tier band as SQL: the highest threshold its input `tokens` is above, else 0. Usage
/// is summed per band, so a sum is priced at the tier each of its calls was priced at alone.
fn tier_band_sql(tokens: &str) -> String {
    let arms: Vec<String> = tier_thresholds()
        .iter()
        .map(|t| format!("{tokens} > {t}, {t}"))
        .collect();
    if arms.is_empty() {
        "0".into()
    } else {
        format!("multiIf({}, 0)", arms.join(", "))
    }
}

/// The one query of a figures request.
pub(crate) fn figures_sql(
    table: &str,
    filter: &TraceFilter,
    conds: &TraceConditions,
    buckets: Buckets,
    group: Option<GroupBy>,
    wanted: &WantedPercentiles,
) -> String {
    let mut w = window("Timestamp", filter.since_ns, filter.until_ns);
    w.extend(conds.row.iter().cloned());
    let mut having = vec!["countIf(s_root) > 0".to_string()];
    having.extend(conds.having.iter().cloned());
    let (array_join, grp) = group_sql(group);
    let tbk = bucket_sql(buckets, "t_start");
    // Each trace row becomes emissions (bucket, is the trace, LLM call durations, TTFTs): the
    // trace itself in its bucket, and, ungrouped, each LLM call in the bucket of its own start
    // (as the store does; grouped, calls stay with their trace, as there too).
    let no_values = "CAST([], 'Array(Int64)')";
    let emissions = match group {
        None => format!(
            "arrayConcat([(toInt64({tbk}), toUInt8(1), {no_values}, {no_values})], \
             arrayMap(c -> (toInt64({call_bk}), toUInt8(0), [c.2], {no_values}), t_llm), \
             arrayMap(c -> (toInt64({call_bk}), toUInt8(0), {no_values}, [c.2]), t_ttft))",
            call_bk = bucket_sql(buckets, "c.1"),
        ),
        Some(_) => format!(
            "[(toInt64({tbk}), toUInt8(1), arrayMap(c -> c.2, t_llm), arrayMap(c -> c.2, t_ttft))]"
        ),
    };
    let tier_band = tier_band_sql("ifNull(s_in, ifNull(s_cr, 0) + ifNull(s_cw, 0))");
    format!(
        "SELECT bk, grp, traces, errors, input_tokens, output_tokens, costs, \
                {lat}, {llm}, {ttft} \
         FROM ( \
          SELECT bk, grp, sum(n) AS traces, sum(errs) AS errors, sum(itok) AS input_tokens, \
                 sum(otok) AS output_tokens, groupArray((sig, unpriceable, n, rep, usage)) AS costs, \
                 arraySort(arrayFlatten(groupArray(durs))) AS lat, \
                 arraySort(arrayFlatten(groupArray(llms))) AS llm, \
                 arraySort(arrayFlatten(groupArray(ttfts))) AS ttft \
          FROM ( \
           SELECT bk, grp, sig, unpriceable, sum(is_t) AS n, sum(e_failed) AS errs, \
                  sum(in_tok) AS itok, sum(out_tok) AS otok, sum(rep_cost) AS rep, \
                  groupArrayIf(t_dur, is_t = 1) AS durs, groupArrayArray(e_llm) AS llms, \
                  groupArrayArray(e_ttft) AS ttfts, \
                  sumMap(arrayMap(c -> c.3, priced), arrayMap(c -> c.11, priced), \
                         arrayMap(c -> ifNull(c.5, 0), priced), arrayMap(c -> ifNull(c.6, 0), priced), \
                         arrayMap(c -> ifNull(c.7, 0), priced), arrayMap(c -> c.12, priced)) AS usage \
           FROM ( \
            SELECT e.1 AS bk, e.2 AS is_t, e.3 AS e_llm, e.4 AS e_ttft, {grp} AS grp, t_dur, \
                   t_failed * is_t AS e_failed, \
                   arrayFilter(c -> is_t = 1 AND NOT has(below, c.1), cands) AS counted, \
                   arraySum(arrayMap(c -> ifNull(c.4, 0), counted)) AS in_tok, \
                   arraySum(arrayMap(c -> ifNull(c.5, 0), counted)) AS out_tok, \
                   arraySum(arrayMap(c -> ifNull(c.9, 0), counted)) AS rep_cost, \
                   arrayFilter(c -> c.9 IS NULL, counted) AS priced, \
                   arraySort(arrayDistinct(arrayMap(c -> c.3, priced))) AS sig, \
                   arrayExists(c -> NOT c.10, priced) \
                   OR (is_t = 1 AND arrayExists(u -> NOT has(below, u) AND NOT has(above, u), t_bare)) \
                   AS unpriceable \
            FROM ( \
             SELECT *, {below} AS below, {above} AS above \
             FROM ( \
              SELECT TraceId, min(s_start) AS t_start, max(s_start + s_dur) - min(s_start) AS t_dur, \
                     toUInt64(countIf(s_root AND s_failed) > 0) AS t_failed, \
                     argMinIf(SpanName, s_start, s_root) AS t_name, \
                     argMinIf(s_user, s_start, s_user != '') AS t_user, \
                     argMinIf(ServiceName, s_start, ServiceName != '') AS t_service, \
                     groupUniqArrayIf(lower(if(s_model != '', s_model, s_req_model)), \
                                      s_kind = 'llm' AND (s_model != '' OR s_req_model != '')) AS t_models, \
                     groupUniqArrayArray(s_tags) AS t_tags, \
                     groupArrayIf((s_start, s_dur), s_kind = 'llm') AS t_llm, \
                     groupArrayIf((s_start, assumeNotNull(s_ttft)), s_kind = 'llm' AND s_ttft IS NOT NULL) AS t_ttft, \
                     groupArrayIf((SpanId, ParentSpanId, \
                                   concat(s_model, '\\t', s_req_model, '\\t', s_provider, '\\t', toString({tier_band})), \
                                   s_in, s_out, s_cr, s_cw, s_rs, s_rep, \
                                   s_in IS NOT NULL OR s_out IS NOT NULL OR s_cr IS NOT NULL OR s_cw IS NOT NULL, \
                                   ifNull(s_in, ifNull(s_cr, 0) + ifNull(s_cw, 0)), \
                                   least(ifNull(s_rs, 0), ifNull(s_out, 0))), s_cand) AS cands, \
                     groupArrayIf(SpanId, s_kind = 'llm' AND NOT s_usage AND s_rep IS NULL AND NOT s_failed) AS t_bare, \
                     groupArray(SpanId) AS t_ids, groupArray(ParentSpanId) AS t_pids \
              FROM (SELECT {cols} FROM {table} {where_}) \
              GROUP BY TraceId HAVING {having} \
             ) \
            ) {array_join} ARRAY JOIN {emissions} AS e \
           ) GROUP BY bk, grp, sig, unpriceable \
          ) GROUP BY bk, grp HAVING traces > 0 \
         ) ORDER BY bk, grp",
        below = below_candidates_sql(),
        above = above_candidates_sql(),
        lat = percentiles_sql("lat", &wanted.latency),
        llm = percentiles_sql("llm", &wanted.llm),
        ttft = percentiles_sql("ttft", &wanted.ttft),
        cols = span_columns(),
        where_ = where_sql(&w),
        having = having.join(" AND "),
    )
}

/// The figures of the traces matching `filter`, per (bucket start ns, group), like
/// [`crate::store::Store::bucket_figures`]. Judge figures stay empty: verdicts are local.
pub fn bucket_figures(
    client: &Client,
    filter: &TraceFilter,
    buckets: Buckets,
    group: Option<GroupBy>,
    wanted: &WantedPercentiles,
) -> Result<BTreeMap<(i64, String), BucketFigures>, RemoteError> {
    let table = match &client.source().schema {
        super::Schema::Otel { table } => table.clone(),
        super::Schema::Langfuse => {
            return Err(RemoteError::Unsupported(
                "stats and check --source read the OpenTelemetry exporter's otel_traces table; \
                 pull a Langfuse slice with `trawl import` and run them on the store"
                    .into(),
            ));
        }
    };
    let conds = conditions(filter)?;
    let sql = figures_sql(&table, filter, &conds, buckets, group, wanted);
    let book = PriceBook::active();
    let mut out = BTreeMap::new();
    for row in client.rows(&sql)? {
        let key = (
            row.get("bk").and_then(as_i64).unwrap_or(0),
            row.get("grp")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        );
        let int = |k: &str| row.get(k).and_then(as_i64).unwrap_or(0);
        let mut f = BucketFigures {
            traces: int("traces"),
            errors: int("errors"),
            // Every exported span has an end: the calls are those with a duration.
            llm_calls: int("llm_n"),
            input_tokens: int("input_tokens"),
            output_tokens: int("output_tokens"),
            latency: ranked(&row, "lat", &wanted.latency),
            llm: ranked(&row, "llm", &wanted.llm),
            ttft: ranked(&row, "ttft", &wanted.ttft),
            ..Default::default()
        };
        if let Some(costs) = row.get("costs").and_then(Value::as_array) {
            for c in costs {
                add_cost(book, &items(c), &mut f);
            }
        }
        out.insert(key, f);
    }
    Ok(out)
}

fn ranked(row: &Value, name: &str, ps: &[u32]) -> Ranked {
    let n = row.get(format!("{name}_n")).and_then(as_i64).unwrap_or(0);
    let values = row
        .get(format!("{name}_p"))
        .and_then(Value::as_array)
        .map(|vals| {
            ps.iter()
                .zip(vals)
                .filter_map(|(p, v)| as_i64(v).map(|v| (*p, v)))
                .collect()
        })
        .unwrap_or_default();
    Ranked { n, values }
}

/// A tuple as JSON: an array, or an object when ClickHouse names its elements.
fn items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Object(m) => m.values().cloned().collect(),
        _ => Vec::new(),
    }
}

/// One (models used, unpriceable) group of traces: its cost priced here.
fn add_cost(book: &PriceBook, c: &[Value], f: &mut BucketFigures) {
    let [_sig, unpriceable, n, rep, usage] = c else {
        return;
    };
    let n = as_i64(n).unwrap_or(0);
    let mut known = as_f64(rep).unwrap_or(0.0);
    let mut all_priced =
        !matches!(unpriceable, Value::Bool(true)) && as_i64(unpriceable).unwrap_or(0) == 0;
    let cols = items(usage);
    let col = |i: usize| -> Vec<Value> { cols.get(i).map(items).unwrap_or_default() };
    let (keys, input, output, cr, cw, rs) = (col(0), col(1), col(2), col(3), col(4), col(5));
    for (i, key) in keys.iter().enumerate() {
        let key = key.as_str().unwrap_or_default();
        let mut parts = key.split('\t');
        let (model, request, provider) = (
            parts.next().unwrap_or_default(),
            parts.next().unwrap_or_default(),
            parts.next().filter(|p| !p.is_empty()),
        );
        let band: i64 = parts.next().and_then(|b| b.parse().ok()).unwrap_or(0);
        let get = |v: &Vec<Value>| v.get(i).and_then(as_i64).unwrap_or(0);
        let usage = Usage {
            input: Some(get(&input)),
            output: Some(get(&output)),
            cache_read: Some(get(&cr)),
            cache_write: Some(get(&cw)),
            reasoning: Some(get(&rs)),
            ..Default::default()
        };
        let cost = [model, request]
            .into_iter()
            .filter(|m| !m.is_empty())
            .find_map(|m| book.lookup(m, provider))
            .and_then(|m| {
                // The tier of the band's calls, whatever the size of their sum: a call just
                // above a threshold is priced at that tier, and the band ends below the next.
                let mut price = m.price.clone();
                let tier = price.tiers.iter().find(|t| t.above <= band).cloned();
                price.tiers = tier
                    .map(|t| {
                        vec![crate::pricing::Tier {
                            above: i64::MIN,
                            ..t
                        }]
                    })
                    .unwrap_or_default();
                price.cost(&usage)
            });
        match cost {
            Some((i, o)) => known += i + o,
            None => all_priced = false,
        }
    }
    f.cost_known += known;
    if all_priced {
        f.cost_full_n += n;
        f.cost_full_sum += known;
    } else {
        f.unknown_cost_traces += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_names_every_wanted_percentile() {
        let f = TraceFilter::default();
        let conds = conditions(&f).unwrap_or_else(|e| panic!("{e}"));
        let sql = figures_sql(
            "otel_traces",
            &f,
            &conds,
            Buckets::Whole,
            Some(GroupBy::Model),
            &WantedPercentiles {
                latency: vec![50, 99],
                llm: vec![],
                ttft: vec![90],
            },
        );
        assert!(sql.contains("intDiv(99 * length(lat) + 99, 100)"));
        assert!(sql.contains("intDiv(90 * length(ttft) + 99, 100)"));
        assert!(sql.contains("ARRAY JOIN"));
    }
}
