import { Metadata } from '@grpc/grpc-js';
import { createCodec, createTag } from '@dyeline/core';
import { describe, expect, it } from 'vitest';
import { metadataAccessor } from './metadata-accessor.js';

describe('metadataAccessor', () => {
  it('reads a single string value, case-insensitively', () => {
    const md = new Metadata();
    md.set('X-Color', 'blue');
    expect(metadataAccessor.get(md, 'x-color')).toBe('blue');
    expect(metadataAccessor.get(md, 'x-user')).toBeUndefined();
  });

  it('joins repeated values with ", " as HTTP does', () => {
    const md = new Metadata();
    md.add('baggage', 'a=1');
    md.add('baggage', 'b=2');
    expect(metadataAccessor.get(md, 'baggage')).toBe('a=1, b=2');
  });

  it('skips -bin keys both ways', () => {
    const md = new Metadata();
    md.set('x-color-bin', Buffer.from('blue'));
    expect(metadataAccessor.get(md, 'x-color-bin')).toBeUndefined();
    metadataAccessor.set(md, 'x-color-bin', 'blue');
    expect(md.get('x-color-bin')).toEqual([Buffer.from('blue')]);
  });

  it('replaces on set', () => {
    const md = new Metadata();
    md.add('x-color', 'red');
    md.add('x-color', 'green');
    metadataAccessor.set(md, 'x-color', 'blue');
    expect(md.get('x-color')).toEqual(['blue']);
  });

  it('lets the core codec round-trip a tag through metadata, baggage kept', () => {
    const codec = createCodec();
    const md = new Metadata();
    md.set('baggage', 'other=1');
    codec.inject(createTag({ color: 'feature-42', user: 'alice', shadow: true }), md, metadataAccessor);
    expect(md.get('x-color')).toEqual(['feature-42']);
    expect(metadataAccessor.get(md, 'baggage')).toContain('other=1');
    const { tag } = codec.extract(md, metadataAccessor);
    expect(tag.toJSON()).toEqual({ color: 'feature-42', user: 'alice', shadow: true });
  });
});
