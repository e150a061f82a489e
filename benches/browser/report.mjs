// The report: markdown tables of each measure with their charts, printed, and
// written into docs/performance.md (between its bench markers) and
// docs/bench-*.svg, or into a --charts directory.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { barChart } from './charts.mjs';
import { CONTROL, docsDir, MEMORY_ROUNDS, PEERS, root } from './config.mjs';
import { group, kb, median, ratio, split, stats } from './format.mjs';
import { SPEC_TYPES } from './spec.mjs';
import { VECTORS } from './server.mjs';

const docPath = path.join(docsDir, 'performance.md');
const HEADING = '## Browser: every client in one run';
const START = '<!-- bench:browser:start -->';
const END = '<!-- bench:browser:end -->';

/** The CPU's model and count, for the report. */
export function machine() {
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'm').exec(lscpu)?.[1]?.trim();
  const model = field('Model name') ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const cores = field('CPU\\(s\\)') ?? String(os.cpus().length);
  return `${model}, ${cores} cores`;
}

/**
 * A markdown table of one measure. `rows` maps client -> { median, min, max }
 * (and `extra` cells); `better` is 'higher' or 'lower'; ratios divide the
 * client's median by the reference's, blank where the reference is too
 * small for a ratio to mean anything (`floor`).
 */
function markdownTable({ rows, clients, unit, format, better, ceiling = false, floor = 0, extraHeads = [], labels }) {
  const value = (name) => rows.get(name)?.median;
  const peers = PEERS.filter((p) => rows.has(p));
  const best = peers.length ? peers.reduce((a, b) => ((better === 'higher' ? value(b) > value(a) : value(b) < value(a)) ? b : a)) : null;
  const ratioTo = (name, ref) => {
    if (!rows.has(ref)) return '—';
    const r = value(ref);
    if (!(Math.abs(r) > floor) || !(Math.abs(value(name)) > floor)) return '—';
    return ratio(value(name) / r);
  };
  const heads = ['client', `${unit} (median)`, 'min – max', ...extraHeads, '÷ native', best ? `÷ best peer (${best})` : '÷ best peer'];
  if (ceiling) heads.push('÷ ceiling');
  const lines = [`| ${heads.join(' | ')} |`, `| --- | ${heads.slice(1).map(() => '---:').join(' | ')} |`];
  for (const name of clients) {
    const row = rows.get(name);
    if (!row) continue;
    const cells = [labels(name), format(row.median), `${format(row.min)} – ${format(row.max)}`, ...(row.extra ?? []),
      ratioTo(name, 'native'), best ? ratioTo(name, best) : '—'];
    if (ceiling) cells.push(ratioTo(name, 'ceiling'));
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return { text: lines.join('\n'), best };
}

function writeDoc(section) {
  let doc = fs.readFileSync(docPath, 'utf8');
  const block = `${START}\n${section}\n${END}`;
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start >= 0 && end > start) {
    doc = doc.slice(0, start) + block + doc.slice(end + END.length);
  } else {
    doc = `${doc.replace(/\n*$/, '\n')}\n${HEADING}\n\n${block}\n`;
  }
  fs.writeFileSync(docPath, doc);
}

/**
 * Prints the report and writes it where the options ask: the section and the
 * charts into --charts, and into docs/ unless --no-doc. `run` has what the
 * section's header tells: clients, labels, sizes, options, peerVersions,
 * chromium, load, and the times it began and had built.
 */
