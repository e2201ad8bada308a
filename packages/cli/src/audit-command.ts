import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { compareSnapshots, parseSnapshot, runAudit, takeSnapshot } from './audit.js';
import type { AuditReport } from './audit.js';
import { loadAuditConfig } from './audit-config.js';
import { AuditConfigError } from './audit-config-error.js';
import { EXIT, parseFlags } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { formatAuditReport } from './format-audit-report.js';
import { UsageError } from './usage-error.js';

/** `dyeline audit --help` */
export const AUDIT_HELP = `Usage:
  dyeline audit --config <audit.yaml> [--json] -- <command> [args...]
  dyeline audit snapshot --config <audit.yaml> --out <snapshot.json>
  dyeline audit check --config <audit.yaml> --before <snapshot.json> [--json]

Reads the production and shadow targets named in the config (a SQL count on
PostgreSQL or PGlite, a Redis key pattern counted with SCAN, a RabbitMQ
queue's message count) before and after a stress run. Any production change
fails the audit; shadow changes are reported as expected.

  audit.yaml:
    checks:
      - name: orders
        sql:
          url: \${DATABASE_URL}          # or dataDir: ./pgdata (PGlite)
          production: SELECT count(*) FROM orders
          shadow: SELECT count(*) FROM shadow_orders
      - name: carts
        redis: { url: redis://127.0.0.1:6379, production: 'cart:*', shadow: 'shadow_cart:*' }
      - name: order events
        rabbitmq: { url: amqp://127.0.0.1, production: orders, shadow: shadow_orders }

Exit: 0 production unchanged · 1 production changed, or the command failed
      2 bad flags or config · 3 a target could not be read`;

const FLAGS = {
  config: { type: 'string' },
  out: { type: 'string' },
  before: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function required(value: string | undefined, flag: string, usage: string): string {
  if (value === undefined || value === '') throw new UsageError(`audit: --${flag} <file> is required (${usage})`);
  return value;
}

/** Runs `command` with the terminal attached; rejects when it cannot start or exits non-zero. */
function runCommand(command: readonly string[], io: CliIo): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), { stdio: 'inherit', env: { ...io.env } });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`"${command.join(' ')}" exited with ${signal ?? `code ${String(code)}`}`));
    });
  });
}

function finish(report: AuditReport, json: boolean, io: CliIo): number {
  if (json) {
    const runError = report.runError === undefined ? undefined : String((report.runError as Error).message ?? report.runError);
    io.stdout(`${JSON.stringify({ ...report, runError })}\n`);
  } else {
    io.stdout(`${formatAuditReport(report)}\n`);
  }
  return report.ok ? EXIT.ok : EXIT.failed;
}

async function readSnapshot(path: string) {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuditConfigError('(snapshot)', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return parseSnapshot(JSON.parse(text));
  } catch (error) {
    if (error instanceof SyntaxError) throw new AuditConfigError('(snapshot)', `${path} is not JSON`, { cause: error });
    throw error;
  }
}

/** `dyeline audit …`: returns the exit code. */
export async function auditCommand(args: readonly string[], io: CliIo): Promise<number> {
  // Everything after `--` is the command to audit, flags included.
  const split = args.indexOf('--');
  const own = split === -1 ? args : args.slice(0, split);
  const command = split === -1 ? [] : args.slice(split + 1);
  const { values, positionals } = parseFlags('audit', own, FLAGS);
  if (values.help === true) {
    io.stdout(`${AUDIT_HELP}\n`);
    return EXIT.ok;
  }
  const json = values.json === true;
  const sub = positionals[0];
  if (positionals.length > 1) throw new UsageError(`audit: unexpected ${positionals.slice(1).join(' ')} (put the command to run after --)`);
  if (sub === 'snapshot') {
    const config = await loadAuditConfig(required(values.config, 'config', 'the targets to read'), { env: io.env });
    const out = required(values.out, 'out', 'where the snapshot goes');
    const snapshot = await takeSnapshot(config);
    await writeFile(out, `${JSON.stringify(snapshot, null, 2)}\n`);
    io.stdout(`dyeline audit: snapshot of ${config.checks.length} check(s) written to ${out}\n`);
    return EXIT.ok;
  }
  if (sub === 'check') {
    const config = await loadAuditConfig(required(values.config, 'config', 'the targets to read'), { env: io.env });
    const before = await readSnapshot(required(values.before, 'before', 'the snapshot taken before the run'));
    return finish(compareSnapshots(config, before, await takeSnapshot(config)), json, io);
  }
  if (sub !== undefined) throw new UsageError(`audit: unknown subcommand "${sub}" (snapshot, check, or -- <command>)`);
  if (command.length === 0) {
    throw new UsageError('audit: give the command to run between the snapshots after --, or use "audit snapshot" and "audit check"');
  }
  const config = await loadAuditConfig(required(values.config, 'config', 'the targets to read'), { env: io.env });
  return finish(await runAudit({ config, run: () => runCommand(command, io) }), json, io);
}
