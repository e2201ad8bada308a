import { describe, expect, it } from 'vitest';
import { createTag, runWithTag } from '@dyeline/core';
import { dyelineMixin } from './pino-mixin.js';
import { shadowSplitStream } from './shadow-split-stream.js';

describe('dyelineMixin', () => {
  it('returns the tag fields under the key, a fresh object on every call (pino merges into it)', () => {
    const mixin = dyelineMixin({ extra: ['tenant'] });
    runWithTag(createTag({ color: 'c', user: 'u', shadow: true, extra: { tenant: 't' } }), () => {
      const a = mixin();
      expect(a).toEqual({ dyeline: { color: 'c', shadow: true, tenant: 't' } });
      expect(mixin()).not.toBe(a);
    });
    expect(mixin()).toEqual({});
    runWithTag(createTag({}), () => expect(mixin()).toEqual({}));
  });

  it('writes top-level fields with key: false, and the user only on request', () => {
    const mixin = dyelineMixin({ key: false, includeUser: true });
    runWithTag(createTag({ color: 'c', user: 'u' }), () => expect(mixin()).toEqual({ color: 'c', user: 'u' }));
  });

  it('rejects bad options at construction', () => {
    expect(() => dyelineMixin({ key: '' })).toThrow(/options.key/);
    expect(() => dyelineMixin({ extra: 'x' as never })).toThrow(/options.extra/);
    expect(() => shadowSplitStream({ production: {} as never, shadow: { write() {} } })).toThrow(/options.production/);
  });
});
