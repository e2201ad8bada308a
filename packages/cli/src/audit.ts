import type { AuditConfig, AuditProbe } from './audit-config.js';
import { AuditConfigError } from './audit-config-error.js';
import { AuditProbeError } from './audit-probe-error.js';
import { ProbeReader } from './audit-probes.js';
import type { AuditConnections, AuditValue } from './audit-probes.js';

/** The values of every check at one moment; `dyeline audit snapshot` writes it as JSON. */
export interface AuditSnapshot {
  readonly version: 1;
  /** ISO time. */
  readonly takenAt: string;
  readonly values: Readonly<Record<string, { production: AuditValue; shadow?: AuditValue }>>;
}

/** One target, before and after. */
export interface AuditFinding {
  readonly check: string;
  readonly side: 'production' | 'shadow';
  /** What was read, credentials masked: `SELECT count(*) FROM orders @ postgres://u:***@db/app`. */
  readonly target: string;
  readonly before: AuditValue;
  readonly after: AuditValue;
  readonly changed: boolean;
}

/** The outcome of an audit: `ok` unless a production target changed (or the run between snapshots failed). */
export interface AuditReport {
  readonly ok: boolean;
  readonly findings: readonly AuditFinding[];
  /** Production targets that changed: each one is an isolation failure. */
  readonly productionChanges: number;
  /** The run between the snapshots threw / exited non-zero (see {@link runAudit}). */
  readonly runError?: unknown;
}

/** Options shared by the audit functions. */
export interface AuditOptions {
  /** Connections you already hold, used instead of opening new ones (see {@link AuditConnections}). */
  connections?: AuditConnections;
}

function mask(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url;
  }
}

/** How a probe is named in reports. */
export function describeProbe(probe: AuditProbe): string {
  if (probe.kind === 'sql') return `${probe.query} @ ${probe.url === undefined ? `pglite:${probe.dataDir ?? ''}` : mask(probe.url)}`;
  if (probe.kind === 'redis') return `keys ${probe.pattern} @ ${mask(probe.url)}`;
  return `queue ${probe.queue} @ ${mask(probe.url)}`;
}

async function readSide(reader: ProbeReader, check: string, side: 'production' | 'shadow', probe: AuditProbe): Promise<AuditValue> {
  try {
    return await reader.read(probe);
  } catch (error) {
    throw new AuditProbeError(check, side, `cannot read ${describeProbe(probe)}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reads every check's production and shadow target once.
 *
 * @throws {AuditProbeError} naming the check when a target cannot be read.
 */
export async function takeSnapshot(config: AuditConfig, options: AuditOptions = {}): Promise<AuditSnapshot> {
  const reader = new ProbeReader(options.connections);
  const values: Record<string, { production: AuditValue; shadow?: AuditValue }> = {};
  try {
    for (const check of config.checks) {
      const production = await readSide(reader, check.name, 'production', check.production);
      values[check.name] =
        check.shadow === undefined ? { production } : { production, shadow: await readSide(reader, check.name, 'shadow', check.shadow) };
    }
  } finally {
    await reader.close();
  }
  return { version: 1, takenAt: new Date().toISOString(), values };
}

function isValue(value: unknown): value is AuditValue {
  return value === null || typeof value === 'number' || typeof value === 'string';
}

/**
 * Validates a snapshot read back from JSON.
 *
 * @throws {AuditConfigError} naming the field when it is not a snapshot.
 */
export function parseSnapshot(input: unknown): AuditSnapshot {
  const raw = input as Partial<AuditSnapshot> | null;
  if (typeof raw !== 'object' || raw === null || raw.version !== 1) throw new AuditConfigError('(snapshot).version', 'not a dyeline audit snapshot (version 1)');
  if (typeof raw.values !== 'object' || raw.values === null) throw new AuditConfigError('(snapshot).values', 'must be an object');
  for (const [name, entry] of Object.entries(raw.values)) {
    if (typeof entry !== 'object' || entry === null || !isValue(entry.production) || (entry.shadow !== undefined && !isValue(entry.shadow))) {
      throw new AuditConfigError(`(snapshot).values.${name}`, 'must hold a production value (number, string or null)');
    }
  }
  return { version: 1, takenAt: String(raw.takenAt ?? ''), values: raw.values };
}

/**
 * Compares two snapshots of `config`: a production target that changed is a
 * failure, a shadow target that changed is expected.
 *
 * @throws {AuditConfigError} when a check of `config` is missing from a snapshot.
 */
export function compareSnapshots(config: AuditConfig, before: AuditSnapshot, after: AuditSnapshot): AuditReport {
  const findings: AuditFinding[] = [];
  config.checks.forEach((check, i) => {
    const was = before.values[check.name];
    const now = after.values[check.name];
    if (was === undefined || now === undefined) {
      throw new AuditConfigError(`checks[${i}].name`, `"${check.name}" is not in the snapshot; take both snapshots with the same config`);
    }
    findings.push({
      check: check.name,
      side: 'production',
      target: describeProbe(check.production),
      before: was.production,
      after: now.production,
      changed: was.production !== now.production,
    });
    if (check.shadow !== undefined) {
      const shadowBefore = was.shadow ?? null;
      const shadowAfter = now.shadow ?? null;
      findings.push({
        check: check.name,
        side: 'shadow',
        target: describeProbe(check.shadow),
        before: shadowBefore,
        after: shadowAfter,
        changed: shadowBefore !== shadowAfter,
      });
    }
  });
  const productionChanges = findings.filter((finding) => finding.side === 'production' && finding.changed).length;
  return { ok: productionChanges === 0, findings, productionChanges };
}

/** Options of {@link runAudit}. */
export interface RunAuditOptions extends AuditOptions {
  config: AuditConfig;
  /** The stress run between the snapshots. An error from it fails the audit, after the second snapshot is taken. */
  run: () => Promise<void>;
}

/**
 * Snapshot, `run()`, snapshot, compare. The programmatic form of
 * `dyeline audit --config f -- <command>`.
 *
 * @throws {AuditProbeError} when a target cannot be read.
 */
export async function runAudit(options: RunAuditOptions): Promise<AuditReport> {
  const before = await takeSnapshot(options.config, options);
  let runError: unknown;
  let failed = false;
  try {
    await options.run();
  } catch (error) {
    failed = true;
    runError = error;
  }
  const report = compareSnapshots(options.config, before, await takeSnapshot(options.config, options));
  return failed ? { ...report, ok: false, runError } : report;
}
