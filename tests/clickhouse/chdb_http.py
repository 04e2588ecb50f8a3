#!/usr/bin/env python3
"""A stand-in for ClickHouse's HTTP interface, backed by the real engine (chDB).

trawl's ClickHouse tests talk HTTP to this script exactly as they would to a server on port
8123: the SQL comes in the `query` URL parameter and/or the request body (GET or POST), the
output format is the `FORMAT` clause of the SQL (or `default_format`, else TabSeparated), the
user comes as basic auth, `X-ClickHouse-User`/`X-ClickHouse-Key` headers or `user`/`password`
parameters, and errors come back like ClickHouse's: an HTTP error status, the
`X-ClickHouse-Exception-Code` header and a body `Code: N. DB::Exception: …`.

Each request runs in one chDB session (the engine embedded in the `chdb-core` wheel), whose
tables are created with the OpenTelemetry Collector ClickHouse exporter's DDL (`otel_traces`,
`otel_traces_trace_id_ts` and its materialised view) and Langfuse v3's migration DDL
(`traces`, `observations`, `scores`). A loader fills them from OTLP/JSON lines files the way
the exporter would: every attribute value flattened to a string (`AsString()`), status and kind
as names, duration in ns.

Usage (the tests start it; it serves until its standard input closes):
    chdb_http.py --user trawl --password secret \
        --otlp otel=FILE.jsonl [--otlp otel_legacy=FILE:legacy] [--langfuse langfuse=FILE.jsonl]
Prints `LISTENING <port>` on stdout once ready (the port is chosen by the OS on 127.0.0.1).
"""

import argparse
import base64
import json
import os
import re
import sys
import tempfile
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    from chdb import session as chdb_session
except ImportError as e:  # the Rust side turns this exit code into a loud skip
    print(f"chdb not importable: {e}", file=sys.stderr)
    sys.exit(3)

# The exporter's DDL (exporter/clickhouseexporter/internal/sqltemplates/traces_table.sql and
# traces_id_ts*.sql), without the TTL clause: the fixtures are older than any TTL.
OTEL_DDL = [
    """CREATE TABLE IF NOT EXISTS {db}.otel_traces (
    Timestamp DateTime64(9) CODEC(Delta, ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity=8192, ttl_only_drop_parts = 1""",
    """CREATE TABLE IF NOT EXISTS {db}.otel_traces_trace_id_ts (
    TraceId String CODEC(ZSTD(1)),
    Start DateTime CODEC(Delta, ZSTD(1)),
    End DateTime CODEC(Delta, ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = MergeTree()
PARTITION BY toDate(Start)
ORDER BY (TraceId, Start)
SETTINGS index_granularity=8192""",
    """CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.otel_traces_trace_id_ts_mv
TO {db}.otel_traces_trace_id_ts
AS SELECT
    TraceId,
    min(Timestamp) as Start,
    max(Timestamp) as End
FROM {db}.otel_traces
WHERE TraceId != ''
GROUP BY TraceId""",
]

