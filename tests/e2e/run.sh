#!/usr/bin/env bash
# `npm run test:js`: the JS package's browser tests (demo E2E, JS API
# conformance, Vite smoke), in headless Chromium. Builds pkg/ first when it is
# missing or older than the Rust sources.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
# node_modules/.bin first for binaryen's wasm-opt (see scripts/start.sh).
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [[ ! -d node_modules/playwright-core || ! -d node_modules/vite || ! -d node_modules/binaryen ]]; then
  echo "test:js: node_modules is incomplete; run npm install (or bash scripts/setup.sh test) first" >&2
  exit 1
fi

wasm=pkg/web_sse_bg.wasm
if [[ ! -f "$wasm" || ! -f pkg/web_sse.js ]] ||
  [[ -n "$(find src Cargo.toml Cargo.lock -newer "$wasm" -print -quit)" ]]; then
  wasm-pack build --target web --release --out-dir pkg
fi
echo "test:js: $wasm is $(wc -c <"$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped"

# One file at a time: the demo and API tests share port 18080.
exec node --test --test-concurrency=1 --test-timeout=120000 \
  tests/e2e/demo.test.mjs tests/e2e/js-api.test.mjs tests/e2e/vite.test.mjs
