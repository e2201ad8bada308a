/**
 * The contract every ingress × every outbound client must keep.
 *
 * To add an ingress (e.g. gRPC server): implement `IngressAdapter` from
 * `test/helpers/ingress-adapters.ts` and add it to `ingressAdapters` below.
 * To add a client (e.g. gRPC client): implement `OutboundClient` from
 * `test/helpers/outbound-clients.ts` and add it to `outboundClients` below.
 * One line each; every combination then runs every assertion.
 */
import { createTag, currentTag, runWithTag } from '@dyeline/core';
import type { IngressOptions } from '@dyeline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcIngressAdapter, grpcOutboundClient } from '../helpers/grpc-adapters.js';
import { httpIngressAdapters } from '../helpers/ingress-adapters.js';
import type { Hop, IngressAdapter, StartedIngress } from '../helpers/ingress-adapters.js';
import { httpOutboundClients } from '../helpers/outbound-clients.js';
import type { ActiveClient, OutboundClient } from '../helpers/outbound-clients.js';

const ingressAdapters: readonly IngressAdapter[] = [...httpIngressAdapters, grpcIngressAdapter];
const outboundClients: readonly OutboundClient[] = [...httpOutboundClients, grpcOutboundClient];

const TRUSTED: IngressOptions = { trust: { trustedCidrs: ['127.0.0.1/32', '::1/128'] } };
// 127.0.0.1 is just another caller here: nothing it claims is believed but color.
const UNTRUSTED: IngressOptions = { trust: { allowUntrusted: ['color'] } };

const active = new Map<string, ActiveClient>();
const hop: Hop = async (params) => {
  const tag = currentTag();
  const client = params.client === undefined ? undefined : active.get(params.client);
  if (params.client !== undefined && client === undefined) throw new Error(`client ${params.client} is not set up`);
  return { tag: tag?.toJSON() ?? null, downstream: client === undefined ? null : await client.call(params.explicit) };
};

const TAG_HEADERS = ['x-color', 'x-user', 'x-shadow', 'baggage'];

for (const client of outboundClients) {
  describe(`outbound: ${client.name}`, () => {
    beforeAll(async () => {
      active.set(client.name, await client.setup());
    });
    afterAll(async () => {
      await active.get(client.name)?.close();
      active.delete(client.name);
    });

    it('a call outside any request carries nothing', async () => {
      const seen = await active.get(client.name)!.call();
      for (const name of TAG_HEADERS) expect(seen[name], name).toBeUndefined();
    });

    it('a call inside runWithTag carries the tag', async () => {
      const seen = await runWithTag(createTag({ color: 'direct', shadow: true }), () => active.get(client.name)!.call());
      expect(seen['x-color']).toBe('direct');
      expect(seen['x-shadow']).toBe('1');
    });

    for (const adapter of ingressAdapters) {
      describe(`ingress: ${adapter.name}`, () => {
        let trusted: StartedIngress;
        let untrusted: StartedIngress;
        beforeAll(async () => {
          trusted = await adapter.start(TRUSTED, hop);
          untrusted = await adapter.start(UNTRUSTED, hop);
        });
        afterAll(async () => {
          await trusted.close();
          await untrusted.close();
        });

        it('the tag reaches the downstream', async () => {
          const { status, body } = await trusted.send({ 'x-color': 'blue', 'x-user': 'alice', 'x-shadow': '1' }, { client: client.name });
          expect(status).toBe(200);
          expect(body.tag).toEqual({ color: 'blue', user: 'alice', shadow: true });
          const seen = body.downstream!;
          expect(seen['x-color']).toBe('blue');
          expect(seen['x-user']).toBe('alice');
          expect(seen['x-shadow']).toBe('1');
          expect(String(seen.baggage).split(',').sort()).toEqual(['color=blue', 'shadow=1', 'user=alice']);
        });

        it('unrelated baggage members are preserved', async () => {
          const { body } = await trusted.send(
            { baggage: 'color=green, tenant=acme;ttl=5,sd-trace=%20x' },
            { client: client.name },
          );
          expect(body.tag).toEqual({ color: 'green' });
          const members = String(body.downstream!.baggage).split(',');
          expect(members).toContain('color=green');
          expect(members).toContain('tenant=acme;ttl=5');
          expect(members).toContain('sd-trace=%20x');
          expect(body.downstream!['x-color']).toBe('green');
        });

        it('an untagged request carries nothing downstream', async () => {
          const { body } = await trusted.send({}, { client: client.name });
          expect(body.tag).toEqual({});
          for (const name of TAG_HEADERS) expect(body.downstream![name], name).toBeUndefined();
        });

        it('a header the caller sets explicitly wins over the tag', async () => {
          const { body } = await trusted.send(
            { 'x-color': 'blue', 'x-user': 'alice' },
            { client: client.name, explicit: { 'X-Color': 'chosen-by-caller', baggage: 'user=bob' } },
          );
          expect(body.downstream!['x-color']).toBe('chosen-by-caller');
          expect(body.downstream!['x-user']).toBe('alice');
          const members = String(body.downstream!.baggage).split(',');
          expect(members).toContain('user=bob');
          expect(members).not.toContain('user=alice');
          expect(members).toContain('color=blue');
        });

        it('a header the caller sets in lowercase wins too (fetch keeps names as given)', async () => {
          const { body } = await trusted.send(
            { 'x-color': 'blue', 'x-user': 'alice' },
            { client: client.name, explicit: { 'x-color': 'chosen-by-caller', 'x-user': 'carol' } },
          );
          expect([body.downstream!['x-color'], body.downstream!['x-user']]).toEqual(['chosen-by-caller', 'carol']);
          expect(String(body.downstream!.baggage).split(',')).toContain('color=blue');
        });

        it('a forged x-shadow from an untrusted caller is dropped', async () => {
          const { status, body } = await untrusted.send(
            { 'x-color': 'red', 'x-shadow': '1', 'x-user': 'admin', baggage: 'shadow=1' },
            { client: client.name },
          );
          expect(status).toBe(200);
          expect(body.tag).toEqual({ color: 'red' });
          expect(body.downstream!['x-shadow']).toBeUndefined();
          expect(body.downstream!['x-user']).toBeUndefined();
          expect(body.downstream!['x-color']).toBe('red');
          expect(String(body.downstream!.baggage)).toBe('color=red');
          expect(untrusted.stats.untrustedDrops).toBeGreaterThan(0);
        });
      });
    }
  });
}
