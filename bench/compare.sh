#!/usr/bin/env bash
# Runs weft and the peer engines (../shared/peers: Restate, DBOS) on the same closed-loop
# shapes in one run, and prints one table with the ratios weft/peer.
#
# usage: bench/compare.sh            (from the repository root, after building weft-server
#                                     and weft-bench)
#   env: COUNT=3000        workflows per loaded run (a quick run: COUNT=500)
#        WARMUP=200        unmeasured workflows before each loaded run
#        STEPS="1 3"       activities (peers: steps) per workflow
#        CONCS="16 64"     workflows in flight
#        UNLOADED=1        also one-at-a-time runs (300 workflows, concurrency 1)
#        PEERS="restate restate4 dbos"   which peers; restate4 = Restate with 4 partitions;
#                          "" runs weft alone
#        SHARDS=16         weft --num-shards
#        BUILD=build       build directory
#        PEERS_DIR=/work/shared/peers
#        OUT=...           where results and logs go (default: a new temp directory)
#
# weft runs first (its own server, started fresh with --dev on a temp data directory,
# loopback, free ports, durability sync), then each peer through its own bench.sh (which
# installs its dependencies, starts its servers on 127.0.0.1 and stops them). Every wait is
# bounded, every run has a timeout, and the trap stops the weft server on any exit.
set -euo pipefail

COUNT=${COUNT:-3000}
WARMUP=${WARMUP:-200}
STEPS=${STEPS:-"1 3"}
CONCS=${CONCS:-"16 64"}
UNLOADED=${UNLOADED:-1}
PEERS=${PEERS-"restate restate4 dbos"}
SHARDS=${SHARDS:-16}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
PEERS_DIR=${PEERS_DIR:-/work/shared/peers}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/weft-compare-XXXXXX")}
mkdir -p "$OUT"
SERVER=$BUILD/server/app/weft-server
BENCH=$BUILD/bench/weft-bench
for bin in "$SERVER" "$BENCH"; do
  if [ ! -x "$bin" ]; then
    echo "compare.sh: $bin is missing; build it first:" >&2
    echo "  flock /tmp/weft-build.lock ninja -C build -j2 weft-server weft-bench" >&2
    exit 2
  fi
done

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

echo "compare.sh: COUNT=$COUNT WARMUP=$WARMUP STEPS='$STEPS' CONCS='$CONCS' SHARDS=$SHARDS PEERS='$PEERS'"
echo "compare.sh: results and logs in $OUT"
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- weft ----
rm -rf "$OUT/weft-data"
"$SERVER" --dev --data-dir "$OUT/weft-data" --num-shards "$SHARDS" \
  --grpc-address 127.0.0.1:0 --http-address 127.0.0.1:0 >"$OUT/weft-server.log" 2>&1 &
SERVER_PID=$!
READY=""
for _ in $(seq 1 200); do
  READY=$(grep -m1 '^weft-server ready' "$OUT/weft-server.log" || true)
  [ -n "$READY" ] && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$READY" ]; then
  echo "compare.sh: weft-server did not start:" >&2
  cat "$OUT/weft-server.log" >&2
  exit 1
fi
GRPC=$(sed -n 's/.*grpc=\([^ ]*\).*/\1/p' <<<"$READY")
HTTP=$(sed -n 's/.*http=\([^ ]*\).*/\1/p' <<<"$READY")
echo "weft-server pid $SERVER_PID grpc=$GRPC http=$HTTP"

WEFT_RESULTS=$OUT/weft.jsonl
: >"$WEFT_RESULTS"
weft_run() {  # weft_run LABEL ARGS...
  local label=$1
  shift
  local line
  line=$(timeout 600 "$BENCH" --address "$GRPC" --json --server-pid "$SERVER_PID" "$@" \
    2>>"$OUT/weft-bench.log" | tail -1) || true
  if [ -z "$line" ]; then
    echo "compare.sh: weft-bench $* failed; see $OUT/weft-bench.log" >&2
    return 0
  fi
  echo "{\"label\":\"$label\",${line#\{}" | tee -a "$WEFT_RESULTS"
}
if [ "$UNLOADED" = 1 ]; then
  for s in 0 $STEPS; do
    weft_run "unloaded steps=$s" --workflows 300 --concurrency 1 --activities "$s" --warmup 30
  done
