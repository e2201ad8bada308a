// 5,000 concurrent unary calls with distinct tags through two gRPC hops whose
// handlers await between steps: every hop of every call sees its own tag.
import { createTag, runWithTag } from '@dyeline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { greeterClient, sayHello, startGrpcGreeter } from '../examples/grpc-greeter.js';
import type { GreeterClient, GrpcGreeter } from '../examples/grpc-greeter.js';

const CALLS = 5_000;

describe('grpc: concurrency', () => {
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

  it(`${CALLS} concurrent calls with distinct tags: zero cross-talk at either hop`, async () => {
    const replies = await Promise.all(
      Array.from({ length: CALLS }, (_, i) =>
        runWithTag(createTag({ color: `c${i}`, user: `u${i}` }), () => sayHello(client, { name: String(i) })),
      ),
    );
    let crossTalk = 0;
    replies.forEach((reply, i) => {
      const hops = [reply, reply.downstream];
      for (const hop of hops) {
        if (hop === null) {
          crossTalk++;
          continue;
        }
        for (const seen of [...hop.seen, hop.tag]) {
          if (seen?.color !== `c${i}` || seen.user !== `u${i}`) crossTalk++;
        }
      }
    });
    expect(crossTalk).toBe(0);
    expect(replies.every((r) => r.version === 'v1' && r.downstream?.version === 'v2')).toBe(true);
  });
});
