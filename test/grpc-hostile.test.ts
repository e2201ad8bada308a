// Hostile and untrusted metadata on a real grpc-js server: bad values are
// dropped and reported (or rejected with INVALID_ARGUMENT / PERMISSION_DENIED
// per policy), and the server keeps serving.
import * as grpc from '@grpc/grpc-js';
import { createTag, isInvalidTagError, isUntrustedTagError, signTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import type { DyelineServerOptions } from '@dyeline/grpc';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGreeter, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter, HelloReply } from '../examples/grpc-greeter.js';

const KEY = 'k'.repeat(32);
const started: { greeter: GrpcGreeter; client: GreeterClient }[] = [];

async function serve(options: DyelineServerOptions): Promise<{ client: GreeterClient; errors: DyelineError[] }> {
  const errors: DyelineError[] = [];
  const greeter = await startGrpcGreeter({ version: 'v1', dyeline: { ...options, onError: (e) => errors.push(e) } });
  // A bare client: the metadata under test is sent exactly as written.
  const { Greeter } = loadGreeter();
  const client = new Greeter(`127.0.0.1:${greeter.port}`, grpc.credentials.createInsecure());
  started.push({ greeter, client });
  return { client, errors };
}

function metadata(entries: [string, string][]): grpc.Metadata {
  const md = new grpc.Metadata();
  for (const [key, value] of entries) md.add(key, value);
  return md;
}

function failure(promise: Promise<unknown>): Promise<grpc.ServiceError | undefined> {
  return promise.then(
    () => undefined,
    (error: grpc.ServiceError) => error,
  );
}

function streamStatus(call: grpc.ClientReadableStream<HelloReply> | grpc.ClientDuplexStream<unknown, HelloReply>): Promise<number> {
  return new Promise((resolve) => {
    call.on('data', () => {});
    call.on('error', (error: grpc.ServiceError) => resolve(error.code));
    call.on('status', (s: grpc.StatusObject) => resolve(s.code));
  });
}

afterAll(async () => {
  for (const { greeter, client } of started) {
    client.close();
    await greeter.close();
  }
});

describe('grpc: hostile metadata, drop policy (default)', () => {
  let client: GreeterClient;
  let errors: DyelineError[];
  beforeAll(async () => {
    ({ client, errors } = await serve({ trust: { trustedCidrs: ['127.0.0.0/8'] } }));
  });

  it.each<[string, [string, string][]]>([
    ['oversized value', [['x-color', 'a'.repeat(4_000)]]],
    ['bad charset', [['x-color', 'blue <script>']]],
    ['repeated values joined into a bad one', [['x-color', 'red'], ['x-color', 'green']]],
    ['malformed shadow flag', [['x-shadow', 'maybe']]],
    ['garbage baggage', [['baggage', ';;;==,,%zz=%G1,=']]],
    ['baggage with 100 members', [['baggage', Array.from({ length: 100 }, (_, i) => `k${i}=v`).join(',')]]],
    ['malformed deadline header', [['x-dyeline-deadline-ms', '-5']]],
  ])('%s: dropped, reported, call served untagged', async (_name, entries) => {
    errors.length = 0;
    const reply = await sayHello(client, { name: 'h' }, metadata(entries));
    expect(reply.version).toBe('v1');
    expect(reply.tag?.color).toBe('');
    expect(reply.tag?.shadow).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => isInvalidTagError(e))).toBe(true);
  });

  it('a -bin key of a tag name is ignored, not an error', async () => {
    errors.length = 0;
    const md = new grpc.Metadata();
    md.set('x-color-bin', Buffer.from([0, 1, 2, 255]));
    md.set('x-user', 'alice');
    const reply = await sayHello(client, { name: 'h' }, md);
    expect(reply.tag).toEqual({ color: '', user: 'alice', shadow: false });
    expect(errors).toEqual([]);
  });

  it('good parts survive next to bad ones', async () => {
    const reply = await sayHello(client, { name: 'h' }, metadata([['x-color', 'bad value!'], ['x-user', 'alice'], ['baggage', 'color=fallback']]));
    expect(reply.tag).toEqual({ color: 'fallback', user: 'alice', shadow: false });
  });

  it('random printable metadata never crashes the server or fails the call', async () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(printable, printable, printable, printable, async (color, user, shadow, baggage) => {
        const reply = await sayHello(client, { name: 'f' }, metadata([['x-color', color], ['x-user', user], ['x-shadow', shadow], ['baggage', baggage]]));
        expect(reply.version).toBe('v1');
      }),
      { numRuns: 150 },
    );
    expect((await sayHello(client, { name: 'ok' }, metadata([['x-color', 'blue']]))).tag?.color).toBe('blue');
  });
});

