import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isBrokenCircuitError, isTimeoutError } from '@dyeline/resilience';
import type { BrokenCircuitError, ResilienceEvent } from '@dyeline/resilience';
import { resilientFetch } from './resilient-fetch.js';

let server: Server;
let base = '';
let status = 200;
let hits = 0;
let closed = 0;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits++;
    if (req.url === '/hang') return void res.on('close', () => !res.writableEnded && closed++);
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      res.statusCode = status;
      res.end(body || String(status));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('resilientFetch', () => {
  it('opens the origin breaker on 5xx, sheds without sending, and recovers', async () => {
    const events: ResilienceEvent[] = [];
    const fetch = resilientFetch({ breaker: { consecutiveFailures: 3, backoff: { initial: 80 } }, retry: false, onEvent: (e) => events.push(e) });
    status = 500;
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/x`)).status).toBe(500);
    hits = 0;
    const error = await fetch(`${base}/x`).catch((e: unknown) => e);
    expect(isBrokenCircuitError(error)).toBe(true);
    expect((error as BrokenCircuitError).retryAfterMs).toBeGreaterThan(0);
    expect(hits).toBe(0);
    status = 200;
    await new Promise((r) => setTimeout(r, 90));
    expect(await (await fetch(`${base}/x`)).text()).toBe('200');
    expect(events.filter((e) => e.type === 'breaker-state').map((e) => (e as { to: string }).to)).toEqual(['open', 'half-open', 'closed']);
  });

  it('keeps one breaker per origin: a broken upstream does not trip another', async () => {
    const fetch = resilientFetch({ breaker: { consecutiveFailures: 1 }, retry: false });
    await expect(fetch('http://127.0.0.1:1/')).rejects.toThrow();
    await expect(fetch('http://127.0.0.1:1/')).rejects.toSatisfy(isBrokenCircuitError);
    status = 200;
    expect((await fetch(`${base}/y`)).status).toBe(200);
  });

  it('times out and aborts the request; POST bodies are sent intact', async () => {
    const fetch = resilientFetch({ timeout: 60 });
    const before = closed;
    await expect(fetch(`${base}/hang`)).rejects.toSatisfy(isTimeoutError);
    await expect.poll(() => closed).toBe(before + 1);
    status = 200;
    expect(await (await fetch(`${base}/echo`, { method: 'POST', body: 'payload' })).text()).toBe('payload');
  });

  it('retries idempotent 503s when asked, not POSTs', async () => {
    const fetch = resilientFetch({ retry: { attempts: 2, retryOn: 'gateway-error', backoff: () => 0 }, breaker: false });
    status = 503;
    hits = 0;
    expect((await fetch(`${base}/r`)).status).toBe(503);
    expect(hits).toBe(3);
    hits = 0;
    expect((await fetch(`${base}/r`, { method: 'POST', body: 'x' })).status).toBe(503);
    expect(hits).toBe(1);
    status = 200;
  });
});
