#!/usr/bin/env python3
"""Generate the embedded price table (assets/prices/model_prices.json).

Reads LiteLLM's model price map (USD per single token) and keeps only what
trawl's pricing module reads, so the binary embeds a small file instead of the
full 1.3 MB map. The output is deterministic: same input -> same bytes.

Usage:
    python3 scripts/gen_prices.py [SOURCE_JSON] [OUTPUT_JSON]

Defaults: SOURCE_JSON = /work/shared/data/model_prices.json (or $TRAWL_PRICES_SOURCE),
OUTPUT_JSON = assets/prices/model_prices.json relative to the crate root.
"""

import hashlib
import json
import math
import os
import sys

# Modes that are billed per token for text in/out. Image, audio, video, OCR,
# search and moderation entries are priced per image/second/query instead.
KEEP_MODES = {"chat", "completion", "embedding", "responses", "rerank"}

# Fields src/pricing reads. Everything else (context windows, supports_*
# flags, batch/priority/flex prices, per-image prices) is dropped.
KEEP_FIELDS = (
    "litellm_provider",
    "mode",
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "output_cost_per_reasoning_token",
    "input_cost_per_token_above_200k_tokens",
    "output_cost_per_token_above_200k_tokens",
    "input_cost_per_token_above_128k_tokens",
    "output_cost_per_token_above_128k_tokens",
    "cache_read_input_token_cost_above_200k_tokens",
    "cache_creation_input_token_cost_above_200k_tokens",
)

PRICE_FIELDS = ("input_cost_per_token", "output_cost_per_token")


def is_number(v):
    # bool is an int subclass in Python; a price is never a boolean.
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def convert(source):
    out = {}
    for key, entry in source.items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        mode = entry.get("mode")
        if mode is not None and mode not in KEEP_MODES:
            continue
        if not any(is_number(entry.get(f)) for f in PRICE_FIELDS):
            continue
        kept = {}
        for field in KEEP_FIELDS:
            value = entry.get(field)
            if field in ("litellm_provider", "mode"):
                if isinstance(value, str):
                    kept[field] = value
            elif is_number(value):
                # Keep ints as floats so every price has one JSON type.
                kept[field] = float(value)
        out[key] = kept
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    crate = os.path.dirname(here)
    src = argv[1] if len(argv) > 1 else os.environ.get(
        "TRAWL_PRICES_SOURCE", "/work/shared/data/model_prices.json"
    )
    dst = argv[2] if len(argv) > 2 else os.path.join(crate, "assets", "prices", "model_prices.json")

    with open(src, "rb") as f:
        raw = f.read()
    source = json.loads(raw)
    table = convert(source)
    text = json.dumps(table, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    with open(dst, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
        f.write("\n")

    print(
        f"source {src} sha256={hashlib.sha256(raw).hexdigest()} "
        f"({len(source)} keys) -> {dst}: {len(table)} entries, {len(text) + 1} bytes",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
