#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 10) each, starting from fuzz/seeds/<target> if
# there is one; exits non-zero when a target finds a crash (the input is kept in ARTIFACTS,
# default /tmp). The test suite
# runs it briefly (ctest -R fuzz_short); a long run: fuzz/run_fuzzers.sh build/fuzz 3600
set -euo pipefail
dir="${1:?usage: run_fuzzers.sh FUZZ_BUILD_DIR [SECONDS]}"
seconds="${2:-10}"
artifacts="${ARTIFACTS:-/tmp}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
seeds="$(cd "$(dirname "$0")" && pwd)/seeds"
for target in jwt_fuzz validation_fuzz replayer_fuzz query_fuzz; do
  mkdir -p "$work/$target"
  if [[ -d "$seeds/$target" ]]; then cp "$seeds/$target"/* "$work/$target"/; fi
  echo "fuzz: $target for ${seconds}s"
  if ! "$dir/$target" -max_total_time="$seconds" -max_len=4096 -timeout=5 -rss_limit_mb=1024 \
      -print_final_stats=1 -artifact_prefix="$artifacts/weft-$target-" "$work/$target"; then
    echo "fuzz: $target found a failure; the input is in $artifacts/weft-$target-*" >&2
    exit 1
  fi
done
