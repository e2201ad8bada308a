import type { DemoRow } from './types.js';

function formatTag(tag: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(tag)) {
    if (key === 'extra' && typeof value === 'object' && value !== null) {
      for (const [name, entry] of Object.entries(value)) parts.push(`${name}=${String(entry)}`);
    } else if (value === true) {
      parts.push(key);
    } else {
      parts.push(`${key}=${String(value)}`);
    }
  }
  return parts.length === 0 ? '(none)' : parts.join(' ');
}

function formatAnswered(row: DemoRow): string {
  const versions = Object.keys(row.answered).sort();
  if (versions.length === 0) return '-';
  return versions.map((version) => `${version}×${row.answered[version] ?? 0}`).join(' ');
}

/** Renders the demo's rows as a plain-text table, one line per request class. */
export function formatTable(rows: readonly DemoRow[]): string {
  const header = ['step', 'request class', 'req', 'answered by', 'expected', 'tag at last hop', 'arrived', 'check', 'note'];
  const lines = rows.map((row) => [
    row.step,
    row.name,
    String(row.requests),
    formatAnswered(row),
    row.expectedVersions.join('|'),
    formatTag(row.expectedTag),
    row.tagOk === row.requests ? `OK ${row.tagOk}/${row.requests}` : `mismatch ${row.requests - row.tagOk}/${row.requests}`,
    row.ok ? 'ok' : 'FAIL',
    row.note,
  ]);
  const widths = header.map((title, i) => Math.max(title.length, ...lines.map((line) => (line[i] as string).length)));
  const render = (cells: readonly string[]): string =>
    cells.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...lines.map(render)].join('\n');
}
