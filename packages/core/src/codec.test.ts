import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { fetchHeadersAccessor, headerRecordAccessor, incomingHeadersGetter } from './carrier.js';
import { createCodec } from './codec.js';
import type { CodecOptions } from './codec.js';
import type { InvalidTagError } from './invalid-tag-error.js';
import { EMPTY_TAG, createTag } from './tag.js';

function extract(headers: IncomingHttpHeaders, options: CodecOptions = {}) {
  return createCodec(options).extract(headers, incomingHeadersGetter);
}

describe('createCodec().extract', () => {
  it('returns one shared frozen result, with EMPTY_TAG, for a request without tag headers', () => {
    const codec = createCodec();
    const a = codec.extract({ host: 'x', accept: '*/*' }, incomingHeadersGetter);
    const b = codec.extract({}, incomingHeadersGetter);
    expect(a).toBe(b);
    expect(a.tag).toBe(EMPTY_TAG);
    expect(a.fields).toEqual([]);
    expect(a.errors).toBeUndefined();
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('reads the dedicated headers', () => {
    const result = extract({ 'x-color': 'feature-42', 'x-user': 'alice@example.com', 'x-shadow': '1' });
    expect(result.tag.toJSON()).toEqual({ color: 'feature-42', user: 'alice@example.com', shadow: true });
    expect([...result.fields].sort()).toEqual(['color', 'shadow', 'user']);
    expect(result.errors).toBeUndefined();
  });

  it('reads renamed headers and ignores a source turned off', () => {
    const options: CodecOptions = { headers: { color: 'x-lane', user: false } };
    const result = extract({ 'x-lane': 'blue', 'x-color': 'red', 'x-user': 'alice' }, options);
    expect(result.tag.color).toBe('blue');
    expect(result.tag.user).toBeUndefined();
  });

  it.each([
    ['1', true],
    ['true', true],
    ['TRUE', true],
    ['On', true],
    ['0', false],
    ['false', false],
    ['OFF', false],
  ])('shadow %s → %s', (value, expected) => {
    expect(extract({ 'x-shadow': value }).tag.shadow).toBe(expected);
  });

  it('an invalid shadow value is dropped and reported as malformed', () => {
    const result = extract({ 'x-shadow': 'yes' });
    expect(result.tag.shadow).toBe(false);
    expect(result.errors?.map((e) => [e.reason, e.field])).toEqual([['malformed', 'x-shadow']]);
  });

  it('x-shadow: 0 outranks baggage shadow=1', () => {
    expect(extract({ 'x-shadow': '0', baggage: 'shadow=1' }).tag.shadow).toBe(false);
  });

  it.each([
    ['too-long', { 'x-color': 'a'.repeat(129) }, 'ERR_DYELINE_TAG_VALUE_TOO_LONG'],
    ['header-too-large', { 'x-color': 'a'.repeat(9000) }, 'ERR_DYELINE_HEADER_TOO_LARGE'],
    ['bad-charset', { 'x-color': 'blue green' }, 'ERR_DYELINE_TAG_BAD_CHARSET'],
    ['bad-charset', { 'x-user': 'ali\u00e9' }, 'ERR_DYELINE_TAG_BAD_CHARSET'],
  ] as const)('refuses a %s value with a typed error', (reason, headers, code) => {
    const drops: InvalidTagError[] = [];
    const result = createCodec({ onDrop: (e) => drops.push(e) }).extract(headers, incomingHeadersGetter);
    expect(result.tag).toBe(EMPTY_TAG);
    expect(result.fields).toEqual([]);
    expect(result.errors?.map((e) => e.reason)).toEqual([reason]);
    expect(result.errors?.[0]?.code).toBe(code);
    expect(drops).toEqual(result.errors);
  });

  it('honours custom limits', () => {
    const options: CodecOptions = { limits: { maxValueLength: 4, valuePattern: /^[a-z]+$/ } };
    expect(extract({ 'x-color': 'blue' }, options).tag.color).toBe('blue');
    expect(extract({ 'x-color': 'green' }, options).errors?.[0]?.reason).toBe('too-long');
    expect(extract({ 'x-color': 'B1' }, options).errors?.[0]?.reason).toBe('bad-charset');
  });

  it('an empty header is as good as no header: baggage still counts', () => {
    const result = extract({ 'x-color': '', baggage: 'color=blue' });
    expect(result.tag.color).toBe('blue');
    expect(result.fields).toEqual(['color']);
  });

  it('a bad dedicated header falls back to a valid baggage value, and is reported', () => {
    const result = extract({ 'x-color': 'bad value', baggage: 'color=green' });
    expect(result.tag.color).toBe('green');
    expect(result.errors).toHaveLength(1);
  });

  it('reads baggage keys, percent-decoded, and keeps unrelated members with their properties', () => {
    const result = extract({ baggage: 'color = red ;p, user=a%40b, foo=bar;q=1, sd-routing-key=x' });
    expect(result.tag.color).toBe('red');
    expect(result.tag.user).toBe('a@b');
    expect(result.tag.passthroughBaggage).toBe('foo=bar;q=1,sd-routing-key=x');
  });

  it('a request carrying only unrelated baggage gets a tag without fields', () => {
    const result = extract({ baggage: 'k=v' });
    expect(result.fields).toEqual([]);
    expect(result.tag.passthroughBaggage).toBe('k=v');
  });

  it('reads configured extra entries from a header (first) or baggage', () => {
    const options: CodecOptions = { extra: ['tenant'] };
    expect({ ...extract({ tenant: 'h' }, options).tag.extra }).toEqual({ tenant: 'h' });
    expect({ ...extract({ baggage: 'tenant=b' }, options).tag.extra }).toEqual({ tenant: 'b' });
    expect({ ...extract({ tenant: 'h', baggage: 'tenant=b' }, options).tag.extra }).toEqual({ tenant: 'h' });
    expect(extract({ tenant: 'h' }).tag.extra.tenant).toBeUndefined();
    expect(extract({ baggage: 'tenant=b' }, options).fields).toEqual(['extra:tenant']);
  });

  it('tells apart baggage keys of one length, and passes a stranger of that length through', () => {
    // 'color', 'shade' (extra) and 'zebra' all have five characters: keys are matched in place, by length first.
    const result = extract({ baggage: 'zebra=z,shade=s,color=c,colors=x' }, { extra: ['shade'] });
    expect(result.tag.color).toBe('c');
    expect({ ...result.tag.extra }).toEqual({ shade: 's' });
    expect(result.tag.passthroughBaggage).toBe('zebra=z,colors=x');
    // A key that only starts like a configured one is not it.
    expect(extract({ baggage: 'colo=x,colorx=y' }).tag.toJSON()).toEqual({});
  });

  it('ignores baggage entirely with baggage: false', () => {
    const result = extract({ baggage: 'color=red,k=v' }, { baggage: false });
    expect(result.tag).toBe(EMPTY_TAG);
  });

  it('a throwing onDrop does not break extraction', () => {
    const codec = createCodec({
      onDrop: () => {
        throw new Error('hook');
      },
    });
    expect(codec.extract({ 'x-color': 'bad value', 'x-user': 'ok' }, incomingHeadersGetter).tag.user).toBe('ok');
  });
});

describe('createCodec().inject', () => {
  const codec = createCodec({ extra: ['tenant'] });

  it('writes dedicated headers and baggage', () => {
    const out: Record<string, string> = {};
    codec.inject(createTag({ color: 'red', user: 'u', shadow: true, extra: { tenant: 't' } }), out, headerRecordAccessor);
    expect(out).toEqual({ 'x-color': 'red', 'x-user': 'u', 'x-shadow': '1', tenant: 't', baggage: 'color=red,user=u,shadow=1,tenant=t' });
  });

  it('writes nothing for an empty tag', () => {
    const out: Record<string, string> = { accept: '*/*' };
    codec.inject(EMPTY_TAG, out, headerRecordAccessor);
    codec.inject(createTag({}), out, headerRecordAccessor);
    expect(out).toEqual({ accept: '*/*' });
  });

  it('writes only the passthrough baggage for a tag without fields', () => {
    const out: Record<string, string> = {};
    codec.inject(createTag({ passthroughBaggage: 'k=v;p' }), out, headerRecordAccessor);
    expect(out).toEqual({ baggage: 'k=v;p' });
  });

  it('keeps a header the caller set, unless overwrite', () => {
    const kept: Record<string, string> = { 'X-Color': 'mine' };
    codec.inject(createTag({ color: 'red' }), kept, headerRecordAccessor);
    expect(kept['X-Color']).toBe('mine');
    const replaced: Record<string, string> = { 'x-color': 'mine' };
    codec.inject(createTag({ color: 'red' }), replaced, headerRecordAccessor, { overwrite: true });
    expect(replaced['x-color']).toBe('red');
  });

  it('with a setter only, writes without looking', () => {
    const out: Record<string, string> = { 'x-color': 'mine' };
    codec.inject(createTag({ color: 'red' }), out, { set: (h, n, v) => void (h[n] = v) });
    expect(out['x-color']).toBe('red');
  });

  it('merges baggage: members on the carrier first, then tag entries, then passthrough, each key once', () => {
    const out: Record<string, string> = { baggage: 'color=mine,zz=1' };
    codec.inject(createTag({ color: 'red', user: 'u', passthroughBaggage: 'zz=2,yy=3' }), out, headerRecordAccessor);
    expect(out.baggage).toBe('color=mine,zz=1,user=u,yy=3');
  });

  it('leaves the passthrough members out with passthrough: false, on an empty carrier and when merging', () => {
    const tag = createTag({ color: 'red', passthroughBaggage: 'zz=2,yy=3' });
    const empty: Record<string, string> = {};
    codec.inject(tag, empty, headerRecordAccessor, { passthrough: false });
    expect(empty.baggage).toBe('color=red');
    const merged: Record<string, string> = { baggage: 'k=1' };
    codec.inject(tag, merged, headerRecordAccessor, { passthrough: false });
    expect(merged.baggage).toBe('k=1,color=red');
    // The same tag, written whole afterwards: the wire form kept per tag holds both.
    const whole: Record<string, string> = {};
    codec.inject(tag, whole, headerRecordAccessor);
    expect(whole.baggage).toBe('color=red,zz=2,yy=3');
    const onlyPassthrough: Record<string, string> = {};
    codec.inject(createTag({ passthroughBaggage: 'k=v' }), onlyPassthrough, headerRecordAccessor, { passthrough: false });
    expect(onlyPassthrough).toEqual({});
  });

  it('keeps the merged baggage within 64 members', () => {
    const many = Array.from({ length: 63 }, (_, i) => `k${i}=v`).join(',');
    const out: Record<string, string> = { baggage: many };
    codec.inject(createTag({ color: 'red', user: 'u', passthroughBaggage: 'p=1' }), out, headerRecordAccessor);
    const members = out.baggage?.split(',') ?? [];
    expect(members).toHaveLength(64);
    expect(members.at(-1)).toBe('color=red');
  });

  it('writes to fetch Headers', () => {
    const headers = new Headers({ 'X-Color': 'mine' });
    codec.inject(createTag({ color: 'red', user: 'u' }), headers, fetchHeadersAccessor);
    expect(headers.get('x-color')).toBe('mine');
    expect(headers.get('x-user')).toBe('u');
    expect(headers.get('baggage')).toBe('color=red,user=u');
  });

  it('what inject writes, extract reads back', () => {
    const tag = createTag({ color: 'c', user: 'u@x', shadow: true, extra: { tenant: 't' }, passthroughBaggage: 'a=1;p' });
    const out: Record<string, string> = {};
    codec.inject(tag, out, headerRecordAccessor);
    const back = codec.extract(out, headerRecordAccessor).tag;
    expect(back.toJSON()).toEqual(tag.toJSON());
    expect(back.passthroughBaggage).toBe('a=1;p');
  });

  it('honours write: { headers: false } and { baggage: false }', () => {
    const tag = createTag({ color: 'red' });
    const noHeaders: Record<string, string> = {};
    createCodec({ write: { headers: false } }).inject(tag, noHeaders, headerRecordAccessor);
    expect(noHeaders).toEqual({ baggage: 'color=red' });
    const noBaggage: Record<string, string> = {};
    createCodec({ write: { baggage: false } }).inject(tag, noBaggage, headerRecordAccessor);
    expect(noBaggage).toEqual({ 'x-color': 'red' });
  });
});

describe('createCodec option validation', () => {
  it.each([
    [{ headers: { color: 'X-Color' } }, /options\.headers\.color must be a non-empty lowercase header name/],
    [{ headers: { user: '' } }, /options\.headers\.user/],
    [{ baggage: { user: 'a b' } }, /options\.baggage\.user/],
    [{ extra: 'tenant' }, /options\.extra/],
    [{ extra: ['Tenant'] }, /options\.extra/],
    [{ presets: {} }, /options\.presets/],
    [{ presets: [{}] }, /options\.presets\[0\]/],
    [{ limits: { maxValueLength: 0 } }, /options\.limits\.maxValueLength/],
    [{ limits: { valuePattern: /a/g } }, /options\.limits\.valuePattern/],
    [{ limits: { valuePattern: 'a' } }, /options\.limits\.valuePattern/],
    [{ onDrop: 'log' }, /options\.onDrop/],
    [5, /options must be an object/],
  ])('%j throws a TypeError naming the option', (options, message) => {
    expect(() => createCodec(options as CodecOptions)).toThrow(TypeError);
    expect(() => createCodec(options as CodecOptions)).toThrow(message);
  });
});

describe('one request read by two codecs (a propagator, then ingress)', () => {
  const headers = (): IncomingHttpHeaders => ({ 'x-color': 'blue', baggage: 'user=u1,bad key=1,other=1' });
  const share = { share: true };

  it('with equal options the second gets the shared result, problems reported to both', () => {
    const drops: string[] = [];
    const first = createCodec({ onDrop: () => drops.push('first') });
    const second = createCodec({ onDrop: () => drops.push('second') });
    const carrier = headers();
    const a = first.extract(carrier, incomingHeadersGetter, share);
    const b = second.extract(carrier, incomingHeadersGetter);
    expect(b).toBe(a);
    expect(b.tag.toJSON()).toEqual({ color: 'blue', user: 'u1' });
    expect(b.errors).toHaveLength(1);
    expect(drops).toEqual(['first', 'second']);
  });

  it('a result not shared is not kept', () => {
    const codec = createCodec();
    const carrier = headers();
    expect(codec.extract(carrier, incomingHeadersGetter)).not.toBe(codec.extract(carrier, incomingHeadersGetter));
  });

  it('another carrier, a changed header or other options are read anew', () => {
    const codec = createCodec();
    const carrier = headers();
    const a = codec.extract(carrier, incomingHeadersGetter, share);
    expect(codec.extract(headers(), incomingHeadersGetter)).not.toBe(a);
    expect(codec.extract(carrier, incomingHeadersGetter)).toBe(a);
    carrier['x-color'] = 'green';
    expect(codec.extract(carrier, incomingHeadersGetter).tag.color).toBe('green');
    carrier['x-color'] = 'blue';
    codec.extract(carrier, incomingHeadersGetter, share);
    carrier.baggage = 'user=u2';
    expect(codec.extract(carrier, incomingHeadersGetter).tag.user).toBe('u2');
    // Same headers read, other limits: the user u2 is too long for it.
    codec.extract(carrier, incomingHeadersGetter, share);
    expect(createCodec({ limits: { maxValueLength: 1 } }).extract(carrier, incomingHeadersGetter).tag.user).toBeUndefined();
  });
});
