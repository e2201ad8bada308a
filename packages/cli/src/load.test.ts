import { createServer } from 'node:http';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createIngress, incomingHeadersGetter } from '@dyeline/core';
import { buildTagHeaders, runLoad } from './load.js';

const key = 'a-load-generator-secret-of-32-bytes!';

function readThrough(headers: Record<string, string>, extra: readonly string[] = []) {
  const ingress = createIngress({ extra, trust: { signing: { keys: { loadgen: key } } } });
  return ingress.read(headers, incomingHeadersGetter as never, '203.0.113.9');
}

describe('buildTagHeaders', () => {
  it('signs exactly the tag it sends: a public ingress believes it, shadow included', () => {
    const headers = buildTagHeaders({ shadow: true, color: 'v2', user: 'u-1', extra: { 'x-canary': 'true' }, signing: { keyId: 'loadgen', key } });
    expect(headers).toMatchObject({ 'x-shadow': '1', 'x-color': 'v2', 'x-user': 'u-1', 'x-canary': 'true' });
    expect(headers['x-dyeline-signature']).toMatch(/^v1;kid=loadgen;exp=\d+;sig=/);
    const result = readThrough(headers, ['x-canary']);
    expect(result.trusted).toBe(true);
    expect(result.tag.toJSON()).toEqual({ color: 'v2', user: 'u-1', shadow: true, extra: { 'x-canary': 'true' } });
  });

  it('unsigned, or signed with another key, the shadow mark is dropped', () => {
    expect(readThrough(buildTagHeaders({ shadow: true })).tag.shadow).toBe(false);
    const forged = buildTagHeaders({ shadow: true, signing: { keyId: 'loadgen', key: 'somebody-elses-secret-0123456789' } });
    expect(readThrough(forged).tag.shadow).toBe(false);
  });

  it('refuses values the codec would drop (they would break the signature)', () => {
    expect(() => buildTagHeaders({ color: 'a b' })).toThrow(/options\.color/);
    expect(() => buildTagHeaders({ extra: { 'X Bad': 'v' } })).toThrow(/options\.extra/);
    expect(() => buildTagHeaders({ shadow: true, signing: { keyId: 'bad id', key } })).toThrow(/keyId/);
  });
});

describe('runLoad', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const running = server;
    server = undefined;
    if (running === undefined) return;
    running.closeAllConnections();
    await new Promise((resolve) => running.close(resolve));
  });

  async function serve(handler: (req: IncomingMessage) => number): Promise<string> {
    server = createServer((req, res) => {
      res.statusCode = handler(req);
      res.end('ok');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  }

  it('sends the tag headers on every request and reports the run', async () => {
    const seen = { total: 0, tagged: 0 };
    const url = await serve((req) => {
      seen.total++;
      if (req.headers['x-shadow'] === '1' && req.headers['x-color'] === 'blue' && req.headers['x-run'] === '7') seen.tagged++;
      return 200;
    });
    const report = await runLoad({ url, shadow: true, color: 'blue', headers: { 'x-run': '7' }, duration: 0.5, connections: 2, rate: 100 });
    expect(report.ok).toBe(true);
    expect(report.requests).toBeGreaterThan(0);
    expect(seen.tagged).toBe(seen.total);
    // The run stops with requests in flight: the server may have seen those too.
    expect(seen.total).toBeGreaterThanOrEqual(report.requests);
    expect(seen.total).toBeLessThanOrEqual(report.sent);
    expect(report.non2xx).toBe(0);
    expect(report.tagHeaders).toMatchObject({ 'x-shadow': '1', 'x-color': 'blue' });
  });

  it('sends exactly `amount` requests when asked to', async () => {
    let total = 0;
    const url = await serve(() => {
      total++;
      return 200;
    });
    const report = await runLoad({ url, amount: 37, connections: 3 });
    expect(total).toBe(37);
    expect(report).toMatchObject({ requests: 37, sent: 37, ok: true });
  });

  it('fails the run when errors pass the threshold', async () => {
    let n = 0;
    const url = await serve(() => (++n % 2 === 0 ? 500 : 200));
    const report = await runLoad({ url, duration: 0.5, connections: 2, rate: 100, maxErrorRate: 0.1 });
    expect(report.non2xx).toBeGreaterThan(0);
    expect(report.errorRate).toBeGreaterThan(0.1);
    expect(report.ok).toBe(false);
  });

  it('validates options before the first request', async () => {
    await expect(runLoad({ url: 'ftp://x' })).rejects.toThrow(/options\.url/);
    await expect(runLoad({ url: 'http://127.0.0.1:9/', connections: 0 })).rejects.toThrow(/options\.connections/);
    await expect(runLoad({ url: 'http://127.0.0.1:9/', maxErrorRate: 2 })).rejects.toThrow(/options\.maxErrorRate/);
  });
});
