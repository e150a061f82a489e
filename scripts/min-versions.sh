#!/usr/bin/env bash
# Checks that the core's stated minimums for the wasm-bindgen family
# (wasm-bindgen, js-sys, web-sys, wasm-bindgen-futures) really build: a copy
# of the crate in target/min-versions has them rewritten to `=` exactly, gets a
# fresh lock, and must `cargo check` for wasm32 with all features and with the
# default ones. A minimum set too low fails to resolve or to build here; our
# own Cargo.lock, which pins newer versions, cannot hide it.
#
#   bash scripts/min-versions.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

copy=target/min-versions
rm -rf "$copy/src" "$copy/Cargo.toml" "$copy/Cargo.lock"
mkdir -p "$copy"
cp -r src README.md "$copy/"
# The `shared` feature's wasm-bindgen snippets (the cross-tab protocol).
rm -rf "$copy/js"
mkdir -p "$copy/js"
cp js/shared.js js/shared-seat.js "$copy/js/"
# The package alone: no workspace members, benches or dev-dependencies.
awk '
  /^\[/ { keep = ($0 == "[package]" || $0 == "[lib]" || $0 == "[features]" || $0 == "[dependencies]") }
  keep
' Cargo.toml |
  sed -E 's/^(wasm-bindgen|js-sys) = "([0-9.]+)"/\1 = "=\2"/;
          s/^(web-sys|wasm-bindgen-futures) = \{ version = "([0-9.]+)"/\1 = { version = "=\2"/' >"$copy/Cargo.toml"
printf '\n[workspace]\n' >>"$copy/Cargo.toml"
grep -E '^(wasm-bindgen|js-sys|web-sys|wasm-bindgen-futures) =' "$copy/Cargo.toml" | sed 's/, features.*//'

cd "$copy"
cargo generate-lockfile --quiet
for features in --all-features ""; do
  # shellcheck disable=SC2086
  cargo check --quiet --target wasm32-unknown-unknown $features
done
echo "min-versions: the core builds against exactly its stated minimums ($(awk '/name = "wasm-bindgen"$/ { getline; print $3 }' Cargo.lock | tr -d '"') wasm-bindgen)"