# Langfuse v3's ClickHouse migrations (packages/shared/clickhouse/migrations/unclustered:
# 0001_traces, 0002_observations, 0003_scores, plus the later added columns that trawl reads:
# usage_details / cost_details / provided_model_name / environment), unclustered variant.
LANGFUSE_DDL = [
    """CREATE TABLE IF NOT EXISTS {db}.traces (
    `id` String,
    `timestamp` DateTime64(3),
    `name` String,
    `user_id` Nullable(String),
    `metadata` Map(LowCardinality(String), String),
    `release` Nullable(String),
    `version` Nullable(String),
    `project_id` String,
    `environment` LowCardinality(String) DEFAULT 'default',
    `public` Bool,
    `bookmarked` Bool,
    `tags` Array(String),
    `input` Nullable(String) CODEC(ZSTD(3)),
    `output` Nullable(String) CODEC(ZSTD(3)),
    `session_id` Nullable(String),
    `created_at` DateTime64(3) DEFAULT now(),
    `updated_at` DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    INDEX idx_id id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_metadata_key mapKeys(metadata) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_metadata_value mapValues(metadata) TYPE bloom_filter(0.01) GRANULARITY 1
) ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(timestamp)
PRIMARY KEY (project_id, toDate(timestamp))
ORDER BY (project_id, toDate(timestamp), id)""",
    """CREATE TABLE IF NOT EXISTS {db}.observations (
    `id` String,
    `trace_id` String,
    `project_id` String,
    `environment` LowCardinality(String) DEFAULT 'default',
    `type` LowCardinality(String),
    `parent_observation_id` Nullable(String),
    `start_time` DateTime64(3),
    `end_time` Nullable(DateTime64(3)),
    `name` String,
    `metadata` Map(LowCardinality(String), String),
    `level` LowCardinality(String),
    `status_message` Nullable(String),
    `version` Nullable(String),
    `input` Nullable(String) CODEC(ZSTD(3)),
    `output` Nullable(String) CODEC(ZSTD(3)),
    `provided_model_name` Nullable(String),
    `internal_model_id` Nullable(String),
    `model_parameters` Nullable(String),
    `provided_usage_details` Map(LowCardinality(String), UInt64),
    `usage_details` Map(LowCardinality(String), UInt64),
    `provided_cost_details` Map(LowCardinality(String), Decimal64(12)),
    `cost_details` Map(LowCardinality(String), Decimal64(12)),
    `total_cost` Nullable(Decimal64(12)),
    `completion_start_time` Nullable(DateTime64(3)),
    `prompt_id` Nullable(String),
    `prompt_name` Nullable(String),
    `prompt_version` Nullable(UInt16),
    `created_at` DateTime64(3) DEFAULT now(),
    `updated_at` DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    INDEX idx_id id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_trace_id trace_id TYPE bloom_filter() GRANULARITY 1,
    INDEX idx_project_id project_id TYPE bloom_filter() GRANULARITY 1
) ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(start_time)
PRIMARY KEY (project_id, `type`, toDate(start_time))
ORDER BY (project_id, `type`, toDate(start_time), id)""",
    """CREATE TABLE IF NOT EXISTS {db}.scores (
    `id` String,
    `timestamp` DateTime64(3),
    `project_id` String,
    `environment` LowCardinality(String) DEFAULT 'default',
    `trace_id` String,
    `observation_id` Nullable(String),
    `name` String,
    `value` Float64,
    `source` String,
    `comment` Nullable(String) CODEC(ZSTD(1)),
    `author_user_id` Nullable(String),
    `config_id` Nullable(String),
    `data_type` String,
    `string_value` Nullable(String),
    `queue_id` Nullable(String),
    `created_at` DateTime64(3) DEFAULT now(),
    `updated_at` DateTime64(3) DEFAULT now(),
    event_ts DateTime64(3),
    is_deleted UInt8,
    INDEX idx_id id TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_project_trace_observation (project_id, trace_id, observation_id) TYPE bloom_filter(0.001) GRANULARITY 1
) ENGINE = ReplacingMergeTree(event_ts, is_deleted)
PARTITION BY toYYYYMM(timestamp)
PRIMARY KEY (project_id, toDate(timestamp), name)
ORDER BY (project_id, toDate(timestamp), name, id)""",
]


def go_float(f):
    """strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent."""
    import decimal

    if f != f:
        return "NaN"
    if f in (float("inf"), float("-inf")):
        return "+Inf" if f > 0 else "-Inf"
    r = format(decimal.Decimal(repr(float(f))), "f")
    if "." in r:
        r = r.rstrip("0").rstrip(".")
    return r


def raw_value(v):
    """An OTLP/JSON AnyValue as the plain value pcommon.Value.AsRaw() gives."""
    if not isinstance(v, dict) or not v:
        return None
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return bool(v["boolValue"])
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "bytesValue" in v:
        return v["bytesValue"]
    if "arrayValue" in v:
        return [raw_value(x) for x in (v["arrayValue"].get("values") or [])]
    if "kvlistValue" in v:
        return {kv["key"]: raw_value(kv.get("value")) for kv in (v["kvlistValue"].get("values") or [])}
    return None


def as_string(v):
    """pcommon.Value.AsString(): what the exporter stores in its Map(…, String) columns."""
    if not isinstance(v, dict) or not v:
        return ""
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return "true" if v["boolValue"] else "false"
    if "intValue" in v:
        return str(int(v["intValue"]))
    if "doubleValue" in v:
        return go_float(float(v["doubleValue"]))
    if "bytesValue" in v:
        return v["bytesValue"]  # already base64 in OTLP/JSON
    if "arrayValue" in v or "kvlistValue" in v:
        # Go's json.Marshal: compact, map keys sorted, <, > and & escaped.
        text = json.dumps(raw_value(v), separators=(",", ":"), ensure_ascii=False, sort_keys=True)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return ""


def attr_map(attrs):
    return {a["key"]: as_string(a.get("value")) for a in (attrs or [])}


