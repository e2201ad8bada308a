import { describe, expect, it } from 'vitest';
import { balancedOrder, median } from './stats.js';

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
