# Sourced by the quick-start stages: the fixture server on its own port
# (WEB_SSE_QUICKSTART_PORT, 8797 unless set), stopped when the script exits.
quickstart_port="${WEB_SSE_QUICKSTART_PORT:-8797}"
export WEB_SSE_FIXTURE="http://127.0.0.1:$quickstart_port"
quickstart_fixture_pid=""
quickstart_cleanup=()

quickstart_exit() {
  if [[ -n "$quickstart_fixture_pid" ]]; then
    kill "$quickstart_fixture_pid" 2>/dev/null || true
    wait "$quickstart_fixture_pid" 2>/dev/null || true
  fi
  local dir
  for dir in "${quickstart_cleanup[@]+"${quickstart_cleanup[@]}"}"; do rm -rf "$dir"; done
}
trap quickstart_exit EXIT

start_quickstart_fixture() {
  local probe="fetch('$WEB_SSE_FIXTURE/health').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
  if node -e "$probe" 2>/dev/null; then
    echo "port $quickstart_port is already in use; stop whatever listens there or set WEB_SSE_QUICKSTART_PORT" >&2
    exit 1
  fi
  local log
  log="$(mktemp "${TMPDIR:-/tmp}/web-sse-quickstart-fixture.XXXXXX")"
  quickstart_cleanup+=("$log")
  PORT="$quickstart_port" node tests/fixture/server.mjs >"$log" 2>&1 &
  quickstart_fixture_pid=$!
  for _ in $(seq 100); do
    if node -e "$probe" 2>/dev/null; then return; fi
    kill -0 "$quickstart_fixture_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "the fixture server did not start:" >&2
  cat "$log" >&2
  exit 1
}

# pkg/ as tests/e2e/run.sh builds it: when missing or older than its sources.
ensure_pkg() {
  local wasm=pkg/web_sse_bg.wasm
  if [[ ! -f "$wasm" || ! -f pkg/index.js || ! -f pkg/README.md ]] ||
    [[ -n "$(find src js Cargo.toml Cargo.lock scripts/build.sh scripts/package-json.mjs LICENSE-MIT LICENSE-APACHE -newer "$wasm" -print -quit)" ]]; then
    WEB_SSE_SKIP_SETUP=1 bash scripts/build.sh
  fi
}
