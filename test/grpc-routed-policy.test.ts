// routedGrpcClient with createGrpcRoutePolicyRunner on real grpc-js servers:
// the route's retries, fault (grpcStatus and httpStatus), timeout, per-try
// timeout and mirror apply to unary calls, and the caller sees one metadata
// event, one callback and one status, as from a plain grpc-js call.
import * as grpc from '@grpc/grpc-js';
import { createTag, runWithTag } from '@dyeline/core';
import { addDyelineService, createGrpcRoutePolicyRunner, routedGrpcClient } from '@dyeline/grpc';
import type { ResilienceEvent } from '@dyeline/resilience';
import { createRouter } from '@dyeline/routing';
import type { Instance } from '@dyeline/routing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, loadGreeter, sayHello } from '../examples/grpc-greeter.js';
import type { GreeterClient, HelloReply, HelloRequest } from '../examples/grpc-greeter.js';

/** What the n-th call (from 1) to a scripted server does. */
type Script = (n: number) => { fail?: grpc.status; delayMs?: number };

interface ScriptedServer {
  readonly address: string;
  /** Calls received so far, with the color each one carried. */
  readonly calls: { color: string }[];
  script: Script;
  close(): Promise<void>;
}

async function startScripted(version: string): Promise<ScriptedServer> {
  const server = new grpc.Server();
  const state: ScriptedServer = {
    address: '',
    calls: [],
    script: () => ({}),
    close: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
  addDyelineService(server, loadGreeter().service, {
    sayHello(call: grpc.ServerUnaryCall<HelloRequest, HelloReply>, callback: grpc.sendUnaryData<HelloReply>): void {
      state.calls.push({ color: String(call.metadata.get('x-color')[0] ?? '') });
      const { fail, delayMs = 0 } = state.script(state.calls.length);
      const metadata = new grpc.Metadata();
      metadata.set('x-served-by', version);
      call.sendMetadata(metadata);
      setTimeout(() => {
        if (fail !== undefined) callback({ code: fail, details: `scripted ${grpc.status[fail]}` });
        else callback(null, { message: 'hello', version, tag: null, remainingMs: 0, downstream: null, seen: [] });
      }, delayMs);
    },
  }, { trust: { trustedCidrs: ['127.0.0.0/8'] } });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return Object.assign(state, { address: `127.0.0.1:${port}` });
}

const rules = (route: string): string => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greeter }
spec:
  hosts: [greeter]
  http:
  - ${route}
    route: [{ destination: { host: greeter, subset: v1 } }]
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

