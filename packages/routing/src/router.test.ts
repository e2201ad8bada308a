import { describe, expect, it, vi } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { createRouter } from './router.js';
import type { Instance } from './instance.js';
import { isInvalidRuleError } from './invalid-rule-error.js';
import { isLaneUnavailableError } from './lane-unavailable-error.js';
import { isNoInstanceError } from './no-instance-error.js';

const inst = (service: string, port: number, labels: Record<string, string>): Instance => ({ service, address: `127.0.0.1:${port}`, labels });
const instances = [inst('reviews', 1, { version: 'v1' }), inst('reviews', 2, { version: 'v2' }), inst('reviews', 3, { version: 'v3' })];
const DR = `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
  - { name: v3, labels: { version: v3 } }
---
`;
const vs = (http: string) => `${DR}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews.default.svc.cluster.local]
  http:
${http}`;
const to = (subset: string) => `    route:\n    - destination: { host: reviews, subset: ${subset} }\n`;

describe('router matching', () => {
  const router = createRouter({
    instances,
    rules: vs(
      `  - match:\n    - headers: { end-user: { exact: jason } }\n      uri: { prefix: /api }\n    - headers: { x-group: { regex: "beta-[0-9]+" } }\n${to('v2')}` +
        `  - match:\n    - headers: { x-probe: {} }\n      withoutHeaders: { x-skip: {} }\n      method: { exact: POST }\n${to('v3')}` +
        `  - match:\n    - queryParams: { variant: { exact: three } }\n${to('v3')}` +
        `  - name: fallback\n${to('v1')}`,
    ),
  });
  const version = (req: Parameters<typeof router.decide>[0], tag = createTag()) => router.decide(req, tag).instance.labels.version;

  it('ANDs conditions within a block and ORs blocks; first match wins', () => {
    expect(version({ host: 'reviews', path: '/api/x', headers: { 'end-user': 'jason' } })).toBe('v2');
    expect(version({ host: 'reviews', path: '/web', headers: { 'end-user': 'jason' } })).toBe('v1');
    expect(version({ host: 'reviews', headers: { 'x-group': 'beta-12' } })).toBe('v2');
  });

  it('matches regex on the whole value, values case-sensitively, names case-insensitively', () => {
    expect(version({ host: 'reviews', headers: { 'x-group': 'beta-12x' } })).toBe('v1');
    expect(version({ host: 'reviews', path: '/api', headers: { 'End-User': 'jason' } })).toBe('v2');
    expect(version({ host: 'reviews', path: '/api', headers: { 'end-user': 'Jason' } })).toBe('v1');
  });

  it('supports presence, withoutHeaders, method and query params', () => {
    expect(version({ host: 'reviews', method: 'POST', headers: { 'x-probe': '' } })).toBe('v3');
    expect(version({ host: 'reviews', method: 'POST', headers: { 'x-probe': '1', 'x-skip': '1' } })).toBe('v1');
    expect(version({ host: 'reviews', method: 'GET', headers: { 'x-probe': '1' } })).toBe('v1');
    expect(version({ host: 'reviews', path: '/q?variant=three' })).toBe('v3');
  });

  it('lets the tag answer header conditions under its wire names', () => {
    expect(version({ host: 'reviews', path: '/api' }, createTag({ user: 'jason' }))).toBe('v2');
    // An explicit header wins over the tag.
    expect(version({ host: 'reviews', path: '/api', headers: { 'end-user': 'bob' } }, createTag({ user: 'jason' }))).toBe('v1');
    expect(runWithTag(createTag({ extra: { 'x-group': 'beta-1' } }), () => router.decide({ host: 'reviews' }).subset)).toBe('v2');
  });

  it('resolves FQDN hosts by their short name and explains the decision', () => {
    const e = router.explain({ host: 'reviews:9080', path: '/other' }, createTag());
    expect(e.virtualService).toBe('reviews');
    expect(e.routes.map((r) => r.matchedBlock)).toEqual([-1, -1, -1, 0]);
    expect(e.decision?.route).toEqual({ virtualService: 'reviews', index: 3, name: 'fallback' });
    expect(e.candidates.map((i) => i.address)).toEqual(['127.0.0.1:1']);
    expect(e.decision?.policy.retries.attempts).toBe(2);
  });

  it('evaluates a hostile value against an RE2 regex in linear time', () => {
    const hostile = createRouter({ instances, rules: vs(`  - match:\n    - headers: { x-evil: { regex: "(a+)+$" } }\n${to('v2')}  - ${to('v1').trimStart()}`) });
    // (a+)+$ against 'aaaa…!' is catastrophic for a backtracking engine; RE2 finishes.
    const value = `${'a'.repeat(50_000)}!`;
    expect(hostile.decide({ host: 'reviews', headers: { 'x-evil': value } }, createTag()).subset).toBe('v1');
    expect(hostile.decide({ host: 'reviews', headers: { 'x-evil': 'aaa' } }, createTag()).subset).toBe('v2');
  });
});

