// --profile: a CPU profile of one throughput run, its top self times printed
// and the whole profile saved for DevTools.
import fs from 'node:fs';
import path from 'node:path';
import { PAUSE_MS, root, targetDir } from './config.mjs';
import { openPage } from './page.mjs';
import { sleep } from '../../support/wait.mjs';

/** Profiles one run of client `name` receiving n events of `size` bytes. */
export async function profile(browser, origin, name, [n, size]) {
  await sleep(PAUSE_MS);
  const { page } = await openPage(browser, origin);
  let result;
  let cpu;
  try {
    const options = name === 'web-sse fetch' ? { pkg: '/profile-pkg/' } : {};
    // Load and initialize the client's modules before the profiler starts.
    await page.evaluate(([client, opts]) => globalThis.loadClient(client, opts), [name, options]);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
    await cdp.send('Profiler.start');
    result = await page.evaluate(([client, count, bytes, opts]) => globalThis.runClient(client, count, bytes, opts), [name, n, size, options]);
    cpu = (await cdp.send('Profiler.stop')).profile;
  } finally {
    await page.context().close();
  }
  const file = path.join(targetDir, `${name.replace(/\W+/g, '-')}.cpuprofile`);
  fs.mkdirSync(targetDir, { recursive: true });
  fs.writeFileSync(file, JSON.stringify(cpu));
  const { total, idle, rows } = selfTimes(cpu);
  console.log(`\nprofile of one '${name}' run (${result.ms.toFixed(0)} ms, main thread, 100 µs sampling; `
    + `busy ${((total - idle) / 1000).toFixed(0)} ms of ${(total / 1000).toFixed(0)} ms; ${path.relative(root, file)} opens in DevTools):`);
  console.log('  self ms   % busy  function');
  for (const [key, us] of rows.filter(([k]) => !k.startsWith('(idle)')).slice(0, 15)) {
    const [fn, where] = key.split('\t');
    console.log(`${(us / 1000).toFixed(1).padStart(9)} ${((100 * us) / (total - idle)).toFixed(1).padStart(7)}%  ${fn}${where ? `  ${where}` : ''}`);
  }
}

/** Self time per function (name, file, line) from a CDP CPU profile. */
function selfTimes(cpu) {
  const byNode = new Map(cpu.nodes.map((node) => [node.id, node]));
  const time = new Map();
  for (let i = 0; i < cpu.samples.length; i += 1) {
    const us = cpu.timeDeltas[i + 1] ?? 0;
    time.set(cpu.samples[i], (time.get(cpu.samples[i]) ?? 0) + us);
  }
  const byFunction = new Map();
  for (const [id, us] of time) {
    const { functionName, url, lineNumber, columnNumber } = byNode.get(id).callFrame;
    const file = url ? url.replace(/^.*\//, '') : '';
    const where = file ? `${file}${lineNumber >= 0 && !file.endsWith('.wasm') && !url.startsWith('wasm:') ? `:${lineNumber + 1}:${columnNumber + 1}` : ''}` : '';
    const key = `${functionName || '(anonymous)'}\t${where}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  }
  const total = [...byFunction.values()].reduce((a, b) => a + b, 0);
  const idle = byFunction.get('(idle)\t') ?? 0;
  return { total, idle, rows: [...byFunction].sort((a, b) => b[1] - a[1]) };
}
