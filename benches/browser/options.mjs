// The command line of `npm run bench` (see run.mjs), and the sizes of each
// measure that it asks for.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CLIENTS, MEASURES } from './config.mjs';

/** run.mjs, whose leading comment is the --help text. */
const RUN = fileURLToPath(new URL('./run.mjs', import.meta.url));

export function parseArgs(argv) {
  const options = { rounds: 3, quick: false, doc: true, profile: null, only: null, measures: MEASURES };
  for (let i = 0; i < argv.length; i += 1) {
    const [flag, inline] = argv[i].split(/=(.*)/s);
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--rounds': options.rounds = Math.max(3, Number(value())); break;
      case '--quick': options.quick = true; break;
      case '--no-doc': options.doc = false; break;
      case '--charts': options.charts = value(); break;
      case '--cycles': options.cycles = Number(value()); options.doc = false; break;
      case '--messages': options.messages = Number(value()); options.doc = false; break;
      case '--profile': options.profile = inline ?? 'web-sse fetch'; break;
      case '--only': options.only = value().split(',').map((s) => s.trim()); options.doc = false; break;
      case '--measures': options.measures = value().split(',').map((s) => s.trim()); options.doc = false; break;
      case '--help': case '-h':
        console.log(fs.readFileSync(RUN, 'utf8').split('\n')
          .filter((line, i, lines) => lines.slice(0, i + 1).every((l) => l.startsWith('//'))).join('\n'));
        process.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${argv[i]} (see --help)`);
    }
  }
  for (const name of [options.profile, ...(options.only ?? [])]) {
    if (name !== null && !CLIENTS.includes(name)) throw new Error(`no client '${name}': ${CLIENTS.join(', ')}`);
  }
  for (const measure of options.measures) {
    if (!MEASURES.includes(measure)) throw new Error(`no measure '${measure}': ${MEASURES.join(', ')}`);
  }
  if (options.quick) {
    options.rounds = 1;
    options.doc = false;
  }
  return options;
}

/**
 * The sizes of each measure, full or --quick, with --cycles and --messages
 * applied; `gcPasses` is how many forced GCs, how many ms apart, come before
 * each memory reading.
 */
export function plan({ quick, cycles, messages }) {
  const sizes = quick ? {
    // 50,000 × 64 B fills a Rust stream's default queue (16,384) several
    // times over, so a stream that lags while it is read fails the smoke run.
    throughput: [[50_000, 64], [100, 4096], [10, 65536]],
    warmup: 0,
    firstEventRounds: 1,
    cycles: 60,
    cyclesWarmup: 10,
    cyclesParallel: 3,
    held: [1_000, 9_000],
    gcPasses: [2, 50],
  } : {
    throughput: [[100_000, 64], [10_000, 4096], [1_000, 65536]],
    warmup: 10,
    firstEventRounds: 3,
    cycles: 10_000,
    cyclesWarmup: 200,
    // CPU-bound (a request per cycle): two at a time gains a little over one
    // at a time; more side by side only slow each other down.
    cyclesParallel: 2,
    held: [1_000, 1_000_000],
    gcPasses: [3, 120],
  };
  if (cycles) sizes.cycles = cycles;
  if (messages) sizes.held = [sizes.held[0], messages];
  return sizes;
}
