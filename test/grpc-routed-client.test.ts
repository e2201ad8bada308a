// routedGrpcClient on real greeters: v1, v2 and a feature-42 lane instance of
// v1. Every call picks its instance from the current tag (rules, sticky
// weights, lanes) and reuses one client (channel) per instance address.
import * as grpc from '@grpc/grpc-js';
import { createTag, runWithTag } from '@dyeline/core';
import { routedGrpcClient } from '@dyeline/grpc';
import { staticSource } from '@dyeline/registry';
import type { StaticSource } from '@dyeline/registry';
import { createRouter, isNoInstanceError } from '@dyeline/routing';
import type { Instance } from '@dyeline/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter, HelloReply } from '../examples/grpc-greeter.js';

const RULES = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - match: [{ headers: { end-user: { exact: admin } } }, { headers: { x-canary: { exact: "true" } } }]
    route: [{ destination: { host: greeter, subset: v2 } }]
  - route:
    - { destination: { host: greeter, subset: v1 }, weight: 50 }
    - { destination: { host: greeter, subset: v2 }, weight: 50 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greeter }
spec:
  host: greeter
  subsets:
  - { name: v1, labels: { version: v1 } }
  - { name: v2, labels: { version: v2 } }
`;

describe('grpc: routedGrpcClient', () => {
  const servers: GrpcGreeter[] = [];
  let all: Instance[];
  let source: StaticSource;
  const created: { address: string; client: GreeterClient }[] = [];
  const create = (address: string): GreeterClient => {
    const client = greeterClient(address);
    created.push({ address, client });
    return client;
  };
  const call = (client: GreeterClient, metadata = new grpc.Metadata()): Promise<HelloReply> => sayHello(client, { name: 'r' }, metadata);

  beforeAll(async () => {
    for (const version of ['v1', 'v2', 'v1 feature-42']) servers.push(await startGrpcGreeter({ version }));
    const [v1, v2, lane] = servers as [GrpcGreeter, GrpcGreeter, GrpcGreeter];
    all = [
      { service: 'greeter', address: `127.0.0.1:${v1.port}`, labels: { version: 'v1' } },
      { service: 'greeter', address: `127.0.0.1:${v2.port}`, labels: { version: 'v2' } },
      { service: 'greeter', address: `127.0.0.1:${lane.port}`, labels: { version: 'v1', color: 'feature-42' } },
    ];
    source = staticSource(all);
  });
  afterAll(async () => {
    for (const { client } of created) client.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  it('routes by the tag: admin to v2, users sticky on one version, both versions in use', async () => {
    const client = routedGrpcClient({ router: createRouter({ rules: RULES, instances: source }), host: 'greeter', create });
    for (let i = 0; i < 5; i++) {
      const reply = await runWithTag(createTag({ user: 'admin' }), () => call(client));
      expect(reply.version).toBe('v2');
      expect(reply.tag?.user).toBe('admin');
    }
    const seen = new Set<string>();
    for (let u = 0; u < 30; u++) {
      const tag = createTag({ user: `user-${u}` });
      const versions = new Set<string>();
      for (let i = 0; i < 4; i++) versions.add((await runWithTag(tag, () => call(client))).version);
      expect(versions.size, `user-${u} is sticky`).toBe(1);
      seen.add([...versions][0] as string);
    }
    expect([...seen].sort()).toEqual(['v1', 'v2']);
    client.close();
  });

  it('matches rules on the call metadata too', async () => {
    const client = routedGrpcClient({ router: createRouter({ rules: RULES, instances: source }), host: 'greeter', create });
    const canary = new grpc.Metadata();
    canary.set('x-canary', 'true');
    for (let i = 0; i < 5; i++) expect((await runWithTag(createTag({ user: 'u' }), () => call(client, canary.clone()))).version).toBe('v2');
    client.close();
  });

  it('a feature-42 call stays in its lane; an uncolored call never enters it; streams are routed too', async () => {
    const client = routedGrpcClient({ router: createRouter({ instances: source }), host: 'greeter', create });
    for (let i = 0; i < 10; i++) {
      const lane = await runWithTag(createTag({ color: 'feature-42' }), () => call(client));
      expect(lane.version).toBe('v1 feature-42');
      expect(lane.tag?.color).toBe('feature-42');
      expect((await call(client)).version).not.toBe('v1 feature-42');
    }
    const streamed = await runWithTag(createTag({ color: 'feature-42' }), () => new Promise<HelloReply[]>((resolve, reject) => {
      const replies: HelloReply[] = [];
      client.sayHelloStream({ name: 's', count: 2 }).on('data', (r: HelloReply) => replies.push(r)).on('end', () => resolve(replies)).on('error', reject);
    }));
    expect(streamed.map((r) => r.version)).toEqual(['v1 feature-42', 'v1 feature-42']);
    client.close();
  });

  it('reuses one client per instance and closes the client of an instance that leaves the source', async () => {
    const before = created.length;
    const router = createRouter({ instances: source });
    const client = routedGrpcClient({ router, host: 'greeter', create, instances: source });
    for (let i = 0; i < 40; i++) await call(client);
    const mine = created.slice(before);
    expect(mine.length).toBe(2); // v1 and v2: uncolored calls never pick the lane instance
    expect(new Set(mine.map((c) => c.address)).size).toBe(2);
    const v2 = mine.find((c) => c.address === all[1]!.address)!;
    source.set([all[0]!, all[2]!]);
    try {
      expect(v2.client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
      for (let i = 0; i < 10; i++) expect((await call(client)).version).toBe('v1');
      source.set([all[2]!]);
      expect(() => client.sayHello({ name: 'x' }, () => undefined)).toThrow(expect.objectContaining({ code: 'ERR_DYELINE_NO_INSTANCE' }));
      let caught: unknown;
      try {
        client.sayHello({ name: 'x' }, () => undefined);
      } catch (error) {
        caught = error;
      }
      expect(isNoInstanceError(caught)).toBe(true);
    } finally {
      source.set(all);
      client.close();
    }
    for (const c of mine) expect(c.client.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
  });

  it('checks its options when built', () => {
    const router = createRouter({ instances: source });
    expect(() => routedGrpcClient({ router: {} as never, host: 'greeter', create })).toThrow(/options\.router/);
    expect(() => routedGrpcClient({ router, host: '', create })).toThrow(/options\.host/);
    expect(() => routedGrpcClient({ router, host: 'greeter', create: 5 as never })).toThrow(/options\.create/);
    expect(() => routedGrpcClient({ router, host: 'greeter', create, instances: {} as never })).toThrow(/options\.instances/);
  });
});
