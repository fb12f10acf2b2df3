#!/usr/bin/env bash
# Serves the built page (www/dist, made by `make web`) on this machine only.
set -euo pipefail
cd "$(dirname "$0")/.."

port="${PORT:-8080}"
if [ ! -f www/dist/index.html ]; then
  echo "serve: www/dist is missing; run 'make web' first" >&2
  exit 1
fi
echo "serve: open http://127.0.0.1:$port/ (Ctrl-C stops)"
# Python's server sends .wasm as application/wasm and .js as text/javascript.
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory www/dist
