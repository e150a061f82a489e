#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack` of pkg/, installed into a new
# Vite app and a new webpack app, neither configured, whose code is the
# package README's marked blocks (js/README.md). Each app is built and run in
# headless Chromium against the fixture server, on both transports
# (tests/quickstart/check.test.mjs). Also: the package imports in plain Node
# (server-side rendering) through `import` and `require`, and the README's code
# type-checks with `tsc --strict` and the `lib` the README asks for.
#
# `npm install web-sse` becomes `npm install <the tarball>` until publication.
# The apps live in target/bundlers, their node_modules kept between runs so
# that a rerun downloads nothing; the package itself is reinstalled each time.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# shellcheck source=../tests/quickstart/lib.sh
source tests/quickstart/lib.sh

ensure_pkg

work="$root/target/bundlers"
mkdir -p "$work"
rm -f "$work"/web-sse-*.tgz
tarball="$work/$(cd pkg && npm pack --silent --pack-destination "$work")"
echo "bundlers: $tarball, $(wc -c <"$tarball") bytes"

# A new app: package.json with the bundler, the README's code, then the
# package from the tarball. The lock is not kept: it would pin the previous
# tarball's checksum.
new_app() { # dir devDependencies-json
  local dir="$1"
  mkdir -p "$dir"
  find "$dir" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  rm -rf "$dir/node_modules/web-sse"
  printf '{ "name": "%s", "private": true, "type": "module", "devDependencies": %s }\n' \
    "$(basename "$dir")" "$2" >"$dir/package.json"
}
install_package() { # dir
  (cd "$1" && npm install --no-audit --no-fund --loglevel=error "$tarball")
}

vite_app="$work/vite-app"
new_app "$vite_app" '{ "vite": "^8.0.0" }'
node tests/quickstart/extract.mjs js/README.md js-quickstart "$vite_app"
install_package "$vite_app"
(cd "$vite_app" && npx --no-install vite build)

webpack_app="$work/webpack-app"
new_app "$webpack_app" '{ "webpack": "^5.0.0", "webpack-cli": "^7.0.0" }'
node tests/quickstart/extract.mjs js/README.md js-quickstart "$webpack_app" main.js=src/index.js
install_package "$webpack_app"
# `npx webpack` with no configuration: src/index.js to dist/main.js. The
# page that loads it is the app's own, not the README's (which is Vite's).
(cd "$webpack_app" && npx --no-install webpack)
printf '<!doctype html>\n<meta charset="utf-8">\n<title>sse-app</title>\n<script src="main.js"></script>\n' >"$webpack_app/dist/index.html"
ls -l "$vite_app/dist/assets" "$webpack_app/dist"

# Server-side rendering: importing the package in Node must not throw, and
# says what runs there.
(cd "$vite_app" && node --input-type=module -e "
  import init, { EventSource, isSupported } from 'web-sse';
  import * as all from 'web-sse';
  if (typeof EventSource !== 'function' || typeof init !== 'function') throw new Error('missing exports');
  if (isSupported() !== false) throw new Error('isSupported() is true in Node, which has no EventSource');
  if ('isFetchSupported' in all && all.isFetchSupported() !== true) throw new Error('isFetchSupported() is false in Node');
  console.log('ssr: import ok; isSupported()', isSupported(), '; isFetchSupported()', all.isFetchSupported?.());
" && node -e "
  const sse = require('web-sse'); // package.json main, through require(esm)
  if (typeof sse.EventSource !== 'function') throw new Error('require: no EventSource');
  console.log('ssr: require ok');
")

# The README's code under tsc --strict, with only the lib it asks for.
cp "$vite_app/main.js" "$vite_app/main.ts"
(cd "$vite_app" && tsc --strict --noEmit --target ES2018 --lib ES2018,DOM --module ESNext \
  --moduleResolution Bundler --skipLibCheck false main.ts && echo "tsc: the README's code type-checks with lib ES2018, DOM")
rm "$vite_app/main.ts"

start_quickstart_fixture
expect='["native: info first info", "native: message a plain message", "native: info second info",
  "fetch: info first info", "fetch: message a plain message", "fetch: info second info"]'
QUICKSTART_DIR="$vite_app/dist" QUICKSTART_LABEL="Vite app" QUICKSTART_EXPECT="$expect" \
  node --test --test-timeout=120000 tests/quickstart/check.test.mjs
QUICKSTART_DIR="$webpack_app/dist" QUICKSTART_LABEL="webpack app" QUICKSTART_EXPECT="$expect" \
  node --test --test-timeout=120000 tests/quickstart/check.test.mjs
