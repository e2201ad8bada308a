// prom-client metrics fed by a real dyeline ingress and scraped over HTTP.
import http from 'node:http';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShadowIsolationError, createIngress, incomingHeadersGetter, runWithTag } from '@dyeline/core';
import { dyelineMetrics, metricsHandler } from '@dyeline/observe/prometheus';

const registry = new Registry();
const metrics = dyelineMetrics({ registry, subset: 'v2', maxLabelValues: 5 });
const servers: Server[] = [];
let app = '';
let scrape = '';

function listen(server: Server): Promise<string> {
  servers.push(server);
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(server.address() as { port: number }).port}`)));
}

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  // Colors are believed from anyone; shadow is not (the default).
  const ingress = createIngress({ trust: { allowUntrusted: ['color'] }, onError: metrics.onIngressError });
  app = await listen(
    http.createServer((req, res) => {
      const { tag } = ingress.read(req.headers, incomingHeadersGetter, req.socket.remoteAddress);
      runWithTag(tag, () => {
        metrics.observeRequest(req, res);
        if (req.url === '/fail') res.statusCode = 503;
        if (req.url === '/write') {
          metrics.onShadowBlock(new ShadowIsolationError('pg:orders', 'no shadow target'));
          res.statusCode = 500;
        }
        res.end();
      });
    }),
  );
  scrape = await listen(http.createServer(metricsHandler(registry)));
});

afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inner = line.slice(name.length + 1, line.indexOf('}'));
    const have = inner.split(',');
    if (want.length === have.length && want.every((w) => have.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('dyeline metrics over HTTP', () => {
  beforeAll(async () => {
    await get(`${app}/`, { 'x-color': 'blue' });
    await get(`${app}/`, { 'x-color': 'blue' });
    await get(`${app}/fail`, { 'x-color': 'blue' });
    await get(`${app}/`);
    await get(`${app}/`, { 'x-color': 'red', 'x-shadow': '1' });
    await get(`${app}/`, { 'x-color': 'bad value!' });
    await get(`${app}/write`, { 'x-color': 'green' });
    for (let i = 0; i < 8; i++) await get(`${app}/`, { 'x-color': `c${i}` });
    metrics.onBreakerStateChange('payments', 'open');
    metrics.onBreakerStateChange('ledger', 'half-open');
    metrics.onBreakerStateChange('ledger', 'nonsense');
  });

  it('counts requests by color, subset and outcome', async () => {
    const { status, type, body } = await get(`${scrape}/metrics`);
    expect(status).toBe(200);
    expect(type).toContain('text/plain');
    expect(sample(body, 'dyeline_requests_total', { color: 'blue', subset: 'v2', outcome: '2xx' })).toBe(2);
    expect(sample(body, 'dyeline_requests_total', { color: 'blue', subset: 'v2', outcome: '5xx' })).toBe(1);
    expect(sample(body, 'dyeline_requests_total', { color: '', subset: 'v2', outcome: '2xx' })).toBe(2);
    // Label values are capped: past five distinct colors, `other`.
    expect(sample(body, 'dyeline_requests_total', { color: 'other', subset: 'v2', outcome: '2xx' })).toBe(8 - 1);
  });

  it('counts untrusted and invalid tag drops reported by the ingress, and shadow blocks', async () => {
    const { body } = await get(`${scrape}/metrics`);
    expect(sample(body, 'dyeline_untrusted_tag_drops_total', { field: 'shadow' })).toBe(1);
    expect(sample(body, 'dyeline_invalid_tag_drops_total', { reason: 'bad-charset' })).toBe(1);
    expect(sample(body, 'dyeline_shadow_blocks_total', { resource: 'pg:orders' })).toBe(1);
  });

  it('reports breaker state, ignoring unknown states', async () => {
    const { body } = await get(`${scrape}/metrics`);
    expect(sample(body, 'dyeline_breaker_state', { breaker: 'payments' })).toBe(2);
    expect(sample(body, 'dyeline_breaker_state', { breaker: 'ledger' })).toBe(1);
  });

  it('reuses metrics already in the registry and rejects bad options', () => {
    expect(() => dyelineMetrics({ registry })).not.toThrow();
    expect(() => dyelineMetrics({ registry, prefix: '1bad' })).toThrow(/options.prefix/);
    expect(() => dyelineMetrics({ registry: {} as never })).toThrow(/options.registry/);
  });
});
