import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import type { Tag } from '@dyeline/core';
import { createRouter, loadRuleFile, mergeRuleSets } from '@dyeline/routing';
import type { Instance, Router } from '@dyeline/routing';
import axios from 'axios';
import { createRoutePolicyRunner, routedFetch } from '@dyeline/http';
import { routedAxios } from '@dyeline/http/axios';

const seeds = fileURLToPath(new URL('../examples/istio/', import.meta.url));
const seed = (name: string) => mergeRuleSets(loadRuleFile(`${seeds}destination-rules.yaml`), loadRuleFile(`${seeds}${name}.yaml`));

const servers: Server[] = [];
const instances: Instance[] = [];
const hits: string[] = [];

beforeAll(async () => {
  for (const version of ['v1', 'v2', 'v3']) {
    const server = createServer((req, res) => {
      hits.push(version);
      res.setHeader('service-version', version);
      res.end(JSON.stringify({ version, path: req.url }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    instances.push({ service: 'reviews', address, labels: { version } });
    if (version !== 'v3') instances.push({ service: 'helloworld', address, labels: { version } });
  }
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

/** Versions answering `n` real HTTP calls. */
async function realVersions(router: Router, url: string, n: number, headers: Record<string, string> = {}, tag: Tag = createTag()): Promise<string[]> {
  const fetch = routedFetch({ router });
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await runWithTag(tag, () => fetch(url, { headers }));
    out.push(((await res.json()) as { version: string }).version);
  }
  return out;
}

/** Share of each subset over `n` decisions, keyed by distinct users (sticky) or by none (random). */
function split(router: Router, host: string, n = 10_000, keyed = true): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const subset = router.decide({ host }, keyed ? createTag({ user: `user-${i}` }) : createTag()).subset as string;
    counts[subset] = (counts[subset] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / n]));
}
function expectShares(actual: Record<string, number>, expected: Record<string, number>): void {
  for (const [subset, share] of Object.entries(expected)) expect(Math.abs((actual[subset] ?? 0) - share), `${subset}: ${actual[subset]}`).toBeLessThan(0.02);
}

describe('the seed VirtualServices against real v1/v2/v3 servers', () => {
  it('virtual-service-all-v1: everything goes to v1', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-all-v1') });
    expect(new Set(await realVersions(router, 'http://reviews/reviews/0', 20))).toEqual(new Set(['v1']));
    expect(new Set(await realVersions(router, 'http://helloworld/hello', 20, { 'end-user': 'jason' }))).toEqual(new Set(['v1']));
  });

  it('virtual-service-reviews-test-v2: end-user jason → v2, by header or by the tag', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-reviews-test-v2') });
    expect(await realVersions(router, 'http://reviews/r', 3, { 'end-user': 'jason' })).toEqual(['v2', 'v2', 'v2']);
    expect(await realVersions(router, 'http://reviews/r', 3, {}, createTag({ user: 'jason' }))).toEqual(['v2', 'v2', 'v2']);
    expect(await realVersions(router, 'http://reviews/r', 3, { 'end-user': 'Jason' })).toEqual(['v1', 'v1', 'v1']);
    expect(await realVersions(router, 'http://reviews/r', 3)).toEqual(['v1', 'v1', 'v1']);
  });

  it('user: admin → v2, everyone else v1', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-helloworld-user-admin') });
    expect(await realVersions(router, 'http://helloworld/hello', 3, { user: 'admin' })).toEqual(['v2', 'v2', 'v2']);
    expect(await realVersions(router, 'http://helloworld/hello', 3, {}, createTag({ user: 'admin' }))).toEqual(['v2', 'v2', 'v2']);
    expect(await realVersions(router, 'http://helloworld/hello', 3, { user: 'bob' })).toEqual(['v1', 'v1', 'v1']);
    expect(router.explain({ host: 'helloworld', headers: { user: 'admin' } }, createTag()).decision?.route?.name).toBe('admin-to-v2');
  });

  it('canary: "true" → v2; everyone else 95/5 (sticky and random), ±2% over 10,000', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-helloworld-canary') });
    expect(await realVersions(router, 'http://helloworld/hello', 5, { canary: 'true' })).toEqual(['v2', 'v2', 'v2', 'v2', 'v2']);
    expectShares(split(router, 'helloworld'), { v1: 0.95, v2: 0.05 });
    expectShares(split(router, 'helloworld', 10_000, false), { v1: 0.95, v2: 0.05 });
  });

  it('90/10 split: ±2% over 10,000 decisions, and real calls reach both versions', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-helloworld-90-10') });
    expectShares(split(router, 'helloworld'), { v1: 0.9, v2: 0.1 });
    expectShares(split(router, 'helloworld', 10_000, false), { v1: 0.9, v2: 0.1 });
    const real = await realVersions(router, 'http://helloworld/hello', 300);
    const v2 = real.filter((v) => v === 'v2').length / real.length;
    expect(v2).toBeGreaterThan(0.03);
    expect(v2).toBeLessThan(0.2);
  });

  it('33/33/34 split of reviews: ±2% over 10,000 decisions, and real calls reach all three', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-reviews-33-33-34') });
    expectShares(split(router, 'reviews'), { v1: 0.33, v2: 0.33, v3: 0.34 });
    expectShares(split(router, 'reviews', 10_000, false), { v1: 0.33, v2: 0.33, v3: 0.34 });
    const real = await realVersions(router, 'http://reviews/reviews/0', 300);
    for (const version of ['v1', 'v2', 'v3']) {
      const share = real.filter((v) => v === version).length / real.length;
      expect(share, version).toBeGreaterThan(0.2);
      expect(share, version).toBeLessThan(0.47);
    }
  });

  it('test-scenario: delay gets the fault; other calls the timeout and retries of the default route', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-fault-delay') });
    const delayed = router.explain({ host: 'helloworld', headers: { 'test-scenario': 'delay' } }, createTag()).decision;
    expect(delayed?.policy.fault?.delay).toEqual({ fixedDelayMs: 500, percent: 100 });
    expect(delayed?.policy.retries).toEqual({ attempts: 2, retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'] });
    const plain = router.decide({ host: 'helloworld' }, createTag()).policy;
    expect(plain).toMatchObject({ fault: undefined, timeoutMs: 2000, retries: { attempts: 3, perTryTimeoutMs: 1000, retryOn: ['connect-failure', 'refused-stream', '5xx'] } });
    // The outbound layer applies the policy through @dyeline/http's Istio runner.
    const runPolicy = createRoutePolicyRunner();
    const fetch = routedFetch({ router, runPolicy });
    const axiosInstance = axios.create();
    routedAxios(axiosInstance, { router, runPolicy });
    const started = performance.now();
    const res = await fetch('http://helloworld/hello', { headers: { 'test-scenario': 'delay' } });
    expect(((await res.json()) as { version: string }).version).toBe('v1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(490);
    const axiosStarted = performance.now();
    expect((await axiosInstance.get<{ version: string }>('http://helloworld/hello', { headers: { 'test-scenario': 'delay' } })).data.version).toBe('v1');
    expect(performance.now() - axiosStarted).toBeGreaterThanOrEqual(490);
  });

  it('Envoy-style traffic shift 100 → 90 → … → 0 applied live; users only move toward v2', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-traffic-shift') });
    expect(new Set(await realVersions(router, 'http://helloworld/hello', 10))).toEqual(new Set(['v1']));
    let onV2 = new Set<number>();
    for (let v1 = 100; v1 >= 0; v1 -= 10) {
      router.setWeights('helloworld', { v1, v2: 100 - v1 });
      expectShares(split(router, 'helloworld'), { v1: v1 / 100, v2: 1 - v1 / 100 });
      const now = new Set<number>();
      for (let i = 0; i < 2000; i++) if (router.decide({ host: 'helloworld' }, createTag({ user: `user-${i}` })).subset === 'v2') now.add(i);
      for (const user of onV2) expect(now.has(user)).toBe(true);
      onV2 = now;
    }
    expect(new Set(await realVersions(router, 'http://helloworld/hello', 10))).toEqual(new Set(['v2']));
  });

  it('a user sticks to one subset across two hops', async () => {
    const router = createRouter({ instances, rules: seed('virtual-service-helloworld-90-10') });
    // The second hop is another process with its own router over the same rules.
    const second = createRouter({ instances, rules: seed('virtual-service-helloworld-90-10') });
    // Hop 1 is a real service that calls helloworld again for the same user.
    const fetch = routedFetch({ router: second });
    const hop1 = createServer((req, res) => {
      const user = req.headers['x-user'] as string;
      void runWithTag(createTag({ user }), async () => {
        const inner = await fetch('http://helloworld/inner');
        res.end(JSON.stringify({ first: req.headers['x-served-by'], second: ((await inner.json()) as { version: string }).version }));
      });
    });
    await new Promise<void>((resolve) => hop1.listen(0, '127.0.0.1', resolve));
    try {
      const port = (hop1.address() as AddressInfo).port;
      let canaryUsers = 0;
      for (let i = 0; i < 200; i++) {
        const user = `user-${i}`;
        const first = router.decide({ host: 'helloworld' }, createTag({ user })).subset;
        const res = await globalThis.fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-user': user, 'x-served-by': first as string } });
        const body = (await res.json()) as { first: string; second: string };
        expect(body.second, user).toBe(body.first);
        if (body.first === 'v2') canaryUsers++;
      }
      expect(canaryUsers).toBeGreaterThan(0);
      // A hop whose canary is larger (80/20) keeps every user of the 10% canary on v2.
      second.setWeights('helloworld', { v1: 80, v2: 20 });
      for (let i = 0; i < 2000; i++) {
        const tag = createTag({ user: `user-${i}` });
        if (router.decide({ host: 'helloworld' }, tag).subset === 'v2') expect(second.decide({ host: 'helloworld' }, tag).subset).toBe('v2');
      }
    } finally {
      await new Promise((resolve) => hop1.close(resolve));
    }
  });
});
