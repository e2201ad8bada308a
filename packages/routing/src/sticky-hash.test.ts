import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString, stickyIndex } from './sticky-hash.js';

const seedsOf = (names: readonly string[]) => names.map((n) => hashString(n));
const SUBSETS = ['v1', 'v2', 'v3', 'v4'];

function shares(weights: number[], users = 10_000): number[] {
  const seeds = seedsOf(SUBSETS.slice(0, weights.length));
  const counts = weights.map(() => 0);
  for (let u = 0; u < users; u++) {
    const i = stickyIndex(hashString(`user-${u}`), seeds, weights);
    counts[i] = (counts[i] as number) + 1;
  }
  return counts.map((c) => c / users);
}

describe('sticky weighted choice', () => {
  it.each([[[90, 10]], [[95, 5]], [[33, 33, 34]], [[50, 50]], [[1, 2, 3, 4]]])('splits 10,000 users %j within ±2%', (weights) => {
    const sum = weights.reduce((a, b) => a + b, 0);
    shares(weights).forEach((share, i) => expect(Math.abs(share - (weights[i] as number) / sum)).toBeLessThan(0.02));
  });

  it('never picks a weight-0 destination, and -1 when all are 0', () => {
    const seeds = seedsOf(['v1', 'v2']);
    for (let u = 0; u < 1000; u++) expect(stickyIndex(hashString(`u${u}`), seeds, [100, 0])).toBe(0);
    expect(stickyIndex(hashString('u'), seeds, [0, 0])).toBe(-1);
  });

  it('property: when one weight grows and no other grows, nobody leaves it', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 2, maxLength: 4 }),
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.string(), { minLength: 1, maxLength: 50 }),
        (before, pick, deltas, users) => {
          const k = pick % before.length;
          const after = before.map((w, i) => (i === k ? Math.min(100, w + (deltas[i] as number)) : Math.max(0, w - (deltas[i] as number))));
          if (before.every((w) => w === 0) || after.every((w) => w === 0)) return;
          const seeds = seedsOf(SUBSETS.slice(0, before.length));
          for (const user of users) {
            const key = hashString(user);
            if (stickyIndex(key, seeds, before) === k) expect(stickyIndex(key, seeds, after)).toBe(k);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('a canary growing 10% → 20% keeps all of its users and gains about 10%', () => {
    const seeds = seedsOf(['v1', 'v2']);
    let kept = 0;
    let gained = 0;
    let canaryBefore = 0;
    for (let u = 0; u < 10_000; u++) {
      const key = hashString(`user-${u}`);
      const a = stickyIndex(key, seeds, [90, 10]);
      const b = stickyIndex(key, seeds, [80, 20]);
      if (a === 1) {
        canaryBefore++;
        if (b === 1) kept++;
      } else if (b === 1) gained++;
    }
    expect(kept).toBe(canaryBefore);
    expect(Math.abs(gained / 10_000 - 0.1)).toBeLessThan(0.02);
  });
});
