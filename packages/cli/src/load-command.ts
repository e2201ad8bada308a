import { readFile } from 'node:fs/promises';
import { EXIT, numberFlag, pairsFlag, parseFlags } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { runLoad } from './load.js';
import type { LoadOptions, LoadReport } from './load.js';
import { UsageError } from './usage-error.js';

/** `dyeline load --help` */
export const LOAD_HELP = `Usage: dyeline load <url> [options]

Sends load at <url> with autocannon; every request carries the tag headers,
the tag signed (HMAC, @dyeline/core signTag) so that the service's trust
policy believes it.

  --rate <rps>              requests per second over all connections (default: unlimited)
  --duration <s>            seconds to run (default 10)
  --amount <n>              send exactly n requests instead (overrides --duration)
  --connections <n>         concurrent connections (default 10)
  --shadow                  mark the traffic shadow (x-shadow: 1): writes go to shadow targets
  --color <lane>            x-color
  --user <id>               x-user
  --extra <key=value>       an extra tag entry, sent as a header and signed (repeatable)
  --sign-key-id <id>        key id the service knows (or env DYELINE_SIGN_KEY_ID)
  --sign-key-file <file>    file holding the secret (or env DYELINE_SIGN_KEY)
  --signature-header <h>    default x-dyeline-signature
  --unsigned                send --shadow without a signature (only for services trusting you by address)
  --header <key:value>      another header, not part of the tag (repeatable)
  --method <m>, --body <s>  default GET, no body
  --max-error-rate <0..1>   fail above this share of errors + non-2xx (default 0.01)
  --timeout <s>             per request (default 10)
  --json                    print the report as JSON

Exit: 0 ok · 1 errors above the threshold · 2 bad flags`;

const FLAGS = {
  rate: { type: 'string' },
  duration: { type: 'string' },
  amount: { type: 'string' },
  connections: { type: 'string' },
  shadow: { type: 'boolean' },
  color: { type: 'string' },
  user: { type: 'string' },
  extra: { type: 'string', multiple: true },
  'sign-key-id': { type: 'string' },
  'sign-key-file': { type: 'string' },
  'signature-header': { type: 'string' },
  unsigned: { type: 'boolean' },
  header: { type: 'string', multiple: true },
  method: { type: 'string' },
  body: { type: 'string' },
  'max-error-rate': { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function signingKey(file: string | undefined, io: CliIo): Promise<string | undefined> {
  if (file === undefined) return io.env.DYELINE_SIGN_KEY === '' ? undefined : io.env.DYELINE_SIGN_KEY;
  try {
    // Editors and `echo` leave a trailing newline that is not part of the secret.
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(`load: --sign-key-file: cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Turns `dyeline load` arguments into {@link LoadOptions}.
 *
 * @throws {UsageError} naming the flag that is wrong.
 */
export async function parseLoadArgs(args: readonly string[], io: CliIo): Promise<LoadOptions & { json: boolean } | 'help'> {
  const { values, positionals } = parseFlags('load', args, FLAGS);
  if (values.help === true) return 'help';
  if (positionals.length !== 1) throw new UsageError(`load: expected one <url>, got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
  const key = await signingKey(values['sign-key-file'], io);
  const keyId = values['sign-key-id'] ?? io.env.DYELINE_SIGN_KEY_ID;
  if (key !== undefined && (keyId === undefined || keyId === '')) {
    throw new UsageError('load: a signing key needs its id: --sign-key-id <id> (or DYELINE_SIGN_KEY_ID)');
  }
  if (values.shadow === true && key === undefined && values.unsigned !== true) {
    throw new UsageError(
      'load: --shadow needs a signing key (--sign-key-file or DYELINE_SIGN_KEY): an unsigned shadow mark is dropped by the trust policy. ' +
        'Add --unsigned if the service trusts you by address.',
    );
  }
  const options: LoadOptions & { json: boolean } = {
    url: positionals[0] as string,
    rate: numberFlag('load', 'rate', values.rate, false, Number.MIN_VALUE),
    duration: numberFlag('load', 'duration', values.duration, false, Number.MIN_VALUE),
    connections: numberFlag('load', 'connections', values.connections, true, 1, 10_000),
    amount: numberFlag('load', 'amount', values.amount, true, 1),
    maxErrorRate: numberFlag('load', 'max-error-rate', values['max-error-rate'], false, 0, 1),
    timeout: numberFlag('load', 'timeout', values.timeout, false, Number.MIN_VALUE),
    shadow: values.shadow === true,
    color: values.color,
    user: values.user,
    extra: pairsFlag('load', 'extra', values.extra, '='),
    headers: pairsFlag('load', 'header', values.header, ':'),
    method: values.method?.toUpperCase(),
    body: values.body,
    json: values.json === true,
  };
  if (key !== undefined && values.unsigned !== true) {
    options.signing = { keyId: keyId as string, key, ...(values['signature-header'] === undefined ? {} : { header: values['signature-header'] }) };
  }
  return options;
}

/** Renders a {@link LoadReport} for a terminal. */
export function formatLoadReport(report: LoadReport): string {
  const tag = Object.entries(report.tagHeaders).map(([key, value]) => `${key}: ${value}`);
  return [
    `dyeline load: ${report.ok ? 'OK' : 'FAILED'} — ${report.url}`,
    `  tag headers  ${tag.length === 0 ? '(none)' : tag.join(', ')}`,
    `  requests     ${report.requests} in ${report.durationSeconds.toFixed(1)} s (${report.requestsPerSecond.toFixed(1)} req/s)`,
    `  latency      p50 ${report.latencyP50Ms} ms, p99 ${report.latencyP99Ms} ms`,
    `  non-2xx      ${report.non2xx}`,
    `  errors       ${report.errors} (timeouts ${report.timeouts}), error rate ${(report.errorRate * 100).toFixed(2)} %`,
  ].join('\n');
}

/** `dyeline load …`: returns the exit code. */
export async function loadCommand(args: readonly string[], io: CliIo): Promise<number> {
  const parsed = await parseLoadArgs(args, io);
  if (parsed === 'help') {
    io.stdout(`${LOAD_HELP}\n`);
    return EXIT.ok;
  }
  const { json, ...options } = parsed;
  let report: LoadReport;
  try {
    report = await runLoad({ ...options, ...(io.signal === undefined ? {} : { signal: io.signal }) });
  } catch (error) {
    // Option validation happens before the first request: that is a usage error.
    if (error instanceof TypeError) throw new UsageError(`load: ${error.message.replace(/^runLoad: options\./, '')}`, { cause: error });
    throw error;
  }
  io.stdout(`${json ? JSON.stringify(report) : formatLoadReport(report)}\n`);
  return report.ok ? EXIT.ok : EXIT.failed;
}
