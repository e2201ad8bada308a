// Resilience, routing, shadow and ingress wired into prom-client one line
// each, on real parts: a Koa service with dyeline ingress, timeout() and
// concurrencyLimit(), policies around a real failing upstream, a router with
// outlier detection, PGlite refusing shadow traffic — scraped over HTTP.
import { createServer } from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTag, currentDeadline, signTag } from '@dyeline/core';
import { routedFetch } from '@dyeline/http';
import { concurrencyLimit, dyeline, timeout } from '@dyeline/koa';
import { dyelineMetrics, metricsHandler } from '@dyeline/observe/prometheus';
import { createPolicy, httpStatusClassifier, isBrokenCircuitError, isTimeoutError } from '@dyeline/resilience';
import { createRouter } from '@dyeline/routing';
import { shadowPGlite } from '@dyeline/shadow/pglite';
import { listen, serve } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

const KEY = 'metrics-test-key-0123456789abcdef';
const SHADOW_HEADERS = { 'x-shadow': '1', 'x-dyeline-signature': signTag(createTag({ shadow: true }), { keyId: 'k1', key: KEY }) };

const registry = new Registry();
const metrics = dyelineMetrics({ registry, subset: 'v1' });
const running: RunningServer[] = [];
let service = '';
let scrape = '';
let production: PGlite;
let slowStarted: () => void = () => undefined;

beforeAll(async () => {
  const upstream = await serve((req, res) => {
    if (req.url === '/hang') return; // answers never; the caller's timeout must stop it
    res.statusCode = req.url === '/fail' ? 503 : 200;
    res.end(req.url);
  });
  const broken = await serve((_req, res) => {
    res.statusCode = 500;
    res.end('broken');
  });
  running.push(upstream, broken);
  production = await PGlite.create();

  const payments = createPolicy({
    breaker: { name: 'payments', consecutiveFailures: 3, isFailure: httpStatusClassifier(), backoff: { initial: 60_000, max: 60_000 } },
    retry: { attempts: 2, retryOn: '5xx', backoff: { initial: 1, max: 2 } },
    onEvent: (e) => metrics.onResilienceEvent(e, 'payments'),
  });
  const ledger = createPolicy({ timeout: 50, onEvent: (e) => metrics.onResilienceEvent(e, 'ledger') });
  const chaos = createPolicy({ fault: { abort: { status: 503, percentage: 100 } }, onEvent: metrics.onResilienceEvent });
  const router = createRouter({
    instances: [
      { service: 'greeter', address: `127.0.0.1:${upstream.port}`, labels: {} },
      { service: 'greeter', address: `127.0.0.1:${broken.port}`, labels: {} },
    ],
    rules: 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: { name: greeter }\nspec:\n  host: greeter\n  trafficPolicy:\n    outlierDetection: { consecutive5xxErrors: 2 }\n',
    onOutlier: metrics.onOutlier,
  });
  const greeter = routedFetch({ router });
  const db = shadowPGlite({ production }); // no shadow target: shadow traffic is refused
  const limiter = concurrencyLimit({ max: 1 });
  metrics.collectMiddlewareStats('api', limiter);

  const app = new Koa();
  app.on('error', metrics.onShadowBlock);
  app.use(dyeline({ version: 'v1', trust: { allowUntrusted: ['color'], signing: { keys: { k1: KEY } } }, onError: metrics.onIngressError }));
  app.use((ctx, next) => {
    metrics.observeRequest(ctx.req, ctx.res);
    return next();
  });
  app.use(timeout({ ms: 300 }));
  app.use(limiter);
  app.use(async (ctx) => {
    const call = async (run: () => Promise<Response>): Promise<void> => {
      try {
        const res = await run();
        ctx.status = res.status;
        ctx.body = await res.text();
      } catch (error) {
        ctx.status = isBrokenCircuitError(error) ? 503 : isTimeoutError(error) ? 504 : 502;
      }
    };
    switch (ctx.path) {
      case '/pay':
        return call(() => payments.execute(() => fetch(`${upstream.url}/fail`), { method: 'GET' }));
      case '/ledger':
        return call(() => ledger.execute((signal) => fetch(`${upstream.url}/hang`, { signal })));
      case '/chaos':
        return call(() => chaos.execute(() => fetch(`${upstream.url}/ok`)));
      case '/greet':
        return call(() => greeter('http://greeter/'));
      case '/orders':
        ctx.body = (await db.query('SELECT 1 AS one')).rows;
        return undefined;
      case '/slow':
        slowStarted();
        // Holds the only slot until timeout() answers 503 and aborts the deadline.
        await new Promise((resolve) => currentDeadline()?.signal.addEventListener('abort', resolve));
        return undefined;
      default:
        ctx.body = 'ok';
        return undefined;
    }
  });
  running.push(await listen(createServer(app.callback())));
  service = running.at(-1)!.url;
  running.push(await listen(createServer(metricsHandler(registry))));
  scrape = running.at(-1)!.url;
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.close()));
  await production.close();
});

