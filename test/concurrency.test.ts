/**
 * 10,000 concurrent requests with distinct tags through one hop that awaits,
 * sets timers, waits on an EventEmitter created outside any request, then
 * calls a downstream through a connection pool that must queue. Every step
 * checks it still sees its own request's tag; the downstream reports what
 * it received. Zero cross-talk allowed.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { setImmediate as immediate } from 'node:timers/promises';
import { bindToCurrentContext, currentTag } from '@dyeline/core';
import { dyelineInterceptor } from '@dyeline/http/undici';
import { dyeline } from '@dyeline/koa';
import Koa from 'koa';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen, serve } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

const REQUESTS = 10_000;

describe('10,000 concurrent tagged requests', () => {
  let downstream: RunningServer;
  let hop: RunningServer;
  let outbound: Agent;
  let ticker: NodeJS.Timeout;
  const bus = new EventEmitter();
  bus.setMaxListeners(0);
  let inFlight = 0;
  let peak = 0;
  let lastArrival = 0;

  beforeAll(async () => {
    downstream = await serve((req, res) => res.end(String(req.headers['x-color'])));
    // A pool of 64 connections for 10,000 calls: most calls queue inside undici
    // and are sent later from another connection's callback.
    const dispatcher = new Agent({ connections: 64 }).compose(dyelineInterceptor());
    outbound = dispatcher as unknown as Agent;
    // The bus holds requests until 2,000 are inside the hop at once (or arrivals
    // pause), so the checks run with thousands of contexts alive together.
    ticker = setInterval(() => {
      if (inFlight >= 2_000 || performance.now() - lastArrival > 20) bus.emit('tick');
    }, 2);

    const app = new Koa();
    app.use(dyeline({ trust: { trustedCidrs: ['127.0.0.1/32'] } }));
    app.use(async (ctx) => {
      inFlight++;
      lastArrival = performance.now();
      peak = Math.max(peak, inFlight);
      const expected = ctx.get('x-color');
      let mismatches = 0;
      const check = (): void => {
        if (currentTag()?.color !== expected) mismatches++;
      };
      check();
      await immediate();
      check();
      await new Promise<void>((resolve) => setTimeout(() => (check(), resolve()), (expected.length * 7) % 5));
      await new Promise<void>((resolve) => bus.once('tick', bindToCurrentContext(() => (check(), resolve()))));
      ctx.res.once('finish', check);
      const response = await request(downstream.url, { dispatcher });
      const seen = await response.body.text();
      check();
      if (seen !== expected) mismatches++;
      inFlight--;
      ctx.body = { mismatches, seen };
    });
    hop = await listen(createServer(app.callback()));
  });

  afterAll(async () => {
    clearInterval(ticker);
    await outbound.close();
    await hop.close();
    await downstream.close();
  });

  it('no request ever sees another request\'s tag', async () => {
    // Thousands of sockets from the client, so thousands of requests are inside the hop at once.
    const client = new Agent({ connections: 2_500, pipelining: 1 });
    try {
      const results = await Promise.all(
        Array.from({ length: REQUESTS }, async (_, i) => {
          const color = `c-${i}`;
          const response = await request(hop.url, { dispatcher: client, headers: { 'x-color': color } });
          const body = (await response.body.json()) as { mismatches: number; seen: string };
          return body.mismatches + (body.seen === color ? 0 : 1);
        }),
      );
      const mismatches = results.reduce((sum, n) => sum + n, 0);
      expect(results).toHaveLength(REQUESTS);
      expect(mismatches).toBe(0);
      expect(peak).toBeGreaterThanOrEqual(1_000);
    } finally {
      await client.close();
    }
  }, 60_000);
});
