#!/usr/bin/env python3
"""Summarizes `perf script` output (call graphs) for one process.

usage: perf script -i perf.data --pid PID | bench/tools/perf_summary.py [--top N]

Prints, as percentages of that process's samples: the top functions by self time, the top
functions by inclusive time (any frame of the stack), and the share of each thread name.
Frames of the same function appearing twice in one stack are counted once.
"""
import argparse
import collections
import re
import sys


def short(sym):
    # Drop argument lists and template arguments so one function is one row.
    sym = re.sub(r"\(.*", "", sym)
    depth, out = 0, []
    for ch in sym:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out).strip() or sym


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--match", default="", help="regex: only inclusive rows that match")
    args = ap.parse_args()
    self_count = collections.Counter()
    incl_count = collections.Counter()
    threads = collections.Counter()
    total = 0
    stack, comm = [], None

    def flush():
        nonlocal total
        if comm is None:
            return
        total += 1
        threads[comm] += 1
        if stack:
            self_count[stack[0]] += 1
            for f in set(stack):
                incl_count[f] += 1

    for line in sys.stdin:
        if not line.strip():
            flush()
            stack, comm = [], None
            continue
        if not line.startswith((" ", "\t")):
            m = re.match(r"^(.*?)\s+-?\d+(/-?\d+)?\s", line.strip())
            comm = (m.group(1) if m else line.split()[0]) or "?"
            continue
        parts = line.strip().split(None, 1)
        if len(parts) == 2:
            sym = re.sub(r"\s+\(\S+\)$", "", parts[1])
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            stack.append(short(sym))
    flush()
    if total == 0:
        print("no samples")
        return
    pct = lambda n: f"{100.0 * n / total:5.1f}%"
    print(f"{total} samples")
    print("\n## threads")
    for name, n in threads.most_common(12):
        print(f"{pct(n)}  {name}")
    print("\n## self")
    for name, n in self_count.most_common(args.top):
        print(f"{pct(n)}  {name}")
    print("\n## inclusive")
    rx = re.compile(args.match) if args.match else None
    shown = 0
    for name, n in incl_count.most_common():
        if rx and not rx.search(name):
            continue
        print(f"{pct(n)}  {name}")
        shown += 1
        if shown >= args.top:
            break


if __name__ == "__main__":
    main()
