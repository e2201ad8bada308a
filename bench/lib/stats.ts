/** The median of `values` (the mean of the two middle ones for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Fisher–Yates shuffle into a new array. */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * The order of round `round` (from 0) in a balanced design: the items rotated
 * by the round, reversed every other cycle of `items.length` rounds. Over
 * 2 × n rounds each item runs in each position equally often and each pair
 * runs in both orders, so a bias of the position (first after the warm-up,
 * right after another load) falls on every variant alike. Alternating one
 * order with its reverse leaves a middle variant always in the middle.
 */
export function balancedOrder<T>(items: readonly T[], round: number): T[] {
  const shift = round % items.length;
  const rotated = [...items.slice(shift), ...items.slice(0, shift)];
  return Math.floor(round / items.length) % 2 === 0 ? rotated : rotated.reverse();
}

/** mulberry32: a small seeded generator, so that resampling gives the same interval for the same samples. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A 95 % percentile-bootstrap interval of `statistic`: the statistic of
 * `iterations` resamples of `items` (with replacement, as many as there are),
 * cut at the 2.5th and 97.5th percentiles. Resample whole rounds, so that what
 * varies together within a round stays together. `[NaN, NaN]` for no items.
 */
export function bootstrapInterval<T>(
  items: readonly T[],
  statistic: (resample: readonly T[]) => number,
  iterations = 2000,
  seed = 1,
): [number, number] {
  if (items.length === 0) return [Number.NaN, Number.NaN];
  const random = seededRandom(seed);
  const values: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const resample = items.map(() => items[Math.floor(random() * items.length)] as T);
    values.push(statistic(resample));
  }
  values.sort((a, b) => a - b);
  const at = (p: number): number => values[Math.round(p * (values.length - 1))] as number;
  return [at(0.025), at(0.975)];
}
