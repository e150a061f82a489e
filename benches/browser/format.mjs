// Numbers: as the report prints them, and split into rounds.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
export const stats = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });
export const group = (value, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const ratio = (value) => (Number.isFinite(value) ? `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}×` : '—');
export const kb = (bytes) => group(bytes / 1000, 1);

/** `total` in `parts` near-equal whole parts. */
export function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor((total * (i + 1)) / parts) - Math.floor((total * i) / parts));
}
