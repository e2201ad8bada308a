import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { createTag } from '@dyeline/core';
import { createRouter, isInvalidRuleError, isNoInstanceError } from '@dyeline/routing';
import { etcdSource, registerInstance, watchEtcdRules } from '@dyeline/registry/etcd';
import { etcdBinary, startEtcd } from './harness/etcd.js';
import type { EtcdServer } from './harness/etcd.js';

describe.skipIf(etcdBinary === undefined)('etcd registry (skipped: the etcd binary is not installed)', () => { // reason: the server binary is missing (CI=true installs it, and fails instead of skipping)
  let etcd: EtcdServer;
  beforeAll(async () => {
    etcd = await startEtcd();
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  it('instances register with their color, callers resolve and pick; a revoked one stops getting traffic', async () => {
    const prefix = '/t1/';
    const source = etcdSource({ etcd: { hosts: etcd.url }, prefix });
    await source.ready;
    const router = createRouter({ instances: source });
    const base = await registerInstance({ etcd: { hosts: etcd.url }, prefix, service: 'greeter', address: '127.0.0.1:7001', labels: { version: 'v1' }, ttl: 5 });
    const lane = await registerInstance({ etcd: { hosts: etcd.url }, prefix, service: 'greeter', address: '127.0.0.1:7002', labels: { version: 'v1' }, color: 'feature-42', ttl: 5 });
    await expect.poll(() => source.current().length).toBe(2);
    expect(router.decide({ host: 'greeter' }, createTag({ color: 'feature-42' })).instance.address).toBe('127.0.0.1:7002');
    expect(router.decide({ host: 'greeter' }, createTag()).instance.address).toBe('127.0.0.1:7001');

    await lane.close();
    await expect.poll(() => source.current().length).toBe(1);
    const d = router.decide({ host: 'greeter' }, createTag({ color: 'feature-42' }));
    expect([d.instance.address, d.fellBack]).toEqual(['127.0.0.1:7001', true]);

    await base.close();
    await expect.poll(() => source.current().length).toBe(0);
    let error: unknown;
    try {
      router.decide({ host: 'greeter' }, createTag());
    } catch (e) {
      error = e;
    }
    expect(isNoInstanceError(error)).toBe(true);
    await source.close();
  });

  it('an instance whose process stops keeping its lease alive vanishes after the TTL', async () => {
    const prefix = '/t2/';
    const client = new Etcd3({ hosts: etcd.url });
    // Simulate a crashed process: a lease that is never kept alive.
    const lease = client.lease(1, { autoKeepAlive: false });
    await lease.put(`${prefix}greeter/dead`).value(JSON.stringify({ service: 'greeter', address: '127.0.0.1:7009', labels: {} })).exec();
    const source = etcdSource({ client, prefix });
    await source.ready;
    const router = createRouter({ instances: source });
    expect(router.decide({ host: 'greeter' }, createTag()).instance.address).toBe('127.0.0.1:7009');
    await expect.poll(() => source.current().length, { timeout: 10_000, interval: 200 }).toBe(0);
    // The next pick no longer sees it.
    expect(router.explain({ host: 'greeter' }, createTag()).error).toMatchObject({ code: 'ERR_DYELINE_NO_INSTANCE' });
    await source.close();
    client.close();
  });

  it('rules in etcd: a traffic shift applies live; a bad value is reported and the old rules keep serving', async () => {
    const key = '/t4/rules';
    const client = new Etcd3({ hosts: etcd.url });
    const shift = (v1: number, v2 = 100 - v1) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec: { host: greeter, subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }] }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - route:
    - { destination: { host: greeter, subset: v1 }, weight: ${v1} }
    - { destination: { host: greeter, subset: v2 }, weight: ${v2} }
`;
    await client.put(key).value(shift(100));
    const router = createRouter({
      instances: [
        { service: 'greeter', address: 'a:1', labels: { version: 'v1' } },
        { service: 'greeter', address: 'b:1', labels: { version: 'v2' } },
      ],
    });
    const errors: unknown[] = [];
    let reloads = 0;
    const rules = watchEtcdRules({ client, key, router, onError: (e) => errors.push(e), onReload: () => reloads++ });
    await rules.ready;
    const v2Share = () => {
      let n = 0;
      for (let i = 0; i < 2000; i++) if (router.decide({ host: 'greeter' }, createTag({ user: `u${i}` })).subset === 'v2') n++;
      return n / 2000;
    };
    expect(v2Share()).toBe(0);
    for (const v1 of [50, 0]) {
      await client.put(key).value(shift(v1));
      await expect.poll(() => reloads).toBe(v1 === 50 ? 2 : 3);
      expect(Math.abs(v2Share() - (100 - v1) / 100)).toBeLessThan(0.05);
    }
    await client.put(key).value(shift(50, 150));
    await expect.poll(() => errors.length).toBe(1);
    expect(isInvalidRuleError(errors[0])).toBe(true);
    expect(errors[0]).toMatchObject({ file: `etcd:${key}`, document: 2, path: 'spec.http[0].route[1].weight' });
    expect(v2Share()).toBe(1);
    await rules.close();
    client.close();
  });

  it('a malformed value is reported and skipped, valid ones keep serving', async () => {
    const prefix = '/t3/';
    const client = new Etcd3({ hosts: etcd.url });
    const errors: unknown[] = [];
    const source = etcdSource({ client, prefix, onError: (e) => errors.push(e) });
    await source.ready;
    await client.put(`${prefix}greeter/ok`).value(JSON.stringify({ service: 'greeter', address: 'ok:1' }));
    await client.put(`${prefix}greeter/bad`).value('{"service": "greeter"}');
    await expect.poll(() => errors.length).toBe(1);
    expect(source.current().map((i) => i.address)).toEqual(['ok:1']);
    await source.close();
    client.close();
  });
});