fi
for s in $STEPS; do
  for c in $CONCS; do
    weft_run "steps=$s conc=$c" --workflows "$COUNT" --concurrency "$c" --activities "$s" \
      --warmup "$WARMUP"
  done
done
curl -sf "http://$HTTP/metrics" >"$OUT/weft-metrics.txt" || true
ps -o pid,rss,cputime,args -p "$SERVER_PID" | cut -c1-100 || true
stop_server

# ---- peers ----
peer_run() {  # peer_run NAME SCRIPT [ENV...]: stdout JSON lines go to $OUT/NAME.jsonl
  local name=$1 script=$2
  shift 2
  echo "---- $name ----"
  if ! env "$@" timeout 3600 bash "$PEERS_DIR/$script" "$COUNT" wf "$STEPS" "$CONCS" \
    >"$OUT/$name.log" 2>&1; then
    echo "compare.sh: $name failed; last lines of $OUT/$name.log:" >&2
    tail -5 "$OUT/$name.log" >&2
  fi
  grep '^{"label"' "$OUT/$name.log" >"$OUT/$name.jsonl" || true
  cat "$OUT/$name.jsonl"
}
for p in $PEERS; do
  case $p in
    restate) peer_run restate restate/bench.sh UNLOADED="$UNLOADED" ;;
    restate4)
      peer_run restate4 restate/bench.sh UNLOADED=0 SERVER_ARGS="--default-num-partitions 4"
      ;;
    dbos) peer_run dbos dbos/bench.sh ;;
    *) echo "compare.sh: unknown peer $p (restate, restate4, dbos)" >&2 ;;
  esac
done

# ---- table ----
python3 - "$OUT" $PEERS <<'EOF'
import json, os, sys

out, peers = sys.argv[1], sys.argv[2:]
names = {"weft": "weft", "restate": "Restate (24 partitions)",
         "restate4": "Restate (4 partitions)", "dbos": "DBOS + PostgreSQL"}

def load(name):
    rows = {}
    path = os.path.join(out, name + ".jsonl")
    if not os.path.exists(path):
        return rows
    for line in open(path):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if name == "weft":
            steps, conc = r["activities"], r["concurrency"]
            rate, cores = r["workflows_per_s"], r.get("server_cpu_cores")
        else:
            if r.get("target", "wf") != "wf":
                continue
            steps, conc = r["steps"], r["concurrency"]
            rate = r["throughput_per_s"]
            used = r.get("cpu_cores_used", {})
            cores = round(sum(v for k, v in used.items() if k != "loadgen"), 2)
        rows[(steps, conc)] = dict(rate=rate, p50=r["p50_ms"], p99=r["p99_ms"], ok=r["ok"],
                                   errors=r["errors"], cores=cores)
    return rows

weft = load("weft")
others = {p: load(p) for p in peers}
shapes = sorted(set(weft) | {k for rows in others.values() for k in rows},
                key=lambda k: (k[1] != 1, k[0], k[1]))
print()
print("| engine | shape | ok/err | workflows/s | p50 ms | p99 ms | engine CPU cores | weft/peer workflows/s |")
print("|---|---|---|---|---|---|---|---|")
def fmt(x):
    return "-" if x is None else f"{x:g}"
for shape in shapes:
    steps, conc = shape
    label = f"{steps} step{'s' if steps != 1 else ''}, " + ("unloaded" if conc == 1 else f"{conc} in flight")
    w = weft.get(shape)
    if w:
        print(f"| weft | {label} | {w['ok']}/{w['errors']} | {w['rate']:g} | {w['p50']:g} | {w['p99']:g} | {fmt(w['cores'])} | |")
    for p in peers:
        r = others[p].get(shape)
        if not r:
            continue
        ratio = f"{w['rate'] / r['rate']:.2f}x" if w and r["rate"] else "-"
        print(f"| {names.get(p, p)} | {label} | {r['ok']}/{r['errors']} | {r['rate']:g} | {r['p50']:g} | {r['p99']:g} | {fmt(r['cores'])} | {ratio} |")
EOF
echo
echo "compare.sh: raw results in $OUT/*.jsonl; weft /metrics after its runs in $OUT/weft-metrics.txt"
