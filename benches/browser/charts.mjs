// The report's charts: horizontal bar charts as SVG.
import { CONTROL } from './config.mjs';
import { group } from './format.mjs';

const escapeXml = (text) => String(text).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);

function colorOf(name) {
  if (name === 'native') return '#7f7f7f';
  if (name === 'ceiling' || name === CONTROL) return '#b8b8b8';
  if (name.startsWith('web-sse Rust')) return '#1b7f79';
  if (name.startsWith('web-sse')) return '#2a62b8';
  return '#c4671d';
}

function niceStep(range) {
  const raw = range / 5;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

/**
 * A horizontal bar chart as an SVG string: one bar per client at its median,
 * a whisker from min to max, the value at the right.
 */
export function barChart({ title, subtitle, unit, rows, labels, format, scale = 1 }) {
  const width = 820;
  const labelWidth = 250;
  const valueWidth = 130;
  const top = subtitle ? 58 : 42;
  const rowHeight = 24;
  const plotLeft = labelWidth;
  const plotWidth = width - labelWidth - valueWidth - 10;
  const entries = [...rows].map(([name, row]) => ({ name, ...row }));
  const values = entries.flatMap((e) => [e.median, e.min ?? e.median, e.max ?? e.median]).map((v) => v * scale);
  let lo = Math.min(0, ...values);
  let hi = Math.max(0, ...values);
  if (hi === lo) hi = lo + 1;
  const step = niceStep(hi - lo);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const x = (v) => plotLeft + ((v * scale - lo) / (hi - lo)) * plotWidth;
  const xs = (v) => plotLeft + ((v - lo) / (hi - lo)) * plotWidth;
  const height = top + entries.length * rowHeight + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold" fill="#222">${escapeXml(title)}</text>`,
  ];
  if (subtitle) parts.push(`<text x="12" y="40" fill="#555">${escapeXml(subtitle)}</text>`);
  const bottom = top + entries.length * rowHeight;
  for (let t = lo; t <= hi + step / 2; t += step) {
    const tx = xs(t).toFixed(1);
    parts.push(`<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${bottom}" stroke="${Math.abs(t) < step / 1e6 ? '#888' : '#e2e2e2'}"/>`);
    parts.push(`<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#555">${escapeXml(Number.isInteger(step) ? group(t / scale) : format(t / scale))}</text>`);
  }
  parts.push(`<text x="${plotLeft + plotWidth / 2}" y="${bottom + 33}" text-anchor="middle" fill="#555">${escapeXml(unit)}</text>`);
  entries.forEach((e, i) => {
    const y = top + i * rowHeight;
    const zero = xs(0);
    const end = x(e.median);
    const color = colorOf(e.name);
    parts.push(`<text x="${labelWidth - 8}" y="${y + 16}" text-anchor="end" fill="#222">${escapeXml(labels(e.name))}</text>`);
    parts.push(`<rect x="${Math.min(zero, end).toFixed(1)}" y="${y + 5}" width="${Math.max(1, Math.abs(end - zero)).toFixed(1)}" height="14" fill="${color}"${e.name === 'ceiling' ? ' stroke="#777" stroke-dasharray="3 2"' : ''}/>`);
    if (e.min !== undefined && e.max !== undefined && e.max > e.min) {
      const [a, b] = [x(e.min).toFixed(1), x(e.max).toFixed(1)];
      parts.push(`<g stroke="#222" stroke-width="1"><line x1="${a}" y1="${y + 12}" x2="${b}" y2="${y + 12}"/><line x1="${a}" y1="${y + 8}" x2="${a}" y2="${y + 16}"/><line x1="${b}" y1="${y + 8}" x2="${b}" y2="${y + 16}"/></g>`);
    }
    parts.push(`<text x="${width - valueWidth}" y="${y + 16}" fill="#222">${escapeXml(e.label ?? format(e.median))}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