async function get(path: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${service}${path}`, { headers });
  await res.text();
  return res.status;
}

/** The value of one exported sample, found by its exact label set. */
async function sample(name: string, labels: Record<string, string> = {}): Promise<number | undefined> {
  const res = await fetch(`${scrape}/metrics`);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).sort().join(',');
  for (const line of (await res.text()).split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').split(',').filter(Boolean).sort().join(',') === wanted) return Number(match[3]);
  }
  return undefined;
}

describe('resilience, routing, shadow and ingress metrics scraped over HTTP', () => {
  it('opens the breaker after the upstream fails, counting retries and then rejections', async () => {
    expect(await sample('dyeline_breaker_state', { breaker: 'payments' })).toBeUndefined();
    expect(await get('/pay')).toBe(503); // 3 tries, all 503: the breaker opens on the third
    expect(await sample('dyeline_breaker_state', { breaker: 'payments' })).toBe(2);
    expect(await sample('dyeline_retries_total', { policy: 'payments', reason: '5xx' })).toBe(2);
    expect(await sample('dyeline_breaker_rejections_total', { breaker: 'payments' })).toBeUndefined();
    expect(await get('/pay')).toBe(503); // refused by the open breaker, no upstream call
    expect(await sample('dyeline_breaker_rejections_total', { breaker: 'payments' })).toBe(1);
    expect(await sample('dyeline_retries_total', { policy: 'payments', reason: '5xx' })).toBe(2);
  });

  it('counts policy timeouts and injected faults', async () => {
    expect(await get('/ledger')).toBe(504);
    expect(await sample('dyeline_timeouts_total', { policy: 'ledger', kind: 'timeout' })).toBe(1);
    expect(await get('/chaos')).toBe(502);
    expect(await sample('dyeline_faults_injected_total', { policy: '', kind: 'abort' })).toBe(1);
  });

  it('counts a shadow request refused by PGlite without a shadow target, and untrusted shadow marks', async () => {
    expect(await get('/orders', SHADOW_HEADERS)).toBe(500);
    expect(await get('/orders')).toBe(200); // production traffic passes and is not counted
    expect(await sample('dyeline_shadow_blocks_total', { resource: 'PGlite database' })).toBe(1);
    // Without the signature the shadow mark is dropped: the request runs as production.
    expect(await get('/orders', { 'x-shadow': '1' })).toBe(200);
    expect(await sample('dyeline_untrusted_tag_drops_total', { field: 'shadow' })).toBe(1);
    expect(await sample('dyeline_shadow_blocks_total', { resource: 'PGlite database' })).toBe(1);
  });

  it('counts outlier ejections by host and subset', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push(await get('/greet'));
    expect(statuses.filter((s) => s === 500)).toHaveLength(2); // ejected after its second 500
    expect(await sample('dyeline_outlier_ejections_total', { host: 'greeter', subset: '' })).toBe(1);
  });

  it('reads concurrencyLimit stats at scrape time: inflight while held, then one shed', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const slow = get('/slow');
    await started;
    expect(await sample('dyeline_inflight_requests', { middleware: 'api' })).toBe(1);
    expect(await get('/')).toBe(503); // shed: the only slot is taken
    expect(await slow).toBe(503); // timeout() answered
    expect(await sample('dyeline_shed_requests_total', { middleware: 'api' })).toBe(1);
    expect(await sample('dyeline_inflight_requests', { middleware: 'api' })).toBe(0);
    expect(await sample('dyeline_queued_requests', { middleware: 'api' })).toBe(0);
  });

  it('counts the requests themselves by outcome', async () => {
    // 5xx: /pay ×2, /ledger, /chaos, shadow /orders, /greet ×2, the shed one and /slow; 2xx: /orders ×2, /greet ×6.
    expect(await sample('dyeline_requests_total', { color: '', subset: 'v1', outcome: '5xx' })).toBe(9);
    expect(await sample('dyeline_requests_total', { color: '', subset: 'v1', outcome: '2xx' })).toBe(8);
  });
});
