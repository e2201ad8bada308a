import { describe, expect, it } from 'vitest';
import { EMPTY_TAG, Tag, createTag } from './tag.js';
import { incomingHeadersGetter } from './carrier.js';
import { createCodec } from './codec.js';

describe('createTag', () => {
  it('returns the shared EMPTY_TAG when nothing is set', () => {
    expect(createTag()).toBe(EMPTY_TAG);
    expect(createTag({ color: '', user: undefined, shadow: false })).toBe(EMPTY_TAG);
    expect(EMPTY_TAG.isEmpty).toBe(true);
  });

  it('keeps the fields it was given and is frozen', () => {
    const tag = createTag({ color: 'feature-42', user: 'alice', shadow: true, extra: { tenant: 'acme' } });
    expect(tag).toBeInstanceOf(Tag);
    expect([tag.color, tag.user, tag.shadow, tag.extra.tenant]).toEqual(['feature-42', 'alice', true, 'acme']);
    expect(Object.isFrozen(tag)).toBe(true);
    expect(Object.isFrozen(tag.extra)).toBe(true);
    expect(tag.isEmpty).toBe(false);
    expect(() => {
      (tag as { color: string | undefined }).color = 'other';
    }).toThrow(TypeError);
  });

  it('copies extra so later changes to the input do not leak in', () => {
    const extra: Record<string, string> = { tenant: 'acme' };
    const tag = createTag({ extra });
    extra.tenant = 'evil';
    expect(tag.extra.tenant).toBe('acme');
    expect(Object.getPrototypeOf(tag.extra)).toBeNull();
  });

  it('a tag with only passthrough baggage is not empty', () => {
    const tag = createTag({ passthroughBaggage: 'k=v' });
    expect(tag).not.toBe(EMPTY_TAG);
    expect(tag.isEmpty).toBe(false);
  });

  it.each([
    [{ color: 1 }, /color must be a string/],
    [{ user: {} }, /user must be a string/],
    [{ shadow: 'yes' }, /shadow must be a boolean/],
    [{ extra: { a: 1 } }, /extra entry "a" must be a string/],
  ])('throws TypeError on %j', (init, message) => {
    expect(() => createTag(init as never)).toThrow(message);
  });
});

describe('Tag.with', () => {
  const base = createTag({ color: 'blue', user: 'alice', extra: { tenant: 'acme', region: 'eu' }, passthroughBaggage: 'k=v' });

  it('returns a new tag and leaves the original unchanged', () => {
    const child = base.with({ color: 'green' });
    expect(child).not.toBe(base);
    expect(child.color).toBe('green');
    expect(child.user).toBe('alice');
    expect(child.passthroughBaggage).toBe('k=v');
    expect(base.color).toBe('blue');
  });

  it('clears a field explicitly set to undefined', () => {
    expect(base.with({ user: undefined }).user).toBeUndefined();
  });

  it('merges extra and removes entries set to empty', () => {
    const child = base.with({ extra: { region: '', plan: 'pro' } });
    expect({ ...child.extra }).toEqual({ tenant: 'acme', plan: 'pro' });
    expect({ ...base.extra }).toEqual({ tenant: 'acme', region: 'eu' });
  });
});

describe('Tag.toJSON', () => {
  it('omits empty fields and never includes passthrough baggage', () => {
    expect(JSON.stringify(EMPTY_TAG)).toBe('{}');
    expect(createTag({ color: 'c', shadow: true, extra: { a: 'b' }, passthroughBaggage: 'k=v' }).toJSON()).toEqual({
      color: 'c',
      shadow: true,
      extra: { a: 'b' },
    });
  });
});

describe('Tag.baggageSource', () => {
  const codec = createCodec();
  const read = (baggage: string) => codec.extract({ baggage }, incomingHeadersGetter).tag;

  it('is the baggage header the codec read the tag from', () => {
    const header = 'color=red,other=1';
    expect(read(header).baggageSource()).toBe(header);
    expect(codec.extract({ 'x-color': 'red' }, incomingHeadersGetter).tag.baggageSource()).toBeUndefined();
    expect(createTag({ color: 'red', passthroughBaggage: 'other=1' }).baggageSource()).toBeUndefined();
  });

  it('is kept by a derived tag with the same passthrough, and only then', () => {
    const tag = read('color=red,other=1');
    expect(tag.with({ color: 'blue' }).baggageSource()).toBe('color=red,other=1');
    expect(tag.with({ passthroughBaggage: 'other=2' }).baggageSource()).toBeUndefined();
  });
});
