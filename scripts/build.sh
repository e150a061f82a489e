#!/usr/bin/env bash
# `npm run build`: the npm package, alone, in pkg/: the hand-written modules
# (js/*.js, entry js/index.js, types js/index.d.ts), the wasm module built
# with the `js` feature and optimized by the npm binaryen's wasm-opt, its
# glue, and a package.json whose `exports` names the entry.
#
#   bash scripts/build.sh             # installs what the build needs first
#   WEB_SSE_SKIP_SETUP=1 bash ...     # when the caller has run setup already
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [[ -z "${WEB_SSE_SKIP_SETUP:-}" ]]; then
  bash scripts/setup.sh build
fi

# Built beside pkg/ and swapped in at the end, so that a page test running
# meanwhile never finds pkg/ half-written.
out=pkg.new
rm -rf "$out"
wasm-pack build --target web --release --out-dir "$out" --out-name web_sse -- --features js

# The npm binaryen, by path: Debian's wasm-opt (108), which may come first on
# PATH, cannot read what current rustc emits.
wasm_opt="$root/node_modules/.bin/wasm-opt"
[[ -x "$wasm_opt" ]] || {
  echo "build: $wasm_opt is missing; run npm ci (or bash scripts/setup.sh build)" >&2
  exit 1
}
wasm="$out/web_sse_bg.wasm"
"$wasm_opt" -Oz --converge --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue --strip-debug --strip-producers \
  -o "$wasm.opt" "$wasm"
mv "$wasm.opt" "$wasm"
# Short import names, in the wasm and the glue alike (the generated ones end in
# a hash that gzip cannot compress).
node scripts/minify-imports.mjs "$wasm" "$out/web_sse.js"

# Every hand-written module of the entry: index.js imports most of them, and
# loads shared-host.js, shared.js and the glue (web_sse.js) only when a source needs them.
cp js/*.js js/*.d.ts "$out/"
# The package's own README (for users; wasm-pack copied the repository's,
# which is for contributors) and the licences.
cp js/README.md LICENSE-MIT LICENSE-APACHE "$out/"
node scripts/package-json.mjs "$out/package.json"
rm -rf pkg
mv "$out" pkg
wasm=pkg/web_sse_bg.wasm
# What a page on the native transport loads: every module but those three.
native_js=0
for module in pkg/*.js; do
  case "${module##*/}" in shared.js | shared-host.js | web_sse.js) ;; *) native_js=$((native_js + $(gzip -9 <"$module" | wc -c))) ;; esac
done
echo "build: pkg/ holds the npm package web-sse; $wasm is $(wc -c <"$wasm") bytes, $(gzip -9 <"$wasm" | wc -c) gzipped; the JS of a native page $native_js bytes gzipped (module by module)"
