import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { createTag } from '@dyeline/core';
import { createRouter, isNoInstanceError } from '@dyeline/routing';
import { etcdSource, registerInstance } from '../packages/registry/src/etcd.js'; // subpath @dyeline/registry/etcd: not in tsconfig paths
import { etcdBinary, startEtcd } from './harness/etcd.js';
import type { EtcdServer } from './harness/etcd.js';

describe.skipIf(etcdBinary === undefined)('etcd registry (skipped: the etcd binary is not installed)', () => {
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
    expect(source.current().map((i) => i.address)).toEqual(['127.0.0.1:7009']);
    await expect.poll(() => source.current().length, { timeout: 10_000, interval: 200 }).toBe(0);
    await source.close();
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
