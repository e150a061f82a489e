// Renames the wasm module's imports to one- and two-letter names, and the
// glue's import object to match. wasm-bindgen names each import after its JS
// function plus a 16-digit hash (`__wbg_new_83ca405eae412a62`), which gzip
// cannot compress: the import section was a sixth of the gzipped npm wasm.
// Exports keep their names: `init()` hands the wasm's exports to the page.
//
//   node scripts/minify-imports.mjs pkg.new/web_sse_bg.wasm pkg.new/web_sse.js
//
// It checks what it did: every import renamed once in the glue, and the
// rewritten pair instantiates (a missing import would fail to link).
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';

const [wasmFile, glueFile] = process.argv.slice(2);
const fail = (message) => {
  console.error(`minify-imports: ${message}`);
  process.exit(1);
};

const bytes = fs.readFileSync(wasmFile);
let at = 0;
const leb = () => {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return value;
  }
};
const encodeLeb = (value) => {
  const out = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return Buffer.from(out);
};
const text = () => {
  const length = leb();
  at += length;
  return bytes.subarray(at - length, at).toString('utf8');
};
const encodeText = (value) => {
  const utf8 = Buffer.from(value, 'utf8');
  return Buffer.concat([encodeLeb(utf8.length), utf8]);
};
// A table's or a memory's limits: a flags byte, the minimum, a maximum when flagged.
const limits = () => {
  const flags = bytes[at++];
  leb();
  if (flags & 1) leb();
};

// Valid JS property names: a letter, then a letter or digit for the 53rd
// name on.
const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
const shortName = (index) => {
  const second = Math.floor(index / letters.length);
  if (second > 62) fail('more imports than two-letter names');
  return letters[index % letters.length] + (second ? `${letters}0123456789`[second - 1] : '');
};

at = 8;
let section = null;
while (at < bytes.length) {
  const start = at;
  const id = bytes[at++];
  const size = leb();
  if (id === 2) {
    section = { start, body: at, end: at + size };
    break;
  }
  at += size;
}
if (!section) fail(`${wasmFile} has no import section`);

at = section.body;
const count = leb();
const renames = new Map();
const entries = [];
let module = null;
for (let index = 0; index < count; index++) {
  const from = text();
  const name = text();
  const descStart = at;
  const kind = bytes[at++];
  if (kind === 0 || kind === 4) {
    if (kind === 4) at++;
    leb();
  } else if (kind === 1) {
    at++;
    limits();
  } else if (kind === 2) {
    limits();
  } else if (kind === 3) {
    at += 2;
  } else {
    fail(`import ${name}: unknown kind ${kind}`);
  }
  if (module !== null && from !== module) fail(`imports from two modules (${module}, ${from}): the glue rewrite handles one`);
  module = from;
  if (renames.has(name)) fail(`import ${name} twice`);
  renames.set(name, shortName(renames.size));
  entries.push(Buffer.concat([encodeText('a'), encodeText(renames.get(name)), bytes.subarray(descStart, at)]));
}
if (at !== section.end) fail('the import section did not parse to its end');

const body = Buffer.concat([encodeLeb(count), ...entries]);
fs.writeFileSync(
  wasmFile,
  Buffer.concat([
    bytes.subarray(0, section.start),
    Buffer.from([2]),
    encodeLeb(body.length),
    body,
    bytes.subarray(section.end),
  ]),
);

let glue = fs.readFileSync(glueFile, 'utf8');
const once = (pattern, replacement, what) => {
  const matches = glue.match(new RegExp(pattern.source, `${pattern.flags}g`));
  if (matches?.length !== 1) fail(`${glueFile}: ${what} found ${matches?.length ?? 0} times, not once`);
  glue = glue.replace(pattern, replacement);
};
const escape = (value) => value.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
for (const [name, short] of renames) {
  once(new RegExp(`^(\\s+)${escape(name)}:`, 'm'), `$1${short}:`, `import ${name}`);
}
once(new RegExp(`(["'])${escape(module)}\\1:`), '"a":', `module ${module}`);
fs.writeFileSync(glueFile, glue);

// Links, or says which import is missing.
const { initSync } = await import(pathToFileURL(glueFile).href);
try {
  initSync({ module: fs.readFileSync(wasmFile) });
} catch (error) {
  fail(`the rewritten module does not instantiate: ${error.message}`);
}
console.log(`minify-imports: ${count} imports renamed`);
