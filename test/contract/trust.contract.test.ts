/**
 * Trust at ingress, for every ingress adapter (add one in
 * `test/helpers/ingress-adapters.ts` / the table below): forged tags from an
 * untrusted address are dropped, signed ones believed, bad signatures refused
 * and counted.
 */
import { createTag, currentTag, signTag } from '@dyeline/core';
import type { IngressOptions } from '@dyeline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcIngressAdapter } from '../helpers/grpc-adapters.js';
import { httpIngressAdapters } from '../helpers/ingress-adapters.js';
import type { Hop, IngressAdapter, StartedIngress } from '../helpers/ingress-adapters.js';

const ingressAdapters: readonly IngressAdapter[] = [...httpIngressAdapters, grpcIngressAdapter];

const KEY = 'k1-secret-0123456789abcdef0123456789';
const OTHER_KEY = 'some-other-secret-0123456789abcdef';
const SIGNING = { keys: { k1: KEY } };
const hop: Hop = async () => ({ tag: currentTag()?.toJSON() ?? null, downstream: null });

const forged = { 'x-color': 'blue', 'x-user': 'admin', 'x-shadow': '1' };
const signedTag = createTag({ color: 'blue', user: 'admin', shadow: true });
const now = Math.floor(Date.now() / 1000);

for (const adapter of ingressAdapters) {
  describe(`trust at ingress: ${adapter.name}`, () => {
    const servers: StartedIngress[] = [];
    const start = async (options: IngressOptions): Promise<StartedIngress> => {
      const server = await adapter.start(options, hop);
      servers.push(server);
      return server;
    };
    let byDefault: StartedIngress;
    let signing: StartedIngress;
    let rejecting: StartedIngress;
    let byCidr: StartedIngress;
    beforeAll(async () => {
      byDefault = await start({});
      signing = await start({ trust: { signing: SIGNING } });
      rejecting = await start({ trust: { signing: SIGNING }, onUntrusted: 'reject' });
      byCidr = await start({ trust: { trustedCidrs: ['127.0.0.0/8'] } });
    });
    afterAll(async () => {
      await Promise.all(servers.map((server) => server.close()));
    });

    it('drops forged tag headers from an untrusted address (127.0.0.1 by default) and counts them', async () => {
      const before = byDefault.stats.untrustedDrops;
      const { status, body } = await byDefault.send(forged);
      expect(status).toBe(200);
      expect(body.tag).toEqual({});
      expect(byDefault.stats.untrustedDrops - before).toBe(3);
    });

    it('believes the same headers from an address in trustedCidrs', async () => {
      const { body } = await byCidr.send(forged);
      expect(body.tag).toEqual({ color: 'blue', user: 'admin', shadow: true });
    });

    it('accepts a validly signed tag', async () => {
      const { body } = await signing.send({ ...forged, 'x-dyeline-signature': signTag(signedTag, { keyId: 'k1', key: KEY }) });
      expect(body.tag).toEqual({ color: 'blue', user: 'admin', shadow: true });
    });

    const bad: [string, Record<string, string>][] = [
      ['tampered', { ...forged, 'x-color': 'red', 'x-dyeline-signature': signTag(signedTag, { keyId: 'k1', key: KEY }) }],
      ['expired', { ...forged, 'x-dyeline-signature': signTag(signedTag, { keyId: 'k1', key: KEY, now: now - 3600, ttlSeconds: 60 }) }],
      ['wrong-key', { ...forged, 'x-dyeline-signature': signTag(signedTag, { keyId: 'k1', key: OTHER_KEY }) }],
      ['unknown key id', { ...forged, 'x-dyeline-signature': signTag(signedTag, { keyId: 'k9', key: KEY }) }],
      ['garbage', { ...forged, 'x-dyeline-signature': 'v1;kid=k1;exp=9;sig=!!' }],
    ];
    for (const [name, headers] of bad) {
      it(`drops a ${name} signed tag and counts it`, async () => {
        const before = signing.stats.signatureRejected;
        const { status, body } = await signing.send(headers);
        expect(status).toBe(200);
        expect(body.tag).toEqual({});
        expect(signing.stats.signatureRejected - before).toBe(1);
      });

      it(`rejects a ${name} signed tag with 400 under onUntrusted: 'reject'`, async () => {
        const before = { ...rejecting.stats };
        const { status, body } = await rejecting.send(headers);
        expect(status).toBe(400);
        expect(body.error).toBe('ERR_DYELINE_UNTRUSTED_TAG');
        expect(rejecting.stats.rejected - before.rejected).toBe(1);
        expect(rejecting.stats.signatureRejected - before.signatureRejected).toBe(1);
      });
    }
  });
}
