// The timeout middleware of @dyeline/koa and @dyeline/express on real servers:
// one answer exactly, the deadline's signal aborts, and the handler's late
// answer goes nowhere — on Koa 3, Koa 2, Express 5 and Express 4.
import { currentDeadline, currentTag } from '@dyeline/core';
import { timeout as koaTimeout } from '@dyeline/koa';
import { timeout as expressTimeout } from '@dyeline/express';
import { afterEach, describe, expect, it } from 'vitest';
import { serve } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';
import { frameworks } from './helpers/resilience-apps.js';
import type { AppSpec, StartedApp } from './helpers/resilience-apps.js';

const TRUSTED = { trust: { trustedCidrs: ['127.0.0.1/32'] } };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('timeout options', () => {
  it.each([
    [{}, 'options.ms'],
    [{ ms: 0 }, 'options.ms'],
    [{ ms: Number.NaN }, 'options.ms'],
    [{ ms: 10, status: 500 }, 'options.status'],
    [{ ms: 10, message: 5 }, 'options.message'],
    [{ ms: 10, headerClamp: 'yes' }, 'options.headerClamp'],
    [{ ms: 10, deadlineHeader: 'X Deadline' }, 'options.deadlineHeader'],
    [{ ms: 10, onError: 'log' }, 'options.onError'],
  ])('throws a TypeError naming the option at construction: %j', (options, name) => {
    for (const factory of [koaTimeout, expressTimeout]) {
      expect(() => factory(options as never)).toThrow(TypeError);
      expect(() => factory(options as never)).toThrow(name);
    }
  });
});

