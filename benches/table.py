#!/usr/bin/env python3
"""Turns the criterion results of `cargo bench --bench parse` into the
Markdown table in docs/performance.md (median time; MB = 10^6 bytes)."""
import json
import math
import os
import sys

INPUT_SIZE = 1 << 20
# The repeated unit of each input in benches/parse.rs, and the events in it.
UNITS = {
    "small events": (len(b"data: 0123456789abcdefghij\n\n"), 1),
    "64 KiB lines": (6 + 64 * 1024 + 2, 1),
    "32 data lines": (32 * len(b"data: line 00 of the event\n") + 1, 1),
    "mixed CRLF": (len(b'event: update\r\nid: 12345\ndata: {"price": 101.25}\r\r\n'), 1),
}
PARSERS = ["web-sse", "web-sse owned", "eventsource-stream", "sse-codec", "memchr scan"]

root = os.path.join(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("CARGO_TARGET_DIR", "target"), "criterion")
print("| input | parser | median time | MB/s | events/s | time ÷ web-sse |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for group, (unit, per_unit) in UNITS.items():
    units = math.ceil(INPUT_SIZE / unit)
    size, events = units * unit, units * per_unit
    times = {}
    for parser in PARSERS:
        path = os.path.join(root, group, parser, "new", "estimates.json")
        with open(path) as f:
            times[parser] = json.load(f)["median"]["point_estimate"] / 1e9
    for parser in PARSERS:
        t = times[parser]
        per_second = events / t
        if parser == "memchr scan":
            rate = "—"
        elif per_second >= 1e6:
            rate = f"{per_second / 1e6:.2f} M"
        else:
            rate = f"{per_second / 1e3:.0f} k"
        ratio = f"{t / times['web-sse']:.2f}×"
        print(f"| {group} | {parser} | {t * 1e3:.3f} ms | {size / t / 1e6:,.0f} | {rate} | {ratio} |")
