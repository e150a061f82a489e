#!/usr/bin/env bash
# `npm run test:js`: the JS package's tests in headless Chromium: the demo, the
# JS API conformance (imported and installed as the global), the facade against
# native, the leak test, the types, a Vite app; and the package in plain Node.
# Builds pkg/ first when it is missing or older than its sources.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [[ ! -d node_modules/playwright-core || ! -d node_modules/vite || ! -d node_modules/binaryen || ! -d node_modules/typescript ]]; then
  echo "test:js: node_modules is incomplete; run npm install (or bash scripts/setup.sh test) first" >&2
  exit 1
fi

wasm=pkg/web_sse_bg.wasm
if [[ ! -f "$wasm" || ! -f pkg/index.js ]] ||
  [[ -n "$(find src js Cargo.toml Cargo.lock scripts/build.sh scripts/package-json.mjs -newer "$wasm" -print -quit)" ]]; then
  WEB_SSE_SKIP_SETUP=1 bash scripts/build.sh
fi
echo "test:js: $wasm is $(wc -c <"$wasm") bytes, $(gzip -9 <"$wasm" | wc -c) gzipped"

# One file at a time: the page tests share port 18080.
exec node --test --test-concurrency=1 --test-timeout=180000 \
  tests/e2e/demo.test.mjs tests/e2e/js-api.test.mjs tests/e2e/facade.test.mjs \
  tests/e2e/fetch.test.mjs tests/e2e/fetch-request.test.mjs tests/e2e/from-stream.test.mjs tests/e2e/leak.test.mjs tests/e2e/types.test.mjs tests/e2e/vite.test.mjs \
  tests/e2e/shared.test.mjs tests/e2e/reconnect.test.mjs tests/e2e/native-driver.test.mjs tests/e2e/ends.test.mjs tests/e2e/lifecycle.test.mjs tests/e2e/node.test.mjs
