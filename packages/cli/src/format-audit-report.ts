import type { AuditReport } from './audit.js';
import type { AuditValue } from './audit-probes.js';

function show(value: AuditValue): string {
  return value === null ? '(none)' : String(value);
}

function delta(before: AuditValue, after: AuditValue): string {
  if (typeof before === 'number' && typeof after === 'number') {
    const d = after - before;
    return d >= 0 ? `+${d}` : String(d);
  }
  return 'changed';
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

/** Renders an {@link AuditReport} for a terminal: a verdict line, then one line per target. */
export function formatAuditReport(report: AuditReport): string {
  const lines: string[] = [];
  if (report.productionChanges > 0) {
    lines.push(`dyeline audit: FAIL — ${report.productionChanges} production target(s) changed during the run`);
  } else if (!report.ok) {
    lines.push('dyeline audit: FAIL — the run between the snapshots failed (production unchanged)');
  } else {
    lines.push(`dyeline audit: PASS — production unchanged (${report.findings.filter((f) => f.side === 'production').length} target(s))`);
  }
  const nameWidth = Math.max(5, ...report.findings.map((finding) => finding.check.length));
  for (const finding of report.findings) {
    const change = `${show(finding.before)} → ${show(finding.after)}`;
    let verdict: string;
    if (!finding.changed) verdict = 'unchanged';
    else if (finding.side === 'shadow') verdict = `${delta(finding.before, finding.after)} (expected: shadow)`;
    else verdict = `${delta(finding.before, finding.after)} LEAK: production must not change during a shadow run`;
    lines.push(`  ${pad(finding.check, nameWidth)}  ${pad(finding.side, 10)}  ${pad(change, 16)}  ${verdict}`);
    lines.push(`  ${' '.repeat(nameWidth)}  ${' '.repeat(10)}  ${finding.target}`);
  }
  if (report.runError !== undefined) {
    const error = report.runError;
    lines.push(`  run failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return lines.join('\n');
}
