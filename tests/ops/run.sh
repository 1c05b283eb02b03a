#!/usr/bin/env bash
# Runs one of the Python operations tests in this folder: run.sh TEST.py ARGS...
# Makes sure python3 and PyYAML are there first (installing them when running as root);
# exits 77, which ctest reports as skipped, when they are missing and cannot be installed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
dpkg-query -W -f='${Status}' python3-yaml 2>/dev/null | grep -q "install ok installed" || need+=(python3-yaml)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "SKIP: missing Debian packages ${need[*]} (sudo apt-get install --no-install-recommends ${need[*]})"
    exit 77
  fi
  echo "installing missing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! { flock /tmp/weft-ops-apt.lock apt-get update -qq &&
         flock /tmp/weft-ops-apt.lock apt-get install -y -qq --no-install-recommends "${need[@]}"; }; then
    echo "SKIP: could not install ${need[*]}"
    exit 77
  fi
fi
# No __pycache__ in the source tree.
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/$1" "${@:2}"