describe('lanes', () => {
  const pool = [
    inst('cart', 10, { version: 'v1' }),
    inst('cart', 11, { version: 'v1' }),
    inst('cart', 12, { version: 'v1', color: 'feature-42' }),
    inst('cart', 13, { version: 'v1', color: 'blue' }),
  ];

  it('a colored request stays in its lane; without one it falls back to the base lane only', () => {
    const router = createRouter({ instances: pool });
    for (let i = 0; i < 20; i++) expect(router.decide({ host: 'cart' }, createTag({ color: 'feature-42' })).instance.address).toBe('127.0.0.1:12');
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const d = router.decide({ host: 'cart' }, createTag({ color: 'green' }));
      expect(d.fellBack).toBe(true);
      seen.add(d.instance.address);
    }
    expect([...seen].sort()).toEqual(['127.0.0.1:10', '127.0.0.1:11']);
  });

  it('an uncolored request never picks a colored instance; selfColor applies when the tag has none', () => {
    const router = createRouter({ instances: pool });
    for (let i = 0; i < 20; i++) expect(router.decide({ host: 'cart' }, createTag()).instance.labels.color).toBeUndefined();
    const self = createRouter({ instances: pool, selfColor: 'blue' });
    expect(self.decide({ host: 'cart' }, createTag()).instance.address).toBe('127.0.0.1:13');
    expect(self.decide({ host: 'cart' }, createTag({ color: 'feature-42' })).instance.address).toBe('127.0.0.1:12');
  });

  it('force turns the fallback into a typed error; an empty base lane is a typed error', () => {
    const forced = createRouter({ instances: pool, force: true });
    expect(() => forced.decide({ host: 'cart' }, createTag({ color: 'green' }))).toThrow(expect.objectContaining({ code: 'ERR_DYELINE_LANE_UNAVAILABLE' }));
    try {
      forced.decide({ host: 'cart' }, createTag({ color: 'green' }));
    } catch (e) {
      expect(isLaneUnavailableError(e)).toBe(true);
    }
    const onlyColored = createRouter({ instances: [pool[2] as Instance] });
    expect(() => onlyColored.decide({ host: 'cart' }, createTag())).toThrow(/no instance left in the base lane/);
    expect(() => onlyColored.decide({ host: 'nothing' }, createTag())).toThrow(/no instance is registered/);
  });

  it('filters see the whole candidate list', () => {
    const filter = vi.fn((_tag, list: readonly Instance[]) => list.filter((i) => i.address.endsWith('11')));
    const router = createRouter({ instances: pool, filters: [filter] });
    expect(router.decide({ host: 'cart' }, createTag()).instance.address).toBe('127.0.0.1:11');
    expect(filter.mock.calls[0]?.[1]).toHaveLength(2);
  });
});

