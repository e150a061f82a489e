#!/usr/bin/env bash
# Gzipped wasm sizes: the npm package (pkg/, js + fetch features) and a Rust app
# that uses web-sse on the native transport only (benches/size-native).
#
#   bash scripts/size.sh        # after npm run build
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
wasm_opt=(node_modules/.bin/wasm-opt -Oz --strip-debug --strip-producers --enable-bulk-memory --enable-nontrapping-float-to-int
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue)
gz() { gzip -9 <"$1" | wc -c; }

app=benches/size-native
CARGO_TARGET_DIR="$app/target" cargo build --quiet --release --target wasm32-unknown-unknown \
  --manifest-path "$app/Cargo.toml"
wasm-bindgen --target web --out-dir "$app/pkg" "$app/target/wasm32-unknown-unknown/release/size_native.wasm"
"${wasm_opt[@]}" -o "$app/pkg/opt.wasm" "$app/pkg/size_native_bg.wasm"

printf '%-44s %8s %8s\n' wasm bytes gzipped
printf '%-44s %8d %8d\n' "native-only Rust app ($app)" "$(wc -c <"$app/pkg/opt.wasm")" "$(gz "$app/pkg/opt.wasm")"
if [[ -f pkg/web_sse_bg.wasm ]]; then
  printf '%-44s %8d %8d\n' "npm package (pkg/web_sse_bg.wasm)" "$(wc -c <pkg/web_sse_bg.wasm)" "$(gz pkg/web_sse_bg.wasm)"
  printf '%-44s %8d %8d\n' "npm package entry (pkg/index.js)" "$(wc -c <pkg/index.js)" "$(gz pkg/index.js)"
fi
