/**
 * Hashing for sticky weighted choices and consistent-hash load balancing.
 *
 * Weighted choices use weighted rendezvous hashing: destination `d` scores
 * `-ln(u(key, d)) / weight(d)` and the lowest score wins. Each destination is
 * chosen with probability `weight / sum`, and when one destination's weight
 * grows (others equal or smaller) a key that chose it keeps choosing it —
 * users only ever move *toward* a growing canary. The point `u` depends on the
 * key and the destination's name only (the subset name, not the host), so the
 * same user lands on the same subset at every hop whose routes share names.
 */

/** A 53-bit string hash (cyrb53), split into two 32-bit halves. @internal */
export interface KeyHash {
  lo: number;
  hi: number;
}

/** cyrb53 by bryc (public domain): fast, well-mixed, 53 bits. */
export function hashString(text: string, seed = 0, out: KeyHash = { lo: 0, hi: 0 }): KeyHash {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  out.lo = h1 >>> 0;
  out.hi = h2 >>> 0;
  return out;
}

/** MurmurHash3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

/** A point in (0, 1) for `key` and a destination seed; uniform and independent across seeds. */
export function unitPoint(key: KeyHash, seed: KeyHash): number {
  const a = fmix32((key.lo ^ seed.lo) >>> 0);
  const b = fmix32((key.hi ^ seed.hi ^ Math.imul(a, 0x9e3779b1)) >>> 0);
  return (a * TWO_POW_21 + (b >>> 11) + 0.5) / TWO_POW_53;
}

/**
 * Index of the destination a key sticks to, by weighted rendezvous hashing.
 * Weights of 0 are never chosen; returns -1 when every weight is 0.
 */
export function stickyIndex(key: KeyHash, seeds: readonly KeyHash[], weights: readonly number[]): number {
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < seeds.length; i++) {
    const w = weights[i] as number;
    if (w <= 0) continue;
    const score = -Math.log(unitPoint(key, seeds[i] as KeyHash)) / w;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}