export function writeReport(report, run) {
  const { options, began, built, load, chromium, peerVersions } = run;
  const took = (Date.now() - began) / 1000;
  const { sections, charts, headline } = render(report, run);
  console.log(`\n${sections.join('\n\n')}\n`);
  if (headline) console.log(`headline: ${headline}\n`);
  const date = new Date().toISOString().replace(/T(\d\d:\d\d).*/, ', $1 UTC');
  const section = [
    `Measured ${date} with \`npm run bench\` (${options.rounds} rounds; load average ${load.toFixed(2)} before the run; `
      + `${Math.round(took)} s, of which ${Math.round((built - began) / 1000)} s building).`,
    `Machine: ${machine()}; Chromium ${chromium} (headless); Node ${process.versions.node}.`,
    `Peers: ${Object.entries(peerVersions).map(([name, version]) => `${name} ${version}`).join(', ')}.`,
    '',
    headline ? `**Headline**: ${headline}\n` : '',
    sections.join('\n\n'),
  ].join('\n');
  if (options.charts) {
    fs.mkdirSync(options.charts, { recursive: true });
    fs.writeFileSync(path.join(options.charts, 'section.md'), `${section}\n`);
    for (const [file, svg] of charts) fs.writeFileSync(path.join(options.charts, file), svg);
    console.log(`bench: wrote the section and the charts into ${options.charts}`);
  }
  if (options.doc) {
    writeDoc(section);
    for (const [file, svg] of charts) fs.writeFileSync(path.join(docsDir, file), svg);
    console.log(`bench: wrote ${path.relative(root, docPath)} and ${charts.map(([file]) => `docs/${file}`).join(', ')}`);
  }
  console.log(`bench: done in ${took.toFixed(0)} s (${((built - began) / 1000).toFixed(0)} s building)`);
}

