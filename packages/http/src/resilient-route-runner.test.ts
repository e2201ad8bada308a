import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { Deadline, isDeadlineExceededError, runWithDeadline } from '@dyeline/core';
import { isTimeoutError } from '@dyeline/resilience';
import type { ResilienceEvent } from '@dyeline/resilience';
import { createRouter } from '@dyeline/routing';
import type { Instance } from '@dyeline/routing';
import { createRoutePolicyRunner } from './resilient-route-runner.js';
import { routedFetch } from './routed-fetch.js';

const servers: Server[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}
async function refused(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

function vs(route: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: svc }
spec:
  hosts: [svc]
  http:
  - route: [{ destination: { host: svc } }]
${route.replace(/^/gm, '    ')}
`;
}

const noBackoff = { backoff: () => 0 };

describe('createRoutePolicyRunner with routedFetch', () => {
  it('retries a refused instance on the next one by default (connect-failure)', async () => {
    const ok = await serve((_req, res) => res.end('served'));
    const instances: Instance[] = [
      { service: 'svc', address: await refused(), labels: {} },
      { service: 'svc', address: ok, labels: {} },
    ];
    const events: ResilienceEvent[] = [];
    const fetch = routedFetch({ router: createRouter({ instances, rules: vs('') }), runPolicy: createRoutePolicyRunner({ ...noBackoff, onEvent: (e) => events.push(e) }) });
    for (let n = 0; n < 10; n++) expect(await (await fetch('http://svc/')).text()).toBe('served');
    // Some first tries hit the refused instance; each was retried on another pick.
    expect(events.some((e) => e.type === 'retry' && e.reason === 'connect-failure')).toBe(true);
  });

  it('retries 5xx when the route says so, then returns the last response', async () => {
    let hits = 0;
    const addr = await serve((_req, res) => {
      hits++;
      res.statusCode = hits < 3 ? 503 : 200;
      res.end(String(res.statusCode));
    });
    const router = createRouter({ instances: [{ service: 'svc', address: addr, labels: {} }], rules: vs('retries: { attempts: 3, retryOn: 5xx }') });
    const events: ResilienceEvent[] = [];
    const fetch = routedFetch({ router, runPolicy: createRoutePolicyRunner({ ...noBackoff, onEvent: (e) => events.push(e) }) });
    expect((await fetch('http://svc/')).status).toBe(200);
    expect(hits).toBe(3);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    hits = -10;
    expect((await fetch('http://svc/')).status).toBe(503); // 1 + 3 tries, all 503
    expect(hits).toBe(-6);
  });

  it('route timeout aborts a hanging upstream (it sees the close) and retries per try', async () => {
    let closed = 0;
    let hits = 0;
    const addr = await serve((_req, res) => {
      hits++;
      res.on('close', () => !res.writableEnded && closed++);
    });
    const router = createRouter({ instances: [{ service: 'svc', address: addr, labels: {} }], rules: vs('timeout: 300ms\nretries: { attempts: 5, perTryTimeout: 80ms, retryOn: reset }') });
    const fetch = routedFetch({ router, runPolicy: createRoutePolicyRunner(noBackoff) });
    const started = performance.now();
    const error = await fetch('http://svc/').catch((e: unknown) => e);
    expect(isTimeoutError(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(hits).toBeGreaterThanOrEqual(3); // 80 ms tries inside a 300 ms route timeout
    await expect.poll(() => closed).toBe(hits);
  });

  it('without a route timeout, perTryTimeout is off too, and the request deadline still applies', async () => {
    const addr = await serve(() => undefined);
    const router = createRouter({ instances: [{ service: 'svc', address: addr, labels: {} }], rules: vs('') });
    const fetch = routedFetch({ router, runPolicy: createRoutePolicyRunner(noBackoff) });
    const error = await runWithDeadline(Deadline.after(100), () => fetch('http://svc/')).catch((e: unknown) => e);
    expect(isDeadlineExceededError(error)).toBe(true);
  });

  it('fault abort answers a synthetic response; fault delay waits; a missing percentage does nothing', async () => {
    let hits = 0;
    const addr = await serve((_req, res) => (hits++, res.end('real')));
    const instances = [{ service: 'svc', address: addr, labels: {} }];
    const aborting = routedFetch({ router: createRouter({ instances, rules: vs('fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }') }), runPolicy: createRoutePolicyRunner() });
    const res = await aborting('http://svc/');
    expect([res.status, await res.text(), hits]).toEqual([418, 'fault filter abort', 0]);
    const delaying = routedFetch({ router: createRouter({ instances, rules: vs('fault: { delay: { fixedDelay: 80ms, percentage: { value: 100 } } }') }), runPolicy: createRoutePolicyRunner() });
    const t0 = performance.now();
    expect(await (await delaying('http://svc/')).text()).toBe('real');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(75);
    const none = routedFetch({ router: createRouter({ instances, rules: vs('fault: { abort: { httpStatus: 503 } }') }), runPolicy: createRoutePolicyRunner() });
    expect((await none('http://svc/')).status).toBe(200);
  });

  it('validates options when built', () => {
    expect(() => createRoutePolicyRunner({ random: 1 as never })).toThrow(/random must be a function/);
  });
});
