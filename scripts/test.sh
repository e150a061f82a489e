#!/usr/bin/env bash
# `npm test`: every test, host and browsers, with the set-up it needs.
#
#   1. scripts/setup.sh test        installs what is missing
#   2. cargo test --all-features    host tests (parser, docs, ...)
#   3. the SSE fixture server       tests/fixture/server.mjs on 127.0.0.1:8787
#   4. wasm-pack test               headless Chrome and Firefox: native and fetch transports with all
#                                   features, then native with default features
#   5. later stages                 the wasm-pack route, the page tests (npm run test:js), the hook
#                                   crates, the MSRV and minimum-version checks, the examples, a bench smoke run,
#                                   the release checks (docs.rs build, cargo publish and npm pack dry runs)
#                                   and the READMEs' quick starts in fresh apps
#
# Fails fast; the summary at the end counts the tests of each stage.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

fixture_port="${WEB_SSE_FIXTURE_PORT:-8787}"
export WEB_SSE_FIXTURE="http://127.0.0.1:$fixture_port"
logs="$(mktemp -d "${TMPDIR:-/tmp}/web-sse-test.XXXXXX")"
summary=()
fixture_pid=""
total_passed=0
total_failed=0

cleanup() {
  if [[ -n "$fixture_pid" ]]; then
    kill "$fixture_pid" 2>/dev/null || true
    wait "$fixture_pid" 2>/dev/null || true
    fixture_pid=""
  fi
}
trap cleanup EXIT

# Sum of the first number before " $word" on each "test result:" line.
count() { # log word
  awk -v word="$2" '/^test result: / {
    for (i = 1; i < NF; i++) if ($(i + 1) ~ "^" word) s += $i
  } END { print s + 0 }' "$1"
}

# stage NAME COMMAND...: runs COMMAND, shows and keeps its output, times it.
stage() {
  local name="$1"
  shift
  local log="$logs/$name.log" start=$SECONDS status=0
  printf '\n==> %s: %s\n' "$name" "$*"
  "$@" 2>&1 | tee "$log" || status=$?
  local took=$((SECONDS - start))
  if ((status != 0)); then
    printf '\n==> %s FAILED (exit %d, %ds); output kept in %s\n' "$name" "$status" "$took" "$log" >&2
    exit "$status"
  fi
  stage_log="$log"
  # node's test runner (tap "# pass N" or spec "ℹ pass N"), for the later stages.
  local node_passed node_failed
  node_passed=$(awk '/^(# |ℹ )pass [0-9]+$/ { s += $3 } END { print s + 0 }' "$log")
  node_failed=$(awk '/^(# |ℹ )fail [0-9]+$/ { s += $3 } END { print s + 0 }' "$log")
  total_passed=$((total_passed + node_passed))
  total_failed=$((total_failed + node_failed))
  if ((node_passed + node_failed)); then
    summary+=("$(printf '%-22s %4ds  %d passed, %d failed' "$name" "$took" "$node_passed" "$node_failed")")
  else
    summary+=("$(printf '%-22s %4ds' "$name" "$took")")
  fi
}

# Browser tests: each test binary prints "Running headless tests in <Browser>"
# before its own "test result:" line.
browser_counts() { # log browser -> "passed failed"
  awk -v want="$2" '
    /Running headless tests in / { browser = ($0 ~ want); next }
    # cargo starts the next test binary (or the doc tests, which run on the host)
    /^ +(Running|Doc-tests) / { browser = 0 }
    /^test result: / && browser {
      for (i = 1; i <= NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i
        if ($(i + 1) ~ /^failed/) f += $i
      }
    }
    END { print p + 0, f + 0 }
  ' "$1"
}

start_fixture() {
  local probe="fetch('$WEB_SSE_FIXTURE/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
  if node -e "$probe" 2>/dev/null; then
    echo "port $fixture_port is already in use; stop whatever listens there (a stale fixture server?) or set WEB_SSE_FIXTURE_PORT" >&2
    exit 1
  fi
  PORT="$fixture_port" node tests/fixture/server.mjs >"$logs/fixture.log" 2>&1 &
  fixture_pid=$!
  for _ in $(seq 100); do
    if node -e "$probe" 2>/dev/null; then
      echo "fixture server up on $WEB_SSE_FIXTURE (pid $fixture_pid)"
      return
    fi
    kill -0 "$fixture_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the fixture server did not start:" >&2
  cat "$logs/fixture.log" >&2
  exit 1
}