/** The tables (markdown sections), the charts ([file, svg]) and a headline. */
function render(report, { clients, labels, sizes, options }) {
  const sections = [];
  const charts = [];
  const headlines = [];
  const figure = (file, alt) => `![${alt}](${file})`;
  const rounds = `median of ${options.rounds} round${options.rounds > 1 ? 's' : ''}`;

  for (const { n, size, results } of report.throughput) {
    const rates = new Map([...results].map(([name, ms]) => [name, stats(ms.map((t) => n / (t / 1000)))]));
    const mbs = (rate) => (rate * size) / 1e6;
    for (const row of rates.values()) row.extra = [group(mbs(row.median), 1)];
    const sizeLabel = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
    const title = `Throughput, ${group(n)} × ${sizeLabel} events`;
    const file = `bench-throughput-${size >= 1024 ? `${size / 1024}k` : `${size}b`}.svg`;
    const { text, best } = markdownTable({ rows: rates, clients, unit: 'msgs/s', format: (v) => group(v), better: 'higher', ceiling: true, extraHeads: ['MB/s'], labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `messages per second from construction to the last event (${rounds}, min–max whiskers); longer is faster`, unit: 'msgs/s', rows: rates, labels, format: (v) => group(v) })]);
    if (size === 64 && rates.has('web-sse fetch')) {
      const v = (name) => rates.get(name)?.median;
      const parts = [];
      if (rates.has('native')) parts.push(`${ratio(v('web-sse fetch') / v('native'))} native`);
      if (best) parts.push(`${ratio(v('web-sse fetch') / v(best))} the fastest peer (${labels(best)})`);
      if (rates.has('ceiling')) parts.push(`${ratio(v('web-sse fetch') / v('ceiling'))} the ceiling`);
      let line = `at ${group(n)} × 64 B, web-sse fetch (JS API) runs at ${parts.join(', ') || 'its own pace'}`;
      if (rates.has('web-sse Rust fetch') && rates.has('event-source-polyfill')) {
        line += `; the Rust Stream on fetch runs at ${ratio(v('web-sse Rust fetch') / v('event-source-polyfill'))} event-source-polyfill`;
      }
      headlines.push(`${line}.`);
    }
  }

  if (report.firstEvent) {
    const rows = new Map([...report.firstEvent].map(([name, ms]) => [name, stats(ms)]));
    const title = 'Time to the first event';
    const file = 'bench-first-event.svg';
    const { text } = markdownTable({ rows, clients, unit: 'ms', format: (v) => group(v, 1), better: 'lower', labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + `From construction to the first \`message\` event, the library already loaded (${rounds}, a fresh page each); a ratio below 1 is faster.\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `ms from construction to the first event (${rounds}, min–max whiskers); shorter is faster`, unit: 'ms', rows, labels, format: (v) => group(v, 1) })]);
  }

  if (report.cycles) {
    const per = split(sizes.cycles, MEMORY_ROUNDS)[0];
    const control = report.cycles.get(CONTROL).perCycle;
    const rows = new Map([...report.cycles].map(([name, result]) => {
      const row = stats(result.rounds.map((r) => r.perCycle));
      const live = result.rounds.every((r) => r.live !== null) ? group(result.rounds.reduce((sum, r) => sum + r.live, 0) / sizes.cycles, 1) : '—';
      row.extra = [group(result.perCycle, 1), name === CONTROL ? '—' : group(result.perCycle - control, 1), group(result.after.wasm - result.before.wasm), live];
      return [name, row];
    }));
    const title = `Memory: ${group(sizes.cycles)} open/close cycles`;
    const file = 'bench-memory-cycles.svg';
    const { text } = markdownTable({
      rows, clients: [...clients, CONTROL], unit: 'B/cycle', format: (v) => group(v, 1), better: 'lower', floor: 8, labels,
      extraHeads: [`all ${group(sizes.cycles)} (B/cycle)`, 'all − control', 'wasm growth (B)', 'Rust live (B/cycle)'],
    });
    sections.push(`### ${title}

${figure(file, title)}

`
      + `Growth of the JS heap (V8 + Blink) + wasm memory per cycle (construct, first event, close), after forced GCs: ${group(sizes.cycles)} cycles `
      + `one after another on one page, after ${group(sizes.cyclesWarmup)} unmeasured ones, measured in ${MEMORY_ROUNDS} rounds of about ${group(per)}; `
      + 'the median and min – max are over those rounds, "all" is the whole run. The browser keeps a few hundred bytes per request whoever makes it: '
      + `the ${CONTROL} row is a bare \`fetch()\` of the same stream, its first chunk read, then aborted, and "all − control" is what the client adds to that. `
      + '"Rust live" is what the Rust allocator holds (the Rust clients count it). '
      + `A ratio below 1 is better; "—" where a figure is within 8 B/cycle of zero.\n\n${text}`);
    charts.push([file, barChart({ title, subtitle: `bytes kept per open/close cycle, JS heap + wasm memory after GC (median of ${MEMORY_ROUNDS} rounds, min–max whiskers); shorter is better`, unit: 'B/cycle', rows, labels, format: (v) => group(v, 1) })]);
  }

  if (report.held) {
    const count = sizes.held[1];
    const per = split(count, MEMORY_ROUNDS)[0];
    const short = (c) => (c >= 1e6 ? `${c / 1e6}M` : c >= 1e3 ? `${group(c / 1e3)}k` : group(c));
    const rows = new Map([...report.held].map(([name, result]) => {
      const row = stats(result.rounds.map((r) => r.retained));
      const live = result.after.live === null ? '—' : group(result.after.live - result.open.live);
      row.extra = [group(result.retained), live, kb(result.oneSource), result.after.wasm ? kb(result.after.wasm) : '—'];
      return [name, row];
    }));
    const title = `Memory: ${short(count)} messages on one connection`;
    const file = 'bench-memory-1m.svg';
    const { text } = markdownTable({
      rows, clients, unit: `B retained per ${short(per)}`, format: (v) => group(v), better: 'lower', floor: 64 * 1024, labels,
      extraHeads: [`after all ${short(count)} (B)`, 'Rust live (B)', 'one open source (kB)', 'wasm memory (kB)'],
    });
    sections.push(`### ${title}

${figure(file, title)}

`
      + `One source reads ${group(count)} × 64 B messages after its first ${group(sizes.held[0])}, in ${MEMORY_ROUNDS} rounds of about ${group(per)}: the server pauses `
      + 'the stream after each, and the page is measured (JS heap, V8 + Blink, + wasm memory, after forced GCs) with the connection still open. '
      + '"B retained" is the growth over a round (median, min – max over the rounds); "after all" is the growth over the whole run; "Rust live" is what the Rust '
      + 'allocator holds then less before (the Rust clients count it), which tells retained data from the wasm memory\'s high-water mark; "one open source" is the page '
      + 'with the library loaded and one source open less the empty page; "wasm memory" is the module\'s memory at the end (it grows in 64 KiB pages and never shrinks). '
      + `A ratio below 1 is better; "—" where a figure is within 64 KiB of zero. The chart shows "after all".\n\n${text}`);
    // The chart shows the whole run's growth: a first round that grows the
    // wasm memory would stretch the per-round whiskers over everything else.
    const totals = new Map([...report.held].map(([name, result]) => [name, { median: result.retained }]));
    charts.push([file, barChart({ title, subtitle: `bytes retained after all ${short(count)} messages (after less before), JS heap + wasm memory after GC; shorter is better`, unit: 'bytes', rows: totals, labels, format: (v) => group(v) })]);
  }

  if (report.bytes) {
    const rows = new Map([...report.bytes].map(([name, b]) => [name, { median: b.total, min: b.total, max: b.total, extra: [group(b.js), group(b.wasm)] }]));
    const title = 'Bytes shipped (gzip -9)';
    const file = 'bench-bytes.svg';
    const { text } = markdownTable({ rows, clients, unit: 'bytes', format: (v) => group(v), better: 'lower', floor: 0, extraHeads: ['JS', 'wasm'], labels });
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + 'What a page downloads for the client, gzipped at level 9: its JS minified (Vite library build; event-source-polyfill\'s own `eventsource.min.js`) '
      + 'plus its wasm. web-sse native does not fetch the wasm. The Rust clients are the bench crates (benches/browser/rust) built for size '
      + '(opt-level "z", LTO, wasm-opt -Oz), each with its own small harness (count, Held) in the wasm. The min – max column is the same figure (one build).\n\n'
      + text.replace(/\| ([\d,]+) – \1 \|/g, '| — |'));
    charts.push([file, barChart({ title, subtitle: 'gzip -9 bytes of minified JS + wasm; shorter is smaller', unit: 'bytes', rows: new Map([...rows].map(([k, v]) => [k, { median: v.median }])), labels, format: (v) => group(v) })]);
  }

  if (report.spec) {
    const total = VECTORS.length;
    const lines = ['| client | matching / native\'s events | extra events | vectors exact |', '| --- | ---: | ---: | ---: |'];
    const chartRows = new Map();
    for (const name of clients) {
      const list = report.spec.get(name);
      if (!list) continue;
      const matching = median(list.map((r) => r.matching));
      const of = list[0].nativeEvents;
      lines.push(`| ${labels(name)} | ${matching} / ${of} | ${median(list.map((r) => r.extra))} | ${median(list.map((r) => r.exact))} / ${list[0].vectors} |`);
      chartRows.set(name, { median: matching, min: Math.min(...list.map((r) => r.matching)), max: Math.max(...list.map((r) => r.matching)), label: `${matching} / ${of}` });
    }
    const differs = clients.filter((name) => report.spec.get(name)?.[0].differ.length)
      .map((name) => `- ${labels(name)}: ${report.spec.get(name)[0].differ.join(', ')}`);
    const title = 'Spec-exactness';
    const file = 'bench-spec.svg';
    sections.push(`### ${title}\n\n${figure(file, title)}\n\n`
      + `The ${total} vectors of tests/data/sse-vectors.json, each served as a response (its chunks 10 ms apart; a vector with several connections gets one per reconnect), `
      + `through each client with listeners for ${SPEC_TYPES.map((t) => `\`${t}\``).join(', ')}. Native \`EventSource\` is the oracle: an event matches when its type, data and `
      + 'lastEventId are those of native\'s event for the same response, in order (longest common subsequence); "extra" are events native did not deliver. '
      + `Native itself delivers ${report.nativeSpec.matched} of the ${report.nativeSpec.expected} events the vectors expect`
      + `${report.nativeSpec.differ.length ? ` (it differs on ${report.nativeSpec.differ.join(', ')})` : ''}. `
      + `One round (counts, not timings).\n\n${lines.join('\n')}\n\n`
      + `${differs.length ? `Vectors where a client differs from native:\n${differs.join('\n')}` : 'Every client matches native on every vector.'}`);
    charts.push([file, barChart({ title, subtitle: 'events matching native EventSource\'s, of native\'s events; longer is better', unit: 'matching events', rows: chartRows, labels, format: (v) => group(v) })]);
  }
  return { sections, charts, headline: headlines.join(' ') };
}
