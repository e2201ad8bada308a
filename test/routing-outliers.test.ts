import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRouter } from '@dyeline/routing';
import type { Instance, OutlierEvent } from '@dyeline/routing';
import { routedFetch } from '@dyeline/http';
import { routedClients } from './helpers/routed-clients.js';
import { serve } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

/**
 * Istio `outlierDetection` through the routed clients, against real servers:
 * the detector's clock is injected (it is a state machine), the calls are real.
 */
const servers: RunningServer[] = [];
const good: Instance[] = [];
const bad: Instance[] = [];
let dead: Instance;

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const server = await serve((_req, res) => res.end(JSON.stringify({ version: `good-${i}`, path: '', body: '', headers: {} })));
    servers.push(server);
    good.push({ service: 'greeter', address: `127.0.0.1:${server.port}`, labels: {} });
  }
  for (let i = 0; i < 3; i++) {
    const server = await serve((_req, res) => {
      res.statusCode = 500;
      res.end(JSON.stringify({ version: `bad-${i}`, path: '', body: '', headers: {} }));
    });
    servers.push(server);
    bad.push({ service: 'greeter', address: `127.0.0.1:${server.port}`, labels: {} });
  }
  // A port nobody listens on any more: connection refused.
  const gone = await serve(() => undefined);
  await gone.close();
  dead = { service: 'greeter', address: `127.0.0.1:${gone.port}`, labels: {} };
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const rules = (od: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  trafficPolicy:
    outlierDetection: { ${od} }
`;

function setup(instances: Instance[], od: string) {
  const clock = { now: 0 };
  const events: OutlierEvent[] = [];
  const router = createRouter({ instances, rules: rules(od), clock: () => clock.now, onOutlier: (e) => events.push(e) });
  return { router, clock, events };
}

describe.each(routedClients)('outlier detection through $name', (client) => {
  it('an instance answering 5xx is ejected, returns after baseEjectionTime, and stays out longer the next time', async () => {
    const { router, clock, events } = setup([good[0] as Instance, good[1] as Instance, bad[0] as Instance], 'consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 50');
    const call = client.build({ router });
    const served = async (n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await call('http://greeter/')).version);
      return out;
    };
    expect((await served(9)).filter((v) => v === 'bad-0')).toHaveLength(3);
    expect(events).toEqual([{ host: 'greeter', subset: undefined, instanceId: bad[0]?.address, ejected: true, durationMs: 30_000, ejections: 1 }]);
    expect(await served(20)).not.toContain('bad-0');

    clock.now += 30_000;
    expect(await served(12)).toContain('bad-0');
    // It failed three times in a row again: the second ejection lasts 2 × baseEjectionTime.
    expect(events.at(-1)).toMatchObject({ ejected: true, durationMs: 60_000, ejections: 2 });
    clock.now += 30_000;
    expect(await served(10)).not.toContain('bad-0');
    clock.now += 30_000;
    expect(await served(6)).toContain('bad-0');
  });

  it('connection failures count: a dead instance is ejected and the calls after it all succeed', async () => {
    const { router, events } = setup([good[0] as Instance, dead], 'consecutive5xxErrors: 2');
    const call = client.build({ router });
    let failures = 0;
    for (let i = 0; i < 6; i++) await call('http://greeter/').catch(() => failures++);
    expect(failures).toBe(2);
    expect(events.map((e) => e.instanceId)).toEqual([dead.address]);
    for (let i = 0; i < 10; i++) expect((await call('http://greeter/')).version).toBe('good-0');
  });
});

describe('outlier detection limits', () => {
  it('maxEjectionPercent caps how many instances are out at once', async () => {
    const { router, events } = setup([good[0] as Instance, ...bad], 'consecutive5xxErrors: 2, maxEjectionPercent: 50');
    const fetch = routedFetch({ router });
    for (let i = 0; i < 40; i++) await (await fetch('http://greeter/')).text();
    // 4 instances, 50%: two of the three failing instances are out, the third keeps getting traffic.
    expect(events.filter((e) => e.ejected)).toHaveLength(2);
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(((await (await fetch('http://greeter/')).json()) as { version: string }).version);
    expect([...seen].filter((v) => v.startsWith('bad-'))).toHaveLength(1);
    expect(seen.has('good-0')).toBe(true);
  });

  it('a 4xx is not a failure; a success resets the count', async () => {
    const { router, events } = setup([good[0] as Instance], 'consecutive5xxErrors: 2');
    const target = { host: 'greeter', subset: undefined };
    for (const outcome of [500, 404, 500, 200, 500, 404]) router.record(target, good[0] as Instance, outcome);
    expect(events).toEqual([]);
    router.record(target, good[0] as Instance, 503);
    router.record(target, good[0] as Instance, false);
    expect(events).toHaveLength(1);
  });
});
