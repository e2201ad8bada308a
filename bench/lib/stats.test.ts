import { describe, expect, it } from 'vitest';
import { balancedOrder, bootstrapInterval, median } from './stats.js';

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });
});

describe('balancedOrder', () => {
  for (const n of [2, 3, 4]) {
    it(`puts each of ${n} variants in each position equally often over ${2 * n} rounds`, () => {
      const items = Array.from({ length: n }, (_, i) => `v${i}`);
      const positions = new Map(items.map((item) => [item, Array<number>(n).fill(0)]));
      for (let round = 0; round < 2 * n; round++) {
        const order = balancedOrder(items, round);
        expect([...order].sort()).toEqual(items);
        order.forEach((item, position) => {
          const counts = positions.get(item) as number[];
          counts[position] = (counts[position] ?? 0) + 1;
        });
      }
      for (const counts of positions.values()) expect(counts).toEqual(Array<number>(n).fill(2));
    });
  }

  it('runs each pair in both orders equally often', () => {
    const items = ['a', 'b', 'c'];
    let aFirst = 0;
    for (let round = 0; round < 6; round++) {
      const order = balancedOrder(items, round);
      if (order.indexOf('a') < order.indexOf('b')) aFirst++;
    }
    expect(aFirst).toBe(3);
  });
});

describe('bootstrapInterval', () => {
  const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

  it('brackets the statistic, narrows with more data, and repeats for the same seed', () => {
    const few = [9, 11, 10, 12, 8];
    const many = Array.from({ length: 50 }, (_, i) => few[i % few.length] as number);
    const [lo, hi] = bootstrapInterval(few, mean);
    expect(lo).toBeLessThan(10);
    expect(hi).toBeGreaterThan(10);
    const [manyLo, manyHi] = bootstrapInterval(many, mean);
    expect(manyHi - manyLo).toBeLessThan(hi - lo);
    expect(bootstrapInterval(few, mean)).toEqual([lo, hi]);
  });

  it('is a single point for data that does not vary, and NaN for none', () => {
    expect(bootstrapInterval([3, 3, 3], mean)).toEqual([3, 3]);
    expect(bootstrapInterval([], mean)).toEqual([Number.NaN, Number.NaN]);
  });
});
