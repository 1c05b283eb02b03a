#!/usr/bin/env bash
# Installs what weft needs (Debian 12 packages), then configures and builds everything with
# Ninja into ./build. Incremental: a second run only rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}"
if [ ! -f build/build.ninja ]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
fi
# Two cores here: more jobs only thrash memory on gRPC-heavy translation units.
ninja -C build -j "${JOBS:-2}"