stage setup bash scripts/setup.sh test

stage cargo-test cargo test --all-features
host_passed=$(count "$stage_log" passed)
host_failed=$(count "$stage_log" failed)
total_passed=$((total_passed + host_passed))
total_failed=$((total_failed + host_failed))

start_fixture
# Given as flags, not CHROMEDRIVER/GECKODRIVER in the environment: wasm-pack
# sets one of them per browser run, and the runner picks whichever it sees
# first, so exporting both would run Firefox twice and Chrome never.
chromedriver="$(command -v chromedriver)"
geckodriver="$(command -v geckodriver)"
# The runner's default is 20 s for a whole test binary.
export WASM_BINDGEN_TEST_TIMEOUT="${WASM_BINDGEN_TEST_TIMEOUT:-180}"

# The browser suite runs once per transport (tests/browser_support picks it
# from WEB_SSE_TRANSPORT at build time), and once more with default features.
browser_lines=()
for run in native:all fetch:all native:default; do
  transport="${run%%:*}" features="${run#*:}"
  if [[ "$features" == all ]]; then extra=(--all-features); else extra=(); fi
  export WEB_SSE_TRANSPORT="$transport"
  stage "wasm-test-$transport-$features" \
    wasm-pack test --headless --chrome --firefox \
    --chromedriver "$chromedriver" --geckodriver "$geckodriver" -- "${extra[@]+"${extra[@]}"}"
  for browser in Chrome Firefox; do
    read -r passed failed < <(browser_counts "$stage_log" "$browser")
    if ((passed == 0)); then
      echo "no wasm test ran in $browser ($transport transport, $features features): see $stage_log" >&2
      exit 1
    fi
    browser_lines+=("$(printf '%-8s %-7s %-8s features: %3d passed, %d failed' "$browser" "$transport" "$features" "$passed" "$failed")")
    total_passed=$((total_passed + passed))
    total_failed=$((total_failed + failed))
  done
done
unset WEB_SSE_TRANSPORT
cleanup

# ---- later stages: append one `stage NAME command...` line each, below ----
# (the fixture server is stopped here; a stage that needs it starts its own)
# A Rust user's route to the package's wasm: plain wasm-pack, whatever
# wasm-opt is first on PATH (Debian's 108 cannot read the module).
stage wasm-pack-route wasm-pack build --target web --release --out-dir target/wasm-pack-route -- --features js
stage js npm run test:js
# The hook crates, in their own target dir (the core's cargo test never
# builds Yew, Leptos or Dioxus): host tests and doctests (Leptos rendered on
# the server with `ssr`), then clippy for wasm32 (Leptos with `hydrate`).
stage hooks bash -c 'cargo test --target-dir target/hooks -p web-sse-hooks -p web-sse-yew -p web-sse-dioxus \
    --features web-sse-dioxus/fetch \
  && cargo test --target-dir target/hooks -p web-sse-leptos --features ssr \
  && cargo clippy --target-dir target/hooks --target wasm32-unknown-unknown \
    -p web-sse-hooks -p web-sse-yew -p web-sse-leptos -p web-sse-dioxus \
    --features web-sse-leptos/hydrate,web-sse-dioxus/fetch -- -D warnings'
hooks_passed=$(count "$stage_log" passed)
total_passed=$((total_passed + hooks_passed))
total_failed=$((total_failed + $(count "$stage_log" failed)))
summary[-1]+="  $hooks_passed passed"
stage msrv bash scripts/msrv.sh
stage min-versions bash scripts/min-versions.sh
stage examples npm run test:examples
stage bench-smoke npm run bench -- --quick --no-doc
# Publishing: the docs as docs.rs builds them, what each crate and the npm
# package ship, and the READMEs' quick starts followed as a new user would
# (their code copied from the READMEs' marked blocks).
stage docs-rs bash scripts/docs-rs.sh
stage publish-dry-run cargo publish --workspace --dry-run --no-verify --allow-dirty --target-dir target/package
stage npm-pack bash scripts/npm-pack.sh
stage quickstart-rust bash scripts/quickstart.sh
stage quickstart-js bash scripts/bundlers.sh

# ---- end of later stages ----

echo
echo "==> summary"
printf '%s\n' "${summary[@]}"
printf 'host cargo test:  %d passed, %d failed\n' "$host_passed" "$host_failed"
printf '%s\n' "${browser_lines[@]}"
echo "logs: $logs"
echo "total: $total_passed passed, $total_failed failed"
