#!/usr/bin/env bash
# `npm start`: builds the npm package into pkg/ and serves the live demo
# (www/) with its SSE endpoints at http://127.0.0.1:8080/ (PORT overrides).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bash scripts/build.sh

port="${PORT:-8080}"
echo "start: open http://127.0.0.1:$port/"
exec node www/server.mjs --port "$port"
