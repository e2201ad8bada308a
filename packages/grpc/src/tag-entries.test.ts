import { Metadata } from '@grpc/grpc-js';
import { createCodec, createTag } from '@dyeline/core';
import type { DyelineError } from '@dyeline/core';
import { describe, expect, it } from 'vitest';
import { entryWriter } from './tag-entries.js';

describe('entryWriter', () => {
  const codec = createCodec({ write: { baggage: false }, extra: ['x-tenant'] });

  it('computes the entries of a tag once and writes them', () => {
    let injects = 0;
    const counting = { ...codec, inject: (...args: Parameters<typeof codec.inject>) => (injects++, codec.inject(...args)) };
    const writer = entryWriter(() => counting, () => undefined);
    const tag = createTag({ color: 'blue', user: 'alice', extra: { 'x-tenant': 'acme' } });
    const entries = writer.of(tag);
    expect(writer.of(tag)).toBe(entries);
    expect(injects).toBe(1);
    expect(entries).toEqual(['x-color', 'blue', 'x-user', 'alice', 'x-tenant', 'acme']);
    const metadata = new Metadata();
    writer.write(metadata, tag, entries);
    expect(metadata.getMap()).toEqual({ 'x-color': 'blue', 'x-user': 'alice', 'x-tenant': 'acme' });
  });

  it('leaves an entry set by the caller alone and still writes the rest', () => {
    const writer = entryWriter(() => codec, () => undefined);
    const tag = createTag({ color: 'blue', user: 'alice' });
    const metadata = new Metadata();
    metadata.set('x-user', 'bob');
    writer.write(metadata, tag, writer.of(tag));
    expect(metadata.getMap()).toEqual({ 'x-color': 'blue', 'x-user': 'bob' });
  });

  it('drops and reports, once, what grpc-js would refuse', () => {
    const errors: DyelineError[] = [];
    // A legal HTTP header name that grpc-js refuses as a metadata key.
    const writer = entryWriter(() => createCodec({ headers: { color: 'x-co~lor' }, write: { baggage: false } }), (e) => errors.push(e));
    const tag = createTag({ color: 'blue', user: 'alice' });
    expect(writer.of(tag)).toEqual(['x-user', 'alice']);
    writer.of(tag);
    expect(errors.map((e) => e.code)).toEqual(['ERR_DYELINE_TAG_MALFORMED']);
  });
});
