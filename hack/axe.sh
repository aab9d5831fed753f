#!/usr/bin/env bash
# Installs axe-core (npm) for the browser accessibility tests into a cache
# directory keyed by version, once, and prints the path of axe.min.js:
#
#   AXE_JS="$(hack/axe.sh)" go test ./test/browser/
#
# AXE_VERSION overrides the pinned version.
set -euo pipefail
version="${AXE_VERSION:-4.14.1}"
dir="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/axe/${version}"
js="${dir}/node_modules/axe-core/axe.min.js"
if [ ! -s "$js" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "axe.sh: npm not found; install it (Debian: apt-get install -y npm)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  # A private prefix keeps the project tree free of node_modules; npm's
  # output goes to stderr so stdout is only the path.
  npm install --prefix "$dir" --no-audit --no-fund --no-package-lock --loglevel=error "axe-core@${version}" >&2
  [ -s "$js" ] || { echo "axe.sh: ${js} missing after npm install" >&2; exit 1; }
fi
echo "$js"
