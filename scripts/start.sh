#!/usr/bin/env bash
# `npm start`: builds the npm package into pkg/ and serves the live demo
# (www/) with its SSE endpoints at http://127.0.0.1:8080/ (PORT overrides).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# node_modules/.bin first: wasm-pack runs the first wasm-opt on PATH, and
# Debian's binaryen (108) cannot read what current rustc and wasm-bindgen
# emit (table.fill); the binaryen npm package's wasm-opt can.
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [[ -f scripts/setup.sh ]]; then
  bash scripts/setup.sh build
else
  echo "start: scripts/setup.sh is missing; assuming wasm-pack, wasm-opt and node_modules are installed"
fi

wasm-pack build --target web --release --out-dir pkg
wasm=pkg/web_sse_bg.wasm
echo "start: $wasm is $(wc -c <"$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped"

port="${PORT:-8080}"
echo "start: open http://127.0.0.1:$port/"
exec node www/server.mjs --port "$port"
