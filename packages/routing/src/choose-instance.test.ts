import { describe, expect, it } from 'vitest';
import { createTag } from '@dyeline/core';
import { createRouter } from './router.js';
import type { Instance } from './instance.js';

const instances: Instance[] = [1, 2, 3, 4].map((n) => ({ service: 'svc', address: `10.0.0.${n}:80`, labels: { version: n <= 2 ? 'v1' : 'v2' } }));
const rules = (hostLb: string, subsetLb = '') => `apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: svc }
spec:
  host: svc
  trafficPolicy: { loadBalancer: ${hostLb} }
  subsets:
  - { name: v1, labels: { version: v1 } }
  - name: v2
    labels: { version: v2 }
${subsetLb === '' ? '' : `    trafficPolicy: { loadBalancer: ${subsetLb} }\n`}`;
const tag = createTag();

describe('load balancing', () => {
  it('ROUND_ROBIN cycles through the candidates', () => {
    const router = createRouter({ instances, rules: rules('{ simple: ROUND_ROBIN }') });
    const seen = Array.from({ length: 8 }, () => router.decide({ host: 'svc' }, tag).instance.address);
    expect(seen.slice(0, 4).sort()).toEqual(instances.map((i) => i.address));
    expect(seen.slice(4)).toEqual(seen.slice(0, 4));
  });

  it('consistentHash on a header, cookie or query parameter keeps a key on one instance and spreads keys', () => {
    for (const [lb, req] of [
      ['{ consistentHash: { httpHeaderName: X-Session } }', (k: string) => ({ host: 'svc', headers: { 'x-session': k } })],
      ['{ consistentHash: { httpCookie: { name: sid, ttl: 0s } } }', (k: string) => ({ host: 'svc', headers: { cookie: `a=1; sid=${k}` } })],
      ['{ consistentHash: { httpQueryParameterName: s } }', (k: string) => ({ host: 'svc', path: `/x?s=${k}` })],
    ] as const) {
      const router = createRouter({ instances, rules: rules(lb) });
      const used = new Set<string>();
      for (let k = 0; k < 50; k++) {
        const first = router.decide(req(`key-${k}`), tag).instance.address;
        for (let again = 0; again < 3; again++) expect(router.decide(req(`key-${k}`), tag).instance.address).toBe(first);
        used.add(first);
      }
      expect(used.size, lb).toBe(4);
    }
  });

  it('LEAST_REQUEST avoids the instance with calls in flight', () => {
    const router = createRouter({ instances: instances.slice(0, 2), rules: rules('{ simple: LEAST_REQUEST }') });
    const ends = Array.from({ length: 5 }, () => router.begin(instances[0] as Instance));
    const picks = Array.from({ length: 200 }, () => router.decide({ host: 'svc' }, tag).instance.address);
    // Power of two choices: the busy one wins only when both draws hit it (~25%).
    expect(picks.filter((a) => a === instances[0]?.address).length).toBeLessThan(80);
    for (const end of ends) end();
  });

  it("a subset's trafficPolicy overrides the host's", () => {
    const vs = `\n---\napiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: { name: svc }\nspec:\n  hosts: [svc]\n  http:\n  - route: [{ destination: { host: svc, subset: v2 } }]\n`;
    const router = createRouter({ instances, rules: rules('{ simple: ROUND_ROBIN }', '{ consistentHash: { httpHeaderName: x-k } }') + vs });
    const first = router.decide({ host: 'svc', headers: { 'x-k': 'same' } }, tag).instance.address;
    for (let i = 0; i < 5; i++) expect(router.decide({ host: 'svc', headers: { 'x-k': 'same' } }, tag).instance.address).toBe(first);
  });
});