KINDS = {0: "Unspecified", 1: "Internal", 2: "Server", 3: "Client", 4: "Producer", 5: "Consumer"}
STATUS = {0: "Unset", 1: "Ok", 2: "Error"}
LEGACY_STATUS = {0: "STATUS_CODE_UNSET", 1: "STATUS_CODE_OK", 2: "STATUS_CODE_ERROR"}
KIND_NAMES = {"SPAN_KIND_" + v.upper(): k for k, v in KINDS.items()}
STATUS_NAMES = {v: k for k, v in LEGACY_STATUS.items()}


def enum(v, names):
    if isinstance(v, str):
        return names.get(v, int(v) if v.isdigit() else 0)
    return int(v or 0)


def ns_to_ch(ns):
    """A DateTime64(9) literal for JSONEachRow: seconds with nine decimals."""
    ns = int(ns)
    return f"{ns // 1_000_000_000}.{ns % 1_000_000_000:09d}"


def otlp_rows(path, legacy_status=False):
    """Exporter rows from an OTLP/JSON lines file, one per span."""
    status_names = LEGACY_STATUS if legacy_status else STATUS
    with open(path, "rb") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            for rs in doc.get("resourceSpans") or []:
                res = attr_map((rs.get("resource") or {}).get("attributes"))
                service = res.get("service.name", "")
                for ss in rs.get("scopeSpans") or []:
                    scope = ss.get("scope") or {}
                    for sp in ss.get("spans") or []:
                        start = int(sp.get("startTimeUnixNano") or 0)
                        end = int(sp.get("endTimeUnixNano") or 0)
                        status = sp.get("status") or {}
                        events = sp.get("events") or []
                        links = sp.get("links") or []
                        yield {
                            "Timestamp": ns_to_ch(start),
                            "TraceId": sp.get("traceId", ""),
                            "SpanId": sp.get("spanId", ""),
                            "ParentSpanId": sp.get("parentSpanId", ""),
                            "TraceState": sp.get("traceState", ""),
                            "SpanName": sp.get("name", ""),
                            "SpanKind": KINDS.get(enum(sp.get("kind"), KIND_NAMES), "Unspecified"),
                            "ServiceName": service,
                            "ResourceAttributes": res,
                            "ScopeName": scope.get("name", ""),
                            "ScopeVersion": scope.get("version", ""),
                            "SpanAttributes": attr_map(sp.get("attributes")),
                            "Duration": max(0, end - start),
                            "StatusCode": status_names[enum(status.get("code"), STATUS_NAMES) % 3],
                            "StatusMessage": status.get("message", ""),
                            "Events.Timestamp": [ns_to_ch(e.get("timeUnixNano") or 0) for e in events],
                            "Events.Name": [e.get("name", "") for e in events],
                            "Events.Attributes": [attr_map(e.get("attributes")) for e in events],
                            "Links.TraceId": [ln.get("traceId", "") for ln in links],
                            "Links.SpanId": [ln.get("spanId", "") for ln in links],
                            "Links.TraceState": [ln.get("traceState", "") for ln in links],
                            "Links.Attributes": [attr_map(ln.get("attributes")) for ln in links],
                        }


