import { describe, expect, it } from 'vitest';
import { createTag, currentTag, isInvalidTagError, runWithTag } from '@dyeline/core';
import type { InvalidTagError } from '@dyeline/core';
import { createMessageTagger } from './message-tag.js';

describe('createMessageTagger', () => {
  it('stamps the current tag into headers and reads it back', () => {
    const tagger = createMessageTagger();
    const headers = runWithTag(createTag({ color: 'feature-42', user: 'u1', shadow: true }), () => tagger.stamp({ other: 'kept' }));
    expect(headers).toEqual({ other: 'kept', 'x-color': 'feature-42', 'x-user': 'u1', 'x-shadow': '1' });
    const tag = tagger.read(headers);
    expect([tag.color, tag.user, tag.shadow]).toEqual(['feature-42', 'u1', true]);
  });

  it('writes Buffers for Kafka and reads Buffer, array and mixed-case values', () => {
    const tagger = createMessageTagger({ buffers: true });
    const headers = tagger.stamp<Record<string, unknown>>({}, createTag({ color: 'blue' }));
    expect(Buffer.isBuffer(headers['x-color'])).toBe(true);
    expect(tagger.read(headers).color).toBe('blue');
    expect(tagger.read({ 'X-Color': 'green' }).color).toBe('green');
    expect(tagger.read({ 'x-color': [Buffer.from('red')] }).color).toBe('red');
  });

  it('an empty tag or no context writes nothing; no headers read as the empty tag', () => {
    const tagger = createMessageTagger();
    expect(tagger.stamp({})).toEqual({});
    expect(tagger.read(undefined).isEmpty).toBe(true);
    expect(tagger.read(null).isEmpty).toBe(true);
  });

  it('drops and reports malformed values instead of throwing', () => {
    const drops: InvalidTagError[] = [];
    const tagger = createMessageTagger({ onDrop: (e) => drops.push(e) });
    const tag = tagger.read({ 'x-color': 'bad value;drop table', 'x-user': 'x'.repeat(500), 'x-shadow': 'maybe' });
    expect(tag.isEmpty).toBe(true);
    expect(drops).toHaveLength(3);
    expect(drops.every(isInvalidTagError)).toBe(true);
    // Non-string structures (a forged object in job data) are not values.
    expect(tagger.read({ 'x-color': { nested: 'object' } }).color).toBeUndefined();
  });

  it('a throwing onDrop does not fail the consumer', () => {
    const tagger = createMessageTagger({ onDrop: () => { throw new Error('boom'); } });
    expect(tagger.read({ 'x-color': 'bad value' }).color).toBeUndefined();
  });

  it('run() restores the tag for the handler, and force.shadow marks it shadow', async () => {
    const tagger = createMessageTagger();
    const seen = await tagger.run({ 'x-color': 'c1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return currentTag();
    });
    expect(seen?.color).toBe('c1');
    expect(seen?.shadow).toBe(false);
    expect(tagger.run({}, () => currentTag()?.shadow, { shadow: true })).toBe(true);
  });

  it('rejects bad options', () => {
    expect(() => createMessageTagger({ onDrop: 1 as never })).toThrow(/onDrop/);
    expect(() => createMessageTagger({ codec: { headers: { color: 'Bad Name' } } })).toThrow(TypeError);
  });
});
