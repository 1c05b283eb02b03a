#!/usr/bin/env python3
"""Summarizes the histograms of a weft-server /metrics dump.

usage: curl -s http://127.0.0.1:7234/metrics | bench/tools/metrics_summary.py
       bench/tools/metrics_summary.py BEFORE.txt AFTER.txt   (the difference: one run alone)

For every histogram series (weft_rpc_latency_seconds by method and code,
weft_commit_latency_seconds, weft_commit_batch_transitions) prints the count, the mean and
p50/p90/p99 estimated from the buckets (linear inside a bucket, as Prometheus does).
"""
import collections
import re
import sys

LINE = re.compile(r'^(\w+?)_(bucket|sum|count)(\{[^}]*\})?\s+(\S+)$')


def parse(text):
    series = collections.defaultdict(lambda: {"buckets": {}, "sum": 0.0, "count": 0.0})
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, kind, labels, value = m.group(1), m.group(2), m.group(3) or "", float(m.group(4))
        le = None
        if kind == "bucket":
            lm = re.search(r'le="([^"]+)"', labels)
            le = float("inf") if lm.group(1) == "+Inf" else float(lm.group(1))
            labels = re.sub(r',?le="[^"]+"', "", labels)
        labels = labels.replace("{,", "{").replace("{}", "")
        s = series[(name, labels)]
        if kind == "bucket":
            s["buckets"][le] = value
        else:
            s[kind] = value
    return {k: v for k, v in series.items() if v["buckets"]}


def quantile(buckets, q):
    items = sorted(buckets.items())
    total = items[-1][1] if items else 0
    if total <= 0:
        return 0.0
    rank, prev_le, prev_count = q * total, 0.0, 0.0
    for le, count in items:
        if count >= rank:
            if le == float("inf"):
                return prev_le
            span = count - prev_count
            return prev_le + (le - prev_le) * ((rank - prev_count) / span if span else 1)
        prev_le, prev_count = le, count
    return prev_le


def main():
    texts = [open(p).read() for p in sys.argv[1:]] or [sys.stdin.read()]
    after = parse(texts[-1])
    if len(texts) == 2:
        before = parse(texts[0])
        for key, s in after.items():
            b = before.get(key)
            if b:
                s["sum"] -= b["sum"]
                s["count"] -= b["count"]
                s["buckets"] = {le: c - b["buckets"].get(le, 0) for le, c in s["buckets"].items()}
    print(f"{'series':<75} {'count':>8} {'mean':>9} {'p50':>9} {'p90':>9} {'p99':>9}")
    for (name, labels), s in sorted(after.items()):
        if s["count"] <= 0:
            continue
        seconds = name.endswith("_seconds")
        scale, unit = (1000.0, "ms") if seconds else (1.0, "")
        cells = [s["sum"] / s["count"]] + [quantile(s["buckets"], q) for q in (0.5, 0.9, 0.99)]
        print(f"{name + labels:<75} {s['count']:>8.0f} " +
              " ".join(f"{c * scale:>7.2f}{unit:<2}" for c in cells))


if __name__ == "__main__":
    main()
