// Fault injection by header (x-dyeline-fault) on real servers: honoured for
// dyed traffic from callers the trust policy trusts, ignored and counted for
// everyone else — on Koa 3, Koa 2, Express 5 and Express 4.
import { faultInjection as koaFault } from '@dyeline/koa';
import { faultInjection as expressFault } from '@dyeline/express';
import { afterEach, describe, expect, it } from 'vitest';
import { frameworks } from './helpers/resilience-apps.js';
import type { AppSpec, StartedApp } from './helpers/resilience-apps.js';

const TRUSTED = { trust: { trustedCidrs: ['127.0.0.1/32'] } };
// Public callers may pick a lane (so their traffic is dyed) but are not trusted.
const UNTRUSTED = { trust: { allowUntrusted: ['color' as const] } };

describe('faultInjection options', () => {
  it('throws a TypeError naming the option at construction', () => {
    for (const factory of [koaFault, expressFault]) {
      expect(() => factory({ header: 'X Fault' })).toThrow(/options\.header/);
      expect(() => factory({ maxDelayMs: 1.5 })).toThrow(/options\.maxDelayMs/);
    }
  });
});

for (const framework of frameworks) {
  describe(`faultInjection on ${framework.name}`, () => {
    const running: StartedApp[] = [];
    let ran = 0;
    const start = async (spec: Omit<AppSpec, 'handler'>): Promise<StartedApp> => {
      ran = 0;
      const app = await framework.start({
        ...spec,
        handler: () => {
          ran++;
          return Promise.resolve('handler');
        },
      });
      running.push(app);
      return app;
    };
    afterEach(async () => {
      await Promise.all(running.splice(0).map((server) => server.close()));
    });

    it('aborts and delays trusted dyed traffic as asked', async () => {
      const app = await start({ dyeline: TRUSTED, fault: {} });
      const aborted = await fetch(app.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'abort=503' } });
      expect(aborted.status).toBe(503);
      expect(await aborted.json()).toEqual({ error: 'ERR_DYELINE_INJECTED_FAULT' });
      expect(ran).toBe(0);
      const started = performance.now();
      const delayed = await fetch(app.url, { headers: { 'x-shadow': '1', 'x-dyeline-fault': 'delay=120ms' } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
      expect(await delayed.text()).toBe('handler');
      const both = await fetch(app.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'delay=20ms;abort=429' } });
      expect(both.status).toBe(429);
      expect(ran).toBe(1);
      expect(app.faultStats).toEqual({ injected: 3, untrusted: 0, undyed: 0, malformed: 0 });
    });

    it('ignores the header from an untrusted caller, on undyed traffic, and when malformed', async () => {
      const errors: unknown[] = [];
      const untrusted = await start({ dyeline: UNTRUSTED, fault: {} });
      const public1 = await fetch(untrusted.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'abort=503' } });
      expect(public1.status).toBe(200);
      expect(untrusted.faultStats).toMatchObject({ injected: 0, untrusted: 1 });

      const trusted = await start({ dyeline: TRUSTED, fault: { onError: (error) => errors.push(error) } });
      expect((await fetch(trusted.url, { headers: { 'x-dyeline-fault': 'abort=503' } })).status).toBe(200);
      expect((await fetch(trusted.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'abort=200' } })).status).toBe(200);
      expect(trusted.faultStats).toEqual({ injected: 0, untrusted: 0, undyed: 1, malformed: 1 });
      expect((errors[0] as { code: string }).code).toBe('ERR_DYELINE_FAULT_HEADER');

      // Without dyeline() in front, nothing says the caller is trusted.
      const bare = await start({ fault: {} });
      expect((await fetch(bare.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'abort=503' } })).status).toBe(200);
      expect(bare.faultStats).toMatchObject({ untrusted: 1 });
    });

    it('a delay past the request timeout is answered by the timeout, and the handler never runs', async () => {
      const app = await start({ dyeline: TRUSTED, timeout: { ms: 60 }, fault: {} });
      const response = await fetch(app.url, { headers: { 'x-color': 'blue', 'x-dyeline-fault': 'delay=200ms' } });
      expect(response.status).toBe(503);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(ran).toBe(0);
      expect(app.errors).toEqual([]);
    });
  });
}
