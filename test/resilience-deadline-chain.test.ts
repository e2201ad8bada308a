// A deadline across three hops: A (Koa 3, timeout 300 ms) → B (Express 5,
// ingress only) → C (Koa 2, timeout 10 s). C hangs; the caller's budget, not
// C's own, decides: C sees a deadline ≤ 300 ms, the chain answers within the
// budget, and C's work is aborted.
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { currentDeadline, currentTag } from '@dyeline/core';
import { dyeline as expressDyeline } from '@dyeline/express';
import { installFetchPropagation } from '@dyeline/http';
import { dyeline as koaDyeline, timeout as koaTimeout } from '@dyeline/koa';
import express from 'express';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa;
const TRUSTED = { trust: { trustedCidrs: ['127.0.0.1/32'] } };
const BUDGET = 300;

interface CSeen {
  header: number;
  left: number;
  color: string | null;
  aborted: boolean;
  closed: boolean;
}

describe('deadline across three hops', () => {
  const servers: RunningServer[] = [];
  let uninstall: () => void;
  let a: RunningServer;
  const last: { c?: CSeen; b?: { header: number; left: number } } = {};
  // Read through a function: a test reassigns it while requests run.
  const seenC = (): CSeen | undefined => last.c;

  beforeAll(async () => {
    uninstall = installFetchPropagation();
    const appC = new Koa2();
    appC.use(koaDyeline(TRUSTED));
    appC.use(koaTimeout({ ms: 10_000 }));
    appC.use(async (ctx) => {
      const deadline = currentDeadline();
      const seen: CSeen = {
        header: Number(ctx.get('x-dyeline-deadline-ms')),
        left: deadline?.remaining() ?? -1,
        color: currentTag()?.color ?? null,
        aborted: false,
        closed: false,
      };
      last.c = seen;
      ctx.res.on('close', () => (seen.closed = true));
      if (ctx.path === '/fast') {
        ctx.body = 'c';
        return;
      }
      // Hangs until its deadline's signal says stop.
      await new Promise<void>((resolve) => deadline?.signal.addEventListener('abort', () => resolve()));
      seen.aborted = true;
      ctx.body = 'c too late';
    });
    const c = await listen(createServer(appC.callback()));
    servers.push(c);

    const appB = express();
    appB.use(expressDyeline(TRUSTED));
    appB.get('/:mode', (req, res, next) => {
      last.b = { header: Number(req.get('x-dyeline-deadline-ms')), left: currentDeadline()?.remaining() ?? -1 };
      fetch(`${c.url}/${req.params.mode}`, { signal: currentDeadline()?.signal })
        .then((response) => response.text())
        .then((text) => res.send(`b>${text}`), next);
    });
    const b = await listen(createServer(appB));
    servers.push(b);

    const appA = new Koa();
    appA.use(koaDyeline(TRUSTED));
    appA.use(koaTimeout({ ms: BUDGET }));
    appA.use(async (ctx) => {
      const response = await fetch(`${b.url}${ctx.path}`, { signal: currentDeadline()?.signal });
      ctx.body = `a>${await response.text()}`;
    });
    a = await listen(createServer(appA.callback()));
    servers.push(a);
  });

  afterAll(async () => {
    uninstall();
    await Promise.all(servers.map((server) => server.close()));
  });

  it('passes the remaining time and the tag down a chain that answers in time', async () => {
    const response = await fetch(`${a.url}/fast`, { headers: { 'x-color': 'blue' } });
    expect(await response.text()).toBe('a>b>c');
    expect(last.b?.header).toBeLessThanOrEqual(BUDGET);
    expect(last.c?.header).toBeLessThanOrEqual(last.b?.header ?? 0);
    expect(last.c?.left).toBeLessThanOrEqual(BUDGET);
    expect(last.c?.color).toBe('blue');
  });

  it('answers within the budget when the last hop hangs, and the last hop\'s work is aborted', async () => {
    delete last.c;
    const started = performance.now();
    const response = await fetch(`${a.url}/hang`, { headers: { 'x-color': 'blue' } });
    const elapsed = performance.now() - started;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ error: 'ERR_DYELINE_DEADLINE_EXCEEDED' });
    // C's own timeout is 10 s: only the propagated deadline can stop the chain this early.
    expect(elapsed).toBeGreaterThanOrEqual(BUDGET - 5);
    expect(elapsed).toBeLessThan(BUDGET + 400);
    expect(seenC()?.header).toBeGreaterThan(0);
    expect(seenC()?.header).toBeLessThanOrEqual(BUDGET);
    expect(seenC()?.left).toBeLessThanOrEqual(BUDGET);
    await expect.poll(() => seenC()?.aborted).toBe(true);
    // C's request is over too: answered by its own timeout (clamped to the header), or cut by B —
    // whichever comes first; both fire at the same budget.
    await expect.poll(() => seenC()?.closed).toBe(true);
  });
});
