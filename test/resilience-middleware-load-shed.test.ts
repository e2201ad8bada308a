// concurrencyLimit() of @dyeline/koa and @dyeline/express on real servers:
// 503 + Retry-After past the limit, a FIFO queue, and a slot released exactly
// once per request — also when the client goes away.
import { concurrencyLimit as koaLimit } from '@dyeline/koa';
import { concurrencyLimit as expressLimit } from '@dyeline/express';
import { afterEach, describe, expect, it } from 'vitest';
import { frameworks } from './helpers/resilience-apps.js';
import type { AppSpec, StartedApp } from './helpers/resilience-apps.js';

/** Requests wait here until the test lets them go. */
function hold(): { handler: AppSpec['handler']; entered: () => number; release: () => void } {
  let entered = 0;
  let waiting: (() => void)[] = [];
  return {
    handler: () => {
      entered++;
      return new Promise<string>((resolve) => waiting.push(() => resolve('done')));
    },
    entered: () => entered,
    release: () => {
      for (const go of waiting) go();
      waiting = [];
    },
  };
}

describe('concurrencyLimit options', () => {
  it.each([
    [{}, 'options.max'],
    [{ max: 0 }, 'options.max'],
    [{ max: 1.5 }, 'options.max'],
    [{ max: 1, queue: -1 }, 'options.queue'],
    [{ max: 1, retryAfter: 'soon' }, 'options.retryAfter'],
  ])('throws a TypeError naming the option at construction: %j', (options, name) => {
    for (const factory of [koaLimit, expressLimit]) {
      expect(() => factory(options as never)).toThrow(TypeError);
      expect(() => factory(options as never)).toThrow(name);
    }
  });
});

for (const framework of frameworks) {
  describe(`concurrencyLimit on ${framework.name}`, () => {
    const running: StartedApp[] = [];
    const start = async (spec: AppSpec): Promise<StartedApp> => {
      const app = await framework.start(spec);
      running.push(app);
      return app;
    };
    afterEach(async () => {
      await Promise.all(running.splice(0).map((server) => server.close()));
    });

    it('sheds what is over the limit with 503 and Retry-After, then admits again', async () => {
      const gate = hold();
      const app = await start({ limit: { max: 2, retryAfter: 3 }, handler: gate.handler });
      const first = [fetch(app.url), fetch(app.url)];
      await expect.poll(gate.entered).toBe(2);
      const shed = await fetch(app.url);
      expect(shed.status).toBe(503);
      expect(shed.headers.get('retry-after')).toBe('3');
      expect(await shed.json()).toEqual({ error: 'ERR_DYELINE_OVERLOADED' });
      expect(app.limitStats).toMatchObject({ inflight: 2, queued: 0, shed: 1 });
      gate.release();
      for (const response of await Promise.all(first)) expect(await response.text()).toBe('done');
      await expect.poll(() => app.limitStats?.inflight).toBe(0);
      const later = fetch(app.url);
      await expect.poll(gate.entered).toBe(3);
      gate.release();
      expect((await later).status).toBe(200);
    });

    it('returns the counter to 0 when clients abort, in flight and queued', async () => {
      const gate = hold();
      const app = await start({ limit: { max: 3, queue: 2 }, handler: gate.handler });
      const controllers = Array.from({ length: 5 }, () => new AbortController());
      const calls = controllers.map((controller) => fetch(app.url, { signal: controller.signal }).catch(() => 'aborted'));
      await expect.poll(gate.entered).toBe(3);
      await expect.poll(() => app.limitStats?.queued).toBe(2);
      for (const controller of controllers) controller.abort();
      expect(await Promise.all(calls)).toEqual(['aborted', 'aborted', 'aborted', 'aborted', 'aborted']);
      await expect.poll(() => app.limitStats?.inflight).toBe(0);
      expect(app.limitStats?.queued).toBe(0);
      // The queued requests never reached the handler; the slots are free again.
      expect(gate.entered()).toBe(3);
      gate.release();
      const next = [fetch(app.url), fetch(app.url), fetch(app.url)];
      await expect.poll(gate.entered).toBe(6);
      gate.release();
      for (const response of await Promise.all(next)) expect(response.status).toBe(200);
      await expect.poll(() => app.limitStats?.inflight).toBe(0);
    });

    it('queues first come, first served, and sheds past the queue', async () => {
      const order: string[] = [];
      const gate = hold();
      const app = await start({
        limit: { max: 1, queue: 2 },
        handler: (req, res) => {
          order.push(req.url ?? '');
          return gate.handler(req, res);
        },
      });
      const a = fetch(`${app.url}/a`);
      await expect.poll(gate.entered).toBe(1);
      const b = fetch(`${app.url}/b`);
      await expect.poll(() => app.limitStats?.queued).toBe(1);
      const c = fetch(`${app.url}/c`);
      await expect.poll(() => app.limitStats?.queued).toBe(2);
      const shed = await fetch(`${app.url}/d`);
      expect(shed.status).toBe(503);
      for (let served = 1; served <= 3; served++) {
        await expect.poll(gate.entered).toBe(served);
        gate.release();
      }
      expect((await Promise.all([a, b, c])).map((r) => r.status)).toEqual([200, 200, 200]);
      expect(order).toEqual(['/a', '/b', '/c']);
      await expect.poll(() => app.limitStats?.inflight).toBe(0);
      expect(app.limitStats?.shed).toBe(1);
    });

    it('a queued request times out with timeout() mounted first, and leaves the queue', async () => {
      const gate = hold();
      const app = await start({ timeout: { ms: 500 }, limit: { max: 1, queue: 1 }, handler: gate.handler });
      const held = fetch(app.url);
      await expect.poll(gate.entered).toBe(1);
      // The queued caller has less time left than the one holding the slot.
      const queued = await fetch(app.url, { headers: { 'x-dyeline-deadline-ms': '30' } });
      expect(queued.status).toBe(503);
      expect(await queued.json()).toEqual({ error: 'ERR_DYELINE_DEADLINE_EXCEEDED' });
      await expect.poll(() => app.limitStats?.queued).toBe(0);
      expect(app.limitStats?.inflight).toBe(1);
      expect((await held).status).toBe(503);
      await expect.poll(() => app.limitStats?.inflight).toBe(0);
      expect(app.limitStats?.queued).toBe(0);
      expect(gate.entered()).toBe(1);
      gate.release();
    });
  });
}
