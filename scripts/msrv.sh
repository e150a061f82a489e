#!/usr/bin/env bash
# Checks the rust-version each crate claims (the core, web-sse-hooks,
# web-sse-yew, web-sse-leptos, web-sse-dioxus) as a user on that Rust would meet it.
#
# For each crate, a throwaway app in target/msrv/<crate> depends on it by
# path, with the crate's rust-version as its own, and Cargo resolves its
# lock with the MSRV-aware resolver (incompatible-rust-versions = fallback,
# what a user on that Rust gets by default from Cargo 1.84 on). Then:
#   1. no crate in that build (normal and build dependencies, wasm32) may
#      claim a higher rust-version than the crate does;
#   2. `cargo +<rust-version> check` builds it for wasm32 (the core with all
#      features, web-sse-leptos with `hydrate`), in target/msrv-<version>.
# Our own Cargo.lock may hold newer versions: it pins our builds, not users'.
#
#   bash scripts/msrv.sh            # both checks
#   bash scripts/msrv.sh --metadata # only 1 (no extra toolchain)
#
# scripts/setup.sh test installs the toolchains (rustup, minimal profile,
# with the wasm32 target). Fails when a claim is false.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# name:path:features
crates=(
  "web-sse:.:json,fetch,js"
  "web-sse-hooks:crates/web-sse-hooks:"
  "web-sse-yew:crates/web-sse-yew:"
  "web-sse-leptos:crates/web-sse-leptos:hydrate"
  "web-sse-dioxus:crates/web-sse-dioxus:"
)

claimed() { # manifest -> rust-version
  awk -F'"' '/^\[/ { in_pkg = ($0 == "[package]") } in_pkg && /^rust-version *=/ { print $2; exit }' "$1"
}

# metadata.json crate -> "need by verdict": the highest rust-version among
# what the crate builds (normal and build dependencies, not dev ones).
highest_dependency() {
  node -e '
const fs = require("node:fs");
const [file, name] = process.argv.slice(1);
const meta = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(meta.packages.map((p) => [p.id, p]));
const nodes = new Map(meta.resolve.nodes.map((n) => [n.id, n]));
const parse = (v) => (v ?? "0").split(".").map(Number);
const cmp = (a, b) => {
  const [x, y] = [parse(a), parse(b)];
  for (let i = 0; i < 3; i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
};
const root = meta.packages.find((p) => p.name === name && p.source === null);
if (!root) throw new Error(`${name} is not in the build`);
const seen = new Set([root.id]);
const queue = [root.id];
while (queue.length) {
  for (const dep of nodes.get(queue.shift()).deps) {
    if (!dep.dep_kinds.some((k) => k.kind === null || k.kind === "build")) continue;
    if (!seen.has(dep.pkg)) { seen.add(dep.pkg); queue.push(dep.pkg); }
  }
}
let max = { v: "0", by: "(none)" };
for (const id of seen) {
  const p = byId.get(id);
  if (id !== root.id && p.rust_version && cmp(p.rust_version, max.v) > 0) max = { v: p.rust_version, by: `${p.name}@${p.version}` };
}
const ok = root.rust_version && cmp(root.rust_version, max.v) >= 0;
console.log(`${max.v} ${max.by} ${ok ? "ok" : "FALSE"}`);
' "$1" "$2"
}

failed=0
for entry in "${crates[@]}"; do
  IFS=: read -r name path features <<<"$entry"
  claim="$(claimed "$path/Cargo.toml")"
  if [[ -z "$claim" ]]; then
    echo "msrv: $name states no rust-version" >&2
    failed=1
    continue
  fi
  app="$root/target/msrv/$name"
  mkdir -p "$app/src"
  : >"$app/src/lib.rs"
  quoted="$(sed -E 's/([^,]+)/"\1"/g' <<<"$features")"
  cat >"$app/Cargo.toml" <<EOF
[package]
name = "msrv-$name"
version = "0.0.0"
edition = "2021"
rust-version = "$claim"
publish = false

[workspace]

[dependencies]
$name = { path = "$root/$path", features = [$quoted] }
EOF
  CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
    cargo generate-lockfile --quiet --manifest-path "$app/Cargo.toml"
  cargo metadata --format-version 1 --locked --manifest-path "$app/Cargo.toml" \
    --filter-platform wasm32-unknown-unknown >"$app/metadata.json"
  read -r need by verdict < <(highest_dependency "$app/metadata.json" "$name")
  printf 'msrv: %-15s claims %-5s; its dependencies need %-6s (highest: %s) %s\n' \
    "$name" "$claim" "$need" "$by" "$verdict"
  [[ "$verdict" == ok ]] || failed=1

  [[ "${1:-}" == --metadata ]] && continue
  if ! rustup run "$claim" rustc --version >/dev/null 2>&1; then
    echo "msrv: toolchain $claim is not installed: run bash scripts/setup.sh test" >&2
    exit 1
  fi
  start=$SECONDS
  if cargo "+$claim" check --quiet --locked --manifest-path "$app/Cargo.toml" \
    --target wasm32-unknown-unknown --target-dir "target/msrv-$claim"; then
    echo "msrv: $name builds with Rust $claim ($((SECONDS - start))s)"
  else
    echo "msrv: $name does NOT build with Rust $claim, the rust-version it claims" >&2
    failed=1
  fi
done
exit "$failed"
