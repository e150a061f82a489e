// Rewrites the package.json that wasm-pack wrote so that the package's entry
// is the hand-written js/index.js, not the generated glue.
//
//   node scripts/package-json.mjs pkg/package.json
import fs from 'node:fs';

const file = process.argv[2];
const generated = JSON.parse(fs.readFileSync(file, 'utf8'));
const manifest = {
  name: 'web-sse',
  type: 'module',
  version: generated.version,
  description: generated.description,
  license: generated.license,
  repository: generated.repository,
  homepage: 'https://github.com/web-sse/web-sse#readme',
  bugs: { url: 'https://github.com/web-sse/web-sse/issues' },
  keywords: generated.keywords,
  files: [
    '*.js', '*.d.ts', 'web_sse.js', 'web_sse.d.ts', 'web_sse_bg.wasm', 'web_sse_bg.wasm.d.ts',
    'README.md', 'LICENSE-MIT', 'LICENSE-APACHE',
  ],
  // `main` for tools that predate `exports`; it is the same ES module.
  main: './index.js',
  module: './index.js',
  types: './index.d.ts',
  exports: {
    '.': { types: './index.d.ts', default: './index.js' },
    './web_sse_bg.wasm': './web_sse_bg.wasm',
    './package.json': './package.json',
  },
  // Importing the entry only defines classes and reads the global
  // EventSource: a bundler may drop it when nothing is used.
  sideEffects: false,
};
fs.writeFileSync(file, `${JSON.stringify(manifest, null, 2)}\n`);
