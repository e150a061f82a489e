// Copies the code blocks of a README that follow a `<!-- PREFIX: FILE -->`
// marker into DIR/FILE, so that the quick-start tests build exactly what the
// README prints. Fails when a marker has no fenced block after it, or when
// the README has none of the named files.
//
//   node tests/quickstart/extract.mjs README.md rust-quickstart DIR [FILE=NAME ...]
//
// FILE=NAME writes the block marked FILE to DIR/NAME instead (webpack's entry
// is src/index.js where the README says main.js).
import fs from 'node:fs';
import path from 'node:path';

const [readme, prefix, dir, ...renames] = process.argv.slice(2);
if (!readme || !prefix || !dir) {
  console.error('usage: extract.mjs README PREFIX DIR [FILE=NAME ...]');
  process.exit(2);
}
const rename = new Map(renames.map((pair) => pair.split('=')));
const lines = fs.readFileSync(readme, 'utf8').split('\n');
const marker = new RegExp(`^<!-- ${prefix}: (\\S+) -->$`);
const written = [];
for (let i = 0; i < lines.length; i++) {
  const match = marker.exec(lines[i]);
  if (!match) continue;
  const fence = /^(```+)\S*$/.exec(lines[i + 1] ?? '');
  if (!fence) throw new Error(`${readme}:${i + 1}: the marker for ${match[1]} is not followed by a fenced block`);
  const end = lines.indexOf(fence[1], i + 2);
  if (end < 0) throw new Error(`${readme}:${i + 2}: unterminated block for ${match[1]}`);
  const name = rename.get(match[1]) ?? match[1];
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${lines.slice(i + 2, end).join('\n')}\n`);
  written.push(name);
  i = end;
}
if (written.length === 0) throw new Error(`${readme} has no <!-- ${prefix}: FILE --> block`);
console.log(`${prefix}: ${written.join(', ')} from ${readme}`);
