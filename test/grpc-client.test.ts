// The client side: what dyelineClientInterceptor / withDyeline put on the
// wire, seen by a plain (unwrapped) grpc-js server that echoes its metadata.
import * as grpc from '@grpc/grpc-js';
import { Deadline, RequestContext, createTag, presets, runWithContext, runWithTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import { addDyelineService, dyelineClientInterceptor, withDyeline, wrapImplementation } from '@dyeline/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGreeter, sayHello } from '../examples/grpc-greeter.js';
import type { GreeterClient, HelloReply } from '../examples/grpc-greeter.js';

interface Echo {
  metadata: Record<string, string>;
  /** ms from receipt to the call's deadline; -1 without one. */
  deadlineMs: number;
}

async function echo(client: GreeterClient, options: grpc.CallOptions = {}, metadata = new grpc.Metadata()): Promise<Echo> {
  const reply = await sayHello(client, { name: 'e' }, metadata, options);
  return JSON.parse(reply.message) as Echo;
}

describe('grpc client interceptor', () => {
  let server: grpc.Server;
  let address: string;
  const { Greeter, service } = loadGreeter();
  const clients: grpc.Client[] = [];
  const make = (options?: grpc.ClientOptions): GreeterClient => {
    const client = new Greeter(address, grpc.credentials.createInsecure(), options);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    server = new grpc.Server();
    server.addService(service, {
      sayHello(call: grpc.ServerUnaryCall<unknown, HelloReply>, callback: grpc.sendUnaryData<Partial<HelloReply>>) {
        const metadata: Record<string, string> = {};
        for (const [key, value] of Object.entries(call.metadata.getMap())) {
          if (!key.startsWith('user-agent') && !key.startsWith('grpc-')) metadata[key] = String(value);
        }
        const at = call.getDeadline();
        const deadlineMs = Number.isFinite(Number(at)) ? Number(at) - Date.now() : -1;
        callback(null, { message: JSON.stringify({ metadata, deadlineMs }) });
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    address = `127.0.0.1:${port}`;
  });
  afterAll(() => {
    for (const client of clients) client.close();
    server.forceShutdown();
  });

  it('writes the current tag into metadata; outside any tag nothing', async () => {
    const client = make({ interceptors: [dyelineClientInterceptor()] });
    const inside = await runWithTag(createTag({ color: 'blue', user: 'alice', shadow: true }), () => echo(client));
    expect(inside.metadata).toMatchObject({ 'x-color': 'blue', 'x-user': 'alice', 'x-shadow': '1' });
    // On gRPC the dedicated entries carry the tag; baggage only when it carries more.
    expect(inside.metadata.baggage).toBeUndefined();
    const outside = await echo(client);
    expect(outside.metadata).toEqual({});
  });

  it('writes baggage when asked to, or to pass through members of the incoming baggage', async () => {
    const client = make({ interceptors: [dyelineClientInterceptor()] });
    const withBaggage = make({ interceptors: [dyelineClientInterceptor({ write: { baggage: true } })] });
    const onlyBaggage = make({ interceptors: [dyelineClientInterceptor({ write: { headers: false } })] });
    const tag = createTag({ color: 'blue', user: 'alice' });
    expect((await runWithTag(tag, () => echo(withBaggage))).metadata.baggage).toBe('color=blue,user=alice');
    expect((await runWithTag(tag, () => echo(onlyBaggage))).metadata).toEqual({ baggage: 'color=blue,user=alice' });
    const passthrough = createTag({ color: 'blue', passthroughBaggage: 'tenant=acme' });
    const seen = (await runWithTag(passthrough, () => echo(client))).metadata;
    expect(seen['x-color']).toBe('blue');
    expect(seen.baggage).toBe('color=blue,tenant=acme');
  });

  it('an entry the caller set wins, the rest of the tag is still written', async () => {
    const client = make({ interceptors: [dyelineClientInterceptor()] });
    const metadata = new grpc.Metadata();
    metadata.set('x-color', 'chosen');
    const tag = createTag({ color: 'blue', user: 'alice' });
    for (let i = 0; i < 2; i++) {
      const seen = await runWithTag(tag, () => echo(client, {}, metadata.clone()));
      expect(seen.metadata).toMatchObject({ 'x-color': 'chosen', 'x-user': 'alice' });
    }
    // The cached entries are not changed by the merge: a plain call still gets the tag's color.
    expect((await runWithTag(tag, () => echo(client))).metadata['x-color']).toBe('blue');
  });

  it('writes Dubbo and kratos names with their presets', async () => {
    const client = make({ interceptors: [dyelineClientInterceptor({ presets: [presets.dubbo, presets.kratos] })] });
    const seen = await runWithTag(createTag({ color: 'gray' }), () => echo(client));
    expect(seen.metadata).toMatchObject({ 'x-color': 'gray', 'dubbo.tag': 'gray', 'x-md-global-color': 'gray' });
  });

  it('withDyeline(client) returns a tag-carrying client on the same channel', async () => {
    const plain = make();
    const dyed = withDyeline(plain);
    expect(dyed.getChannel()).toBe(plain.getChannel());
    const tag = createTag({ color: 'green' });
    expect((await runWithTag(tag, () => echo(dyed))).metadata['x-color']).toBe('green');
    expect((await runWithTag(tag, () => echo(plain))).metadata['x-color']).toBeUndefined();
  });

  it('shortens a later call deadline to the request deadline, keeps an earlier one', async () => {
    const client = make({ interceptors: [dyelineClientInterceptor()] });
    const context = new RequestContext(createTag({ color: 'x' }), Deadline.after(1_000));
    const none = await runWithContext(context, () => echo(client));
    expect(none.deadlineMs).toBeGreaterThan(0);
    expect(none.deadlineMs).toBeLessThanOrEqual(1_000);
    const later = await runWithContext(context, () => echo(client, { deadline: Date.now() + 60_000 }));
    expect(later.deadlineMs).toBeLessThanOrEqual(1_000);
    const earlier = await runWithContext(context, () => echo(client, { deadline: Date.now() + 200 }));
    expect(earlier.deadlineMs).toBeLessThanOrEqual(200);
    const untouched = make({ interceptors: [dyelineClientInterceptor({ deadline: false })] });
    expect((await runWithContext(context, () => echo(untouched))).deadlineMs).toBe(-1);
  });

  it('a tag value it may not write is reported, never thrown into the call', async () => {
    const errors: DyelineError[] = [];
    const client = make({ interceptors: [dyelineClientInterceptor({ onError: (e) => errors.push(e) })] });
    const hostile = createTag({ color: 'ok' }).with({ user: 'a\r\nb', extra: { tenant: 'acme' } });
    const seen = await runWithTag(hostile, () => echo(client));
    expect(seen.metadata['x-color']).toBe('ok');
    expect(seen.metadata['x-user']).toBeUndefined();
    expect(errors.length).toBeGreaterThanOrEqual(2);
    // Reported once per tag, not on every call that carries it.
    const reported = errors.length;
    await runWithTag(hostile, () => echo(client));
    expect(errors.length).toBe(reported);
  });
});

describe('grpc: options are checked when the wrapper is built', () => {
  it('throws TypeError naming the option', () => {
    expect(() => dyelineClientInterceptor({ onError: 5 as never })).toThrow(/options\.onError/);
    expect(() => dyelineClientInterceptor({ deadline: 'yes' as never })).toThrow(/options\.deadline/);
    expect(() => dyelineClientInterceptor({ headers: { color: 'Bad Name' } })).toThrow(/options\.headers\.color/);
    expect(() => withDyeline({} as never)).toThrow(/client must be a grpc-js client/);
    expect(() => wrapImplementation(null as never)).toThrow(/implementation must be an object/);
    expect(() => addDyelineService(new grpc.Server(), loadGreeter().service, {}, { onInvalid: 'explode' as never })).toThrow(/options\.onInvalid/);
  });
});
