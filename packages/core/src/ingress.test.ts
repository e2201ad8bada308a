import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { incomingHeadersGetter } from './carrier.js';
import type { DyelineError } from './errors.js';
import { createIngress } from './ingress.js';
import type { IngressOptions } from './ingress.js';
import { isInvalidTagError } from './invalid-tag-error.js';
import { EMPTY_TAG, createTag } from './tag.js';
import { signTag } from './trust.js';
import { isUntrustedTagError } from './untrusted-tag-error.js';

function setup(options: IngressOptions = {}) {
  const errors: DyelineError[] = [];
  const ingress = createIngress({ onError: (e) => errors.push(e), ...options });
  const read = (headers: IncomingHttpHeaders, address = '203.0.113.9') => ingress.read(headers, incomingHeadersGetter, address);
  return { ingress, errors, read };
}

describe('createIngress().read', () => {
  it('returns one shared frozen result for a request without tag headers', () => {
    const { ingress, read } = setup();
    const a = read({ host: 'x' });
    expect(read({})).toBe(a);
    expect(a).toMatchObject({ tag: EMPTY_TAG, trusted: false, rejected: undefined, deadlineMs: undefined });
    expect(Object.isFrozen(a)).toBe(true);
    expect(ingress.stats.requests).toBe(2);
  });

  it('believes a trusted caller', () => {
    const { read, errors } = setup({ trust: { trustedCidrs: ['127.0.0.0/8'] } });
    const result = read({ 'x-color': 'blue', 'x-shadow': '1' }, '::ffff:127.0.0.1');
    expect(result.trusted).toBe(true);
    expect(result.tag.toJSON()).toEqual({ color: 'blue', shadow: true });
    expect(errors).toEqual([]);
  });

  it('drops and counts what an untrusted caller tried to set, and reports it', () => {
    const { ingress, read, errors } = setup({ trust: { allowUntrusted: ['color'] } });
    const result = read({ 'x-color': 'blue', 'x-user': 'admin', 'x-shadow': '1', baggage: 'k=v' });
    expect(result.trusted).toBe(false);
    expect(result.rejected).toBeUndefined();
    expect(result.tag.toJSON()).toEqual({ color: 'blue' });
    expect(result.tag.passthroughBaggage).toBe('k=v');
    expect(ingress.stats.untrustedDrops).toBe(2);
    expect(errors).toHaveLength(1);
    expect(isUntrustedTagError(errors[0])).toBe(true);
    expect([...(errors[0] as unknown as { fields: string[] }).fields].sort()).toEqual(['shadow', 'user']);
  });

  it("onUntrusted: 'reject' rejects instead", () => {
    const { ingress, read } = setup({ onUntrusted: 'reject' });
    const result = read({ 'x-shadow': 'true' });
    expect(isUntrustedTagError(result.rejected)).toBe(true);
    expect(result.rejected?.code).toBe('ERR_DYELINE_UNTRUSTED_TAG');
    expect(result.tag.shadow).toBe(false);
    expect(ingress.stats.rejected).toBe(1);
  });

  it('drops, counts and reports invalid values; reject on request', () => {
    const dropping = setup({ trust: { trustedCidrs: ['0.0.0.0/0'] } });
    const result = dropping.read({ 'x-color': 'a b', 'x-user': 'ok' });
    expect(result.tag.toJSON()).toEqual({ user: 'ok' });
    expect(result.rejected).toBeUndefined();
    expect(dropping.ingress.stats.invalidDrops).toBe(1);
    expect(isInvalidTagError(dropping.errors[0])).toBe(true);

    const rejecting = setup({ onInvalid: 'reject', trust: { trustedCidrs: ['0.0.0.0/0'] } });
    const rejected = rejecting.read({ 'x-color': 'x'.repeat(9000) });
    expect(isInvalidTagError(rejected.rejected)).toBe(true);
    expect(rejected.rejected?.code).toBe('ERR_DYELINE_HEADER_TOO_LARGE');
    expect(rejecting.ingress.stats.rejected).toBe(1);
  });

  describe('signed tags from an untrusted address', () => {
    const key = 's'.repeat(32);
    const options: IngressOptions = { trust: { signing: { keys: { edge: key } } } };
    const tag = createTag({ color: 'blue', shadow: true });

    it('a valid signature is believed', () => {
      const { read, ingress } = setup(options);
      const result = read({ 'x-color': 'blue', 'x-shadow': '1', 'x-dyeline-signature': signTag(tag, { keyId: 'edge', key }) });
      expect(result.trusted).toBe(true);
      expect(result.tag.toJSON()).toEqual({ color: 'blue', shadow: true });
      expect(ingress.stats.signatureRejected).toBe(0);
    });

    it.each([
      ['tampered', { 'x-color': 'green', 'x-shadow': '1' }, signTag(tag, { keyId: 'edge', key })],
      ['expired', { 'x-color': 'blue', 'x-shadow': '1' }, signTag(tag, { keyId: 'edge', key, now: Math.floor(Date.now() / 1000) - 3600 })],
      ['wrong key', { 'x-color': 'blue', 'x-shadow': '1' }, signTag(tag, { keyId: 'edge', key: 'w'.repeat(32) })],
    ])('a %s signature is refused and counted', (_name, headers, signature) => {
      const { read, ingress, errors } = setup(options);
      const result = read({ ...headers, 'x-dyeline-signature': signature });
      expect(result.trusted).toBe(false);
      expect(result.tag.shadow).toBe(false);
      expect(result.tag.color).toBeUndefined();
      expect(ingress.stats.signatureRejected).toBe(1);
      expect(errors.some((e) => isUntrustedTagError(e) && /signed tag refused/.test(e.message))).toBe(true);
    });
  });

  describe('deadline header', () => {
    it('reads a whole number of ms >= 0, capped at one hour', () => {
      const { read } = setup();
      expect(read({ 'x-dyeline-deadline-ms': '250' }).deadlineMs).toBe(250);
      // No time left: the hop must not start work for the caller.
      expect(read({ 'x-dyeline-deadline-ms': '0' }).deadlineMs).toBe(0);
      expect(read({ 'x-dyeline-deadline-ms': '9999999' }).deadlineMs).toBe(3_600_000);
    });

    it.each(['abc', '-5', '+5', ' 5', '1.5', '', '1e3', '99999999999'])('drops and reports %j', (value) => {
      const { read, errors, ingress } = setup();
      expect(read({ 'x-dyeline-deadline-ms': value }).deadlineMs).toBeUndefined();
      expect(ingress.stats.invalidDrops).toBe(1);
      expect(isInvalidTagError(errors[0])).toBe(true);
    });

    it('can be renamed or turned off', () => {
      expect(setup({ deadlineHeader: 'x-budget' }).read({ 'x-budget': '10' }).deadlineMs).toBe(10);
      expect(setup({ deadlineHeader: false }).read({ 'x-dyeline-deadline-ms': '10' }).deadlineMs).toBeUndefined();
    });
  });

  describe('requests whose tag headers equal an earlier one', () => {
    const trusting: IngressOptions = { trust: { trustedCidrs: ['10.0.0.0/8'], allowUntrusted: ['color'] } };
    const headers = (): IncomingHttpHeaders => ({ 'x-color': 'blue', 'x-user': 'ann', baggage: 'color=blue,vendor=1' });

    it('get the same tag and result, and still count as requests', () => {
      const { read, ingress } = setup(trusting);
      const first = read(headers(), '10.1.1.1');
      // Kept on the second sighting (see RecentReads), shared from the third.
      const second = read(headers(), '10.2.2.2');
      expect(second).not.toBe(first);
      expect(second.tag.toJSON()).toEqual(first.tag.toJSON());
      const third = read(headers(), '10.3.3.3');
      expect(third).toBe(second);
      expect(third.tag).toBe(second.tag);
      expect(third).toMatchObject({ trusted: true, rejected: undefined, deadlineMs: undefined });
      expect(third.tag.toJSON()).toEqual({ color: 'blue', user: 'ann' });
      expect(third.tag.passthroughBaggage).toBe('vendor=1');
      expect(ingress.stats.requests).toBe(3);
      expect(read({ ...headers(), 'x-user': 'bob' }, '10.1.1.1').tag.user).toBe('bob');
    });

    it('are judged per caller: an untrusted one gets the cut tag, counted and reported each time', () => {
      const { read, ingress, errors } = setup(trusting);
      expect(read(headers(), '10.1.1.1').trusted).toBe(true);
      const untrusted = read(headers(), '203.0.113.9');
      expect(untrusted.trusted).toBe(false);
      expect(untrusted.tag.toJSON()).toEqual({ color: 'blue' });
      expect(read(headers(), '203.0.113.9')).toBe(untrusted);
      expect(read(headers(), '10.1.1.1').trusted).toBe(true);
      expect(ingress.stats.untrustedDrops).toBe(2);
      expect(errors.filter(isUntrustedTagError)).toHaveLength(2);
    });

    it('report invalid values every time', () => {
      const { read, ingress, errors } = setup(trusting);
      const bad = { 'x-color': 'a b', 'x-user': 'ann' };
      expect(read(bad, '10.1.1.1').tag.toJSON()).toEqual({ user: 'ann' });
      expect(read(bad, '10.1.1.1').tag.toJSON()).toEqual({ user: 'ann' });
      expect(ingress.stats.invalidDrops).toBe(2);
      expect(errors.filter(isInvalidTagError)).toHaveLength(2);
    });

    it('keep their own deadline', () => {
      const { read } = setup(trusting);
      read(headers(), '10.1.1.1');
      const a = read({ ...headers(), 'x-dyeline-deadline-ms': '100' }, '10.1.1.1');
      const b = read({ ...headers(), 'x-dyeline-deadline-ms': '200' }, '10.1.1.1');
      expect([a.deadlineMs, b.deadlineMs]).toEqual([100, 200]);
      expect(b.tag).toBe(a.tag);
      expect(read(headers(), '10.1.1.1').deadlineMs).toBeUndefined();
    });

    it('check the signature of each: an expired one is refused after a valid one with the same tag headers', () => {
      const key = 's'.repeat(32);
      const { read, ingress } = setup({ trust: { signing: { keys: { edge: key }, maxSkewSeconds: 0 } } });
      const tag = createTag({ color: 'blue', shadow: true });
      const now = Math.floor(Date.now() / 1000);
      const valid = { 'x-color': 'blue', 'x-shadow': '1', 'x-dyeline-signature': signTag(tag, { keyId: 'edge', key, ttlSeconds: 60 }) };
      expect(read(valid).trusted).toBe(true);
      const expired = { ...valid, 'x-dyeline-signature': signTag(tag, { keyId: 'edge', key, now: now - 120, ttlSeconds: 60 }) };
      expect(read(expired).trusted).toBe(false);
      expect(read(valid).trusted).toBe(true);
      expect(ingress.stats.signatureRejected).toBe(1);
    });
  });

  it('a throwing onError hook never breaks a request', () => {
    const ingress = createIngress({
      onError: () => {
        throw new Error('hook');
      },
    });
    expect(ingress.read({ 'x-shadow': '1', 'x-color': 'a b' }, incomingHeadersGetter, '1.2.3.4').tag).toBeDefined();
  });
});

describe('createIngress option validation', () => {
  it.each([
    [{ onInvalid: 'ignore' }, /options\.onInvalid/],
    [{ onUntrusted: true }, /options\.onUntrusted/],
    [{ onError: 'log' }, /options\.onError/],
    [{ deadlineHeader: 'X-Deadline' }, /options\.deadlineHeader/],
    [{ headers: { color: 'X' } }, /options\.headers\.color/],
    [{ trust: { allowUntrusted: ['shadow'] } }, /allowUntrusted/],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => createIngress(options as IngressOptions)).toThrow(TypeError);
    expect(() => createIngress(options as IngressOptions)).toThrow(message);
  });
});