class Engine:
    """One chDB session shared by every request (chDB runs one query at a time)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="trawl-chdb-")
        self.sess = chdb_session.Session(self.dir)
        self.lock = threading.Lock()

    def query(self, sql, fmt="TabSeparated", database=None):
        with self.lock:
            if database:
                # The session keeps its current database; every request names its own, as
                # the server's `database` parameter does.
                self.sess.query(f"USE {database}")
            else:
                self.sess.query("USE default")
            return self.sess.query(sql, fmt).bytes()

    def insert_rows(self, table, rows, batch=2000):
        buf = []
        for r in rows:
            buf.append(json.dumps(r, ensure_ascii=False))
            if len(buf) >= batch:
                self._insert(table, buf)
                buf = []
        if buf:
            self._insert(table, buf)

    def _insert(self, table, lines):
        self.query(f"INSERT INTO {table} FORMAT JSONEachRow\n" + "\n".join(lines))


def create_otel(engine, db, files, legacy=False):
    engine.query(f"CREATE DATABASE IF NOT EXISTS {db}")
    for ddl in OTEL_DDL:
        engine.query(ddl.format(db=db))
    for path in files:
        engine.insert_rows(f"{db}.otel_traces", otlp_rows(path, legacy))


def create_langfuse(engine, db, files):
    """Langfuse tables filled from JSON lines of {"table": NAME, "row": {…}} records."""
    engine.query(f"CREATE DATABASE IF NOT EXISTS {db}")
    for ddl in LANGFUSE_DDL:
        engine.query(ddl.format(db=db))
    for path in files:
        by_table = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rec = json.loads(line)
                    by_table.setdefault(rec["table"], []).append(rec["row"])
        for table, rows in by_table.items():
            engine.insert_rows(f"{db}.{table}", rows)


ERROR_NAME = re.compile(r"\(([A-Z_]+)\)\s*$")
CODE = re.compile(r"Code:\s*(\d+)")
FORMAT_CLAUSE = re.compile(r"\bFORMAT\s+(\w+)\s*;?\s*$", re.IGNORECASE)


def make_handler(engine, user, password):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: the tests read stdout for the port only
            pass

        def _send(self, status, body, headers=None):
            self.send_response(status)
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _error(self, status, code, name, message):
            body = f"Code: {code}. DB::Exception: {message}. ({name}) (version 26.9.2.1 (chdb))\n"
            self._send(status, body.encode(), {"X-ClickHouse-Exception-Code": str(code),
                                               "Content-Type": "text/plain; charset=UTF-8"})

        def _authorised(self, params):
            u = self.headers.get("X-ClickHouse-User")
            p = self.headers.get("X-ClickHouse-Key")
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                try:
                    u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
                except Exception:
                    return False
            if u is None and "user" in params:
                u, p = params["user"], params.get("password", "")
            if u is None:
                u, p = "default", ""
            return u == user and (p or "") == password

        def _handle(self, body):
            parsed = urllib.parse.urlparse(self.path)
            if parsed.path == "/ping":
                return self._send(200, b"Ok.\n")
            params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
            if not self._authorised(params):
                return self._error(401, 516, "AUTHENTICATION_FAILED",
                                   f"{params.get('user', 'default')}: Authentication failed: password is incorrect, or there is no user with such name")
            sql = params.get("query", "")
            if body:
                sql = (sql + "\n" + body.decode("utf-8", "replace")) if sql else body.decode("utf-8", "replace")
            if not sql.strip():
                return self._send(200, b"Ok.\n")
            fmt = params.get("default_format", "TabSeparated")
            m = FORMAT_CLAUSE.search(sql)
            if m:
                fmt = m.group(1)
                sql = sql[: m.start()]
            try:
                out = engine.query(sql, fmt, params.get("database"))
            except Exception as e:  # chDB raises with ClickHouse's own message
                text = str(e)
                code = int(CODE.search(text).group(1)) if CODE.search(text) else 1002
                name_m = ERROR_NAME.search(text)
                name = name_m.group(1) if name_m else "UNKNOWN_EXCEPTION"
                msg = re.sub(r"^Code:\s*\d+\.\s*DB::Exception:\s*", "", text)
                msg = ERROR_NAME.sub("", msg).strip().rstrip(".")
                status = 404 if code in (60, 81) else (400 if code in (47, 62, 46, 43, 386) else 500)
                return self._error(status, code, name, msg)
            ctype = "application/json; charset=UTF-8" if fmt.upper().startswith("JSON") else "text/plain; charset=UTF-8"
            self._send(200, out, {"Content-Type": ctype, "X-ClickHouse-Format": fmt})

        def do_GET(self):
            self._handle(b"")

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else b""
            self._handle(body)

    return Handler


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--user", default="default")
    ap.add_argument("--password", default="")
    ap.add_argument("--otlp", action="append", default=[],
                    help="DB=FILE[,FILE…][:legacy] — an otel_traces table filled from OTLP/JSON lines")
    ap.add_argument("--langfuse", action="append", default=[],
                    help="DB=FILE — Langfuse tables filled from {table,row} JSON lines")
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    engine = Engine()
    for spec in args.otlp:
        db, _, files = spec.partition("=")
        legacy = files.endswith(":legacy")
        if legacy:
            files = files[: -len(":legacy")]
        create_otel(engine, db, [f for f in files.split(",") if f], legacy)
    for spec in args.langfuse:
        db, _, files = spec.partition("=")
        create_langfuse(engine, db, [f for f in files.split(",") if f])

    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(engine, args.user, args.password))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"LISTENING {server.server_address[1]}", flush=True)
    # Serve until the parent goes away (its end of our stdin closes).
    try:
        while sys.stdin.buffer.read(1 << 16):
            pass
    except KeyboardInterrupt:
        pass
    server.shutdown()
    os._exit(0)


if __name__ == "__main__":
    main()
