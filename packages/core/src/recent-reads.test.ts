import { describe, expect, it } from 'vitest';
import { RecentReads } from './recent-reads.js';

const NAMES = ['x-color', 'x-user', 'baggage'];
type Headers = Record<string, string>;

/** The values of NAMES in `headers`, as ingress reads them. */
const valuesOf = (headers: Headers): (string | undefined)[] => NAMES.map((name) => headers[name]);

/** Finds `headers`; on a miss remembers `label` if it may. Returns what was found. */
function findOrRemember(reads: RecentReads<string>, headers: Headers, label: string): string | undefined {
  const found = reads.find(valuesOf(headers), NAMES.length);
  if (found === undefined && reads.canRemember) reads.remember(label);
  return found;
}

/** Shows `headers` twice, as values are kept on their second sighting. */
function remember(reads: RecentReads<string>, headers: Headers, label: string): void {
  findOrRemember(reads, headers, label);
  findOrRemember(reads, headers, label);
}

describe('RecentReads', () => {
  it('keeps values on their second sighting, not their first', () => {
    const reads = new RecentReads<string>();
    expect(findOrRemember(reads, { 'x-color': 'blue' }, 'first')).toBeUndefined();
    expect(reads.size).toBe(0);
    expect(findOrRemember(reads, { 'x-color': 'blue' }, 'second')).toBeUndefined();
    expect(reads.size).toBe(1);
    expect(findOrRemember(reads, { 'x-color': 'blue' }, 'third')).toBe('second');
  });

  it('finds what was remembered for equal values, in another carrier object, and not for others', () => {
    const reads = new RecentReads<string>();
    remember(reads, { 'x-color': 'blue', 'x-user': 'ann' }, 'blue/ann');
    remember(reads, { 'x-color': 'green' }, 'green');
    // Not the last entry: found through its key.
    expect(reads.find(valuesOf({ 'x-color': 'blue', 'x-user': 'ann' }), NAMES.length)).toBe('blue/ann');
    // The last entry, compared value by value.
    expect(reads.find(valuesOf({ 'x-color': 'blue', 'x-user': 'ann' }), NAMES.length)).toBe('blue/ann');
    expect(reads.find(valuesOf({ 'x-color': 'blue', 'x-user': 'bob' }), NAMES.length)).toBeUndefined();
    expect(reads.find(valuesOf({ 'x-color': 'blue' }), NAMES.length)).toBeUndefined();
  });

  it('keeps values apart that run together the same way', () => {
    const reads = new RecentReads<string>();
    remember(reads, { 'x-color': 'ab', 'x-user': 'c' }, 'ab|c');
    remember(reads, { 'x-color': 'a', 'x-user': 'bc' }, 'a|bc');
    remember(reads, { 'x-color': 'a', baggage: 'bc' }, 'a||bc');
    remember(reads, { 'x-color': '', 'x-user': '' }, 'empty|empty');
    remember(reads, {}, 'nothing');
    expect(reads.find(valuesOf({ 'x-color': 'ab', 'x-user': 'c' }), NAMES.length)).toBe('ab|c');
    expect(reads.find(valuesOf({ 'x-color': 'a', 'x-user': 'bc' }), NAMES.length)).toBe('a|bc');
    expect(reads.find(valuesOf({ 'x-color': 'a', baggage: 'bc' }), NAMES.length)).toBe('a||bc');
    expect(reads.find(valuesOf({ 'x-color': '', 'x-user': '' }), NAMES.length)).toBe('empty|empty');
    expect(reads.find(valuesOf({}), NAMES.length)).toBe('nothing');
  });

  it('holds at most maxEntries, and nothing longer than maxLength', () => {
    const reads = new RecentReads<string>({ maxEntries: 4, maxLength: 20 });
    for (let i = 0; i < 10; i++) remember(reads, { 'x-user': `user-${i}` }, `${i}`);
    expect(reads.size).toBeLessThanOrEqual(4);
    expect(reads.size).toBeGreaterThan(0);
    remember(reads, { 'x-color': 'c'.repeat(15), 'x-user': 'u'.repeat(6) }, 'long');
    expect(reads.canRemember).toBe(false);
    expect(reads.find(valuesOf({ 'x-color': 'c'.repeat(15), 'x-user': 'u'.repeat(6) }), NAMES.length)).toBeUndefined();
  });

  it('steps aside after a window with too few hits, then tries again', () => {
    const reads = new RecentReads<string>({ window: 8, minHitRate: 0.5, pause: 5 });
    remember(reads, { 'x-user': 'kept' }, 'kept');
    // With that, a window of 8 lookups, 0 hits: the cache steps aside and forgets.
    for (let i = 0; i < 6; i++) findOrRemember(reads, { 'x-user': `user-${i}` }, `${i}`);
    expect(reads.size).toBe(0);
    expect(reads.find(valuesOf({ 'x-user': 'kept' }), NAMES.length)).toBeUndefined();
    // Aside: nothing is found or remembered, even values seen before.
    for (let i = 0; i < 4; i++) {
      expect(findOrRemember(reads, { 'x-user': 'user-7' }, 'again')).toBeUndefined();
      expect(reads.canRemember).toBe(false);
    }
    expect(reads.size).toBe(0);
    remember(reads, { 'x-user': 'user-7' }, 'back');
    expect(reads.find(valuesOf({ 'x-user': 'user-7' }), NAMES.length)).toBe('back');
  });

  it('stays in use while it hits', () => {
    const reads = new RecentReads<string>({ window: 8, minHitRate: 0.5, pause: 5 });
    remember(reads, { 'x-user': 'ann' }, 'ann');
    for (let i = 0; i < 40; i++) expect(reads.find(valuesOf({ 'x-user': 'ann' }), NAMES.length)).toBe('ann');
  });
});
