// An incoming gRPC deadline becomes the request Deadline: handlers see it
// through currentDeadline(), and gRPC calls made inside inherit what is left.
import * as grpc from '@grpc/grpc-js';
import { Deadline, createTag, currentDeadline, runWithContext, RequestContext } from '@dyeline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter } from '../examples/grpc-greeter.js';

describe('grpc: deadline propagation across two hops', () => {
  let last: GrpcGreeter;
  let first: GrpcGreeter;
  let client: GreeterClient;

  beforeAll(async () => {
    last = await startGrpcGreeter({ version: 'v2' });
    first = await startGrpcGreeter({ version: 'v1', next: `127.0.0.1:${last.port}` });
    client = greeterClient(`127.0.0.1:${first.port}`);
  });
  afterAll(async () => {
    client.close();
    await first.close();
    await last.close();
  });

  it('hop 2 gets less time than hop 1, never more', async () => {
    for (let i = 0; i < 20; i++) {
      const reply = await sayHello(client, { name: 'd' }, new grpc.Metadata(), { deadline: Date.now() + 3_000 });
      const hop1 = reply.remainingMs;
      const hop2 = reply.downstream?.remainingMs ?? Number.NaN;
      expect(hop1).toBeGreaterThan(0);
      expect(hop1).toBeLessThanOrEqual(3_000);
      expect(hop2).toBeGreaterThan(0);
      expect(hop2).toBeLessThan(hop1);
    }
  });

  it('no incoming deadline: no request deadline at either hop', async () => {
    const reply = await sayHello(client, { name: 'd' });
    expect(reply.remainingMs).toBe(0);
    expect(reply.downstream?.remainingMs).toBe(0);
  });

  it('a caller-side Deadline (e.g. from an HTTP ingress) becomes the call deadline', async () => {
    const reply = await runWithContext(new RequestContext(createTag({ color: 'x' }), Deadline.after(1_500)), () =>
      sayHello(client, { name: 'd' }),
    );
    expect(reply.remainingMs).toBeGreaterThan(0);
    expect(reply.remainingMs).toBeLessThanOrEqual(1_500);
    expect(reply.downstream?.remainingMs).toBeLessThan(reply.remainingMs);
    expect(reply.tag?.color).toBe('x');
  });

  it('an expired request deadline fails the downstream call with DEADLINE_EXCEEDED', async () => {
    const deadline = Deadline.after(0);
    const error = await runWithContext(new RequestContext(createTag({ color: 'x' }), deadline), () =>
      sayHello(client, { name: 'late' }).then(
        () => undefined,
        (e: grpc.ServiceError) => e,
      ),
    );
    expect(error?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    expect(currentDeadline()).toBeUndefined();
  });
});
