#!/usr/bin/env bash
# Installs what `npm start` (build) or `npm test` (test) needs, and skips what
# is already there. Safe to run again and again: every step checks the tool and
# its version first, and prints one line per tool.
#
#   bash scripts/setup.sh build   # wasm32 target, wasm-bindgen-cli, wasm-pack, node_modules
#   bash scripts/setup.sh test    # build + chromium, chromedriver, firefox-esr, geckodriver
#
# Where it cannot install something (no rustup, not root and no sudo, ...) it
# stops and names the missing tool and how to get it.
set -euo pipefail

mode="${1:-build}"
case "$mode" in
  build | test) ;;
  *)
    echo "usage: bash scripts/setup.sh [build|test]" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

ok() { printf 'ok %s\n' "$*"; }
say() { printf '%s\n' "$*"; }
die() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# "1.2.3" >= "1.2.0"? (numeric, dot-separated; extra parts compare as 0)
version_ge() {
  local IFS=.
  local -a a=($1) b=($2)
  local i
  for ((i = 0; i < ${#b[@]} || i < ${#a[@]}; i++)); do
    local x="${a[i]:-0}" y="${b[i]:-0}"
    x="${x%%[!0-9]*}" y="${y%%[!0-9]*}"
    ((10#${x:-0} > 10#${y:-0})) && return 0
    ((10#${x:-0} < 10#${y:-0})) && return 1
  done
  return 0
}

# First x.y.z in a tool's --version output.
version_of() { "$@" 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)*' | head -n1 || true; }

# --- Rust -------------------------------------------------------------------

have cargo || die "cargo is missing. Install Rust with rustup (https://rustup.rs), then run this again."

cargo_install() { # crate version-or-empty
  local crate="$1" version="${2:-}"
  say "installing $crate${version:+ $version} (cargo install --locked; this takes a few minutes)"
  if [[ -n "$version" ]]; then
    cargo install --locked --quiet "$crate" --version "$version"
  else
    cargo install --locked --quiet "$crate"
  fi
}

if rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  ok "rust target wasm32-unknown-unknown"
elif have rustup; then
  say "installing rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
else
  die "the wasm32-unknown-unknown target is missing and rustup is not installed. Install Rust with rustup (https://rustup.rs), or add the target to your toolchain."
fi

# The CLI must match the wasm-bindgen library exactly, or the generated glue
# and the wasm module disagree; Cargo.lock is the source of truth.
[[ -f Cargo.lock ]] || cargo generate-lockfile --quiet
wb_version="$(awk '
  /^\[\[package\]\]/ { in_wb = 0 }
  /^name = "wasm-bindgen"$/ { in_wb = 1; next }
  in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
' Cargo.lock)"
[[ -n "$wb_version" ]] || die "could not find the wasm-bindgen version in Cargo.lock"
have_wb="$(version_of wasm-bindgen --version)"
have_runner="$(version_of wasm-bindgen-test-runner --version)"
if [[ "$have_wb" == "$wb_version" && "$have_runner" == "$wb_version" ]]; then
  ok "wasm-bindgen-cli $wb_version"
else
  [[ -n "$have_wb" ]] && say "wasm-bindgen-cli $have_wb does not match Cargo.lock ($wb_version)"
  cargo_install wasm-bindgen-cli "$wb_version"
fi

wp_min=0.13.0
wp_version="$(version_of wasm-pack --version)"
if [[ -n "$wp_version" ]] && version_ge "$wp_version" "$wp_min"; then
  ok "wasm-pack $wp_version"
else
  [[ -n "$wp_version" ]] && say "wasm-pack $wp_version is older than $wp_min"
  cargo_install wasm-pack
fi

# The toolchains of the rust-versions the crates claim, for scripts/msrv.sh
# (about 9 s each on a fast link: minimal profile plus the wasm32 target).
if [[ "$mode" == test ]]; then
  for manifest in Cargo.toml crates/*/Cargo.toml; do
    msrv="$(awk -F'"' '/^\[/ { p = ($0 == "[package]") } p && /^rust-version *=/ { print $2; exit }' "$manifest")"
    [[ -n "$msrv" ]] || continue
    if rustup run "$msrv" rustc --version >/dev/null 2>&1 \
      && rustup target list --installed --toolchain "$msrv" 2>/dev/null | grep -qx wasm32-unknown-unknown; then
      ok "rust $msrv (msrv of $manifest)"
    elif have rustup; then
      say "installing rust $msrv (the rust-version $manifest claims)"
      rustup toolchain install "$msrv" --profile minimal --target wasm32-unknown-unknown
    else
      die "rust $msrv (the rust-version $manifest claims) is missing and rustup is not installed"
    fi
  done
fi

# --- Debian packages ----------------------------------------------------------

# Tools from apt, as "command:package". (The build's wasm-opt comes from the
# npm package binaryen: Debian's is too old for the module.)
apt_tools=()
if [[ "$mode" == test ]]; then
  apt_tools+=(chromium:chromium chromedriver:chromium-driver firefox-esr:firefox-esr)
fi

missing_pkgs=()
for entry in "${apt_tools[@]+"${apt_tools[@]}"}"; do
  cmd="${entry%%:*}" pkg="${entry#*:}"
  if have "$cmd"; then
    ok "$cmd $(version_of "$cmd" --version)"
  else
    missing_pkgs+=("$pkg")
  fi
done

if ((${#missing_pkgs[@]})); then
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if have sudo && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "missing ${missing_pkgs[*]}: run this script as root, or install them yourself: sudo apt-get install ${missing_pkgs[*]}"
    fi
  fi
  have apt-get || die "missing ${missing_pkgs[*]} and apt-get is not available: install them with your system's package manager (Debian names: ${missing_pkgs[*]})"
  say "installing ${missing_pkgs[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  for entry in "${apt_tools[@]+"${apt_tools[@]}"}"; do
    cmd="${entry%%:*}"
    have "$cmd" || die "apt-get installed ${entry#*:} but '$cmd' is still not on PATH"
    ok "$cmd $(version_of "$cmd" --version)"
  done
fi

if [[ "$mode" == test ]]; then
  # chromedriver only drives the Chromium of its own major version.
  chromium_major="$(version_of chromium --version | cut -d. -f1)"
  driver_major="$(version_of chromedriver --version | cut -d. -f1)"
  if [[ -n "$chromium_major" && "$chromium_major" != "$driver_major" ]]; then
    die "chromedriver $driver_major does not match chromium $chromium_major: upgrade both together (apt-get install chromium chromium-driver)"
  fi

  gd_version="$(version_of geckodriver --version)"
  if [[ -n "$gd_version" ]] && version_ge "$gd_version" 0.34.0; then
    ok "geckodriver $gd_version"
  else
    cargo_install geckodriver
  fi
fi

# --- Node ---------------------------------------------------------------------

have node || die "node is missing. Install Node.js 20 or newer (https://nodejs.org), then run this again."
have npm || die "npm is missing. It ships with Node.js 20 or newer (https://nodejs.org)."
node_major="$(version_of node --version | cut -d. -f1)"
((node_major >= 20)) || die "node $(node --version) is too old; web-sse needs Node.js 20 or newer"

# node_modules is current when it was installed from this exact package.json
# and package-lock.json; the stamp records their hash.
stamp=node_modules/.web-sse-setup-stamp
manifest_hash() {
  local f
  for f in package.json package-lock.json; do
    if [[ -f "$f" ]]; then cat "$f"; fi
  done | sha256sum | cut -d' ' -f1
}
want_hash="$(manifest_hash)"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want_hash" ]]; then
  ok "node_modules (node $(node --version))"
else
  if [[ -f package-lock.json ]]; then
    say "installing node_modules (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  else
    say "installing node_modules (npm install)"
    npm install --no-audit --no-fund --loglevel=error
  fi
  # npm install may have just written package-lock.json.
  manifest_hash >"$stamp"
fi