describe('grpc: route policy on routed unary calls', () => {
  let v1: ScriptedServer;
  let v2: ScriptedServer;
  let instances: Instance[];
  const clients: GreeterClient[] = [];
  const events: ResilienceEvent[] = [];
  const runPolicy = createGrpcRoutePolicyRunner({ backoff: { initial: 1, max: 1 }, onEvent: (e) => events.push(e) });

  const routed = (route: string, withPolicy = true): GreeterClient => {
    const client = routedGrpcClient<GreeterClient>({
      router: createRouter({ instances, rules: rules(route) }),
      host: 'greeter',
      create: (address) => {
        const made = greeterClient(address);
        clients.push(made);
        return made;
      },
      ...(withPolicy ? { runPolicy } : {}),
    });
    clients.push(client);
    return client;
  };
  const failure = async (promise: Promise<unknown>): Promise<grpc.ServiceError> => {
    try {
      await promise;
    } catch (error) {
      return error as grpc.ServiceError;
    }
    throw new Error('the call succeeded');
  };

  beforeAll(async () => {
    v1 = await startScripted('v1');
    v2 = await startScripted('v2');
    instances = [
      { service: 'greeter', address: v1.address, labels: { version: 'v1' } },
      { service: 'greeter', address: v2.address, labels: { version: 'v2' } },
    ];
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await Promise.all([v1.close(), v2.close()]);
  });
  const reset = (script: Script = () => ({})): void => {
    v1.calls.length = 0;
    v2.calls.length = 0;
    v1.script = script;
    v2.script = () => ({});
    events.length = 0;
  };

  it('retries UNAVAILABLE as the route says; without the runner the same call fails', async () => {
    const route = 'retries: { attempts: 2, retryOn: unavailable }';
    reset((n) => (n <= 2 ? { fail: grpc.status.UNAVAILABLE } : {}));
    const reply = await runWithTag(createTag({ color: 'blue' }), () => sayHello(routed(route), { name: 'r' }));
    expect(reply.version).toBe('v1');
    expect(v1.calls).toEqual([{ color: 'blue' }, { color: 'blue' }, { color: 'blue' }]);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);

    reset((n) => (n === 1 ? { fail: grpc.status.UNAVAILABLE } : {}));
    expect((await failure(sayHello(routed(route, false), { name: 'r' }))).code).toBe(grpc.status.UNAVAILABLE);
    expect(v1.calls).toHaveLength(1);
  });

  it('does not retry a code retryOn does not name, and the caller gets the server status as it was', async () => {
    reset(() => ({ fail: grpc.status.NOT_FOUND }));
    const error = await failure(sayHello(routed('retries: { attempts: 3, retryOn: unavailable }'), { name: 'r' }));
    expect([error.code, error.details]).toEqual([grpc.status.NOT_FOUND, 'scripted NOT_FOUND']);
    expect(v1.calls).toHaveLength(1);
  });

  it('an abort fault fails the call with grpcStatus, or the code its httpStatus maps to, without reaching the server', async () => {
    reset();
    const unavailable = await failure(sayHello(routed('fault: { abort: { grpcStatus: RESOURCE_EXHAUSTED, percentage: { value: 100 } } }'), { name: 'r' }));
    expect([unavailable.code, unavailable.details]).toEqual([grpc.status.RESOURCE_EXHAUSTED, 'fault filter abort']);
    const notFound = await failure(sayHello(routed('fault: { abort: { httpStatus: 404, percentage: { value: 100 } } }'), { name: 'r' }));
    expect(notFound.code).toBe(grpc.status.UNIMPLEMENTED);
    expect(v1.calls).toHaveLength(0);
    expect(events.filter((e) => e.type === 'fault')).toHaveLength(2);
  });

  it('a delay fault holds the call before it is sent', async () => {
    reset();
    const started = Date.now();
    await sayHello(routed('fault: { delay: { fixedDelay: 80ms, percentage: { value: 100 } } }'), { name: 'r' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(75);
    expect(v1.calls).toHaveLength(1);
  });

  it('the route timeout fails a slow call with DEADLINE_EXCEEDED and cancels it', async () => {
    reset(() => ({ delayMs: 1_000 }));
    const started = Date.now();
    const error = await failure(sayHello(routed('timeout: 60ms'), { name: 'r' }));
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(Date.now() - started).toBeLessThan(900);
    expect(events.some((e) => e.type === 'timeout')).toBe(true);
  });

  it('a try past perTryTimeout is cancelled and retried', async () => {
    reset((n) => (n === 1 ? { delayMs: 1_000 } : {}));
    const reply = await sayHello(routed('retries: { attempts: 1, perTryTimeout: 60ms, retryOn: reset }'), { name: 'r' });
    expect(reply.version).toBe('v1');
    expect(v1.calls).toHaveLength(2);
  });

  it('mirrors a copy to the mirror subset and answers from the route destination', async () => {
    reset();
    const client = routed('mirror: { host: greeter, subset: v2 }\n    mirrorPercentage: { value: 100 }');
    const reply = await runWithTag(createTag({ color: 'green' }), () => sayHello(client, { name: 'r' }));
    expect(reply.version).toBe('v1');
    await expect.poll(() => v2.calls).toEqual([{ color: 'green' }]);
    expect(v1.calls).toHaveLength(1);
  });

  it('the caller sees metadata, callback and status once each, from the try that decided, even after retries', async () => {
    reset((n) => (n === 1 ? { fail: grpc.status.UNAVAILABLE } : {}));
    const client = routed('retries: { attempts: 2, retryOn: unavailable }');
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      const call = client.sayHello({ name: 'r' }, new grpc.Metadata(), {}, (error) => seen.push(error === null ? 'callback ok' : `callback ${error.code}`));
      call.on('metadata', (metadata) => seen.push(`metadata ${String(metadata.get('x-served-by')[0])}`));
      call.on('status', (status: grpc.StatusObject) => {
        seen.push(`status ${status.code}`);
        setTimeout(resolve, 20);
      });
    });
    expect(seen).toEqual(['metadata v1', 'callback ok', `status ${grpc.status.OK}`]);
    expect(v1.calls).toHaveLength(2);
  });

  it('cancel() during a delay fault fails the call CANCELLED and sends nothing', async () => {
    reset();
    const client = routed('fault: { delay: { fixedDelay: 200ms, percentage: { value: 100 } } }');
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.sayHello({ name: 'r' }, new grpc.Metadata(), {}, (e) => resolve(e));
      setTimeout(() => call.cancel(), 20);
    });
    expect(error?.code).toBe(grpc.status.CANCELLED);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(v1.calls).toHaveLength(0);
  });

  it('checks runPolicy and random when built, and the runner its options', () => {
    const router = createRouter({ instances });
    const create = (address: string): GreeterClient => greeterClient(address);
    expect(() => routedGrpcClient({ router, host: 'greeter', create, runPolicy: 5 as never })).toThrow(/options\.runPolicy/);
    expect(() => routedGrpcClient({ router, host: 'greeter', create, random: 'x' as never })).toThrow(/options\.random/);
    expect(() => createGrpcRoutePolicyRunner({ random: 1 as never })).toThrow(/random/);
  });
});