describe('live updates', () => {
  it('applies an update to the next decision and keeps serving on a bad one', () => {
    const onError = vi.fn();
    const router = createRouter({ instances, rules: vs(`  - ${to('v1').trimStart()}`), onError });
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v1');
    router.update(vs(`  - ${to('v2').trimStart()}`));
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v2');
    expect(() => router.update(vs('  - route:\n    - destination: { host: reviews }\n      weight: -1\n'))).toThrow(/spec.http\[0\].route\[0\].weight/);
    expect(isInvalidRuleError(onError.mock.calls[0]?.[0])).toBe(true);
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v2');
  });

  it('setWeights shifts traffic live and rejects bad weights', () => {
    const router = createRouter({ instances, rules: vs(`    route:\n    - destination: { host: reviews, subset: v1 }\n      weight: 100\n    - destination: { host: reviews, subset: v2 }\n      weight: 0\n`.replace(/^ {4}/, '  - ')) });
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v1');
    router.setWeights('reviews', { v1: 0, v2: 100 });
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v2');
    expect(() => router.setWeights('reviews', { v1: 0.5, v2: 3 })).toThrow(/must be an integer/);
    expect(router.decide({ host: 'reviews' }, createTag()).subset).toBe('v2');
  });

  it('a route to an undefined subset fails with a typed error and a load-time warning', () => {
    const router = createRouter({ instances, rules: vs(`  - ${to('v9').trimStart()}`) });
    expect(router.rules.warnings.some((w) => w.path === 'spec.http[0].route[0].destination.subset')).toBe(true);
    expect(() => router.decide({ host: 'reviews' }, createTag())).toThrow(expect.objectContaining({ code: 'ERR_DYELINE_NO_INSTANCE' }));
    try {
      router.decide({ host: 'reviews' }, createTag());
    } catch (e) {
      expect(isNoInstanceError(e)).toBe(true);
    }
  });
});

describe('outlier detection', () => {
  const dr = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: reviews }
spec:
  host: reviews
  subsets:
  - name: v1
    labels: { version: v1 }
    trafficPolicy: { outlierDetection: { consecutive5xxErrors: 2, baseEjectionTime: 10s, maxEjectionPercent: 100 } }
  - { name: v2, labels: { version: v2 } }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: reviews }
spec:
  hosts: [reviews]
  http:
  - route:
    - { destination: { host: reviews, subset: v1 }, weight: 50 }
    - { destination: { host: reviews, subset: v2 }, weight: 50 }
`;
  const pool = [inst('reviews', 1, { version: 'v1' }), inst('reviews', 2, { version: 'v1' }), inst('reviews', 3, { version: 'v2' })];

  it("applies the subset's outlierDetection only to that subset, and survives a weight shift", () => {
    let now = 0;
    const router = createRouter({ instances: pool, rules: dr, clock: () => now });
    const v1 = { host: 'reviews', subset: 'v1' };
    const v2 = { host: 'reviews', subset: 'v2' };
    for (let i = 0; i < 5; i++) router.record(v2, pool[2] as Instance, 503);
    expect(router.pick('reviews', 'v2', createTag()).address).toBe('127.0.0.1:3');
    router.record(v1, pool[0] as Instance, 503);
    router.record(v1, pool[0] as Instance, 503);
    router.setWeights('reviews', { v1: 90, v2: 10 });
    for (let i = 0; i < 10; i++) expect(router.pick('reviews', 'v1', createTag()).address).toBe('127.0.0.1:2');
    now += 10_000;
    const seen = new Set<string>();
    for (let i = 0; i < 10; i++) seen.add(router.pick('reviews', 'v1', createTag()).address);
    expect(seen.size).toBe(2);
  });

  it('ejecting every instance of a subset leaves no instance, as a typed error', () => {
    const router = createRouter({ instances: pool, rules: dr, clock: () => 0 });
    for (const i of [0, 1]) for (let n = 0; n < 2; n++) router.record({ host: 'reviews', subset: 'v1' }, pool[i] as Instance, false);
    expect(() => router.pick('reviews', 'v1', createTag())).toThrow(expect.objectContaining({ code: 'ERR_DYELINE_NO_INSTANCE' }));
  });
});
