// A minimal Vite app that uses the web-sse package the way an app that
// installed it from npm would: `import ... from 'web-sse'`. Here the name
// points at the wasm-pack output, pkg/. Built into test-output/ (git-ignored).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export default defineConfig({
  root: here,
  logLevel: 'warn',
  resolve: { alias: { 'web-sse': path.join(root, 'pkg') } },
  build: { outDir: path.join(root, 'test-output', 'vite-app'), emptyOutDir: true },
});
