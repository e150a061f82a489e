// Where things are: the repository's root, and the npm package that
// `npm run build` writes into pkg/.
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const pkgDir = path.join(root, 'pkg');

/** Fails early with the command to run when the package has not been built. */
export async function requirePackage() {
  const glue = path.join(pkgDir, 'index.js');
  await fs.access(glue).catch(() => {
    throw new Error(`${glue} is missing: build the package with npm run build`);
  });
}
