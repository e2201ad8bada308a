import { parseDuration } from './duration.js';

/** Options of {@link exponentialBackoff}; defaults are Envoy's retry back-off (25 ms base, 10× cap). */
export interface BackoffOptions {
  /** Base interval (ms or `'25ms'`). Default 25 ms. */
  initial?: number | string;
  /** Cap of the interval. Default 10 × `initial`. */
  max?: number | string;
  /** Random source in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** Delay before retry number `retry` (1 = the first retry), in ms. */
export type Backoff = (retry: number) => number;

/**
 * Exponential back-off with full jitter: retry n waits a uniform random time
 * in [0, min(max, initial × 2^(n-1))) — the spread that keeps a fleet of
 * clients from retrying in lock-step.
 *
 * @throws {TypeError} naming the bad option.
 */
export function exponentialBackoff(options: BackoffOptions = {}): Backoff {
  const initial = parseDuration(options.initial ?? 25, 'backoff.initial');
  const max = parseDuration(options.max ?? initial * 10, 'backoff.max');
  const random = options.random ?? Math.random;
  if (typeof random !== 'function') throw new TypeError('backoff.random must be a function');
  return (retry) => random() * Math.min(max, initial * 2 ** Math.max(0, retry - 1));
}
