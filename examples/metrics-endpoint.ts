// A Koa service exposing dyeline's Prometheus metrics on /metrics:
// requests by color, subset and outcome (observed after the ingress), the
// tag drops the ingress reports through onError, shadow blocks from Koa's
// error event, and the load shedder's live counters read at scrape time.
// Policies of @dyeline/resilience plug in the same way:
//   createPolicy({ ..., onEvent: (e) => metrics.onResilienceEvent(e, 'payments') })
//   node --import tsx examples/metrics-endpoint.ts    then: curl -H 'x-color: blue' 127.0.0.1:<port>/hello
import { realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import Koa from 'koa';
import { Registry } from 'prom-client';
import { currentTag } from '@dyeline/core';
import { concurrencyLimit, dyeline } from '@dyeline/koa';
import { dyelineMetrics, metricsHandler } from '@dyeline/observe/prometheus';
import { listenOnLoopback } from './listen.js';
import type { RunningService } from './listen.js';

/** Builds the app and its registry (a fresh one, so several apps can run in one process). */
export function createMetricsApp(version = 'v1'): { app: Koa; registry: Registry } {
  const registry = new Registry();
  const metrics = dyelineMetrics({ registry, subset: version });
  const app = new Koa();
  const router = new Router();
  const scrape = metricsHandler(registry);
  router.get('/metrics', (ctx) => {
    ctx.respond = false;
    scrape(ctx.req, ctx.res);
  });
  router.get('/hello', (ctx) => {
    ctx.body = { version, color: currentTag()?.color ?? null };
  });
  // Colors from anyone; shadow only from trusted callers (the default), so a
  // public `x-shadow: 1` shows up as dyeline_untrusted_tag_drops_total{field="shadow"}.
  app.use(dyeline({ version, trust: { allowUntrusted: ['color'] }, onError: metrics.onIngressError }));
  app.use((ctx, next) => {
    if (ctx.path !== '/metrics') metrics.observeRequest(ctx.req, ctx.res);
    return next();
  });
  app.on('error', metrics.onShadowBlock); // counts ShadowIsolationErrors only (and replaces Koa's default error log)
  const limiter = concurrencyLimit({ max: 100 });
  metrics.collectMiddlewareStats('api', limiter); // dyeline_inflight_requests{middleware="api"}, shed_requests_total…
  app.use((ctx, next) => (ctx.path === '/metrics' ? next() : limiter(ctx, next)));
  app.use(router.routes());
  return { app, registry };
}

/** Starts the example on loopback, port 0. */
export function startMetricsExample(version?: string): Promise<RunningService> {
  return listenOnLoopback(createServer(createMetricsApp(version).app.callback()));
}

const entry = process.argv[1];
if (entry !== undefined && realpathSync(entry) === fileURLToPath(import.meta.url)) {
  const service = await startMetricsExample();
  console.log(`metrics example on ${service.url}: GET /hello (try -H 'x-color: blue'), GET /metrics`);
}
