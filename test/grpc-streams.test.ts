// The four gRPC call kinds keep the tag for their whole life on a real
// grpc-js server: at the handler's start, after awaits, in every stream
// `data` handler, at `end`, in write callbacks and in `cancelled` listeners.
import { setTimeout as sleep } from 'node:timers/promises';
import * as grpc from '@grpc/grpc-js';
import { createTag, currentTag, runWithTag } from '@dyeline/core';
import { addDyelineService } from '@dyeline/grpc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, loadGreeter, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter, HelloReply, SeenTag } from '../examples/grpc-greeter.js';

const BLUE: SeenTag = { color: 'blue', user: 'alice', shadow: false };
const NONE: SeenTag = { color: '', user: '', shadow: false };

function collect<T>(stream: grpc.ClientReadableStream<T> | grpc.ClientDuplexStream<unknown, T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const out: T[] = [];
    stream.on('data', (item: T) => out.push(item));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

function allSeen(replies: HelloReply[]): SeenTag[] {
  return replies.flatMap((reply) => [...reply.seen, reply.tag as SeenTag]);
}

describe('grpc: every call kind keeps the tag (greeter example)', () => {
  let greeter: GrpcGreeter;
  let client: GreeterClient;
  // Tagged by the dyeline client interceptor from the caller's context.
  const tagged = <T>(fn: () => T): T => runWithTag(createTag({ color: 'blue', user: 'alice' }), fn);

  beforeAll(async () => {
    greeter = await startGrpcGreeter({ version: 'v1' });
    client = greeterClient(`127.0.0.1:${greeter.port}`);
  });
  afterAll(async () => {
    client.close();
    await greeter.close();
  });

  it('unary: at start and after an await', async () => {
    const reply = await tagged(() => sayHello(client, { name: 'a' }));
    expect(reply.seen).toEqual([BLUE, BLUE]);
    expect(reply.tag).toEqual(BLUE);
    expect(reply.version).toBe('v1');
  });

  it('server streaming: before and after every await between writes', async () => {
    const replies = await tagged(() => collect(client.sayHelloStream({ name: 'a', count: 5 })));
    expect(replies).toHaveLength(5);
    const steps = allSeen(replies);
    expect(steps.length).toBeGreaterThan(10);
    expect(new Set(steps.map((s) => JSON.stringify(s)))).toEqual(new Set([JSON.stringify(BLUE)]));
  });

  it('client streaming: in every data handler, at end and after it', async () => {
    const reply = await tagged(
      () =>
        new Promise<HelloReply>((resolve, reject) => {
          const call = client.collectHellos((error, value) => (error ? reject(error) : resolve(value as HelloReply)));
          let i = 0;
          const next = (): void => {
            if (i === 6) {
              call.end();
              return;
            }
            call.write({ name: `n${i++}` });
            // Spread the messages over several ticks so they arrive as separate data events.
            setTimeout(next, 2);
          };
          next();
        }),
    );
    expect(reply.message).toBe('hello n0, n1, n2, n3, n4, n5 from v1');
    // start + 6 data + end + after end
    expect(reply.seen).toHaveLength(9);
    expect(reply.seen.every((s) => s.color === 'blue' && s.user === 'alice')).toBe(true);
  });

  it('bidi: in every data handler, after awaits and at end', async () => {
    const replies = await tagged(async () => {
      const call = client.chat();
      const done = collect(call);
      for (let i = 0; i < 5; i++) {
        call.write({ name: `m${i}` });
        await sleep(2);
      }
      call.end();
      return done;
    });
    expect(replies.map((r) => r.message)).toEqual(['hello m0 from v1', 'hello m1 from v1', 'hello m2 from v1', 'hello m3 from v1', 'hello m4 from v1', 'bye from v1']);
    const steps = allSeen(replies);
    expect(steps).toHaveLength(6 * 4);
    expect(steps.every((s) => s.color === 'blue' && s.user === 'alice')).toBe(true);
  });

  it('an untagged call sees no tag at any step, even right after tagged ones', async () => {
    const [tagged1, plain, streamPlain] = await Promise.all([
      tagged(() => sayHello(client, { name: 'a' })),
      sayHello(client, { name: 'b' }),
      collect(client.sayHelloStream({ name: 'c', count: 3 })),
    ]);
    expect(tagged1.tag).toEqual(BLUE);
    expect([...plain.seen, plain.tag]).toEqual([NONE, NONE, NONE]);
    expect(allSeen(streamPlain).every((s) => s.color === '' && s.user === '')).toBe(true);
  });

  it('metadata set by hand (no client interceptor) is read the same way', async () => {
    const { Greeter } = loadGreeter();
    const bare = new Greeter(`127.0.0.1:${greeter.port}`, grpc.credentials.createInsecure());
    try {
      const md = new grpc.Metadata();
      md.set('baggage', 'color=green,user=bob,unrelated=1');
      const reply = await sayHello(bare, { name: 'a' }, md);
      expect(reply.tag).toEqual({ color: 'green', user: 'bob', shadow: false });
      const dubbo = new grpc.Metadata();
      dubbo.set('dubbo.tag', 'gray');
      expect((await sayHello(bare, { name: 'a' }, dubbo)).tag?.color).toBe('gray');
    } finally {
      bare.close();
    }
  });
});

describe('grpc: emitter callbacks of a wrapped handler', () => {
  let server: grpc.Server;
  let client: GreeterClient;
  const observed: Record<string, (string | undefined)[]> = { write: [], cancelled: [], once: [], removed: [] };

  beforeAll(async () => {
    const { Greeter, service } = loadGreeter();
    server = new grpc.Server();
    const color = (): string | undefined => currentTag()?.color;
    addDyelineService(server, service, {
      sayHelloStream(call: grpc.ServerWritableStream<{ name: string }, unknown>) {
        call.once('cancelled', () => observed.cancelled?.push(color()));
        const write = (): void => {
          if (call.cancelled) return;
          call.write({ message: 'tick' }, () => {
            observed.write?.push(color());
            setTimeout(write, 2);
          });
        };
        write();
      },
      chat(call: grpc.ServerDuplexStream<{ name: string }, unknown>) {
        const never = (): void => {
          observed.removed?.push(color());
        };
        call.on('data', never);
        call.removeListener('data', never);
        call.once('data', () => observed.once?.push(color()));
        call.on('data', (m: { name: string }) => call.write({ message: m.name }));
        call.on('end', () => call.end());
      },
    }, { trust: { trustedCidrs: ['127.0.0.0/8'] } });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    client = new Greeter(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  afterAll(() => {
    client.close();
    server.forceShutdown();
  });

  it('write callbacks and a cancelled listener see the tag', async () => {
    const md = new grpc.Metadata();
    md.set('x-color', 'red');
    const call = client.sayHelloStream({ name: 'x' }, md);
    call.on('error', () => {});
    let ticks = 0;
    await new Promise<void>((resolve) => {
      call.on('data', () => {
        if (++ticks === 4) {
          call.cancel();
          resolve();
        }
      });
    });
    for (let i = 0; i < 50 && observed.cancelled?.length === 0; i++) await sleep(10);
    expect(observed.write?.length).toBeGreaterThanOrEqual(3);
    expect(observed.write?.every((c) => c === 'red')).toBe(true);
    expect(observed.cancelled).toEqual(['red']);
  });

  it('once and removeListener behave as on any emitter', async () => {
    const md = new grpc.Metadata();
    md.set('x-color', 'teal');
    const call = client.chat(md);
    const replies = collect(call);
    call.write({ name: 'a' });
    call.write({ name: 'b' });
    call.end();
    expect((await replies).length).toBe(2);
    expect(observed.once).toEqual(['teal']);
    expect(observed.removed).toEqual([]);
  });
});
