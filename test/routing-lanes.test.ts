import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { createRouter, isLaneUnavailableError } from '@dyeline/routing';
import type { Instance } from '@dyeline/routing';
import { staticSource } from '@dyeline/registry';
import { routedFetch } from '../packages/http/src/routed-fetch.js';

/**
 * The feature-42 lane: a branch deployed only `cart` and `payment`, so the
 * chain gateway → cart → stock → payment has a feature-42 instance at cart and
 * payment but not at stock. Each service is a real HTTP server; each hop reads
 * the color from `x-color` (a hand-written ingress: tag ingress is tested elsewhere),
 * runs the call inside the tag and routes the next hop with its own router.
 */
const chain = ['cart', 'stock', 'payment'];
const deployed: { service: string; color?: string }[] = [
  { service: 'cart' },
  { service: 'cart', color: 'feature-42' },
  { service: 'stock' },
  { service: 'payment' },
  { service: 'payment', color: 'feature-42' },
];
const servers: Server[] = [];
const registry = staticSource([]);

beforeAll(async () => {
  const list: Instance[] = [];
  for (const d of deployed) {
    const name = `${d.service}${d.color === undefined ? '' : `@${d.color}`}`;
    // A service's own router: its selfColor is its deployment color.
    const router = createRouter({ instances: registry, ...(d.color === undefined ? {} : { selfColor: d.color }) });
    const fetch = routedFetch({ router });
    const next = chain[chain.indexOf(d.service) + 1];
    const server = createServer((req, res) => {
      const color = req.headers['x-color'] as string | undefined;
      void runWithTag(createTag({ color }), async () => {
        let path = [name];
        if (next !== undefined) {
          // Propagation writes the color back; done by hand here.
          const headers: Record<string, string> = color === undefined ? {} : { 'x-color': color };
          const downstream = await fetch(`http://${next}/`, { headers });
          path = path.concat((await downstream.json()) as string[]);
        }
        res.end(JSON.stringify(path));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    list.push({ service: d.service, address: `127.0.0.1:${(server.address() as AddressInfo).port}`, labels: d.color === undefined ? {} : { color: d.color } });
  }
  registry.set(list);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
});

describe('lanes across a real chain', () => {
  const gateway = routedFetch({ router: createRouter({ instances: registry }) });

  it('a feature-42 request stays in the lane where it can and returns to it after a base hop', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await runWithTag(createTag({ color: 'feature-42' }), () => gateway('http://cart/', { headers: { 'x-color': 'feature-42' } }));
      expect(await res.json()).toEqual(['cart@feature-42', 'stock', 'payment@feature-42']);
    }
  });

  it('an uncolored request never enters a lane', async () => {
    for (let i = 0; i < 5; i++) expect(await (await gateway('http://cart/')).json()).toEqual(['cart', 'stock', 'payment']);
  });

  it('another lane with no instance anywhere falls back to the base lane on every hop', async () => {
    const res = await runWithTag(createTag({ color: 'feature-7' }), () => gateway('http://cart/', { headers: { 'x-color': 'feature-7' } }));
    expect(await res.json()).toEqual(['cart', 'stock', 'payment']);
  });

  it('explain tells that a hop fell back; force makes it a typed error', () => {
    const router = createRouter({ instances: registry });
    const e = router.explain({ host: 'stock' }, createTag({ color: 'feature-42' }));
    expect(e.decision?.fellBack).toBe(true);
    expect(e.candidates.every((i) => i.labels.color === undefined)).toBe(true);
    const forced = createRouter({ instances: registry, force: true });
    let error: unknown;
    try {
      forced.decide({ host: 'stock' }, createTag({ color: 'feature-42' }));
    } catch (err) {
      error = err;
    }
    expect(isLaneUnavailableError(error)).toBe(true);
  });

  it('a lane instance that vanishes stops receiving traffic on the next pick', async () => {
    const before = registry.current();
    registry.set(before.filter((i) => !(i.service === 'payment' && i.labels.color === 'feature-42')));
    try {
      const res = await runWithTag(createTag({ color: 'feature-42' }), () => gateway('http://cart/', { headers: { 'x-color': 'feature-42' } }));
      expect(await res.json()).toEqual(['cart@feature-42', 'stock', 'payment']);
    } finally {
      registry.set(before);
    }
  });
});
