import { describe, expect, it } from 'vitest';
import { headerRecordAccessor } from './carrier.js';
import { RecentReads } from './recent-reads.js';

const NAMES = ['x-color', 'x-user', 'baggage'];
type Headers = Record<string, string>;

/** Finds `headers`; on a miss remembers `label`. Returns what was found. */
function findOrRemember(reads: RecentReads<string>, headers: Headers, label: string): string | undefined {
  const found = reads.find(headers, headerRecordAccessor, NAMES);
  if (found === undefined && reads.canRemember) reads.remember(label);
  return found;
}

describe('RecentReads', () => {
  it('finds what was remembered for equal values, in another carrier object, and not for others', () => {
    const reads = new RecentReads<string>();
    expect(findOrRemember(reads, { 'x-color': 'blue', 'x-user': 'ann' }, 'blue/ann')).toBeUndefined();
    expect(findOrRemember(reads, { 'x-color': 'green' }, 'green')).toBeUndefined();
    // Not the last entry: found through its key.
    expect(reads.find({ 'x-color': 'blue', 'x-user': 'ann' }, headerRecordAccessor, NAMES)).toBe('blue/ann');
    // The last entry, compared value by value.
    expect(reads.find({ 'x-color': 'blue', 'x-user': 'ann' }, headerRecordAccessor, NAMES)).toBe('blue/ann');
    expect(reads.find({ 'x-color': 'blue', 'x-user': 'bob' }, headerRecordAccessor, NAMES)).toBeUndefined();
    expect(reads.find({ 'x-color': 'blue' }, headerRecordAccessor, NAMES)).toBeUndefined();
  });

  it('keeps values apart that run together the same way', () => {
    const reads = new RecentReads<string>();
    findOrRemember(reads, { 'x-color': 'ab', 'x-user': 'c' }, 'ab|c');
    findOrRemember(reads, { 'x-color': 'a', 'x-user': 'bc' }, 'a|bc');
    findOrRemember(reads, { 'x-color': 'a', baggage: 'bc' }, 'a||bc');
    findOrRemember(reads, { 'x-color': '', 'x-user': '' }, 'empty|empty');
    findOrRemember(reads, {}, 'nothing');
    expect(reads.find({ 'x-color': 'ab', 'x-user': 'c' }, headerRecordAccessor, NAMES)).toBe('ab|c');
    expect(reads.find({ 'x-color': 'a', 'x-user': 'bc' }, headerRecordAccessor, NAMES)).toBe('a|bc');
    expect(reads.find({ 'x-color': 'a', baggage: 'bc' }, headerRecordAccessor, NAMES)).toBe('a||bc');
    expect(reads.find({ 'x-color': '', 'x-user': '' }, headerRecordAccessor, NAMES)).toBe('empty|empty');
    expect(reads.find({}, headerRecordAccessor, NAMES)).toBe('nothing');
  });

  it('holds at most maxEntries, and nothing longer than maxLength', () => {
    const reads = new RecentReads<string>({ maxEntries: 4, maxLength: 20 });
    for (let i = 0; i < 10; i++) findOrRemember(reads, { 'x-user': `user-${i}` }, `${i}`);
    expect(reads.size).toBeLessThanOrEqual(4);
    expect(reads.size).toBeGreaterThan(0);
    findOrRemember(reads, { 'x-color': 'c'.repeat(15), 'x-user': 'u'.repeat(6) }, 'long');
    expect(reads.canRemember).toBe(false);
    expect(reads.find({ 'x-color': 'c'.repeat(15), 'x-user': 'u'.repeat(6) }, headerRecordAccessor, NAMES)).toBeUndefined();
  });

  it('steps aside after a window with too few hits, then tries again', () => {
    const reads = new RecentReads<string>({ window: 8, minHitRate: 0.5, pause: 5 });
    for (let i = 0; i < 8; i++) findOrRemember(reads, { 'x-user': `user-${i}` }, `${i}`);
    expect(reads.size).toBe(0);
    // Aside: nothing is found or remembered, even values seen before.
    for (let i = 0; i < 5; i++) {
      expect(findOrRemember(reads, { 'x-user': 'user-7' }, 'again')).toBeUndefined();
      expect(reads.canRemember).toBe(false);
    }
    expect(reads.size).toBe(0);
    expect(findOrRemember(reads, { 'x-user': 'user-7' }, 'back')).toBeUndefined();
    expect(reads.find({ 'x-user': 'user-7' }, headerRecordAccessor, NAMES)).toBe('back');
  });

  it('stays in use while it hits', () => {
    const reads = new RecentReads<string>({ window: 8, minHitRate: 0.5, pause: 5 });
    findOrRemember(reads, { 'x-user': 'ann' }, 'ann');
    for (let i = 0; i < 40; i++) expect(reads.find({ 'x-user': 'ann' }, headerRecordAccessor, NAMES)).toBe('ann');
  });
});
