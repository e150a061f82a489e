#!/usr/bin/env bash
# Builds the framework examples (examples/yew-live, examples/leptos-live,
# examples/dioxus-live) to examples/<name>/dist/: index.html + pkg/
# (wasm-bindgen --target web output).
#
#   bash scripts/build-examples.sh            # all three
#   bash scripts/build-examples.sh yew-live   # one
#
# Each example is its own workspace with its own Cargo.lock and target/, and
# depends on its hook crate (crates/web-sse-yew, crates/web-sse-leptos,
# crates/web-sse-dioxus) by path, so the library's `cargo test` never
# compiles a framework. Prints
# the time of every step; the first build compiles the frameworks (minutes on
# 2 cores), later ones only the example.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "$#" -gt 0 ]; then examples=("$@"); else examples=(yew-live leptos-live dioxus-live); fi

# node_modules/.bin first: Debian's binaryen (108) cannot read what current
# rustc + wasm-bindgen emit (table.fill); the binaryen npm package's can.
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The CLI must match the wasm-bindgen library an example's Cargo.lock holds.
locked_wasm_bindgen() { # Cargo.lock
  awk '/^\[\[package\]\]/ { in_wb = 0 }
    /^name = "wasm-bindgen"$/ { in_wb = 1; next }
    in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }' "$1"
}
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

for name in "${examples[@]}"; do
  dir="$root/examples/$name"
  if [ ! -f "$dir/Cargo.toml" ]; then
    echo "build-examples: no example named $name (expected $dir/Cargo.toml)" >&2
    exit 2
  fi
  crate="${name//-/_}"
  start="$(now)"

  # Cargo adds what is missing to the lock (the hook crates' new
  # dependencies) before we read the wasm-bindgen version from it.
  cargo metadata --format-version 1 --manifest-path "$dir/Cargo.toml" >/dev/null
  wasm_bindgen_version="$(locked_wasm_bindgen "$dir/Cargo.lock")"
  if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $wasm_bindgen_version"; then
    echo "build-examples: installing wasm-bindgen-cli $wasm_bindgen_version (examples/$name/Cargo.lock has wasm-bindgen $wasm_bindgen_version)" >&2
    cargo install --locked wasm-bindgen-cli --version "$wasm_bindgen_version"
  fi

  step="$(now)"
  # Not --locked: the examples' Cargo.lock also pins the library's own
  # dependencies, and a new one there must not break this build. Cargo keeps
  # every committed pin and only adds what is missing.
  CARGO_TARGET_DIR="$dir/target" cargo build --release \
    --target wasm32-unknown-unknown --manifest-path "$dir/Cargo.toml"
  echo "build-examples: $name: cargo build $(elapsed "$step")"

  step="$(now)"
  rm -rf "$dir/dist"
  mkdir -p "$dir/dist"
  wasm-bindgen --target web --no-typescript --out-dir "$dir/dist/pkg" --out-name "$crate" \
    "$dir/target/wasm32-unknown-unknown/release/$name.wasm"
  cp "$dir/index.html" "$dir/dist/index.html"
  echo "build-examples: $name: wasm-bindgen $(elapsed "$step")"

  wasm="$dir/dist/pkg/${crate}_bg.wasm"
  # An old wasm-opt that cannot read the module only costs size.
  if command -v wasm-opt >/dev/null 2>&1; then
    step="$(now)"
    if wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
      --enable-mutable-globals --enable-reference-types --enable-multivalue \
      -o "$wasm.opt" "$wasm" 2>"$dir/dist/wasm-opt.log"; then
      mv "$wasm.opt" "$wasm"
      rm -f "$dir/dist/wasm-opt.log"
      echo "build-examples: $name: wasm-opt $(elapsed "$step")"
    else
      rm -f "$wasm.opt"
      echo "build-examples: $name: wasm-opt $(wasm-opt --version) could not read the module ($(tail -n 1 "$dir/dist/wasm-opt.log")); keeping it unoptimized"
      rm -f "$dir/dist/wasm-opt.log"
    fi
  else
    echo "build-examples: $name: wasm-opt not found (npm ci installs binaryen); keeping the module unoptimized"
  fi

  size="$(wc -c <"$wasm")"
  gz="$(gzip -9c "$wasm" | wc -c)"
  echo "build-examples: $name: built in $(elapsed "$start"); ${crate}_bg.wasm ${size} bytes (${gz} gzipped) -> examples/$name/dist/"
done
