import { describe, expect, it } from 'vitest';
import { createTag } from './tag.js';
import type { Tag } from './tag.js';
import { createTrustPolicy, signTag } from './trust.js';
import type { TrustOptions, TrustRequest } from './trust.js';

function request(remoteAddress: string | undefined, headers: Record<string, string> = {}): TrustRequest {
  return { remoteAddress, header: (name) => headers[name] };
}

const claimed = createTag({ color: 'blue', user: 'alice', shadow: true, extra: { tenant: 'acme' } });

describe('trusted CIDRs', () => {
  const policy = createTrustPolicy({ trustedCidrs: ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1/128'] });

  it.each([
    ['10.1.2.3', true],
    ['11.0.0.1', false],
    ['192.168.1.7', true],
    ['192.168.1.8', false],
    ['::ffff:10.9.9.9', true],
    ['::ffff:11.9.9.9', false],
    ['::ffff:a01:203', true],
    ['fd12:3456::1', true],
    ['fe80::1', false],
    ['::1', true],
    ['not-an-ip', false],
    ['', false],
    [undefined, false],
  ])('%s → trusted %s', (address, trusted) => {
    const decision = policy.judge(request(address), claimed);
    expect(decision.trusted).toBe(trusted);
    expect(decision.via).toBe(trusted ? 'cidr' : 'none');
    // The address alone settles only a trusted CIDR; anything else is left to judge().
    expect(policy.judgeAddress(address)?.via).toBe(trusted ? 'cidr' : undefined);
  });
});

describe('isTrusted function', () => {
  it('trusts what the function says, after CIDRs', () => {
    const policy = createTrustPolicy({ isTrusted: (r) => r.header('x-internal') === 'yes' });
    expect(policy.judge(request('1.2.3.4', { 'x-internal': 'yes' }), claimed)).toMatchObject({ trusted: true, via: 'function' });
    expect(policy.judge(request('1.2.3.4'), claimed).trusted).toBe(false);
  });

  it('a throwing function means untrusted, not a crash', () => {
    const policy = createTrustPolicy({
      isTrusted: () => {
        throw new Error('boom');
      },
    });
    expect(policy.judge(request('1.2.3.4'), claimed).trusted).toBe(false);
  });
});

describe('signed tags', () => {
  const key = 'k'.repeat(32);
  const options: TrustOptions = { signing: { keys: { k1: key, k2: Buffer.alloc(32, 7) } } };
  const policy = createTrustPolicy(options);
  const now = Math.floor(Date.now() / 1000);
  const judge = (signature: string, tag: Tag = claimed) => policy.judge(request('203.0.113.9', { 'x-dyeline-signature': signature }), tag);

  it('produces the documented header format', () => {
    expect(signTag(claimed, { keyId: 'k1', key, now: 1_700_000_000, ttlSeconds: 60 })).toMatch(/^v1;kid=k1;exp=1700000060;sig=[A-Za-z0-9_-]{43}$/);
  });

  it('a valid signature makes the tag trusted', () => {
    expect(judge(signTag(claimed, { keyId: 'k1', key }))).toMatchObject({ trusted: true, via: 'signature', signatureError: undefined });
    expect(judge(signTag(claimed, { keyId: 'k2', key: Buffer.alloc(32, 7) })).trusted).toBe(true);
  });

  it.each([
    ['color', { color: 'green' }],
    ['user', { user: 'mallory' }],
    ['shadow', { shadow: false }],
    ['extra', { extra: { tenant: 'evil' } }],
    ['an added extra', { extra: { plan: 'pro' } }],
  ])('a tampered %s invalidates the signature', (_name, patch) => {
    const decision = judge(signTag(claimed, { keyId: 'k1', key }), claimed.with(patch));
    expect(decision.trusted).toBe(false);
    expect(decision.signatureError).toMatch(/does not match/);
  });

  it('a tampered expiry invalidates the signature', () => {
    const signature = signTag(claimed, { keyId: 'k1', key }).replace(/exp=(\d+)/, (_m, exp: string) => `exp=${Number(exp) + 100}`);
    expect(judge(signature).signatureError).toMatch(/does not match/);
  });

  it('an expired signature is refused, within the skew it is accepted', () => {
    expect(judge(signTag(claimed, { keyId: 'k1', key, now: now - 400, ttlSeconds: 300 })).signatureError).toMatch(/expired/);
    // Expired 10 s ago: inside the default 30 s skew.
    expect(judge(signTag(claimed, { keyId: 'k1', key, now: now - 310, ttlSeconds: 300 })).trusted).toBe(true);
    const strict = createTrustPolicy({ signing: { keys: { k1: key }, maxSkewSeconds: 0 } });
    const late = signTag(claimed, { keyId: 'k1', key, now: now - 310, ttlSeconds: 300 });
    expect(strict.judge(request('x', { 'x-dyeline-signature': late }), claimed).trusted).toBe(false);
  });

  it('an expiry too far in the future is refused', () => {
    expect(judge(signTag(claimed, { keyId: 'k1', key, now: now + 86_400 * 3 })).trusted).toBe(false);
  });

  it('a wrong key or an unknown key id is refused', () => {
    expect(judge(signTag(claimed, { keyId: 'k1', key: 'x'.repeat(32) })).signatureError).toMatch(/does not match/);
    expect(judge(signTag(claimed, { keyId: 'k9', key })).signatureError).toMatch(/unknown key/);
  });

  it.each(['', 'v1', 'v2;kid=k1;exp=1;sig=x', 'v1;kid=k1;exp=soon;sig=x', 'v1;kid=k1;exp=1;sig', `v1;kid=k1;exp=${now + 60};sig=${'A'.repeat(600)}`])(
    'garbage %j is refused without throwing',
    (signature) => {
      const decision = judge(signature);
      expect(decision.trusted).toBe(false);
      expect(decision.signatureError).toBeTypeOf('string');
    },
  );

  it('no signature header: untrusted, no signature error', () => {
    expect(policy.judge(request('203.0.113.9'), claimed)).toMatchObject({ trusted: false, signatureError: undefined });
  });

  it('signTag validates its options', () => {
    expect(() => signTag(claimed, { keyId: 'bad;id', key })).toThrow(TypeError);
    expect(() => signTag(claimed, { keyId: 'k1', key: '' })).toThrow(TypeError);
    expect(() => signTag(claimed, { keyId: 'k1', key, ttlSeconds: 0 })).toThrow(TypeError);
  });
});

describe('restrict', () => {
  it('by default an untrusted caller may set nothing; unrelated baggage stays', () => {
    const restricted = createTrustPolicy().restrict(claimed.with({ passthroughBaggage: 'k=v' }));
    expect(restricted.toJSON()).toEqual({});
    expect(restricted.passthroughBaggage).toBe('k=v');
  });

  it('keeps what allowUntrusted names, and never shadow', () => {
    const policy = createTrustPolicy({ allowUntrusted: ['color', 'user', 'extra'] });
    expect(policy.restrict(claimed).toJSON()).toEqual({ color: 'blue', user: 'alice', extra: { tenant: 'acme' } });
    expect(createTrustPolicy({ allowUntrusted: ['color'] }).restrict(claimed).toJSON()).toEqual({ color: 'blue' });
  });
});

describe('createTrustPolicy option validation', () => {
  it.each([
    [{ allowUntrusted: ['shadow'] }, /allowUntrusted.*shadow/],
    [{ trustedCidrs: '10.0.0.0/8' }, /trustedCidrs/],
    [{ trustedCidrs: ['10.0.0.0/33'] }, /trustedCidrs/],
    [{ trustedCidrs: ['not-an-ip/8'] }, /trustedCidrs/],
    [{ isTrusted: true }, /isTrusted/],
    [{ signing: { keys: {} } }, /signing\.keys/],
    [{ signing: { keys: { k: 'short' } } }, /signing\.keys\.k/],
    [{ signing: { keys: { k: 'k'.repeat(32) }, maxSkewSeconds: -1 } }, /maxSkewSeconds/],
    [{ signing: { keys: { k: 'k'.repeat(32) }, header: 'X-Sig' } }, /signing\.header/],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => createTrustPolicy(options as TrustOptions)).toThrow(TypeError);
    expect(() => createTrustPolicy(options as TrustOptions)).toThrow(message);
  });
});
