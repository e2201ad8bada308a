// The request Deadline across protocols and cancellation: a gRPC deadline
// reaches HTTP hops behind the handler (x-dyeline-deadline-ms), an HTTP
// request's deadline becomes the deadline of gRPC calls made inside it, and
// a call the client cancels (or whose deadline passes) aborts the handler's
// deadline signal. Real grpc-js and Koa servers on loopback.
import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { currentDeadline, isDeadlineExceededError } from '@dyeline/core';
import { addDyelineService, isCallCancelledError } from '@dyeline/grpc';
import { installFetchPropagation } from '@dyeline/http';
import { dyeline } from '@dyeline/koa';
import Koa from 'koa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter } from '../examples/grpc-greeter.js';
import { listen } from './helpers/http-server.js';
import type { RunningServer } from './helpers/http-server.js';

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};
const method = (path: string): grpc.MethodDefinition<unknown, unknown> => ({
  path,
  requestStream: false,
  responseStream: false,
  requestSerialize: json.serialize,
  requestDeserialize: json.deserialize,
  responseSerialize: json.serialize,
  responseDeserialize: json.deserialize,
});
const Service = { relay: method('/dyeline.test.Deadline/Relay'), wait: method('/dyeline.test.Deadline/Wait') };
type Client = grpc.Client & Record<'relay' | 'wait', (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (e: grpc.ServiceError | null, v?: unknown) => void) => grpc.ClientUnaryCall>;
const ClientClass = grpc.makeGenericClientConstructor(Service, 'Deadline') as unknown as new (...args: ConstructorParameters<typeof grpc.Client>) => Client;

interface Relayed {
  handlerMs: number;
  httpMs: number | null;
}

/** How the handler's deadline signal ended, per call id. */
const outcomes = new Map<string, Promise<{ reason: unknown; afterMs: number }>>();

describe('grpc: deadlines across protocols, and cancellation', () => {
  let koa: RunningServer;
  let greeter: GrpcGreeter;
  let greeterFromKoa: GreeterClient;
  let server: grpc.Server;
  let client: Client;
  let uninstall: () => void;

  beforeAll(async () => {
    uninstall = installFetchPropagation();
    greeter = await startGrpcGreeter({ version: 'v1' });
    greeterFromKoa = greeterClient(`127.0.0.1:${greeter.port}`);
    const app = new Koa();
    app.use(dyeline({ trust: { trustedCidrs: ['127.0.0.0/8'] } }));
    app.use(async (ctx) => {
      if (ctx.path === '/deadline') {
        ctx.body = { ms: currentDeadline()?.remaining() ?? null };
        return;
      }
      // /grpc?deadline=N: a gRPC call from inside the HTTP request, with an explicit deadline when given.
      const explicit = Number(ctx.query.deadline ?? Number.NaN);
      const reply = await sayHello(greeterFromKoa, { name: 'k' }, new grpc.Metadata(), Number.isFinite(explicit) ? { deadline: Date.now() + explicit } : {});
      ctx.body = { remainingMs: reply.remainingMs };
    });
    koa = await listen(createServer(app.callback()));

    server = new grpc.Server();
    addDyelineService(server, Service, {
      async relay(_call: grpc.ServerUnaryCall<unknown, Relayed>, callback: grpc.sendUnaryData<Relayed>) {
        const handlerMs = currentDeadline()?.remaining() ?? -1;
        const response = await fetch(`${koa.url}/deadline`);
        callback(null, { handlerMs, httpMs: ((await response.json()) as { ms: number | null }).ms });
      },
      wait(call: grpc.ServerUnaryCall<{ id: string }, unknown>, callback: grpc.sendUnaryData<unknown>) {
        const deadline = currentDeadline();
        const started = performance.now();
        if (deadline === undefined) {
          callback({ code: grpc.status.FAILED_PRECONDITION, details: 'no deadline' });
          return;
        }
        const { signal } = deadline;
        outcomes.set(
          call.request.id,
          new Promise((resolve) => signal.addEventListener('abort', () => resolve({ reason: signal.reason, afterMs: performance.now() - started }), { once: true })),
        );
        // Never answers: only the client's cancel or the deadline ends it.
      },
    }, { trust: { trustedCidrs: ['127.0.0.0/8'] } });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new ClientClass(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(async () => {
    uninstall();
    client.close();
    greeterFromKoa.close();
    server.forceShutdown();
    await greeter.close();
    await koa.close();
  });

  it('an HTTP call inside a gRPC handler carries what is left of the gRPC deadline', async () => {
    const relayed = await new Promise<Relayed>((resolve, reject) =>
      client.relay({}, new grpc.Metadata(), { deadline: Date.now() + 2_000 }, (e, v) => (e ? reject(e) : resolve(v as Relayed))),
    );
    expect(relayed.handlerMs).toBeGreaterThan(0);
    expect(relayed.handlerMs).toBeLessThanOrEqual(2_000);
    expect(relayed.httpMs).not.toBeNull();
    expect(relayed.httpMs!).toBeGreaterThan(0);
    expect(relayed.httpMs!).toBeLessThan(relayed.handlerMs);
  });

  it('no gRPC deadline: the HTTP hop gets none', async () => {
    const relayed = await new Promise<Relayed>((resolve, reject) =>
      client.relay({}, new grpc.Metadata(), {}, (e, v) => (e ? reject(e) : resolve(v as Relayed))),
    );
    expect(relayed.handlerMs).toBe(-1);
    expect(relayed.httpMs).toBeNull();
  });

  it('a gRPC call inside an HTTP request gets the request deadline, or an earlier explicit one', async () => {
    const fromHeader = (await (await fetch(`${koa.url}/grpc`, { headers: { 'x-dyeline-deadline-ms': '800' } })).json()) as { remainingMs: number };
    expect(fromHeader.remainingMs).toBeGreaterThan(0);
    expect(fromHeader.remainingMs).toBeLessThanOrEqual(800);
    const earlier = (await (await fetch(`${koa.url}/grpc?deadline=300`, { headers: { 'x-dyeline-deadline-ms': '800' } })).json()) as { remainingMs: number };
    expect(earlier.remainingMs).toBeGreaterThan(0);
    expect(earlier.remainingMs).toBeLessThanOrEqual(300);
    const later = (await (await fetch(`${koa.url}/grpc?deadline=60000`, { headers: { 'x-dyeline-deadline-ms': '800' } })).json()) as { remainingMs: number };
    expect(later.remainingMs).toBeLessThanOrEqual(800);
    const none = (await (await fetch(`${koa.url}/grpc`)).json()) as { remainingMs: number };
    expect(none.remainingMs).toBe(0);
  });

  it('a call the client cancels aborts the handler deadline signal with CallCancelledError', async () => {
    const call = client.wait({ id: 'cancel' }, new grpc.Metadata(), { deadline: Date.now() + 10_000 }, () => undefined);
    for (let i = 0; i < 100 && !outcomes.has('cancel'); i++) await sleep(5);
    call.cancel();
    const { reason, afterMs } = await outcomes.get('cancel')!;
    expect(isCallCancelledError(reason)).toBe(true);
    expect(afterMs).toBeLessThan(5_000);
  });

  it('a call whose deadline passes aborts the handler deadline signal with DeadlineExceededError', async () => {
    const status = new Promise<grpc.ServiceError | null>((resolve) => {
      client.wait({ id: 'late' }, new grpc.Metadata(), { deadline: Date.now() + 150 }, (e) => resolve(e));
    });
    expect((await status)?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    const { reason } = await outcomes.get('late')!;
    expect(isDeadlineExceededError(reason)).toBe(true);
  });
});