describe('grpc: reject policy', () => {
  it('onInvalid reject answers INVALID_ARGUMENT for all four call kinds', async () => {
    const { client } = await serve({ onInvalid: 'reject', trust: { trustedCidrs: ['127.0.0.0/8'] } });
    const bad = (): grpc.Metadata => metadata([['x-color', 'x'.repeat(500)]]);
    expect((await failure(sayHello(client, { name: 'r' }, bad())))?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(await streamStatus(client.sayHelloStream({ name: 'r', count: 2 }, bad()))).toBe(grpc.status.INVALID_ARGUMENT);
    const clientStream = await new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.collectHellos(bad(), (error) => resolve(error));
      call.write({ name: 'a' });
      call.end();
    });
    expect(clientStream?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const chat = client.chat(bad());
    const chatStatus = streamStatus(chat);
    chat.end();
    expect(await chatStatus).toBe(grpc.status.INVALID_ARGUMENT);
    // Still serving.
    expect((await sayHello(client, { name: 'ok' }, metadata([['x-color', 'blue']]))).tag?.color).toBe('blue');
  });

  it('onUntrusted reject answers PERMISSION_DENIED to an untrusted caller setting shadow', async () => {
    const { client, errors } = await serve({ onUntrusted: 'reject', trust: { allowUntrusted: ['color'] } });
    const error = await failure(sayHello(client, { name: 'r' }, metadata([['x-color', 'blue'], ['x-shadow', '1']])));
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(errors.some((e) => isUntrustedTagError(e))).toBe(true);
    // What the caller may set is still accepted.
    expect((await sayHello(client, { name: 'ok' }, metadata([['x-color', 'blue']]))).tag?.color).toBe('blue');
  });
});

describe('grpc: trust policy', () => {
  it('an untrusted peer may set nothing by default: dropped and reported', async () => {
    const { client, errors } = await serve({});
    const reply = await sayHello(client, { name: 't' }, metadata([['x-color', 'blue'], ['x-shadow', '1']]));
    expect(reply.tag).toEqual({ color: '', user: '', shadow: false });
    expect(errors.filter((e) => isUntrustedTagError(e))).toHaveLength(1);
  });

  it('the peer address from call.getPeer() makes loopback trusted by CIDR', async () => {
    const { client } = await serve({ trust: { trustedCidrs: ['127.0.0.1/32'] } });
    const reply = await sayHello(client, { name: 't' }, metadata([['x-color', 'blue'], ['x-shadow', '1']]));
    expect(reply.tag).toEqual({ color: 'blue', user: '', shadow: true });
  });

  it('a signed tag is believed; a tampered one is refused and counted', async () => {
    const { client, errors } = await serve({ trust: { signing: { keys: { k1: KEY } } } });
    const tag = createTag({ color: 'blue', shadow: true });
    const signature = signTag(tag, { keyId: 'k1', key: KEY });
    const good = await sayHello(client, { name: 's' }, metadata([['x-color', 'blue'], ['x-shadow', '1'], ['x-dyeline-signature', signature]]));
    expect(good.tag).toEqual({ color: 'blue', user: '', shadow: true });
    errors.length = 0;
    const tampered = await sayHello(client, { name: 's' }, metadata([['x-color', 'red'], ['x-shadow', '1'], ['x-dyeline-signature', signature]]));
    expect(tampered.tag).toEqual({ color: '', user: '', shadow: false });
    expect(errors.some((e) => isUntrustedTagError(e) && /signed tag refused/.test(e.message))).toBe(true);
  });
});
