// The package's TypeScript types check a consumer: `tsc --noEmit` on
// tests/types/consumer.ts, resolved through pkg/package.json as an app that
// installed the package would. Its @ts-expect-error lines must fail to compile
// too, or tsc reports them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { requirePackage, root } from './helpers.mjs';

test('tsc --noEmit type-checks a consumer of the package', async () => {
  await requirePackage();
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await promisify(execFile)(process.execPath, [tsc, '-p', path.join(root, 'tests', 'types')])
    .then(() => ({ code: 0, output: '' }), (error) => ({ code: error.code, output: `${error.stdout}${error.stderr}` }));
  assert.equal(result.code, 0, result.output);
});