for (const framework of frameworks) {
  describe(`timeout on ${framework.name}`, () => {
    const running: (StartedApp | RunningServer)[] = [];
    const start = async (spec: AppSpec): Promise<StartedApp> => {
      const app = await framework.start(spec);
      running.push(app);
      return app;
    };
    afterEach(async () => {
      await Promise.all(running.splice(0).map((server) => server.close()));
    });

    it('answers 503 once when the deadline passes, aborts the signal, and drops the late answer', async () => {
      let aborted: unknown;
      let finishedLate = false;
      const app = await start({
        timeout: { ms: 60 },
        handler: async () => {
          const deadline = currentDeadline();
          deadline?.signal.addEventListener('abort', () => (aborted = deadline.signal.reason));
          await sleep(150);
          finishedLate = true;
          return 'too late';
        },
      });
      const response = await fetch(app.url);
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual({ error: 'ERR_DYELINE_DEADLINE_EXCEEDED' });
      expect((aborted as { code?: string } | undefined)?.code).toBe('ERR_DYELINE_DEADLINE_EXCEEDED');
      await expect.poll(() => finishedLate).toBe(true);
      await sleep(20);
      expect(app.errors).toEqual([]);
      // The connection still serves the next request.
      const again = await fetch(app.url);
      expect(again.status).toBe(503);
    });

    it('answers 504 with a plain-text message when asked to, and stays out of the way of a fast handler', async () => {
      const app = await start({
        timeout: { ms: 80, status: 504, message: 'gave up' },
        handler: async (req) => {
          if (req.url === '/slow') await sleep(200);
          return `left ${Math.round(currentDeadline()?.remaining() ?? -1) > 0}`;
        },
      });
      const slow = await fetch(`${app.url}/slow`);
      expect(slow.status).toBe(504);
      expect(slow.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await slow.text()).toBe('gave up');
      const fast = await fetch(`${app.url}/fast`);
      expect(fast.status).toBe(200);
      expect(await fast.text()).toBe('left true');
    });

    for (const timeoutFirst of [false, true]) {
      it(`with timeout ${timeoutFirst ? 'before' : 'after'} dyeline(): the tag and the clamped deadline are both in force`, async () => {
        const app = await start({
          dyeline: TRUSTED,
          timeout: { ms: 5_000 },
          timeoutFirst,
          handler: () => Promise.resolve(JSON.stringify({ color: currentTag()?.color ?? null, left: currentDeadline()?.remaining() ?? null })),
        });
        const clamped = (await (await fetch(app.url, { headers: { 'x-color': 'blue', 'x-dyeline-deadline-ms': '400' } })).json()) as { color: string; left: number };
        expect(clamped.color).toBe('blue');
        expect(clamped.left).toBeGreaterThan(0);
        expect(clamped.left).toBeLessThanOrEqual(400);
        const own = (await (await fetch(app.url, { headers: { 'x-color': 'red' } })).json()) as { color: string; left: number };
        expect(own.color).toBe('red');
        expect(own.left).toBeGreaterThan(400);
        expect(own.left).toBeLessThanOrEqual(5_000);
      });

      it(`with timeout ${timeoutFirst ? 'before' : 'after'} dyeline(): the caller's shorter deadline answers the request`, async () => {
        let ran = false;
        const app = await start({
          dyeline: TRUSTED,
          timeout: { ms: 5_000 },
          timeoutFirst,
          handler: async () => {
            await sleep(400);
            ran = true;
            return 'late';
          },
        });
        const response = await fetch(app.url, { headers: { 'x-color': 'blue', 'x-dyeline-deadline-ms': '50' } });
        expect(response.status).toBe(503);
        expect(ran).toBe(false);
      });
    }

    it('answers a caller with no time left at once, without running the handler; reports a malformed header', async () => {
      let ran = 0;
      const errors: unknown[] = [];
      const app = await start({
        timeout: { ms: 1_000, onError: (error) => errors.push(error) },
        handler: () => {
          ran++;
          return Promise.resolve('ran');
        },
      });
      const none = await fetch(app.url, { headers: { 'x-dyeline-deadline-ms': '0' } });
      expect(none.status).toBe(503);
      expect(ran).toBe(0);
      const malformed = await fetch(app.url, { headers: { 'x-dyeline-deadline-ms': '-5' } });
      expect(malformed.status).toBe(200);
      expect(ran).toBe(1);
      expect(errors).toHaveLength(1);
      expect((errors[0] as { code: string }).code).toBe('ERR_DYELINE_TAG_MALFORMED');
    });

    it('cuts a response that is still streaming when the deadline passes', async () => {
      const app = await start({
        timeout: { ms: 80 },
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial');
          return new Promise(() => undefined);
        },
      });
      const response = await fetch(app.url);
      expect(response.status).toBe(200);
      await expect(response.text()).rejects.toThrow();
    });

    it('never writes twice when the handler finishes at the moment the deadline passes (200 races)', async () => {
      const app = await start({
        timeout: { ms: 3 },
        handler: async () => {
          await sleep(3);
          return 'handler';
        },
      });
      const seen = { handler: 0, timeout: 0 };
      for (let batch = 0; batch < 20; batch++) {
        const responses = await Promise.all(Array.from({ length: 10 }, () => fetch(app.url)));
        for (const response of responses) {
          const body = await response.text();
          if (response.status === 200) {
            expect(body).toBe('handler');
            seen.handler++;
          } else {
            expect(response.status).toBe(503);
            expect(body).toBe('{"error":"ERR_DYELINE_DEADLINE_EXCEEDED"}');
            seen.timeout++;
          }
        }
      }
      expect(seen.handler + seen.timeout).toBe(200);
      await sleep(20);
      expect(app.errors).toEqual([]);
    });

    it('stops downstream work: the downstream sees its request aborted', async () => {
      let downstreamClosed = false;
      let downstreamBudget: string | undefined;
      const downstream = await serve((req, res) => {
        downstreamBudget = req.headers['x-dyeline-deadline-ms'] as string | undefined;
        res.on('close', () => (downstreamClosed = !res.writableFinished));
      });
      running.push(downstream);
      const app = await start({
        timeout: { ms: 100 },
        handler: async () => {
          const signal = currentDeadline()?.signal;
          const left = Math.floor(currentDeadline()?.remaining() ?? 0);
          const response = await fetch(downstream.url, { signal, headers: { 'x-dyeline-deadline-ms': String(left) } });
          return response.text();
        },
      });
      const response = await fetch(app.url);
      expect(response.status).toBe(503);
      await expect.poll(() => downstreamClosed).toBe(true);
      expect(Number(downstreamBudget)).toBeLessThanOrEqual(100);
    });
  });
}
