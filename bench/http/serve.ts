// Child process of the HTTP benchmark: one scenario's server on 127.0.0.1
// port 0. Protocol on the IPC channel:
//   child → parent  { type: 'ready', port }
//   parent → child  { type: 'mark' }          child → parent { type: 'mark', cpuUs, userUs, requests }
// The parent takes two marks around the load window: their difference is the
// server's own CPU time and request count, free of the load generator's.
//   node --import tsx bench/http/serve.ts <scenario|downstream> <dist|src> [downstream-url]
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';
import { buildListener, downstreamListener, loadDyeline } from './apps.js';
import type { ScenarioName } from './scenarios.js';

/** Messages the child sends. */
export type ChildMessage = { type: 'ready'; port: number } | { type: 'mark'; cpuUs: number; userUs: number; requests: number };

async function main(): Promise<void> {
  const [name = '', from = 'dist', downstream = ''] = process.argv.slice(2);
  if (name === 'koa+otel' || name === 'hop-otel') {
    const { setUpOpenTelemetry } = await import('./otel-setup.js');
    setUpOpenTelemetry();
  }
  // Required (not imported) after OpenTelemetry, so that its http instrumentation can patch it.
  const http = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
  const listener =
    name === 'downstream'
      ? downstreamListener
      : await buildListener(name as ScenarioName, await loadDyeline(from === 'src' ? 'src' : 'dist'), downstream);
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    listener(req, res);
  });
  server.keepAliveTimeout = 30_000;
  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'mark') return;
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'mark', cpuUs: user + system, userUs: user, requests } satisfies ChildMessage);
  });
  // The parent went away (finished or crashed): nothing left to serve.
  process.on('disconnect', () => process.exit(0));
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    process.send?.({ type: 'ready', port } satisfies ChildMessage);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
