#!/usr/bin/env bash
# Installs, builds, then runs weft the way a newcomer first meets it: `weft-server --dev`
# (embedded RocksDB under ./weft-data, namespace `default`), the samples worker, and one
# sample workflow (Greeting) whose result is printed. Server and worker keep running until
# Ctrl-C, so you can go on with the CLI (./build/cli/weft ...). With --once it stops after
# the sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh

ONCE=0
[ "${1:-}" = "--once" ] && ONCE=1
GRPC="${WEFT_GRPC_ADDRESS:-127.0.0.1:7233}"
HTTP="${WEFT_HTTP_ADDRESS:-127.0.0.1:7234}"
LOGS=$(mktemp -d)

cleanup() {
  [ -n "${WORKER_PID:-}" ] && kill -TERM "$WORKER_PID" 2>/dev/null && wait "$WORKER_PID" 2>/dev/null
  [ -n "${SERVER_PID:-}" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  true
}
trap cleanup EXIT INT TERM

# Waits until FILE has a line matching PATTERN, or fails after SECS seconds.
wait_for_line() {
  local file=$1 pattern=$2 secs=$3 pid=$4
  for _ in $(seq $((secs * 10))); do
    grep -q "$pattern" "$file" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$file" "$file.err" >&2; return 1; }
    sleep 0.1
  done
  echo "timed out waiting for '$pattern' in $file" >&2
  return 1
}

./build/server/app/weft-server --dev --data-dir ./weft-data --grpc-address "$GRPC" \
  --http-address "$HTTP" --log-format text >"$LOGS/server" 2>"$LOGS/server.err" &
SERVER_PID=$!
wait_for_line "$LOGS/server" "weft-server ready" 30 "$SERVER_PID"
cat "$LOGS/server"

WEFT_LOG_FORMAT=text ./build/samples/weft-samples-worker --address "$GRPC" >"$LOGS/worker" 2>"$LOGS/worker.err" &
WORKER_PID=$!
wait_for_line "$LOGS/worker" "weft-samples-worker ready" 30 "$WORKER_PID"
cat "$LOGS/worker"

WEFT="./build/cli/weft --address $GRPC"
ID="greeting-$(date +%s)"
$WEFT workflow start --task-queue samples --type Greeting --workflow-id "$ID" --input '"World"'
echo -n "result: "
$WEFT workflow result --workflow-id "$ID" --timeout 30s

if [ "$ONCE" = 1 ]; then exit 0; fi
cat <<MSG

weft is running: gRPC $GRPC, metrics http://$HTTP/metrics. Logs in $LOGS.
Try:  ./build/cli/weft --address $GRPC workflow start --task-queue samples --type Sleep --input 2
      ./build/cli/weft --address $GRPC workflow list
Ctrl-C stops the server and the worker (data stays in ./weft-data).
MSG
wait "$SERVER_PID"
