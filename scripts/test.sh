#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: unit tests, integration tests (a real
# server in-process) and end-to-end tests (weft-server, weft-samples-worker and the weft CLI
# as separate processes on loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
cd build
ctest --output-on-failure -j "${JOBS:-2}" --timeout 600 "$@"
