// The dyeline demo: `pnpm demo` (node --import tsx examples/demo.ts).
//
// In this one process, on 127.0.0.1 port 0:
//
//   load generator ──► gateway (Koa + @koa/router, edge trust policy)
//                        ├─► greeter v1 (Express) ─┐
//                        └─► greeter v2 (Express) ─┴─► echo (Koa) = last hop
//
// Each step sends classes of traffic and checks which version answered and
// that the tag reached the last hop. Exit code 0 when every row holds.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { demoSteps, formatTable, startDemoStack } from './steps/index.js';
import type { DemoRow, DemoStackOptions, DemoStep } from './steps/index.js';

/** Options of {@link runDemo}. */
export interface DemoOptions extends DemoStackOptions {
  /** The steps to run. Default: all of `demoSteps`. */
  steps?: readonly DemoStep[];
}

/** The outcome: one row per request class, and whether all of them held. */
export interface DemoResult {
  rows: DemoRow[];
  ok: boolean;
}

/**
 * Starts the demo's services, runs every step against them, stops them.
 * Prints nothing: the caller decides (see `main` below, and demo.test.ts).
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const { steps = demoSteps, ...stackOptions } = options;
  const stack = await startDemoStack(stackOptions);
  const rows: DemoRow[] = [];
  try {
    for (const step of steps) rows.push(...(await step.run(stack)));
  } finally {
    await stack.close();
  }
  return { rows, ok: rows.length > 0 && rows.every((row) => row.ok) };
}

/** `--serve`: keep the services up for curl, print how to reach them, stop on Ctrl-C. */
async function serve(): Promise<void> {
  const stack = await startDemoStack();
  const url = `${stack.gatewayUrl}/hello`;
  process.stdout.write(
    [
      `gateway   ${url}`,
      `greeters  v1 ${stack.greeters.v1}/hello   v2 ${stack.greeters.v2}/hello`,
      `echo      ${stack.echoUrl}/echo`,
      '',
      `curl -si ${url}`,
      `curl -si -H 'user: admin' ${url}`,
      `curl -si -H 'x-color: blue' -H 'x-shadow: 1' ${url}    # shadow dropped at the edge`,
      '',
      'Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => process.once('SIGINT', resolve));
  await stack.close();
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return serve();
  const started = performance.now();
  const { rows, ok } = await runDemo();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const failed = rows.filter((row) => !row.ok).length;
  process.stdout.write(`${formatTable(rows)}\n\n`);
  process.stdout.write(
    ok
      ? `all ${rows.length} request classes as expected (${seconds} s)\n`
      : `${failed} of ${rows.length} request classes FAILED (${seconds} s)\n`,
  );
  process.exitCode = ok ? 0 : 1;
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
