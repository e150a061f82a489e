#!/usr/bin/env bash
# What `npm publish` would upload: `npm pack --dry-run` in pkg/, its file
# list checked. The package carries its entry, types, wasm, README and
# licences, and nothing from the repository's dev tree.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export PATH="$root/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# shellcheck source=../tests/quickstart/lib.sh
source tests/quickstart/lib.sh
ensure_pkg

(cd pkg && npm pack --dry-run --json 2>/dev/null) >"$root/target/npm-pack.json"
(cd pkg && npm pack --dry-run 2>&1 | sed -n '/Tarball Contents/,$p')
node --input-type=module - "$root/target/npm-pack.json" <<'JS'
import fs from 'node:fs';
const [pack] = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const files = pack.files.map((file) => file.path);
const must = ['package.json', 'README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'index.js', 'index.d.ts',
  'web_sse.js', 'web_sse_bg.wasm'];
const missing = must.filter((file) => !files.includes(file));
const stray = files.filter((file) => /(^|\/)(Cargo\.|\.|package-lock)|\.rs$|^(src|tests|scripts|www|benches|docs)\//.test(file));
const manifest = JSON.parse(fs.readFileSync('pkg/package.json', 'utf8'));
const readme = fs.readFileSync('pkg/README.md', 'utf8');
const problems = [
  ...missing.map((file) => `missing ${file}`),
  ...stray.map((file) => `should not ship ${file}`),
  ...['main', 'module', 'types', 'homepage', 'bugs', 'license', 'repository'].filter((key) => !manifest[key]).map((key) => `package.json has no ${key}`),
  ...(/npm (start|test)|cargo /.test(readme) ? ['pkg/README.md has contributor commands: it must be js/README.md'] : []),
];
console.log(`npm-pack: ${pack.filename}, ${files.length} files, ${pack.size} bytes packed, ${pack.unpackedSize} unpacked`);
if (problems.length) {
  console.error(`npm-pack: ${problems.join('; ')}`);
  process.exit(1);
}
JS
