#!/usr/bin/env bash
# The README's Rust quick start, followed as a new user would: `cargo new
# --lib sse-app` outside this workspace, Cargo.toml, src/lib.rs and
# index.html copied from the README's marked blocks, `wasm-pack build
# --target web`, then the page in headless Chromium against the fixture
# server, on both transports (tests/quickstart/check.test.mjs).
#
# Two steps the README prescribes for this situation: web-sse is not on
# crates.io yet, so its version becomes a path dependency on this checkout
# (README "Install"); and the `wasm-bindgen = "=…"` pin must be what
# `wasm-bindgen --version` prints ("Keep the wasm-bindgen CLI and the library
# in step"), which here is also the version in this repository's Cargo.lock.
#
# The app is new each run; its build reuses target/quickstart, so a rerun
# only recompiles what changed.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The npm binaryen's wasm-opt first: wasm-pack runs the one on PATH.
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# shellcheck source=../tests/quickstart/lib.sh
source tests/quickstart/lib.sh

parent="$(mktemp -d "${TMPDIR:-/tmp}/web-sse-quickstart.XXXXXX")"
quickstart_cleanup+=("$parent")
(cd "$parent" && cargo new --lib --quiet sse-app)
app="$parent/sse-app"
node tests/quickstart/extract.mjs README.md rust-quickstart "$app"

# Until publication: the repository as a path dependency, as README "Install" says.
published='web-sse = { version = "0.1", features = ["fetch"] }'
grep -qxF "$published" "$app/Cargo.toml" || {
  echo "quickstart: the README's Cargo.toml no longer has the line: $published" >&2
  exit 1
}
sed -i "s|^web-sse = { version = \"0.1\",|web-sse = { path = \"$root\",|" "$app/Cargo.toml"

pinned="$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$app/Cargo.toml")"
cli="$(wasm-bindgen --version | awk '{ print $2 }')"
locked="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' Cargo.lock)"
echo "quickstart: the README pins wasm-bindgen $pinned; the CLI is $cli; this repository's Cargo.lock has $locked"
if [[ "$pinned" != "$cli" || "$pinned" != "$locked" ]]; then
  echo "quickstart: the README's wasm-bindgen pin must be the CLI's version and Cargo.lock's: update README.md" >&2
  exit 1
fi

(cd "$app" && CARGO_TARGET_DIR="$root/target/quickstart" wasm-pack build --target web)
ls -l "$app/pkg"
glue_wasm=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print }' "$app/Cargo.lock")
[[ "$glue_wasm" == "$cli" ]] || { echo "quickstart: the app resolved wasm-bindgen $glue_wasm, not $cli" >&2; exit 1; }

start_quickstart_fixture
QUICKSTART_DIR="$app" QUICKSTART_LABEL="Rust quick start" QUICKSTART_EXPECT='[
  "/events: info first info", "/events: message a plain message", "/events: info second info",
  "/events?via=fetch: info first info", "/events?via=fetch: message a plain message", "/events?via=fetch: info second info"
]' node --test --test-timeout=120000 tests/quickstart/check.test.mjs
