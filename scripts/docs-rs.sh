#!/usr/bin/env bash
# The API docs as docs.rs builds them ([package.metadata.docs.rs] of each
# crate): for wasm32-unknown-unknown, with the crate's docs.rs features and
# `--cfg docsrs`, so that every feature-gated item carries its badge; any
# rustdoc warning fails. docs.rs uses a nightly toolchain, which
# `feature(doc_cfg)` needs; RUSTC_BOOTSTRAP=1 lets the stable toolchain stand in.
# Own target dir (target/docsrs), so reruns are incremental.
# Fresh, this takes about 4 minutes on 2 cores (Yew and Leptos are checked).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export RUSTC_BOOTSTRAP=1 RUSTDOCFLAGS="--cfg docsrs -D warnings"

# One invocation for the five crates, so that their shared dependencies are
# checked once: the union of the docs.rs features (every feature but
# web-sse-leptos/ssr, the server half, which docs.rs leaves out too).
cargo doc --no-deps --target wasm32-unknown-unknown --target-dir target/docsrs \
  -p web-sse -p web-sse-hooks -p web-sse-yew -p web-sse-leptos -p web-sse-dioxus \
  --features web-sse/json,web-sse/fetch,web-sse/shared,web-sse/js,web-sse-hooks/fetch \
  --features web-sse-yew/json,web-sse-yew/fetch,web-sse-leptos/json,web-sse-leptos/fetch,web-sse-leptos/hydrate \
  --features web-sse-dioxus/json,web-sse-dioxus/fetch

# The badges are there: one per gated item of the core crate at least.
out=target/docsrs/wasm32-unknown-unknown/doc
badges=$(grep -rho 'Available on <strong>crate feature <code>[a-z]*</code></strong> only' "$out/web_sse" | wc -l)
echo "docs-rs: $badges feature badges in web_sse"
((badges >= 9)) || { echo "docs-rs: expected a doc(cfg) badge on each gated item of web_sse" >&2; exit 1; }
