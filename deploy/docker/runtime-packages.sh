#!/usr/bin/env bash
# Prints the Debian packages that provide the shared libraries the given binaries load, one
# a line. The image's build stage runs it so that the runtime stage installs exactly the
# libraries the binaries need, and the list follows new dependencies by itself.
#   usage: runtime-packages.sh BINARY...
set -euo pipefail

for bin in "$@"; do
  # Lines look like "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)".
  ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
done | sort -u | while read -r lib; do
  real="$(readlink -f "$lib")"
  # With merged /usr, dpkg may know a file under /lib or /usr/lib only: try the variants.
  found=""
  for path in "$lib" "$real" "${lib#/usr}" "${real#/usr}" "/usr$lib" "/usr$real"; do
    if pkg="$(dpkg-query -S "$path" 2>/dev/null)"; then
      found="${pkg%%:*}"
      break
    fi
  done
  if [ -z "$found" ]; then
    # A library no package provides would be missing from the runtime image.
    echo "runtime-packages: no Debian package provides $lib" >&2
    exit 1
  fi
  echo "$found"
done | sort -u
